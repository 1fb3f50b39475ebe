"""Deposits: an order over the credit limit is approved with a 30 % deposit (order_approval
table); it cannot ship until payments referencing it cover the deposit, and the payment wakes the
waiting approval flow (message ``payment_received``)."""

from __future__ import annotations

import pytest

from app.adapters.clock import business_today
from tests.conftest import auth
from tests.order_helpers import close, complete, create, order_app, order_tokens, show, task_of


@pytest.fixture(scope="module")
def app(database_url):
    application = order_app(database_url)
    yield application
    close(application)


def pay(client, token, external_id, amount, reference):
    body = {
        "external_id": external_id,
        "dealer": "D-SH-2",
        "amount": amount,
        "received_on": business_today().isoformat(),
        "reference": reference,
    }
    resp = client.post("/api/v1/payment/", json=body, headers=auth(token))
    assert resp.status_code in (200, 201), resp.get_json()


def instance_status(app, instance_id):
    from app.extensions import db
    from app.models import ProcessInstance

    with app.app_context():
        return db.session.get(ProcessInstance, instance_id).status


def test_deposit_holds_shipping_until_paid(app):
    client, tokens = app.test_client(), order_tokens(app)
    order = create(client, tokens["dealer_sh2"], {"lines": [{"sku": "W-550", "qty": 10}]})
    assert order["route"] == "rm_finance"  # D-SH-2 has no credit limit: over it
    for user, step in (("rm_sh", "rm_approve"), ("finance", "finance_approve")):
        task = task_of(client, tokens[user], order["instance_id"], step)
        complete(
            client, tokens[user], task["id"], {"decision": "approve", "comment": "先付定金 deposit first"}
        )
    confirmed = show(client, tokens["dealer_sh2"], order["id"])
    assert confirmed["status"] == "confirmed" and confirmed["deposit_amount"] == "90.00"
    assert instance_status(app, order["instance_id"]) == "waiting"
    ship = {"lines": [{"sku": "W-550", "qty": 10}], "waybill": "ZT8000000001"}
    resp = client.post(f"/api/v1/shipment/order/{order['id']}", json=ship, headers=auth(tokens["warehouse"]))
    assert resp.status_code == 409 and "deposit" in resp.get_json()["errors"]

    pay(client, tokens["finance"], "dep-1", "50.00", order["number"])  # not enough yet
    assert instance_status(app, order["instance_id"]) == "waiting"
    assert (
        client.post(
            f"/api/v1/shipment/order/{order['id']}", json=ship, headers=auth(tokens["warehouse"])
        ).status_code
        == 409
    )
    pay(client, tokens["finance"], "dep-2", "40.00", order["number"])
    assert instance_status(app, order["instance_id"]) == "completed"
    timeline = [e["action"] for e in show(client, tokens["dealer_sh2"], order["id"])["timeline"]]
    assert "deposit_paid" in timeline
    resp = client.post(f"/api/v1/shipment/order/{order['id']}", json=ship, headers=auth(tokens["warehouse"]))
    assert resp.status_code == 201, resp.get_json()


def test_small_orders_within_the_limit_need_no_deposit(app):
    client, tokens = app.test_client(), order_tokens(app)
    order = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 2}]})
    assert order["status"] == "confirmed" and order["deposit_amount"] is None
    assert instance_status(app, order["instance_id"]) == "completed"
