"""Receivables rules without a database: invoice amounts and due dates, allocation order, the
limit with temporary increases, overdue days, the statement's running balance, and the payment,
credit-increase and confirmation requests refused field by field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.domain import receivables as rd
from app.domain.errors import ValidationFailed
from app.domain.orders import Credit

D = Decimal
TODAY = date(2026, 3, 15)


def test_invoice_amount_rounds_the_total_to_cents_once():
    assert rd.invoice_amount([(3, D("33.3333")), (1, D("0.0049"))]) == D("100.00")
    assert rd.invoice_amount([(1, D("0.005"))]) == D("0.01")  # half up
    assert rd.invoice_amount([]) == D("0.00")


def test_due_date_adds_the_payment_terms():
    assert rd.due_date(date(2026, 1, 31), 30) == date(2026, 3, 2)
    assert rd.due_date(date(2026, 1, 31), None) == date(2026, 1, 31)
    assert rd.due_date(date(2026, 1, 31), 0) == date(2026, 1, 31)


@pytest.mark.parametrize(
    ("amount", "paid", "status"),
    [("100", "0", "open"), ("100", "0.01", "partially_paid"), ("100", "100", "paid"), ("0.5", "1", "paid")],
)
def test_invoice_status_follows_what_is_paid(amount, paid, status):
    assert rd.invoice_status(D(amount), D(paid)) == status


def _inv(id_, order, due, owed, issued=None):
    return rd.OpenInvoice(id_, order, due, issued or due, D(owed))


def test_a_payment_goes_to_the_referenced_order_first_then_the_oldest_due():
    invoices = [
        _inv(1, order=10, due=date(2026, 2, 1), owed="100"),
        _inv(2, order=20, due=date(2026, 1, 1), owed="50"),
        _inv(3, order=30, due=date(2026, 4, 1), owed="80"),
        _inv(4, order=20, due=date(2026, 1, 1), owed="30", issued=date(2025, 12, 1)),
    ]
    shares, left = rd.allocate(D("200"), invoices, first_order_id=30)
    assert shares == [(3, D("80")), (4, D("30")), (2, D("50")), (1, D("40"))]
    assert left == D("0")


def test_what_no_invoice_takes_stays_unallocated():
    shares, left = rd.allocate(D("150"), [_inv(1, 10, date(2026, 1, 1), "100"), _inv(2, 10, TODAY, "0")])
    assert shares == [(1, D("100"))] and left == D("50")
    assert rd.allocate(D("5"), []) == ([], D("5"))


def test_limit_counts_increases_only_while_in_force():
    increases = [
        (D("1000"), date(2026, 3, 1), date(2026, 3, 15)),
        (D("500"), date(2026, 3, 16), date(2026, 4, 1)),
    ]
    assert rd.limit_in_force(D("10000"), increases, TODAY) == D("11000.00")
    assert rd.limit_in_force(D("10000"), increases, date(2026, 3, 16)) == D("10500.00")
    assert rd.limit_in_force(D("10000"), increases, date(2026, 2, 28)) == D("10000.00")


def test_overdue_days_of_the_oldest_unpaid_invoice():
    assert rd.overdue_days(None, TODAY) == 0
    assert rd.overdue_days(TODAY, TODAY) == 0  # due today is not overdue
    assert rd.overdue_days(date(2026, 3, 5), TODAY) == 10


def test_credit_keeps_its_arithmetic_with_a_temporary_increase():
    credit = Credit(D("1500"), D("600"), D("400"), D("600"), overdue_days=3, temporary_increase=D("500"))
    assert credit.exposure == D("1600") and credit.available == D("500") and credit.outcome == "over"


def test_a_payment_request_is_parsed_and_compared():
    raw = {"external_id": " ERP-1 ", "dealer": "d-sh-1", "amount": "1200.5", "received_on": "2026-03-14"}
    request = rd.parse_payment(raw, TODAY)
    assert request == rd.PaymentRequest("ERP-1", "D-SH-1", D("1200.50"), date(2026, 3, 14))
    recorded = {"dealer": "D-SH-1", "amount": D("1200.5000"), "received_on": date(2026, 3, 14),
                "method": None, "reference": None}  # fmt: skip
    assert request.differs_from(recorded) == []
    assert request.differs_from({**recorded, "amount": D("1200"), "reference": "SO1"}) == [
        "amount",
        "reference",
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": "1e20"}, "amount"),
        ({"received_on": "2026-03-17"}, "received_on"),
        ({"received_on": "1999-12-31"}, "received_on"),
        ({"received_on": "14/03/2026"}, "received_on"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": "x" * 101}, "external_id"),
        ({"dealer": None}, "dealer"),
        ({"method": "m" * 31}, "method"),
        ({"reference": ["SO1"]}, "reference"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_payment_is_refused_naming_the_field(change, field):
    raw = {"external_id": "E1", "dealer": "D1", "amount": "10", "received_on": "2026-03-16", **change}
    with pytest.raises(ValidationFailed) as refused:
        rd.parse_payment(raw, TODAY)
    assert field in refused.value.errors


def test_a_credit_increase_request_must_be_sane():
    ok = {
        "dealer": "D1",
        "amount": "5000",
        "valid_from": "2026-03-01",
        "valid_to": "2026-04-30",
        "reason": "旺季备货",
    }
    assert rd.parse_credit_increase(ok, TODAY).amount == D("5000.00")
    for change, field in [
        ({"valid_to": "2026-02-28"}, "valid_to"),  # before valid_from
        ({"valid_from": "2026-01-01", "valid_to": "2026-03-14"}, "valid_to"),  # over already
        ({"valid_to": "2027-06-01"}, "valid_to"),  # longer than a year
        ({"amount": "0"}, "amount"),
        ({"reason": ""}, "reason"),
        ({"valid_from": "soon"}, "valid_from"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            rd.parse_credit_increase({**ok, **change}, TODAY)
        assert field in refused.value.errors, change


def test_the_statement_runs_a_balance_from_the_opening_one():
    entries = [
        rd.Entry(date(2026, 3, 5), "payment", "P-1", D("300")),
        rd.Entry(date(2026, 3, 2), "invoice", "INV-1", D("1000")),
        rd.Entry(date(2026, 3, 5), "invoice", "INV-2", D("200")),
    ]
    statement = rd.statement(D("500"), entries)
    assert [(line.entry.number, line.balance) for line in statement.lines] == [
        ("INV-1", D("1500")),
        ("INV-2", D("1700")),  # invoices before payments on the same day
        ("P-1", D("1400")),
    ]
    assert (statement.invoiced, statement.paid, statement.closing) == (D("1200"), D("300"), D("1400.00"))


def test_the_statement_period_defaults_to_this_month_and_refuses_nonsense():
    assert rd.statement_period(None, None, TODAY) == (date(2026, 3, 1), TODAY)
    for args, field in [
        (("2026-03-10", "2026-03-01"), "to"),
        (("x", None), "from"),
        (("2020-01-01", "2026-01-01"), "to"),
    ]:
        with pytest.raises(ValidationFailed) as refused:
            rd.statement_period(*args, TODAY)
        assert field in refused.value.errors


def test_a_confirmation_needs_a_status_and_a_comment_when_disputed():
    raw = {"from": "2026-03-01", "to": "2026-03-31", "status": "confirmed"}
    assert rd.parse_confirmation(raw, "D1") == ("D1", "2026-03-01", "2026-03-31", "confirmed", None)
    with pytest.raises(ValidationFailed) as refused:
        rd.parse_confirmation({**raw, "status": "disputed"}, "D1")
    assert "comment" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        rd.parse_confirmation({**raw, "status": "ok"}, None)
    assert set(refused.value.errors) == {"status", "dealer"}


def test_control_characters_are_refused_where_the_database_could_not_keep_them():
    raw = {"external_id": "E\x001", "dealer": "D\x1b1", "amount": "1", "received_on": "2026-03-01"}
    with pytest.raises(ValidationFailed) as refused:
        rd.parse_payment(raw, TODAY)
    assert set(refused.value.errors) == {"external_id", "dealer"}
    ok = {
        "dealer": "D1",
        "amount": "5",
        "valid_from": "2026-03-15",
        "valid_to": "2026-03-20",
        "reason": "两行\n说明",
    }
    assert rd.parse_credit_increase(ok, TODAY).reason == "两行\n说明"  # line breaks are fine in a reason
    with pytest.raises(ValidationFailed):
        rd.parse_credit_increase({**ok, "reason": "bad\x00"}, TODAY)
    assert (
        rd.clean_code(" d-sh-1 ") == "D-SH-1"
        and rd.clean_code("D\x00") is None
        and rd.clean_code(True) is None
    )


def test_invoice_per_is_a_setting_with_two_values(monkeypatch):
    from app.config import ConfigError, load_config

    monkeypatch.delenv("DMS_INVOICE_PER", raising=False)
    assert load_config()["DMS_INVOICE_PER"] == "shipment"
    monkeypatch.setenv("DMS_INVOICE_PER", "Order")
    assert load_config()["DMS_INVOICE_PER"] == "order"
    monkeypatch.setenv("DMS_INVOICE_PER", "invoice")
    with pytest.raises(ConfigError, match="DMS_INVOICE_PER"):
        load_config()
