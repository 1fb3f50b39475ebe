"""Receivables pages: the dealer's statement (its own only) confirmed from the page, finance's
invoice and payment lists with the Excel import of payments, and the temporary credit increase
request form of a sales rep."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from tests.conftest import api_token, auth, csrf_token, web_login
from tests.order_helpers import close, order_app
from tests.receivable_helpers import TODAY, pay, payment, ship


@pytest.fixture(scope="module")
def app(database_url):
    application = order_app(database_url)
    yield application
    close(application)


@pytest.fixture(scope="module")
def invoiced(app):
    """D-SH-1 with a 300.00 invoice issued a week ago and 100.00 paid."""
    from app.adapters import orders
    from app.domain.scope import UNRESTRICTED
    from app.engine.runtime import Caller
    from app.extensions import db

    with app.app_context():
        who = Caller(None, "salesops", frozenset({"SalesOps"}), UNRESTRICTED)
        order = orders.create_order(
            db.session, {"dealer": "D-SH-1", "lines": [{"sku": "W-550", "qty": 10}]}, who
        )
        order_id = order.id
        db.session.remove()
    ship(app, order_id, 10, issued_on=TODAY - timedelta(days=7))
    client = app.test_client()
    pay(client, api_token(client, "finance"), payment("100"))
    return order_id


def logged_in(app, user):
    client = app.test_client()
    assert web_login(client, user).status_code == 302
    return client


def test_the_dealer_sees_and_confirms_its_statement_on_the_page(app, invoiced):
    client = logged_in(app, "dealer_sh1")
    start = (TODAY - timedelta(days=30)).isoformat()
    page = client.get(f"/receivables/statement?from={start}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="statement-lines"' in html
    assert 'data-testid="closing-balance">200.00<' in html  # 300 invoiced − 100 paid
    assert 'name="dealer"' in html and "<select" not in html  # its own company, no choice
    resp = client.post(
        "/receivables/statement/confirm",
        data={
            "csrf_token": csrf_token(html),
            "dealer": "D-SH-1",
            "from": start,
            "to": TODAY.isoformat(),
            "status": "confirmed",
            "comment": "",
        },  # fmt: skip
    )
    assert resp.status_code == 302
    again = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="confirmation"' in again and "200.00" in again
    workbook = client.get(f"/receivables/statement?from={start}&format=xlsx")
    assert workbook.status_code == 200 and workbook.mimetype.endswith("spreadsheetml.sheet")
    other = client.get("/receivables/statement?dealer=D-GD-1").get_data(as_text=True)
    assert 'data-testid="statement-lines"' not in other  # another dealer: nothing shown


def test_finance_lists_invoices_and_payments_and_imports_payments(app, invoiced):
    from app.extensions import db
    from app.models import Payment

    client = logged_in(app, "finance")
    invoices = client.get("/receivables/invoices?status=unpaid").get_data(as_text=True)
    assert 'data-testid="invoices-table"' in invoices and "200.00" in invoices  # outstanding
    page = client.get("/receivables/payments").get_data(as_text=True)
    assert 'data-testid="import-payments"' in page
    assert "confirm-form" not in client.get("/receivables/statement?dealer=D-SH-1").get_data(as_text=True)
    form = client.get("/receivables/payments/excel/import").get_data(as_text=True)
    book = Workbook()
    book.active.append(["External id", "Dealer code", "Amount", "Received on"])
    book.active.append(["PAGE-XL-1", "D-SH-1", 50, TODAY])
    content = BytesIO()
    book.save(content)
    resp = client.post(
        "/receivables/payments/excel/import",
        data={
            "csrf_token": csrf_token(form),
            "file": (BytesIO(content.getvalue()), "bank.xlsx"),
            "mode": "insert",
            "all_or_nothing": "true",
        },  # fmt: skip
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    with app.app_context():
        found = db.session.scalar(select(Payment).where(Payment.external_id == "PAGE-XL-1"))
        assert found is not None and found.source == "excel"
        db.session.remove()


def test_a_sales_rep_asks_for_a_credit_increase_from_the_form(app):
    client = logged_in(app, "rep")
    form = client.get("/receivables/credit_increases/new").get_data(as_text=True)
    assert "D-SH-1" in form and "D-SH-2" not in form  # only the rep's dealers to choose from
    data = {
        "csrf_token": csrf_token(form),
        "dealer": "D-SH-1",
        "amount": "3000",
        "valid_from": TODAY.isoformat(),
        "valid_to": (TODAY + timedelta(days=20)).isoformat(),
        "reason": "大客户项目",
    }
    resp = client.post("/receivables/credit_increases/new", data=data)
    assert resp.status_code == 302
    shown = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-status="pending"' in shown
    pk = int(re.search(r"/credit_increases/(\d+)", resp.headers["Location"]).group(1))
    bad = client.post("/receivables/credit_increases/new", data={**data, "amount": "0"})
    assert bad.status_code == 422 and 'data-testid="form-errors"' in bad.get_data(as_text=True)
    other = logged_in(app, "dealer_gd1")
    assert other.get(f"/receivables/credit_increases/{pk}").status_code == 404
    assert logged_in(app, "finance").get("/receivables/credit_increases/new").status_code in (302, 403)


def test_roles_without_receivables_do_not_get_the_pages(app):
    client = logged_in(app, "warehouse")
    assert client.get("/receivables/statement").status_code in (302, 403)
    token = api_token(app.test_client(), "warehouse")
    assert app.test_client().get("/api/v1/invoice/", headers=auth(token)).status_code == 403


def test_finance_records_a_payment_by_hand_and_a_refusal_names_the_field(app, invoiced):
    client = logged_in(app, "finance")
    page = client.get("/receivables/payments").get_data(as_text=True)
    assert 'data-testid="payment-form"' in page
    form = {"csrf_token": csrf_token(page), "external_id": "HAND-1", "dealer": "D-SH-1", "amount": "20",
            "received_on": TODAY.isoformat(), "method": "现金", "reference": ""}  # fmt: skip
    done = client.post("/receivables/payments", data=form, follow_redirects=True).get_data(as_text=True)
    assert "HAND-1" in done and "finance" in done  # listed, recorded by finance (source)
    again = client.post("/receivables/payments", data={**form, "amount": "21"}, follow_redirects=True)
    assert "amount: differs" in again.get_data(as_text=True)
    bad = client.post(
        "/receivables/payments", data={**form, "external_id": "HAND-2", "amount": "0"}, follow_redirects=True
    )
    assert "amount: must be above 0" in bad.get_data(as_text=True)
    dealer = logged_in(app, "dealer_sh1")
    own = dealer.get("/receivables/payments").get_data(as_text=True)
    assert 'data-testid="payment-form"' not in own
    token = csrf_token(dealer.get("/receivables/statement").get_data(as_text=True))  # its confirm form
    refused = dealer.post("/receivables/payments", data={**form, "csrf_token": token, "external_id": "X"})
    assert refused.status_code in (302, 403)
    with app.app_context():
        from app.extensions import db
        from app.models import Payment

        assert db.session.scalar(select(Payment.id).where(Payment.external_id == "X")) is None
        db.session.remove()
