"""Shipments over HTTP: the warehouse ships a confirmed order in two shipments (stock leaves the
ledger, reserved first; the order goes partially shipped → shipped), the logistics strategy picks
a carrier, signed tracking events arrive (idempotent, unsigned ones refused), the dealer confirms
receipt (a shortfall opens a claim; the order ends received), and the cost report."""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook

from app.domain.shipments import signature
from tests.conftest import auth
from tests.order_helpers import balance, close, create, order_app, order_tokens, show

SECRET = "carrier-secret-123"


@pytest.fixture(scope="module")
def app(database_url):
    application = order_app(database_url, DMS_TRACKING_SECRETS=f"SF={SECRET},WMS=wms-secret-456")
    yield application
    close(application)


@pytest.fixture(scope="module")
def tokens(app):
    return order_tokens(app)


def ship(client, token, order_id, body, expect=201):
    resp = client.post(f"/api/v1/shipment/order/{order_id}", json=body, headers=auth(token))
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def push(client, events, source="SF", secret=SECRET, expect=200):
    body = json.dumps({"events": events}).encode()
    headers = {
        "X-DMS-Source": source,
        "X-DMS-Signature": signature(secret, body),
        "Content-Type": "application/json",
    }
    resp = client.post("/api/v1/shipment/events", data=body, headers=headers)
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


@pytest.fixture(scope="module")
def order(client_module, tokens):
    return create(
        client_module,
        tokens["dealer_sh1"],
        {"lines": [{"sku": "W-550", "qty": 30}, {"sku": "T-500", "qty": 10}]},
    )


@pytest.fixture(scope="module")
def client_module(app):
    return app.test_client()


def test_two_shipments_then_tracking_then_receipt_with_a_claim(client, tokens, app, order):
    assert order["status"] == "confirmed"
    assert order["promised_on"] is not None
    before = balance(app, "WH-EAST", "W-550")
    first = ship(
        client,
        tokens["warehouse"],
        order["id"],
        {
            "lines": [{"sku": "W-550", "qty": 20}],
            "waybill": "SF1000000001",
            "carrier": "SF",
            "parcels": 2,
            "weight_kg": "240.5",
            "cost": "85.00",
        },
    )
    assert first["number"].startswith("SH") and first["status"] == "shipped"
    assert balance(app, "WH-EAST", "W-550") == (before[0] - 20, before[1] - 20)  # reserved stock left
    now = show(client, tokens["dealer_sh1"], order["id"])
    assert now["status"] == "partially_shipped"
    assert {line["sku"]: line["shipped_qty"] for line in now["lines"]} == {"W-550": 20, "T-500": 0}
    # more than is left is refused and changes nothing
    resp = client.post(
        f"/api/v1/shipment/order/{order['id']}",
        json={"lines": [{"sku": "W-550", "qty": 11}], "waybill": "ZT2000000001"},
        headers=auth(tokens["warehouse"]),
    )
    assert resp.status_code == 422 and "lines/0/qty" in resp.get_json()["errors"]
    # the second shipment without a carrier: the logistics strategy picks one (East China: ZTO)
    second = ship(
        client,
        tokens["warehouse"],
        order["id"],
        {"lines": [{"sku": "W-550", "qty": 10}, {"sku": "T-500", "qty": 10}], "waybill": "ZT2000000001"},
    )
    assert second["carrier"] == "ZTO" and second["service"] == "standard"
    assert show(client, tokens["dealer_sh1"], order["id"])["status"] == "shipped"

    events = [
        {
            "id": "sf-ev-1",
            "waybill": "SF1000000001",
            "carrier": "SF",
            "code": "picked_up",
            "at": "2026-11-27T08:00:00+08:00",
            "location": "苏州",
        },
        {
            "id": "sf-ev-2",
            "waybill": "SF1000000001",
            "carrier": "SF",
            "code": "delivered",
            "at": "2026-11-28T15:30:00+08:00",
            "location": "上海",
        },
    ]
    result = push(client, events)
    assert [r["duplicate"] for r in result["results"]] == [False, False]
    again = push(client, events)  # a re-sent batch counts once
    assert [r["duplicate"] for r in again["results"]] == [True, True]
    shown = client.get(f"/api/v1/shipment/{first['id']}", headers=auth(tokens["dealer_sh1"])).get_json()
    assert shown["status"] == "delivered" and [t["code"] for t in shown["tracking"]] == [
        "picked_up",
        "delivered",
    ]

    resp = client.post(f"/api/v1/shipment/{first['id']}/receipt", json={}, headers=auth(tokens["dealer_sh1"]))
    assert resp.status_code == 200 and resp.get_json()["status"] == "received"
    assert resp.get_json()["order_status"] == "shipped"  # the second shipment is still on its way
    resp = client.post(
        f"/api/v1/shipment/{second['id']}/receipt",
        json={"lines": [{"sku": "T-500", "received_qty": 8}], "note": "两箱破损"},
        headers=auth(tokens["dealer_sh1"]),
    )
    assert resp.status_code == 200 and resp.get_json()["order_status"] == "received"
    final = show(client, tokens["dealer_sh1"], order["id"])
    assert final["status"] == "received"
    assert final["claims"][0]["lines"] == [{"sku": "T-500", "shipped": 10, "received": 8, "missing": 2}]
    assert {line["sku"]: line["received_qty"] for line in final["lines"]} == {"W-550": 30, "T-500": 8}
    assert (
        client.post(
            f"/api/v1/shipment/{second['id']}/receipt", json={}, headers=auth(tokens["dealer_sh1"])
        ).status_code
        == 409
    )


