"""The dealer's statement (对账单) over HTTP — opening balance, the period's invoices and payments
with the running balance, closing balance, xlsx, confirmation with the balance shown, scope — and
temporary credit increases: requested by a sales rep or the dealer, decided by finance in the
``credit_increase`` flow, counted in the limit only while valid."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.conftest import auth
from tests.order_helpers import close, order_app, order_tokens, task_of
from tests.receivable_helpers import TODAY, confirmed_order, credit, pay, payment, ship


@pytest.fixture(scope="module")
def app(database_url):
    application = order_app(database_url)
    yield application
    close(application)


@pytest.fixture(scope="module")
def tokens(app):
    return order_tokens(app)


def statement(client, token, query="", expect=200):
    resp = client.get(f"/api/v1/statement/?{query}", headers=auth(token))
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def test_the_statement_shows_opening_balance_lines_and_closing_balance(client, tokens, app):
    early = confirmed_order(client, tokens, 10)  # 300.00
    ship(app, early["id"], 10, issued_on=TODAY - timedelta(days=40))
    pay(
        client, tokens["finance"], {**payment("100"), "received_on": (TODAY - timedelta(days=35)).isoformat()}
    )
    order = confirmed_order(client, tokens, 20)  # 600.00
    ship(app, order["id"], 20, issued_on=TODAY - timedelta(days=3))
    paid = pay(
        client, tokens["finance"], {**payment("250"), "received_on": (TODAY - timedelta(days=1)).isoformat()}
    )
    start = (TODAY - timedelta(days=10)).isoformat()
    shown = statement(client, tokens["dealer_sh1"], f"from={start}&to={TODAY.isoformat()}")  # its own
    assert shown["dealer"]["code"] == "D-SH-1" and shown["opening_balance"] == "200.00"  # 300 − 100
    assert [(line["kind"], line["debit"], line["credit"], line["balance"]) for line in shown["lines"]] == [
        ("invoice", "600.00", "0.00", "800.00"),
        ("payment", "0.00", "250.00", "550.00"),
    ]
    assert shown["lines"][0]["reference"] == order["number"]
    assert shown["lines"][1]["number"] == paid["external_id"]
    assert (shown["invoiced"], shown["paid"], shown["closing_balance"]) == ("600.00", "250.00", "550.00")
    same = statement(client, tokens["finance"], f"dealer=D-SH-1&from={start}")
    assert same["closing_balance"] == "550.00" and same["to"] == TODAY.isoformat()
    workbook = client.get(f"/api/v1/statement/?from={start}&format=xlsx", headers=auth(tokens["dealer_sh1"]))
    assert workbook.status_code == 200 and workbook.mimetype.endswith("spreadsheetml.sheet")
    rows = list(load_workbook(BytesIO(workbook.data)).worksheets[0].iter_rows(values_only=True))
    assert rows[2][-1] == 200 and rows[-1][-1] == 550  # opening and closing balances


def test_a_statement_is_only_for_dealers_in_scope_and_periods_that_make_sense(client, tokens):
    statement(client, tokens["dealer_sh1"], "dealer=D-GD-1", expect=404)
    statement(client, tokens["rep"], "dealer=D-SH-2", expect=404)  # not assigned to the rep
    statement(client, tokens["rm_sh"], "dealer=D-GD-1", expect=404)
    statement(client, tokens["rep"], expect=404)  # a rep has no company of its own: name the dealer
    statement(client, tokens["finance"], "dealer=%00", expect=404)
    assert client.get("/api/v1/invoice/?dealer=D%00", headers=auth(tokens["finance"])).status_code == 422
    assert (
        client.get("/api/v1/credit_increase/?dealer=%00", headers=auth(tokens["finance"])).get_json()["count"]
        == 0
    )
    assert statement(client, tokens["rep"], "dealer=D-SH-1")["dealer"]["code"] == "D-SH-1"
    assert (
        "to" in statement(client, tokens["dealer_sh1"], "from=2026-03-10&to=2026-03-01", expect=422)["errors"]
    )
    assert "from" in statement(client, tokens["dealer_sh1"], "from=yesterday", expect=422)["errors"]
    assert client.get("/api/v1/statement/", headers=auth(tokens["warehouse"])).status_code == 403


def test_the_dealer_confirms_or_disputes_its_statement_with_the_balance_shown(client, tokens):
    start, end = (TODAY - timedelta(days=10)).isoformat(), TODAY.isoformat()
    shown = statement(client, tokens["dealer_sh1"], f"from={start}&to={end}")
    body = {"from": start, "to": end, "status": "confirmed", "comment": "无误"}
    resp = client.post("/api/v1/statement/confirm", json=body, headers=auth(tokens["dealer_sh1"]))
    assert resp.status_code == 201, resp.get_json()
    confirmed = resp.get_json()
    assert confirmed["dealer"] == "D-SH-1" and confirmed["balance"] == shown["closing_balance"]
    assert confirmed["confirmed_by"] == "dealer_sh1" and confirmed["status"] == "confirmed"
    again = statement(client, tokens["finance"], f"dealer=D-SH-1&from={start}&to={end}")
    assert [c["status"] for c in again["confirmations"]] == ["confirmed"]
    disputed = {**body, "status": "disputed", "comment": ""}
    resp = client.post("/api/v1/statement/confirm", json=disputed, headers=auth(tokens["dealer_sh1"]))
    assert resp.status_code == 422 and "comment" in resp.get_json()["errors"]
    foreign = {**body, "dealer": "D-GD-1"}
    assert (
        client.post("/api/v1/statement/confirm", json=foreign, headers=auth(tokens["dealer_sh1"])).status_code
        == 404
    )
    for user in ("rep", "finance"):  # confirming is the dealer's act
        assert (
            client.post("/api/v1/statement/confirm", json=body, headers=auth(tokens[user])).status_code == 403
        )


def request_increase(client, token, body, expect=201):
    resp = client.post("/api/v1/credit_increase/", json=body, headers=auth(token))
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def increase(amount="5000", dealer="D-SH-1", start=None, end=None):
    return {
        "dealer": dealer,
        "amount": amount,
        "valid_from": (start or TODAY).isoformat(),
        "valid_to": (end or TODAY + timedelta(days=30)).isoformat(),
        "reason": f"旺季备货 {uuid.uuid4().hex[:6]}",
    }


def decide(client, tokens, instance_id, decision, comment):
    task = task_of(client, tokens["finance"], instance_id, "finance_review")
    assert task is not None
    resp = client.post(
        f"/api/v1/task/{task['id']}/complete",
        json={"data": {"decision": decision, "comment": comment}},
        headers=auth(tokens["finance"]),
    )
    assert resp.status_code == 200, resp.get_json()


def test_an_approved_increase_raises_the_limit_while_valid(client, tokens):
    before = credit(client, tokens)
    asked = request_increase(client, tokens["rep"], increase("5000"))
    assert (
        asked["status"] == "pending" and asked["requested_by"] == "rep" and asked["number"].startswith("CI")
    )
    assert task_of(client, tokens["rm_sh"], asked["instance_id"], "finance_review") is None  # finance decides
    assert credit(client, tokens)["limit"] == before["limit"]  # not before it is approved
    decide(client, tokens, asked["instance_id"], "approve", "同意，旺季 ok")
    done = client.get(f"/api/v1/credit_increase/{asked['id']}", headers=auth(tokens["dealer_sh1"])).get_json()
    assert done["status"] == "approved" and done["decided_by"] == "finance"
    assert done["decision_comment"] == "同意，旺季 ok"
    after = credit(client, tokens)
    assert after["limit"] - before["limit"] == Decimal("5000.00")
    assert after["temporary_increase"] - before["temporary_increase"] == Decimal("5000.00")
    assert after["available"] - before["available"] == Decimal("5000.00")
    later = request_increase(client, tokens["dealer_sh1"], increase("7000", start=TODAY + timedelta(days=10)))
    decide(client, tokens, later["instance_id"], "approve", "下月生效")
    assert credit(client, tokens)["limit"] == after["limit"]  # approved, not in force yet
    refused = request_increase(client, tokens["dealer_sh1"], increase("9000"))
    decide(client, tokens, refused["instance_id"], "reject", "逾期未清 overdue")
    found = client.get(f"/api/v1/credit_increase/{refused['id']}", headers=auth(tokens["rep"])).get_json()
    assert found["status"] == "rejected" and credit(client, tokens)["limit"] == after["limit"]
    listed = client.get("/api/v1/credit_increase/?dealer=D-SH-1", headers=auth(tokens["finance"])).get_json()
    assert {asked["number"], later["number"], refused["number"]} <= {r["number"] for r in listed["result"]}


def test_the_credit_check_of_an_order_counts_the_increase_in_force(client, tokens):
    asked = request_increase(client, tokens["rep"], increase("1500"))  # its own increase, in force today
    decide(client, tokens, asked["instance_id"], "approve", "同意 ok")
    order = confirmed_order(client, tokens, 1)
    figures = next(c for c in order["checks"] if c["kind"] == "credit")["figures"]
    assert Decimal(figures["limit"]) == credit(client, tokens)["limit"] > Decimal("100000")
    assert Decimal(figures["temporary_increase"]) >= Decimal("1500.00")
    # the dealer's figures show the limit in force too
    dealer_id = client.get(
        "/api/v1/dealer/?q=(filters:!((col:code,opr:eq,value:D-SH-1)))", headers=auth(tokens["rep"])
    ).get_json()["ids"][0]
    shown = client.get(f"/api/v1/dealer/{dealer_id}/figures", headers=auth(tokens["rep"])).get_json()
    assert Decimal(shown["result"]["credit_limit"]) == credit(client, tokens)["limit"]


@pytest.mark.parametrize(
    ("token", "change", "status", "field"),
    [
        ("rep", {"dealer": "D-SH-2"}, 404, "dealer"),  # not the rep's dealer
        ("dealer_sh1", {"dealer": "D-GD-1"}, 404, "dealer"),
        ("rep", {"amount": "0"}, 422, "amount"),
        ("rep", {"valid_to": (TODAY - timedelta(days=1)).isoformat()}, 422, "valid_to"),
        (
            "rep",
            {
                "valid_from": (TODAY + timedelta(days=9)).isoformat(),
                "valid_to": (TODAY + timedelta(days=8)).isoformat(),
            },
            422,
            "valid_to",
        ),  # fmt: skip
        ("rep", {"reason": ""}, 422, "reason"),
    ],
)
def test_a_bad_request_starts_nothing(client, tokens, token, change, status, field):
    count = len(client.get("/api/v1/credit_increase/", headers=auth(tokens["finance"])).get_json()["result"])
    resp = client.post("/api/v1/credit_increase/", json={**increase(), **change}, headers=auth(tokens[token]))
    assert resp.status_code == status and field in resp.get_json()["errors"], resp.get_json()
    assert (
        len(client.get("/api/v1/credit_increase/", headers=auth(tokens["finance"])).get_json()["result"])
        == count
    )


def test_only_reps_and_dealers_ask_and_others_see_their_scope(client, tokens):
    for user in ("finance", "rm_sh", "warehouse"):
        resp = client.post("/api/v1/credit_increase/", json=increase(), headers=auth(tokens[user]))
        assert resp.status_code == 403, user
    mine = request_increase(client, tokens["dealer_gd1"], increase("100", dealer="D-GD-1"))
    assert (
        client.get(f"/api/v1/credit_increase/{mine['id']}", headers=auth(tokens["dealer_sh1"])).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/credit_increase/{mine['id']}", headers=auth(tokens["rm_sh"])).status_code == 404
    )
    assert (
        client.get(f"/api/v1/credit_increase/{mine['id']}", headers=auth(tokens["exec"])).status_code == 200
    )


def test_finance_is_reminded_after_a_day_and_can_still_decide(client, tokens, app, monkeypatch):
    from datetime import datetime as real_datetime

    from SpiffWorkflow.bpmn.specs.event_definitions import timer
    from sqlalchemy import func, select

    from app.engine import waits
    from app.extensions import db
    from app.models import Notification
    from app.models.base import utcnow

    asked = request_increase(client, tokens["dealer_sh1"], increase("800"))
    later = timedelta(days=1, hours=1)

    class Shifted(real_datetime):
        @classmethod
        def now(cls, tz=None):
            return real_datetime.now(tz) + later

    monkeypatch.setattr(timer, "datetime", Shifted)
    reminder = func.count(Notification.id)
    with app.app_context():
        is_reminder = Notification.title.like("提醒：临时额度%") & Notification.title.contains(
            asked["number"]
        )
        assert db.session.scalar(select(reminder).where(is_reminder)) == 0
        assert waits.fire_due_timers(db.session, now=utcnow() + later) >= 1
        assert db.session.scalar(select(reminder).where(is_reminder)) == 1
        db.session.remove()
    decide(client, tokens, asked["instance_id"], "approve", "已核实 checked")  # the task is still open
    found = client.get(f"/api/v1/credit_increase/{asked['id']}", headers=auth(tokens["finance"])).get_json()
    assert found["status"] == "approved"
