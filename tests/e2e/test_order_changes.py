"""Changes after confirmation: a dealer asks to change quantities and add a SKU; the regional
manager approves and the order, its amount and its reservations follow; a refused change leaves
everything as it was; quantities below what shipped and unchanged requests are refused."""

from __future__ import annotations

import pytest

from tests.conftest import auth
from tests.order_helpers import balance, close, complete, create, order_app, order_tokens, show, task_of


@pytest.fixture(scope="module")
def app(database_url):
    application = order_app(database_url)
    yield application
    close(application)


def change(client, token, order_id, body, expect=201):
    resp = client.post(f"/api/v1/order/{order_id}/change_request", json=body, headers=auth(token))
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def test_an_approved_change_updates_lines_amount_and_reservations(app):
    client, tokens = app.test_client(), order_tokens(app)
    order = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 100}]})
    assert order["status"] == "confirmed"
    held = balance(app, "WH-EAST", "W-550")
    request = change(
        client,
        tokens["dealer_sh1"],
        order["id"],
        {"lines": [{"sku": "W-550", "qty": 60}, {"sku": "T-500", "qty": 4}], "reason": "门店调整"},
    )
    assert request["status"] == "pending"
    change(client, tokens["dealer_sh1"], order["id"], {"lines": [{"sku": "W-550", "qty": 50}]}, expect=409)
    task = task_of(client, tokens["rm_sh"], request["instance_id"], "rm_change")
    complete(client, tokens["rm_sh"], task["id"], {"decision": "approve", "comment": "同意调整"})
    after = show(client, tokens["dealer_sh1"], order["id"])
    assert {line["sku"]: line["qty"] for line in after["lines"]} == {"W-550": 60, "T-500": 4}
    assert after["amount"] == "1980.00"  # 60 × 30 + 4 × 45
    assert {line["sku"]: line["reserved_qty"] for line in after["lines"]} == {"W-550": 60, "T-500": 4}
    assert balance(app, "WH-EAST", "W-550") == (held[0], held[1] - 40)
    assert (
        after["change_requests"][0]["status"] == "applied"
        and after["change_requests"][0]["decided_by"] == "rm_sh"
    )
    assert any(e["action"] == "changed" for e in after["timeline"])


def test_a_rejected_change_changes_nothing(app):
    client, tokens = app.test_client(), order_tokens(app)
    order = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 10}]})
    request = change(client, tokens["rep"], order["id"], {"lines": [{"sku": "W-550", "qty": 20}]})
    task = task_of(client, tokens["rm_sh"], request["instance_id"], "rm_change")
    complete(client, tokens["rm_sh"], task["id"], {"decision": "reject", "comment": "库存紧张"})
    after = show(client, tokens["dealer_sh1"], order["id"])
    assert after["lines"][0]["qty"] == 10 and after["amount"] == "300.00"
    assert after["change_requests"][0]["status"] == "rejected"


def test_bad_changes_are_refused(app):
    client, tokens = app.test_client(), order_tokens(app)
    order = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 10}]})
    resp = client.post(
        f"/api/v1/shipment/order/{order['id']}",
        json={"lines": [{"sku": "W-550", "qty": 6}], "waybill": "ZT6000000001"},
        headers=auth(tokens["warehouse"]),
    )
    assert resp.status_code == 201
    bad = change(
        client, tokens["dealer_sh1"], order["id"], {"lines": [{"sku": "W-550", "qty": 5}]}, expect=422
    )
    assert "lines/0/qty" in bad["errors"]  # 6 have shipped
    change(client, tokens["dealer_sh1"], order["id"], {"lines": [{"sku": "W-550", "qty": 10}]}, expect=422)
    bad = change(
        client, tokens["dealer_sh1"], order["id"], {"lines": [{"sku": "NOPE", "qty": 1}]}, expect=422
    )
    assert "lines/0/sku" in bad["errors"]
    draft = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 1}], "submit": False})
    change(client, tokens["dealer_sh1"], draft["id"], {"lines": [{"sku": "W-550", "qty": 2}]}, expect=409)
    change(client, tokens["dealer_gd1"], order["id"], {"lines": [{"sku": "W-550", "qty": 20}]}, expect=404)