def test_tracking_needs_a_known_source_and_a_valid_signature(client):
    events = [{"id": "x-1", "waybill": "SF1000000001", "code": "in_transit", "at": "2026-11-27T10:00:00Z"}]
    push(client, events, secret="wrong", expect=401)
    push(client, events, source="NOBODY", expect=401)
    body = json.dumps({"events": events}).encode()
    assert (
        client.post("/api/v1/shipment/events", data=body, headers={"X-DMS-Source": "SF"}).status_code == 401
    )
    bad = push(
        client,
        [{"id": "x-2", "waybill": "NOSUCHBILL01", "code": "in_transit", "at": "2026-11-27T10:00:00Z"}],
        expect=422,
    )
    assert "events/0/waybill" in bad["errors"]
    bad = push(
        client,
        [{"id": "x-3", "waybill": "SF1000000001", "code": "teleported", "at": "yesterday"}],
        expect=422,
    )
    assert {"events/0/code", "events/0/at"} <= set(bad["errors"])


def test_shipping_rules_and_scope(client, tokens):
    fresh = create(client, tokens["dealer_gd1"], {"lines": [{"sku": "W-550", "qty": 5}]})
    # dealers cannot ship, the warehouse cannot confirm receipt
    assert (
        client.post(
            f"/api/v1/shipment/order/{fresh['id']}",
            json={"lines": [{"sku": "W-550", "qty": 5}], "waybill": "JD3000000001"},
            headers=auth(tokens["dealer_gd1"]),
        ).status_code
        == 403
    )
    shipped = ship(
        client,
        tokens["warehouse"],
        fresh["id"],
        {"lines": [{"sku": "W-550", "qty": 5}], "waybill": "JD3000000001"},
    )
    assert shipped["carrier"] == "JD"  # South China
    assert (
        client.post(
            f"/api/v1/shipment/{shipped['id']}/receipt", json={}, headers=auth(tokens["warehouse"])
        ).status_code
        == 403
    )
    # another dealer neither sees nor receives it
    assert (
        client.get(f"/api/v1/shipment/{shipped['id']}", headers=auth(tokens["dealer_sh1"])).status_code == 404
    )
    assert (
        client.post(
            f"/api/v1/shipment/{shipped['id']}/receipt", json={}, headers=auth(tokens["dealer_sh1"])
        ).status_code
        == 404
    )
    # a waybill can be used once per carrier; cancelled or unconfirmed orders do not ship
    other = create(client, tokens["dealer_gd1"], {"lines": [{"sku": "W-550", "qty": 1}]})
    resp = client.post(
        f"/api/v1/shipment/order/{other['id']}",
        json={"lines": [{"sku": "W-550", "qty": 1}], "waybill": "JD3000000001"},
        headers=auth(tokens["warehouse"]),
    )
    assert resp.status_code == 409 and "waybill" in resp.get_json()["errors"]
    draft = create(client, tokens["dealer_gd1"], {"lines": [{"sku": "W-550", "qty": 1}], "submit": False})
    resp = client.post(
        f"/api/v1/shipment/order/{draft['id']}",
        json={"lines": [{"sku": "W-550", "qty": 1}], "waybill": "JD3000000009"},
        headers=auth(tokens["warehouse"]),
    )
    assert resp.status_code == 409


def test_logistics_cost_report_by_carrier_and_as_xlsx(client, tokens):
    rows = client.get("/api/v1/shipment/costs?group_by=carrier", headers=auth(tokens["exec"])).get_json()[
        "result"
    ]
    by = {row["key"]: row for row in rows}
    assert by["SF"]["cost"] == "85.00" and by["SF"]["parcels"] == 2 and by["SF"]["weight_kg"] == "240.500"
    mine = client.get(
        "/api/v1/shipment/costs?group_by=carrier", headers=auth(tokens["dealer_gd1"])
    ).get_json()
    assert {row["key"] for row in mine["result"]} == {"JD"}  # only its own shipments
    assert (
        client.get("/api/v1/shipment/costs?group_by=colour", headers=auth(tokens["exec"])).status_code == 422
    )
    resp = client.get("/api/v1/shipment/costs?group_by=region&format=xlsx", headers=auth(tokens["exec"]))
    sheet = load_workbook(io.BytesIO(resp.data)).active
    assert sheet.cell(1, 2).value.startswith("发货单数") and {sheet.cell(r, 1).value for r in (2, 3)} == {
        "SH",
        "GD",
    }
