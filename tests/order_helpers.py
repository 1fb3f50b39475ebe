"""A catalogue, warehouses with stock and a published price policy for the order tests."""

from __future__ import annotations

from sqlalchemy import select

from tests.conftest import PASSWORD, api_token, auth, init_world, make_app

CATALOGUE = {
    "product_lines": [{"code": "BEV", "name": "饮料"}, {"code": "HPC", "name": "日化"}],
    "products": [
        {"code": "W-550", "name": "矿泉水 550ml", "product_line": "BEV", "unit": "箱"},
        {"code": "T-500", "name": "绿茶 500ml", "product_line": "BEV", "unit": "箱"},
        {"code": "C-1KG", "name": "洗衣液 1kg", "product_line": "HPC", "unit": "箱"},
    ],
    "warehouses": [
        {"code": "WH-HQ", "name": "总仓", "kind": "hq", "region": "SH"},
        {"code": "WH-EAST", "name": "华东仓", "kind": "regional", "parent": "WH-HQ", "region": "EAST"},
        {"code": "WH-SOUTH", "name": "华南仓", "kind": "regional", "parent": "WH-HQ", "region": "SOUTH"},
    ],
    "stock": [
        {
            "external_id": "r1",
            "warehouse": "WH-EAST",
            "sku": "W-550",
            "qty": 5000,
            "batch": "B1",
            "received_days_ago": 10,
        },
        {
            "external_id": "r2",
            "warehouse": "WH-EAST",
            "sku": "T-500",
            "qty": 40,
            "batch": "B2",
            "received_days_ago": 10,
        },
        {
            "external_id": "r3",
            "warehouse": "WH-SOUTH",
            "sku": "W-550",
            "qty": 100,
            "batch": "B3",
            "received_days_ago": 5,
        },
    ],
}
PRICES = [("W-550", "30.00"), ("T-500", "45.00"), ("C-1KG", "60.00")]


def order_app(database_url, **config):
    from app.adapters import pricing_admin
    from app.adapters.demo_inventory import load_inventory
    from app.adapters.unit_of_work import SqlUnitOfWork
    from app.extensions import db
    from app.models import Dealer
    from app.services.users import NewUser, create_user

    application = make_app(database_url, **config)
    init_world(application)
    with application.app_context():
        create_user(
            SqlUnitOfWork(db.session, application.extensions["dms_roles"]),
            NewUser("dealer_sh2", ("Dealer",), dealers=("D-SH-2",), password=PASSWORD),
        )
        load_inventory(db.session, CATALOGUE)
        gd = db.session.scalar(select(Dealer).where(Dealer.code == "D-GD-1"))
        gd.credit_limit = 200000
        draft = pricing_admin.create_draft(db.session, "finance")
        for sku, price in PRICES:
            values = pricing_admin.record_values(db.session, {"type": "base", "sku": sku, "price": price})
            pricing_admin.add_record(db.session, draft, values)
        pricing_admin.publish(db.session, draft, None, "finance")
        db.session.commit()
    return application


def close(application) -> None:
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


USERS = ("dealer_sh1", "dealer_sh2", "dealer_gd1", "rep", "rm_sh", "rm_east", "finance", "exec", "warehouse")


def order_tokens(application) -> dict[str, str]:
    client = application.test_client()
    return {u: api_token(client, u) for u in USERS}


def create(client, token, body, key=None, expect=201):
    headers = auth(token) | ({"Idempotency-Key": key} if key else {})
    resp = client.post("/api/v1/order/", json=body, headers=headers)
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def show(client, token, order_id, expect=200):
    resp = client.get(f"/api/v1/order/{order_id}", headers=auth(token))
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def task_of(client, token, instance_id, element):
    tasks = client.get("/api/v1/task/", headers=auth(token)).get_json()["result"]
    return next((t for t in tasks if t["instance_id"] == instance_id and t["element_id"] == element), None)


def complete(client, token, task_id, data, expect=200):
    resp = client.post(f"/api/v1/task/{task_id}/complete", json={"data": data}, headers=auth(token))
    assert resp.status_code == expect, resp.get_json()


def balance(app, warehouse, sku):
    from app.extensions import db
    from app.models import Product, StockBalance, Warehouse

    with app.app_context():
        row = db.session.execute(
            select(StockBalance.on_hand, StockBalance.reserved)
            .join(Warehouse, StockBalance.warehouse_id == Warehouse.id)
            .join(Product, StockBalance.product_id == Product.id)
            .where(Warehouse.code == warehouse, Product.code == sku)
        ).first()
        return (int(row[0]), int(row[1])) if row else (0, 0)
