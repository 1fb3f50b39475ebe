"""The order journey over the API (issue 8's acceptance, as the browser journey does it): a dealer
orders, the checks show, the regional manager approves, the warehouse ships in two shipments,
the carrier pushes tracking events, the dealer confirms receipt."""

from __future__ import annotations

import json

import pytest

from app.domain.shipments import signature
from tests.conftest import auth
from tests.order_helpers import close, complete, create, order_app, order_tokens, show, task_of

SECRET = "journey-secret"


@pytest.fixture(scope="module")
def app(database_url):
    application = order_app(database_url, DMS_TRACKING_SECRETS=f"SF={SECRET}")
    yield application
    close(application)


def test_order_approve_ship_twice_track_receive(app):
    client, tokens = app.test_client(), order_tokens(app)
    order = create(
        client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 400}, {"sku": "T-500", "qty": 20}]}
    )
    assert order["amount"] == "12900.00" and order["status"] == "in_review"
    assert {c["kind"]: c["outcome"] for c in order["checks"]} == {
        "stock": "ok",
        "price": "ok",
        "credit": "ok",
        "diversion": "ok",
    }
    task = task_of(client, tokens["rm_sh"], order["instance_id"], "rm_approve")
    complete(client, tokens["rm_sh"], task["id"], {"decision": "approve", "comment": "同意"})
    assert show(client, tokens["warehouse"], order["id"])["status"] == "confirmed"

    ids = []
    for waybill, lines in (
        ("SF5000000001", [{"sku": "W-550", "qty": 400}]),
        ("SF5000000002", [{"sku": "T-500", "qty": 20}]),
    ):
        resp = client.post(
            f"/api/v1/shipment/order/{order['id']}",
            json={"lines": lines, "waybill": waybill, "carrier": "SF"},
            headers=auth(tokens["warehouse"]),
        )
        assert resp.status_code == 201, resp.get_json()
        ids.append(resp.get_json()["id"])
    assert show(client, tokens["dealer_sh1"], order["id"])["status"] == "shipped"
    # one invoice per shipment (the default), each for what it carried, due after the payment terms
    listed = client.get("/api/v1/invoice/?dealer=D-SH-1", headers=auth(tokens["finance"])).get_json()
    invoices = listed["result"]
    assert sorted(i["amount"] for i in invoices) == ["12000.00", "900.00"]

    body = json.dumps(
        {
            "events": [
                {
                    "id": "j-1",
                    "waybill": "SF5000000001",
                    "code": "delivered",
                    "at": "2026-11-28T10:00:00+08:00",
                },
                {
                    "id": "j-2",
                    "waybill": "SF5000000002",
                    "code": "delivered",
                    "at": "2026-11-28T11:00:00+08:00",
                },
            ]
        }
    ).encode()
    resp = client.post(
        "/api/v1/shipment/events",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-DMS-Source": "SF",
            "X-DMS-Signature": signature(SECRET, body),
        },
    )
    assert resp.status_code == 200

    for shipment_id in ids:
        resp = client.post(
            f"/api/v1/shipment/{shipment_id}/receipt", json={}, headers=auth(tokens["dealer_sh1"])
        )
        assert resp.status_code == 200, resp.get_json()
    final = show(client, tokens["dealer_sh1"], order["id"])
    assert final["status"] == "received" and final["claims"] == []
    assert [s["status"] for s in final["shipments"]] == ["received", "received"]
    actions = [e["action"] for e in final["timeline"]]
    assert (
        actions.index("decision")
        < actions.index("approve")
        < actions.index("ship")
        < actions.index("receive")
    )
