"""Order alerts: orders not reviewed within N hours, approvals past their due time, orders not
shipped by the promised date and orders short of stock are listed by ``GET /api/v1/alert/orders``
within the caller's data scope with counts per kind, become notifications to the roles concerned
once per order, kind and day, and show as cards on the home page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from app.adapters.clock import business_today
from tests.conftest import api_token, auth, web_login
from tests.e2e.order_world import close, order_app, place_order


@pytest.fixture(scope="module")
def app(database_url):
    application = order_app(database_url)
    yield application
    close(application)


@pytest.fixture(scope="module")
def tokens(app):
    client = app.test_client()
    return {u: api_token(client, u) for u in ("dealer_sh1", "dealer_gd1", "rm_east", "warehouse", "exec")}


@pytest.fixture(scope="module")
def orders(app, tokens):
    """A: in review, submitted 25 hours ago, its approval task overdue; B: in review and short of
    stock; C: confirmed, promised yesterday; D: another region's dealer, short of stock."""
    from app.extensions import db
    from app.models import HumanTask, SalesOrder

    client = app.test_client()
    a = place_order(client, tokens["dealer_sh1"], [{"sku": "W-550", "qty": 400}])  # 12,000: review
    b = place_order(client, tokens["dealer_sh1"], [{"sku": "T-500", "qty": 10}])  # 5 in stock
    c = place_order(client, tokens["dealer_sh1"], [{"sku": "W-550", "qty": 10}])
    d = place_order(client, tokens["dealer_gd1"], [{"sku": "W-550", "qty": 10}])  # 5 in stock
    assert [o["status"] for o in (a, b, c, d)] == ["in_review", "in_review", "confirmed", "in_review"]
    now = datetime.now(UTC)
    with app.app_context():
        for order in (b, c, d):  # only A is old; the others were submitted just now
            db.session.execute(
                update(SalesOrder).where(SalesOrder.id == order["id"]).values(submitted_at=now)
            )
        db.session.execute(
            update(SalesOrder).where(SalesOrder.id == a["id"]).values(submitted_at=now - timedelta(hours=25))
        )
        instance = db.session.scalar(select(SalesOrder.instance_id).where(SalesOrder.id == a["id"]))
        db.session.execute(
            update(HumanTask)
            .where(HumanTask.instance_id == instance, HumanTask.element_id == "rm_approve")
            .values(due_at=now - timedelta(hours=1))
        )
        db.session.execute(
            update(SalesOrder)
            .where(SalesOrder.id == c["id"])
            .values(promised_on=business_today() - timedelta(days=1))
        )
        db.session.commit()
    return {"A": a, "B": b, "C": c, "D": d}


def alerts(client, token, query="", expect=200) -> dict:
    resp = client.get(f"/api/v1/alert/orders{query}", headers=auth(token))
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def numbers(answer: dict, kind: str) -> set[str]:
    return {a["order"]["number"] for a in answer["result"] if a["kind"] == kind}


def test_alerts_in_the_callers_scope_with_counts(client, tokens, orders):
    a, b, c, d = (orders[k]["number"] for k in "ABCD")
    east = alerts(client, tokens["rm_east"])
    assert numbers(east, "review_overdue") == {a}
    assert numbers(east, "approval_overdue") == {a}
    assert numbers(east, "promise_overdue") == {c}
    assert numbers(east, "stock_short") == {b}
    assert east["counts"] == {
        "review_overdue": 1,
        "approval_overdue": 1,
        "promise_overdue": 1,
        "stock_short": 1,
    }
    assert east["total"] == 4 and east["review_hours"] == 24
    [task_alert] = [x for x in east["result"] if x["kind"] == "approval_overdue"]
    assert task_alert["task"]["element_id"] == "rm_approve" and task_alert["roles"] == ["RegionalManager"]
    [short] = [x for x in east["result"] if x["kind"] == "stock_short"]
    assert short["stock"] in ("partial", "backorder") and short["dealer"]["code"] == "D-SH-1"

    everything = alerts(client, tokens["exec"])
    assert numbers(everything, "stock_short") == {b, d}
    south = alerts(client, tokens["dealer_gd1"])
    assert south["counts"] == {
        "review_overdue": 0,
        "approval_overdue": 0,
        "promise_overdue": 0,
        "stock_short": 1,
    }
    assert {x["order"]["number"] for x in south["result"]} == {d}

    only = alerts(client, tokens["exec"], "?kind=promise_overdue")
    assert {x["kind"] for x in only["result"]} == {"promise_overdue"}
    assert only["counts"]["stock_short"] == 2  # counts always cover every kind
    bad = alerts(client, tokens["exec"], "?kind=late", expect=422)
    assert "kind" in bad["errors"]
    assert client.get("/api/v1/alert/orders").status_code == 401


def test_the_job_notifies_the_roles_concerned_once_a_day(app, orders):
    from app.extensions import db
    from app.jobs.order_alerts import order_alerts
    from app.models import Dealer, Notification

    with app.app_context():
        added = order_alerts(app)
        assert added == {"review_overdue": 1, "approval_overdue": 1, "promise_overdue": 2, "stock_short": 4}
        assert order_alerts(app) == dict.fromkeys(added, 0)  # the same day: nothing new
        tomorrow = order_alerts(app, now=datetime.now(UTC) + timedelta(days=1))
        assert tomorrow["stock_short"] == 4 and tomorrow["promise_overdue"] == 2

        sh1 = db.session.scalar(select(Dealer.id).where(Dealer.code == "D-SH-1"))
        rows = db.session.execute(
            select(Notification.kind, Notification.role, Notification.dealer_id, Notification.link).where(
                Notification.kind.like("order_%"), Notification.title.contains(orders["C"]["number"])
            )
        ).all()
        late = {(r.kind, r.role, r.dealer_id, r.link) for r in rows if r.kind == "order_promise_overdue"}
        link = f"/orders/{orders['C']['id']}"
        assert late == {
            ("order_promise_overdue", "Warehouse", sh1, link),
            ("order_promise_overdue", "SalesRep", sh1, link),
        }


def test_reviewers_see_the_alert_and_other_regions_do_not(app, orders):
    from app.jobs.order_alerts import order_alerts

    with app.app_context():
        order_alerts(app)
    number = orders["A"]["number"]
    east = app.test_client()
    web_login(east, "rm_east")
    page = east.get("/notifications/").get_data(as_text=True)
    assert f"Order not reviewed within 24 h: {number}" in page
    assert "Order approval overdue" in page
    warehouse = app.test_client()
    web_login(warehouse, "warehouse")
    page = warehouse.get("/notifications/").get_data(as_text=True)
    for short in (orders["B"], orders["D"]):  # every region
        assert f"): {short['number']}" in page and "Order short of stock" in page
    assert f"Order not reviewed within 24 h: {number}" not in page  # not the warehouse's to review
    dealer = app.test_client()
    web_login(dealer, "dealer_gd1")
    assert "Order short of stock" not in dealer.get("/notifications/").get_data(as_text=True)


def test_home_page_shows_alert_counts(app, orders):
    client = app.test_client()
    web_login(client, "rm_east")
    client.get("/lang/en")
    page = client.get("/").get_data(as_text=True)
    for title in (
        "Orders waiting for review too long",
        "Order approvals overdue",
        "Orders past their promised date",
        "Orders short of stock",
    ):
        assert title in page
    warehouse = app.test_client()
    web_login(warehouse, "dealer_gd1")
    warehouse.get("/lang/en")
    page = warehouse.get("/").get_data(as_text=True)
    assert "Orders short of stock" in page and "Orders past their promised date" not in page
