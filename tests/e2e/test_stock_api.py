"""The stock API over HTTP: scoped balances, movement batches (all or nothing, idempotent by
external id, a dealer reporting sell-out from its own warehouses only) and snapshot sync."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.adapters.stock_ledger import drift
from app.extensions import db
from app.models import Dealer, Product, Region, StockEntry, Warehouse
from tests.conftest import PASSWORD, api_token, auth

URL = "/api/v1/stock"


@pytest.fixture(scope="module")
def world(app):
    """HQ and regional warehouses, two dealer warehouses (Shanghai, Guangdong), three products;
    and a regional manager for SOUTH."""
    from app.adapters.unit_of_work import SqlUnitOfWork
    from app.services.users import NewUser, create_user

    with app.app_context():
        create_user(
            SqlUnitOfWork(db.session, app.extensions["dms_roles"]),
            NewUser("rm_south", ("RegionalManager",), regions=("SOUTH",), password=PASSWORD),
        )
        region = {r.code: r for r in db.session.scalars(select(Region))}
        dealer = {d.code: d for d in db.session.scalars(select(Dealer))}
        hq = Warehouse(code="S-HQ", name="总仓", kind="hq", path="/S-HQ/", region=region["EAST"])
        east = Warehouse(code="S-EAST", name="华东仓", kind="regional", parent=hq, path="/S-HQ/S-EAST/")
        east.region = region["EAST"]
        south = Warehouse(code="S-SOUTH", name="华南仓", kind="regional", parent=hq, path="/S-HQ/S-SOUTH/")
        south.region = region["SOUTH"]
        d_sh = Warehouse(code="S-D-SH-1", name="上海经销商仓", kind="dealer", parent=east)
        d_sh.path, d_sh.region, d_sh.dealer = "/S-HQ/S-EAST/S-D-SH-1/", region["SH"], dealer["D-SH-1"]
        d_gd = Warehouse(code="S-D-GD-1", name="广东经销商仓", kind="dealer", parent=south)
        d_gd.path, d_gd.region, d_gd.dealer = "/S-HQ/S-SOUTH/S-D-GD-1/", region["GD"], dealer["D-GD-1"]
        db.session.add_all([hq, east, south, d_sh, d_gd])
        db.session.add_all(
            [
                Product(code="P-1", name="矿泉水"),
                Product(code="P-2", name="绿茶"),
                Product(code="P-3", name="饼干"),
            ]
        )
        db.session.commit()
    yield


@pytest.fixture(scope="module")
def stock_tokens(app, world, tokens):
    client = app.test_client()
    return {**tokens, "rm_south": api_token(client, "rm_south")}


def post(client, token, *movements):
    return client.post(f"{URL}/movements", json={"movements": list(movements)}, headers=auth(token))


def receipt(warehouse, sku, qty, **extra):
    return {"kind": "receipt", "warehouse": warehouse, "sku": sku, "qty": qty, **extra}


def levels(client, token, **params) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    resp = client.get(f"{URL}/balances", query_string={"page_size": 1000, **params}, headers=auth(token))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return {
        (r["warehouse"], r["sku"]): (r["on_hand"], r["reserved"], r["available"], r["in_transit"])
        for r in resp.get_json()["result"]
    }


@pytest.fixture(scope="module")
def stocked(app, world, stock_tokens):
    client = app.test_client()
    resp = post(
        client,
        stock_tokens["warehouse"],
        receipt("S-HQ", "P-1", 100, batch="B1", received_on="2026-01-05"),
        receipt("S-EAST", "P-1", 50),
        receipt("S-SOUTH", "P-2", 30),
        receipt("S-D-SH-1", "P-1", 40),
        receipt("S-D-SH-1", "P-2", 10),
        receipt("S-D-GD-1", "P-1", 20),
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return stock_tokens


def test_balances_per_warehouse_and_sku_with_codes(client, stocked):
    resp = client.get(f"{URL}/balances?warehouse=s-hq&sku=p-1", headers=auth(stocked["warehouse"]))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["count"] == 1
    row = body["result"][0]
    assert row["warehouse"] == "S-HQ" and row["sku"] == "P-1" and row["product_name"] == "矿泉水"
    assert (row["on_hand"], row["reserved"], row["available"], row["in_transit"]) == (100, 0, 100, 0)
    page = client.get(f"{URL}/balances?page=1&page_size=2", headers=auth(stocked["warehouse"])).get_json()
    assert page["count"] >= 6 and len(page["result"]) == 2 and page["page"] == 1
    bad = client.get(f"{URL}/balances?page_size=0", headers=auth(stocked["warehouse"]))
    assert bad.status_code == 422 and "page_size" in bad.get_json()["errors"]


def test_balances_follow_the_data_scope(client, stocked):
    mine = levels(client, stocked["dealer_sh1"])
    assert {w for w, _ in mine} == {"S-D-SH-1"}
    resp = client.get(f"{URL}/balances?warehouse=S-D-GD-1", headers=auth(stocked["dealer_sh1"]))
    assert resp.status_code == 404
    south = {w for w, _ in levels(client, stocked["rm_south"])}
    assert south == {"S-SOUTH", "S-D-GD-1"}
    assert (
        client.get(f"{URL}/balances?warehouse=S-EAST", headers=auth(stocked["rm_south"])).status_code == 404
    )
    east = {w for w, _ in levels(client, stocked["rm_east"])}
    assert {"S-HQ", "S-EAST", "S-D-SH-1"} <= east and not east & {"S-SOUTH", "S-D-GD-1"}
    assert client.get(f"{URL}/balances").status_code == 401


def test_external_id_applies_once_and_a_changed_retry_is_refused(client, stocked):
    token = stocked["warehouse"]
    first = post(client, token, receipt("S-EAST", "P-3", 7, external_id="ERP-1001"))
    again = post(client, token, receipt("S-EAST", "P-3", 7, external_id="ERP-1001"))
    assert first.status_code == again.status_code == 200
    assert first.get_json()["results"][0]["duplicate"] is False
    assert again.get_json()["results"] == [
        {"movement_id": first.get_json()["results"][0]["movement_id"], "duplicate": True}
    ]
    assert levels(client, token, warehouse="S-EAST", sku="P-3")[("S-EAST", "P-3")][0] == 7
    changed = post(client, token, receipt("S-EAST", "P-3", 8, external_id="ERP-1001"))
    assert changed.status_code == 409
    assert "movements/0/external_id" in changed.get_json()["errors"]


def test_a_batch_is_all_or_nothing(client, stocked):
    token = stocked["warehouse"]
    before = levels(client, token)
    oversell = post(
        client,
        token,
        receipt("S-EAST", "P-2", 5),
        {"kind": "ship", "warehouse": "S-SOUTH", "sku": "P-2", "qty": 31},
    )
    assert oversell.status_code == 409
    assert "movements/1/qty" in oversell.get_json()["errors"]
    invalid = post(
        client,
        token,
        receipt("S-EAST", "P-2", 5),
        receipt("S-EAST", "P-2", "x"),
        receipt("S-EAST", "NOPE", 1),
    )
    assert invalid.status_code == 422
    errors = invalid.get_json()["errors"]
    assert "movements/1/qty" in errors
    unknown = post(client, token, receipt("S-EAST", "P-2", 5), receipt("S-EAST", "NOPE", 1))
    assert unknown.status_code == 422 and "movements/1/sku" in unknown.get_json()["errors"]
    assert post(client, token).status_code == 422
    assert levels(client, token) == before


def test_transfer_through_transit(client, stocked):
    token = stocked["warehouse"]
    out = {"kind": "transfer_out", "warehouse": "S-HQ", "to_warehouse": "S-SOUTH", "sku": "P-1", "qty": 10,
           "reference": "TR-1"}  # fmt: skip
    assert post(client, token, out).status_code == 200
    assert levels(client, token, warehouse="S-SOUTH")[("S-SOUTH", "P-1")] == (0, 0, 0, 10)
    inbound = {"kind": "transfer_in", "warehouse": "S-SOUTH", "sku": "P-1", "qty": 10, "reference": "TR-1"}
    assert post(client, token, inbound).status_code == 200
    assert levels(client, token, warehouse="S-SOUTH")[("S-SOUTH", "P-1")] == (10, 0, 10, 0)


def test_dealer_reports_sell_out_from_its_own_warehouse_only(client, stocked):
    token = stocked["dealer_sh1"]
    sold = {"kind": "sell_out", "warehouse": "S-D-SH-1", "sku": "P-1", "qty": 3, "external_id": "SO-SH-1"}
    resp = post(client, token, sold)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert levels(client, token)[("S-D-SH-1", "P-1")][0] == 37
    other = post(client, token, {**sold, "warehouse": "S-D-GD-1", "external_id": None})
    assert other.status_code == 422
    assert other.get_json()["errors"] == {"movements/0/warehouse": "unknown warehouse S-D-GD-1"}
    refused = post(client, token, receipt("S-D-SH-1", "P-1", 5))
    assert refused.status_code == 403 and "movements/0/kind" in refused.get_json()["errors"]
    too_much = post(client, token, {**sold, "qty": 1000, "external_id": None})
    assert too_much.status_code == 409
    snapshot = {"warehouse": "S-D-SH-1", "balances": [{"sku": "P-1", "on_hand": 1}]}
    assert client.put(f"{URL}/balances", json=snapshot, headers=auth(token)).status_code == 403
    assert post(client, stocked["rm_east"], sold).status_code == 403
    assert levels(client, token)[("S-D-SH-1", "P-1")][0] == 37


def test_snapshot_sync_adjusts_the_differences_once(app, client, stocked):
    token = stocked["warehouse"]
    body = {
        "warehouse": "S-D-GD-1",
        "snapshot_id": "WMS-2026-03-01",
        "balances": [
            {"sku": "P-1", "on_hand": 26},
            {"sku": "P-2", "on_hand": 4},
            {"sku": "P-3", "on_hand": 0},
        ],
    }
    resp = client.put(f"{URL}/balances", json=body, headers=auth(token))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    made = {a["sku"]: a for a in resp.get_json()["adjustments"]}
    assert set(made) == {"P-1", "P-2"}  # P-3 was 0 already: no entry
    assert (made["P-1"]["before"], made["P-1"]["adjustment"], made["P-1"]["on_hand"]) == (20, 6, 26)
    assert made["P-2"]["adjustment"] == 4
    assert levels(client, token, warehouse="S-D-GD-1") == {
        ("S-D-GD-1", "P-1"): (26, 0, 26, 0),
        ("S-D-GD-1", "P-2"): (4, 0, 4, 0),
    }
    retry = client.put(f"{URL}/balances", json=body, headers=auth(token))
    assert retry.status_code == 200
    assert {a["sku"]: a["duplicate"] for a in retry.get_json()["adjustments"]} == {"P-1": True, "P-2": True}
    lower = {
        "warehouse": "S-D-GD-1",
        "snapshot_id": "WMS-2026-03-02",
        "balances": [{"sku": "P-1", "on_hand": 21}],
    }
    assert (
        client.put(f"{URL}/balances", json=lower, headers=auth(token)).get_json()["adjustments"][0][
            "adjustment"
        ]
        == -5
    )
    assert levels(client, token, warehouse="S-D-GD-1")[("S-D-GD-1", "P-1")][0] == 21
    with app.app_context():
        reasons = set(db.session.scalars(select(StockEntry.reason).where(StockEntry.kind == "adjust")))
        assert reasons == {"snapshot sync"}
        assert drift(db.session) == []


def test_snapshot_refusals(client, stocked):
    token = stocked["warehouse"]
    unknown = {"warehouse": "NOWHERE", "balances": [{"sku": "P-1", "on_hand": 1}]}
    resp = client.put(f"{URL}/balances", json=unknown, headers=auth(token))
    assert resp.status_code == 404 and "warehouse" in resp.get_json()["errors"]
    sku = {"warehouse": "S-EAST", "balances": [{"sku": "P-1", "on_hand": 1}, {"sku": "NOPE", "on_hand": 1}]}
    resp = client.put(f"{URL}/balances", json=sku, headers=auth(token))
    assert resp.status_code == 422 and resp.get_json()["errors"] == {"balances/1/sku": "unknown SKU NOPE"}
    bad = {"warehouse": "S-EAST", "balances": [{"sku": "P-1", "on_hand": -1}, {"sku": "P-1", "on_hand": 2}]}
    errors = client.put(f"{URL}/balances", json=bad, headers=auth(token)).get_json()["errors"]
    assert set(errors) == {"balances/0/on_hand", "balances/1/sku"}
    reserve = {"kind": "reserve", "warehouse": "S-EAST", "sku": "P-1", "qty": 30}
    assert post(client, token, reserve).status_code == 200
    below = {"warehouse": "S-EAST", "balances": [{"sku": "P-1", "on_hand": 10}]}
    resp = client.put(f"{URL}/balances", json=below, headers=auth(token))
    assert resp.status_code == 409 and "balances/0/on_hand" in resp.get_json()["errors"]
    assert levels(client, token, warehouse="S-EAST")[("S-EAST", "P-1")] == (50, 30, 20, 0)
    scoped = {"warehouse": "S-EAST", "balances": [{"sku": "P-1", "on_hand": 1}]}
    assert client.put(f"{URL}/balances", json=scoped, headers=auth(stocked["rm_south"])).status_code == 403


def test_openapi_documents_the_stock_api(client, stocked):
    spec = client.get("/api/v1/_openapi", headers=auth(stocked["admin"])).get_json()
    assert {"/stock/balances", "/stock/movements"} <= {p.removeprefix("/api/v1") for p in spec["paths"]}
    assert {"get", "put"} <= set(spec["paths"]["/api/v1/stock/balances"])
