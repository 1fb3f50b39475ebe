"""Receivables over HTTP: invoices raised per shipment (or per order, by setting), payments posted
by finance or the ERP (idempotent by external id, allocated to the referenced order first, then
the oldest due; the rest used by later invoices), deposits waking a waiting flow, the credit check
and the dealer figures following invoices and payments, the Excel import of payments, and the data
scope on every endpoint."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from tests.conftest import ADMIN_PASSWORD, api_token, auth
from tests.order_helpers import close, create, order_app, order_tokens
from tests.receivable_helpers import TODAY, confirmed_order, credit, invoice, pay, payment, ship


@pytest.fixture(scope="module")
def app(database_url):
    application = order_app(database_url)
    yield application
    close(application)


@pytest.fixture(scope="module")
def tokens(app):
    return {**order_tokens(app), "admin": api_token(app.test_client(), "admin", ADMIN_PASSWORD)}


def test_a_shipment_is_invoiced_at_its_lines_prices_due_after_the_dealers_terms(client, tokens, app):
    order = confirmed_order(client, tokens, 10)  # 10 × 30.00
    first = invoice(client, tokens["dealer_sh1"], ship(app, order["id"], 4))
    assert first["amount"] == "120.00" and first["status"] == "open" and first["order"] == order["number"]
    assert first["issued_on"] == TODAY.isoformat()
    assert first["due_on"] == (TODAY + timedelta(days=30)).isoformat()  # D-SH-1 pays in 30 days
    second = invoice(client, tokens["finance"], ship(app, order["id"], 6))
    assert second["amount"] == "180.00" and second["number"] != first["number"]
    invoice(client, tokens["dealer_gd1"], first["id"], expect=404)  # another dealer's invoice
    listed = client.get("/api/v1/invoice/?dealer=D-SH-1&status=open", headers=auth(tokens["rep"])).get_json()
    assert {first["number"], second["number"]} <= {i["number"] for i in listed["result"]}
    assert client.get("/api/v1/invoice/?status=nope", headers=auth(tokens["rep"])).status_code == 422


def test_invoicing_per_order_follows_the_setting(client, tokens, app):
    from app.adapters import receivables
    from app.extensions import db
    from app.models import Invoice, SalesOrder

    order = confirmed_order(client, tokens, 7)  # 210.00
    with app.app_context():
        found = db.session.get(SalesOrder, order["id"])
        assert receivables.raise_invoices_for(db.session, order=found) is None  # per shipment: nothing yet
        app.config["DMS_INVOICE_PER"] = "order"
        try:
            raised = receivables.raise_invoices_for(db.session, order=found)
            assert raised is not None and raised.amount == Decimal("210.00") and raised.shipment_id is None
            assert receivables.raise_invoices_for(db.session, order=found) is None  # nothing left to invoice
        finally:
            app.config["DMS_INVOICE_PER"] = "shipment"
        db.session.commit()
        count = db.session.scalar(select(db.func.count(Invoice.id)).where(Invoice.order_id == order["id"]))
        assert count == 1


def test_exposure_follows_orders_invoices_and_payments(client, tokens, app):
    before = credit(client, tokens)
    order = confirmed_order(client, tokens, 20)  # 600.00
    confirmed = credit(client, tokens)
    assert confirmed["open_orders"] - before["open_orders"] == Decimal("600.00")
    assert confirmed["exposure"] - before["exposure"] == Decimal("600.00")
    ship(app, order["id"], 20)  # invoiced: it moves from open orders to unpaid invoices
    invoiced = credit(client, tokens)
    assert invoiced["unpaid_invoices"] - confirmed["unpaid_invoices"] == Decimal("600.00")
    assert invoiced["open_orders"] - confirmed["open_orders"] == Decimal("-600.00")
    assert invoiced["exposure"] == confirmed["exposure"]
    pay(client, tokens["finance"], payment("250.00", reference=order["number"]))
    paid = credit(client, tokens)
    assert invoiced["exposure"] - paid["exposure"] == Decimal("250.00")
    assert paid["available"] - invoiced["available"] == Decimal("250.00")
    # the credit check of the next order sees the same figures
    nxt = create(client, tokens["dealer_sh1"], {"lines": [{"sku": "W-550", "qty": 1}]})
    figures = next(c for c in nxt["checks"] if c["kind"] == "credit")["figures"]
    assert Decimal(figures["unpaid_invoices"]) == paid["unpaid_invoices"]
    assert Decimal(figures["open_orders"]) == paid["open_orders"]


def test_paying_the_exposure_turns_an_over_limit_order_ok(client, tokens, app):
    from app.extensions import db
    from app.models import Dealer

    with app.app_context():  # D-GD-1: a small limit, no payment terms
        dealer = db.session.scalar(select(Dealer).where(Dealer.code == "D-GD-1"))
        dealer.credit_limit = 1000
        db.session.commit()
    order = confirmed_order(client, tokens, 30, dealer="dealer_gd1")  # 900.00
    ship(app, order["id"], 30, issued_on=TODAY - timedelta(days=10))  # due the day it was issued
    before = credit(client, tokens, "D-GD-1")
    assert before["unpaid_invoices"] == Decimal("900.00") and before["open_orders"] == Decimal("0.00")
    assert before["overdue_days"] == 10
    over = create(client, tokens["dealer_gd1"], {"lines": [{"sku": "W-550", "qty": 5}]})  # 900 + 150 > 1000
    check = next(c for c in over["checks"] if c["kind"] == "credit")
    assert check["outcome"] == "over" and check["figures"]["unpaid_invoices"] == "900.00"
    pay(client, tokens["finance"], payment("900", dealer="D-GD-1"))
    after = credit(client, tokens, "D-GD-1")
    assert after["unpaid_invoices"] == Decimal("0.00") and after["overdue_days"] == 0
    ok = create(client, tokens["dealer_gd1"], {"lines": [{"sku": "W-550", "qty": 5}]})
    assert next(c for c in ok["checks"] if c["kind"] == "credit")["outcome"] == "ok"


def test_a_payment_is_idempotent_by_external_id_and_refuses_another_body(client, tokens):
    body = payment("12.30", method="bank_transfer")
    first = pay(client, tokens["finance"], body)
    assert first["amount"] == "12.30" and first["dealer"]["code"] == "D-SH-1" and first["source"] == "erp"
    again = pay(client, tokens["finance"], {**body, "amount": "12.3"}, expect=200)  # the same payment
    assert again["id"] == first["id"]
    conflict = client.post(
        "/api/v1/payment/", json={**body, "amount": "12.40"}, headers=auth(tokens["finance"])
    )
    assert conflict.status_code == 409 and set(conflict.get_json()["errors"]) == {"external_id", "amount"}
    listed = client.get("/api/v1/payment/?dealer=D-SH-1", headers=auth(tokens["finance"])).get_json()
    assert sum(1 for p in listed["result"] if p["external_id"] == body["external_id"]) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"dealer": "D-NOPE"}, "dealer"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"received_on": (TODAY + timedelta(days=5)).isoformat()}, "received_on"),
        ({"received_on": "1990-01-01"}, "received_on"),
        ({"received_on": "yesterday"}, "received_on"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "NUL\x00"}, "external_id"),
        ({"reference": "x" * 101}, "reference"),
        ({"bank": "ICBC"}, "bank"),
    ],
)
def test_a_bad_payment_is_refused_naming_the_field_and_records_nothing(client, tokens, change, field):
    count = client.get("/api/v1/payment/", headers=auth(tokens["finance"])).get_json()["count"]
    resp = client.post("/api/v1/payment/", json={**payment("10"), **change}, headers=auth(tokens["finance"]))
    assert resp.status_code == 422 and field in resp.get_json()["errors"], resp.get_json()
    assert client.get("/api/v1/payment/", headers=auth(tokens["finance"])).get_json()["count"] == count


def test_a_payment_for_another_dealers_order_is_refused(client, tokens):
    gd = confirmed_order(client, tokens, 1, dealer="dealer_gd1")
    resp = client.post(
        "/api/v1/payment/", json=payment("30", reference=gd["number"]), headers=auth(tokens["finance"])
    )
    assert resp.status_code == 422 and "reference" in resp.get_json()["errors"]


def test_only_finance_records_payments_and_everyone_reads_their_scope(client, tokens):
    for user in ("rep", "dealer_sh1", "rm_sh", "exec", "warehouse"):
        resp = client.post("/api/v1/payment/", json=payment("1"), headers=auth(tokens[user]))
        assert resp.status_code == 403, user
    mine = pay(client, tokens["finance"], payment("1.00"))
    theirs = client.get(f"/api/v1/payment/{mine['id']}", headers=auth(tokens["dealer_sh1"]))
    assert theirs.status_code == 200 and theirs.get_json()["external_id"] == mine["external_id"]
    assert client.get(f"/api/v1/payment/{mine['id']}", headers=auth(tokens["dealer_gd1"])).status_code == 404
    listed = client.get("/api/v1/payment/", headers=auth(tokens["dealer_gd1"])).get_json()["result"]
    assert {p["dealer"]["code"] for p in listed} <= {"D-GD-1"}
    assert client.get("/api/v1/payment/", headers=auth(tokens["warehouse"])).status_code == 403
    assert client.get("/api/v1/payment/99999999999999999999", headers=auth(tokens["exec"])).status_code == 404


def test_allocation_takes_the_referenced_order_first_then_the_oldest_due_and_keeps_the_rest(
    client, tokens, app
):
    from app.extensions import db
    from app.models import Dealer

    with app.app_context():  # D-SH-2: a dealer of its own for this test, 10 days to pay
        dealer = db.session.scalar(select(Dealer).where(Dealer.code == "D-SH-2"))
        dealer.credit_limit, dealer.payment_terms_days = 100000, 10
        db.session.commit()
    old, new, ref = (confirmed_order(client, tokens, q, dealer="dealer_sh2") for q in (10, 20, 5))
    inv_old = ship(app, old["id"], 10, issued_on=TODAY - timedelta(days=40))  # 300, 30 days overdue
    inv_new = ship(app, new["id"], 20, issued_on=TODAY - timedelta(days=5))  # 600, not due yet
    inv_ref = ship(app, ref["id"], 5)  # 150, due last
    paid = pay(client, tokens["finance"], payment("500", dealer="D-SH-2", reference=ref["number"]))
    assert [(a["invoice"], a["amount"]) for a in paid["allocations"]] == [
        (invoice(client, tokens["finance"], inv_ref)["number"], "150.00"),
        (invoice(client, tokens["finance"], inv_old)["number"], "300.00"),
        (invoice(client, tokens["finance"], inv_new)["number"], "50.00"),
    ]
    assert paid["unallocated"] == "0.00"
    statuses = {i: invoice(client, tokens["dealer_sh2"], i)["status"] for i in (inv_ref, inv_old, inv_new)}
    assert statuses == {inv_ref: "paid", inv_old: "paid", inv_new: "partially_paid"}
    assert invoice(client, tokens["dealer_sh2"], inv_new)["outstanding"] == "550.00"
    # more than is owed: the rest stays unallocated and pays the next invoice at once
    extra = pay(client, tokens["finance"], payment("700", dealer="D-SH-2"))
    assert extra["unallocated"] == "150.00"
    assert invoice(client, tokens["finance"], inv_new)["status"] == "paid"
    later = confirmed_order(client, tokens, 10, dealer="dealer_sh2")
    inv_later = invoice(client, tokens["finance"], ship(app, later["id"], 10))  # 300
    assert inv_later["status"] == "partially_paid" and inv_later["paid_amount"] == "150.00"
    assert inv_later["payments"] == [
        {"payment": extra["external_id"], "received_on": TODAY.isoformat(), "amount": "150.00"}
    ]
    shown = client.get(f"/api/v1/payment/{extra['id']}", headers=auth(tokens["finance"])).get_json()
    assert shown["unallocated"] == "0.00" and len(shown["allocations"]) == 2
    assert credit(client, tokens, "D-SH-2")["unpaid_invoices"] == Decimal("150.00")


def test_a_deposit_payment_wakes_the_waiting_flow_and_marks_the_deposit_paid(client, tokens, app):
    from pathlib import Path

    from app.extensions import db
    from app.models import SalesOrder

    bpmn = (Path(__file__).parents[1] / "data" / "engine" / "deposit_wait.bpmn").read_bytes()
    deployed = client.post(
        "/api/v1/process_definition/",
        data={"file": (BytesIO(bpmn), "deposit_wait.bpmn")},
        headers=auth(tokens["admin"]),
        content_type="multipart/form-data",
    )
    assert deployed.status_code in (200, 201), deployed.get_json()
    order = confirmed_order(client, tokens, 10)  # 300.00
    with app.app_context():
        db.session.get(SalesOrder, order["id"]).deposit_amount = Decimal("100.00")
        db.session.commit()

    def waiting_instance():
        resp = client.post(
            "/api/v1/process_instance/",
            json={
                "process_key": "deposit_wait",
                "data": {"business_key": order["number"], "dealer": "D-SH-1"},
            },
            headers=auth(tokens["admin"]),
        )
        assert resp.status_code == 201 and resp.get_json()["status"] == "waiting", resp.get_json()
        return resp.get_json()["id"]

    def status(instance_id):
        return client.get(f"/api/v1/process_instance/{instance_id}", headers=auth(tokens["admin"])).get_json()

    def deposit_paid_at():
        with app.app_context():
            return db.session.get(SalesOrder, order["id"]).deposit_paid_at

    first = waiting_instance()
    pay(client, tokens["finance"], payment("60", reference=order["number"].lower()))
    assert status(first)["status"] == "completed"  # woken by payment_received
    assert deposit_paid_at() is None  # 60 of 100
    second = waiting_instance()
    pay(client, tokens["finance"], payment("40", reference=order["number"]))
    assert status(second)["status"] == "completed"
    assert deposit_paid_at() is not None
    timeline = client.get(f"/api/v1/order/{order['id']}", headers=auth(tokens["dealer_sh1"])).get_json()[
        "timeline"
    ]
    assert [e["action"] for e in timeline if e["action"] in ("payment", "deposit_paid")] == [
        "payment",
        "deposit_paid",
    ]


def test_credit_used_in_the_dealer_figures_follows_payments(client, tokens, app):
    from app.extensions import db
    from app.models import Dealer

    with app.app_context():
        pk = db.session.scalar(select(Dealer.id).where(Dealer.code == "D-SH-1"))

    def used():
        figures = client.get(f"/api/v1/dealer/{pk}/figures", headers=auth(tokens["finance"])).get_json()[
            "result"
        ]
        return Decimal(figures["credit_used"])

    exposure = credit(client, tokens)
    assert used() == exposure["unpaid_invoices"] + exposure["open_orders"]
    order = confirmed_order(client, tokens, 10)
    ship(app, order["id"], 10)
    before = used()
    pay(client, tokens["finance"], payment("300", reference=order["number"]))
    assert before - used() == Decimal("300.00")


def _sheet(rows, headers=("回款流水号", "经销商编码", "金额", "到账日期", "付款方式", "订单号/备注")):
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _import(client, token, content, all_or_nothing="true", mode="insert"):
    return client.post(
        "/api/v1/payment/import",
        data={"file": (BytesIO(content), "bank.xlsx"), "mode": mode, "all_or_nothing": all_or_nothing},
        headers=auth(token),
        content_type="multipart/form-data",
    )


def test_payments_are_imported_from_excel_with_a_per_row_report(client, tokens, app):
    template = client.get("/api/v1/payment/import-template", headers=auth(tokens["finance"]))
    assert template.status_code == 200
    headers = [c.value for c in load_workbook(BytesIO(template.data)).worksheets[0][1]]
    assert headers[0] == "回款流水号* / External id*"
    taken = pay(client, tokens["finance"], payment("5"))
    order = confirmed_order(client, tokens, 2)
    tag = uuid.uuid4().hex[:8]
    rows = [
        (f"XL-{tag}-1", "d-sh-1", 60, TODAY, "承兑汇票", order["number"]),
        (f"XL-{tag}-2", "D-NOPE", 10, TODAY, None, None),
        (f"XL-{tag}-3", "D-SH-1", "1.234", TODAY, None, None),
        (taken["external_id"], "D-SH-1", 5, TODAY, None, None),
        (f"XL-{tag}-1", "D-SH-1", 1, TODAY, None, None),
    ]
    refused = _import(client, tokens["finance"], _sheet(rows))
    assert refused.status_code == 202
    job = refused.get_json()
    assert job["status"] == "done" and job["inserted"] == 0
    problems = {(p["row"], p["column"]) for p in job["report"]["errors"]}
    assert problems == {(3, "dealer"), (4, "amount"), (5, "external_id"), (6, "external_id")}
    done = _import(client, tokens["finance"], _sheet(rows), all_or_nothing="false").get_json()
    assert done["inserted"] == 1
    listed = client.get("/api/v1/payment/?dealer=D-SH-1", headers=auth(tokens["finance"])).get_json()[
        "result"
    ]
    imported = next(p for p in listed if p["external_id"] == f"XL-{tag}-1")
    assert (
        imported["source"] == "excel" and imported["method"] == "承兑汇票" and imported["amount"] == "60.00"
    )
    assert _import(client, tokens["dealer_sh1"], _sheet(rows[:1])).status_code == 403
    upsert = _import(
        client, tokens["finance"], _sheet([(f"XL-{tag}-9", "D-SH-1", 1, TODAY, None, None)]), mode="upsert"
    )
    assert upsert.get_json()["report"]["errors"][0]["column"] == "external_id"
    export = client.get("/api/v1/payment/export", headers=auth(tokens["dealer_sh1"]))
    exported = list(load_workbook(BytesIO(export.data)).worksheets[0].iter_rows(min_row=2, values_only=True))
    assert f"XL-{tag}-1" in {r[0] for r in exported} and {r[1] for r in exported} == {"D-SH-1"}
