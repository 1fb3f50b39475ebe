"""Orders over HTTP: creation with checks (stock, price, credit, diversion), idempotent retries,
routing by the approval table (automatic, regional manager, + finance, blocked), approval
reserving stock, price exceptions holding the order until reviewed, return for revision,
cancellation releasing stock, and the data scope on every endpoint."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import auth
from tests.order_helpers import balance, close, complete, create, order_app, order_tokens, show, task_of


@pytest.fixture(scope="module")
def app(database_url):
    application = order_app(database_url)
    yield application
    close(application)


@pytest.fixture(scope="module")
def tokens(app):
    return order_tokens(app)


def test_small_order_is_confirmed_at_once_with_its_checks_and_reserves_stock(client, tokens, app):
    before = balance(app, "WH-EAST", "W-550")
    order = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 10}], "note": "周末到货"})
    assert order["dealer"]["code"] == "D-SH-1"  # a dealer user orders for its own company
    assert order["status"] == "confirmed" and order["route"] == "auto"
    assert order["amount"] == "300.00" and order["lines"][0]["unit_price"] == "30.0000"
    assert order["warehouse"] == "WH-EAST"  # the regional warehouse of the dealer's region (SH → EAST)
    kinds = {c["kind"]: c for c in order["checks"]}
    assert set(kinds) == {"stock", "price", "credit", "diversion"}
    assert (
        kinds["stock"]["outcome"] == "ok" and kinds["stock"]["figures"]["lines"][0]["available"] == before[0]
    )
    assert kinds["price"]["outcome"] == "ok"
    assert kinds["credit"]["outcome"] == "ok" and kinds["credit"]["figures"]["limit"] == "100000.00"
    assert order["lines"][0]["reserved_qty"] == 10
    assert balance(app, "WH-EAST", "W-550") == (before[0], before[1] + 10)
    actions = [e["action"] for e in order["timeline"]]
    assert actions[:3] == ["created", "submit", "checked"] and actions[-1] == "approve"
    # the dealer's user is told once (its dealer's role), not twice (as the one who ordered, too)
    from flask_appbuilder.security.sqla.models import User

    from app.adapters.notifications import notifications_for
    from app.domain.scope import DataScope
    from app.extensions import db
    from app.models import Dealer

    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.username == "dealer_sh1"))
        dealer_id = db.session.scalar(db.select(Dealer.id).where(Dealer.code == "D-SH-1"))
        notes = notifications_for(
            db.session, user.id, {"Dealer"}, DataScope(dealer_ids=frozenset({dealer_id}))
        )
        assert sum(1 for n in notes if order["number"] in n.title) == 1


def test_a_retry_with_the_same_key_returns_the_first_order(client, tokens, app):
    body = {"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 2}]}
    first = create(client, tokens["rep"], body, key="erp-42")
    again = client.post(
        "/api/v1/order/", json=body, headers=auth(tokens["rep"]) | {"Idempotency-Key": "erp-42"}
    )
    assert again.status_code == 201 and again.get_json()["id"] == first["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    listed = client.get("/api/v1/order/?dealer=D-SH-1", headers=auth(tokens["rep"])).get_json()
    assert sum(1 for o in listed["result"] if o["id"] == first["id"]) == 1
    other = {"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 3}]}
    conflict = client.post(
        "/api/v1/order/", json=other, headers=auth(tokens["rep"]) | {"Idempotency-Key": "erp-42"}
    )
    assert conflict.status_code == 409 and "Idempotency-Key" in conflict.get_json()["errors"]
    assert (
        client.get("/api/v1/order/?dealer=D-SH-1", headers=auth(tokens["rep"])).get_json()["count"]
        == listed["count"]
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dealer": "D-SH-1", "lines": [{"sku": "NOPE", "qty": 1}]}, "lines/0/sku"),
        ({"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 0}]}, "lines/0/qty"),
        ({"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 1.5}]}, "lines/0/qty"),
        (
            {"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 1, "unit_price": "1.00001"}]},
            "lines/0/unit_price",
        ),
        (
            {"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 1}, {"sku": "W-550", "qty": 2}]},
            "lines/1/sku",
        ),
        ({"dealer": "D-SH-1", "lines": []}, "lines"),
        ({"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 1}], "ship_to": "nowhere"}, "ship_to"),
        ({"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 1}], "colour": "red"}, "colour"),
    ],
)
def test_bad_orders_are_refused_naming_the_field_and_create_nothing(client, tokens, body, field):
    count = client.get("/api/v1/order/", headers=auth(tokens["rep"])).get_json()["count"]
    resp = client.post("/api/v1/order/", json=body, headers=auth(tokens["rep"]))
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["errors"]
    assert client.get("/api/v1/order/", headers=auth(tokens["rep"])).get_json()["count"] == count


def test_scope_holds_for_create_show_list_and_cancel(client, tokens):
    # a dealer cannot order for another company, nor see its orders
    resp = client.post(
        "/api/v1/order/",
        json={"dealer": "D-GD-1", "lines": [{"sku": "W-550", "qty": 1}]},
        headers=auth(tokens["dealer_sh1"]),
    )
    assert resp.status_code == 404
    gd = create(client, tokens["dealer_gd1"], {"lines": [{"sku": "W-550", "qty": 1}]})
    assert gd["warehouse"] == "WH-SOUTH"
    show(client, tokens["dealer_sh1"], gd["id"], expect=404)
    show(client, tokens["rm_sh"], gd["id"], expect=404)  # Shanghai's manager does not see Guangdong
    assert (
        client.post(f"/api/v1/order/{gd['id']}/cancel", headers=auth(tokens["dealer_sh1"])).status_code == 404
    )
    mine = client.get("/api/v1/order/", headers=auth(tokens["dealer_sh1"])).get_json()["result"]
    assert mine and {o["dealer"]["code"] for o in mine} == {"D-SH-1"}
    assert client.get("/api/v1/order/99999999999999999999", headers=auth(tokens["exec"])).status_code == 404
    # warehouse staff may read orders but not create them
    assert (
        client.post(
            "/api/v1/order/",
            json={"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 1}]},
            headers=auth(tokens["warehouse"]),
        ).status_code
        == 403
    )


def test_larger_order_waits_for_the_regional_manager_who_approves(client, tokens, app):
    order = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 400}]})  # 12,000
    assert order["status"] == "in_review" and order["route"] == "rm"
    assert order["lines"][0]["reserved_qty"] == 0
    assert task_of(client, tokens["rm_east"], order["instance_id"], "finance_approve") is None
    task = task_of(client, tokens["rm_sh"], order["instance_id"], "rm_approve")
    assert task is not None
    complete(client, tokens["rm_sh"], task["id"], {"decision": "approve", "comment": "同意 ok"})
    done = show(client, tokens["dealer_sh1"], order["id"])
    assert done["status"] == "confirmed" and done["lines"][0]["reserved_qty"] == 400
    decision = next(e for e in done["timeline"] if e["action"] == "decision")
    assert decision["actor"] == "rm_sh" and decision["note"] == "同意 ok"


def test_shortage_is_checked_against_the_serving_warehouse(client, tokens):
    order = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "T-500", "qty": 100}]})
    stock = next(c for c in order["checks"] if c["kind"] == "stock")
    assert stock["outcome"] in ("backorder", "partial")
    line = stock["figures"]["lines"][0]
    assert line["available"] == 40 and line["short"] == 60
    assert order["status"] == "in_review" and order["route"] == "rm"


def test_over_the_credit_limit_needs_regional_manager_and_finance_and_one_rejection_rejects(
    client, tokens, app
):
    # D-SH-2 has no tier and no credit limit set: a limit of 0 means any order is over it
    order = create(client, tokens["dealer_sh2"], {"lines": [{"sku": "W-550", "qty": 1}]})
    credit = next(c for c in order["checks"] if c["kind"] == "credit")
    assert credit["outcome"] == "over" and credit["figures"]["limit"] == "0.00"
    assert order["route"] == "rm_finance" and order["status"] == "in_review"
    rm = task_of(client, tokens["rm_sh"], order["instance_id"], "rm_approve")
    fin = task_of(client, tokens["finance"], order["instance_id"], "finance_approve")
    assert rm and fin  # both must approve
    complete(client, tokens["rm_sh"], rm["id"], {"decision": "approve", "comment": "可以 ok"})
    assert show(client, tokens["rep"], order["id"], expect=404)  # the rep is not assigned D-SH-2
    assert show(client, tokens["exec"], order["id"])["status"] == "in_review"
    complete(client, tokens["finance"], fin["id"], {"decision": "reject", "comment": "欠款未清 unpaid"})
    assert show(client, tokens["exec"], order["id"])["status"] == "rejected"


def test_price_below_policy_holds_the_order_until_the_price_review_decides(client, tokens, app):
    body = {"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 20, "unit_price": "28.80"}]}  # -4 %
    order = create(client, tokens["rep"], body)
    price = next(c for c in order["checks"] if c["kind"] == "price")
    assert price["outcome"] == "review" and price["figures"]["level"] == "regional_manager"
    assert order["status"] == "submitted"  # waiting for the price review
    from app.extensions import db
    from app.models import PriceException

    with app.app_context():
        exception = db.session.scalar(
            select(PriceException).where(PriceException.business_key == order["number"])
        )
        assert exception is not None and exception.status == "pending"
        review_instance = exception.instance_id
    task = task_of(client, tokens["rm_sh"], review_instance, "rm_review")
    complete(
        client,
        tokens["rm_sh"],
        task["id"],
        {"decision": "approve", "reason_code": "COMPETITOR", "comment": "竞品 competitor"},
    )
    done = show(client, tokens["rep"], order["id"])
    with app.app_context():
        from app.engine import outbox

        assert [(e.kind, e.error) for e in outbox.pending(db.session)] == []
    assert done["price_outcome"] == "approved" and done["status"] == "confirmed"
    assert any(e["action"] == "price_review" for e in done["timeline"])
    assert done["lines"][0]["unit_price"] == "28.8000" and done["amount"] == "576.00"


def test_returned_order_is_revised_and_resubmitted(client, tokens):
    order = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 350}]})  # 10,500
    task = task_of(client, tokens["rm_sh"], order["instance_id"], "rm_approve")
    complete(client, tokens["rm_sh"], task["id"], {"decision": "revise", "comment": "请减少数量 reduce"})
    returned = show(client, tokens["dealer_sh1"], order["id"])
    assert returned["status"] == "returned" and returned["editable"]
    resp = client.put(
        f"/api/v1/order/{order['id']}/lines",
        json={"lines": [{"sku": "W-550", "qty": 100}]},
        headers=auth(tokens["dealer_sh1"]),
    )
    assert resp.status_code == 200 and resp.get_json()["amount"] == "3000.00"
    revise = task_of(client, tokens["dealer_sh1"], order["instance_id"], "dealer_revise")
    complete(client, tokens["dealer_sh1"], revise["id"], {"action": "resubmit", "comment": "已减少"})
    again = show(client, tokens["dealer_sh1"], order["id"])
    assert again["status"] == "confirmed" and again["review_round"] == 2
    assert (
        client.put(
            f"/api/v1/order/{order['id']}/lines",
            json={"lines": [{"sku": "W-550", "qty": 1}]},
            headers=auth(tokens["dealer_sh1"]),
        ).status_code
        == 409
    )


def test_cancelling_releases_stock_and_dealers_cannot_cancel_after_confirmation(client, tokens, app):
    order = create(client, tokens["rep"], {"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 5}]})
    assert order["status"] == "confirmed"
    held = balance(app, "WH-EAST", "W-550")
    resp = client.post(
        f"/api/v1/order/{order['id']}/cancel", json={"reason": "x"}, headers=auth(tokens["dealer_sh1"])
    )
    assert resp.status_code == 403
    resp = client.post(
        f"/api/v1/order/{order['id']}/cancel", json={"reason": "客户取消"}, headers=auth(tokens["rep"])
    )
    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    assert balance(app, "WH-EAST", "W-550") == (held[0], held[1] - 5)
    again = client.post(f"/api/v1/order/{order['id']}/cancel", headers=auth(tokens["rep"]))
    assert again.status_code == 409


def test_a_draft_is_kept_until_submitted(client, tokens):
    draft = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 3}], "submit": False})
    assert draft["status"] == "draft" and draft["checks"] == [] and draft["instance_id"] is None
    resp = client.post(f"/api/v1/order/{draft['id']}/submit", headers=auth(tokens["dealer_sh1"]))
    assert resp.status_code == 200 and resp.get_json()["status"] == "confirmed"
    assert (
        client.post(f"/api/v1/order/{draft['id']}/submit", headers=auth(tokens["dealer_sh1"])).status_code
        == 409
    )
