"""Receivables (应收账款) behind the credit check: invoice amounts and due dates, how a payment
is allocated to invoices, the credit limit with temporary increases in force, overdue days, the
dealer's statement (对账单) with its running balance, and the requests the API accepts
(payments, temporary credit increases). Plain values in, plain values out.

Allocation of a payment: the invoices of the order it references first, then the oldest due
first (ties: issued first, then by id); what is left stays unallocated and goes to the next
invoices raised for the dealer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from app.domain.errors import ValidationFailed
from app.domain.uscc import normalise_code

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal(10) ** 13  # NUMERIC(16, 2)
EARLIEST = date(2000, 1, 1)
INVOICE_PER = ("shipment", "order")
UNPAID = ("open", "partially_paid")
CONFIRMATIONS = ("confirmed", "disputed")
MAX_EXTERNAL_ID = 100
MAX_METHOD = 30
MAX_REFERENCE = 100
MAX_COMMENT = 1000
MAX_INCREASE_DAYS = 366
MAX_STATEMENT_DAYS = 3 * 366


def cents(value: Decimal) -> Decimal:
    """Round to cents, half up (invoice and payment amounts)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def invoice_amount(lines: Iterable[tuple[int | Decimal, Decimal]]) -> Decimal:
    """Σ quantity × unit price of ``(qty, unit_price)`` lines, rounded to cents once."""
    return cents(sum((Decimal(qty) * Decimal(price) for qty, price in lines), Decimal(0)))


def due_date(issued_on: date, payment_terms_days: int | None) -> date:
    """Issued + the dealer's payment terms (no terms: due on the day it is issued)."""
    return issued_on + timedelta(days=max(int(payment_terms_days or 0), 0))


def invoice_status(amount: Decimal, paid: Decimal) -> str:
    """``paid`` when nothing is left, ``partially_paid`` when some is, else ``open``."""
    if paid >= amount:
        return "paid"
    return "partially_paid" if paid > 0 else "open"


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice with money still owed on it."""

    id: int
    order_id: int
    due_on: date
    issued_on: date
    outstanding: Decimal


def allocate(
    amount: Decimal, invoices: Sequence[OpenInvoice], first_order_id: int | None = None
) -> tuple[list[tuple[int, Decimal]], Decimal]:
    """Split ``amount`` over ``invoices``: those of ``first_order_id`` first, then oldest due first.
    Returns ``[(invoice id, amount)]`` and what is left unallocated."""
    left = amount
    allocations: list[tuple[int, Decimal]] = []
    ordered = sorted(
        (i for i in invoices if i.outstanding > 0),
        key=lambda i: (i.order_id != first_order_id, i.due_on, i.issued_on, i.id),
    )
    for invoice in ordered:
        if left <= 0:
            break
        share = min(left, invoice.outstanding)
        allocations.append((invoice.id, share))
        left -= share
    return allocations, left


def limit_in_force(base: Decimal, increases: Iterable[tuple[Decimal, date, date]], on: date) -> Decimal:
    """The dealer's limit plus approved temporary increases ``(amount, from, to)`` in force on ``on``."""
    extra = sum((amount for amount, start, end in increases if start <= on <= end), Decimal(0))
    return cents(Decimal(base) + extra)


def overdue_days(oldest_unpaid_due: date | None, on: date) -> int:
    """Days the oldest unpaid invoice is past its due date (0 when none is overdue)."""
    if oldest_unpaid_due is None or oldest_unpaid_due >= on:
        return 0
    return (on - oldest_unpaid_due).days


def parse_amount(value: Any) -> Decimal | str:
    """A money amount above 0 with at most 2 decimals, or the reason it is not one."""
    if isinstance(value, bool) or value is None or value == "":
        return "required, a number above 0"
    if isinstance(value, float):
        value = repr(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return "not a number"
    if not number.is_finite():
        return "not a number"
    if number.normalize().as_tuple().exponent < -2:  # type: ignore[operator]
        return "at most 2 decimals"  # trailing zeros do not count: "1.100" is 1.10
    if number <= 0:
        return "must be above 0"
    if number >= MAX_AMOUNT:
        return "too large"
    return cents(number)


def parse_date(value: Any) -> date | str:
    """An ISO date (``2026-01-31``), or the reason it is not one."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return "required, a date (YYYY-MM-DD)"
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return "not a date (YYYY-MM-DD)"


def has_control(text: str, multiline: bool = False) -> bool:
    """Any control character (NUL, escape …; line breaks and tabs are allowed in ``multiline`` text)?"""
    allowed = "\n\r\t" if multiline else ""
    return any(unicodedata.category(c) == "Cc" and c not in allowed for c in text)


def clean_code(value: Any) -> str | None:
    """A code given as text (normalised), or None when it is empty or holds control characters."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    code = normalise_code(str(value))
    return code if code and not has_control(code) else None


def _text(
    raw: dict[str, Any], name: str, limit: int, errors: dict[str, str], required: bool = False
) -> str | None:
    value = raw.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = "required"
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        errors[name] = "text"
        return None
    text = str(value).strip()
    if len(text) > limit:
        errors[name] = f"at most {limit} characters"
        return None
    if has_control(text, multiline=limit >= MAX_COMMENT):
        errors[name] = "no control characters"
        return None
    return text


def _dealer(raw: dict[str, Any], errors: dict[str, str], default: str | None) -> str:
    code = clean_code(raw.get("dealer", default))
    if code is None:
        errors["dealer"] = "required, a dealer code"
        return ""
    return code


def _refuse(errors: dict[str, str]) -> None:
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first]}", errors)


def _unknown(raw: dict[str, Any], allowed: set[str], errors: dict[str, str]) -> None:
    for name in sorted(set(raw) - allowed):
        errors[name] = "unknown field"


@dataclass(frozen=True)
class PaymentRequest:
    """A payment as finance, the ERP or an Excel row gives it."""

    external_id: str
    dealer: str
    amount: Decimal
    received_on: date
    method: str | None = None
    reference: str | None = None

    def differs_from(self, recorded: dict[str, Any]) -> list[str]:
        """The fields in which a payment already recorded under the same external id (its
        ``dealer``, ``amount``, ``received_on``, ``method``, ``reference``) differs."""
        ours = {
            "dealer": self.dealer,
            "amount": self.amount,
            "received_on": self.received_on,
            "method": self.method,
            "reference": self.reference,
        }
        theirs = {**recorded, "amount": cents(Decimal(recorded["amount"]))}
        return [name for name in ours if ours[name] != theirs.get(name)]


def check_received_on(value: Any, today: date) -> date | str:
    """A receipt date from 2000 up to tomorrow (a day's grace for time zones), or the reason."""
    received = parse_date(value)
    if isinstance(received, str):
        return received
    if received < EARLIEST:
        return f"before {EARLIEST.isoformat()}"
    if received > today + timedelta(days=1):
        return "in the future"
    return received


def parse_payment(raw: Any, today: date) -> PaymentRequest:
    """A payment from JSON-like data; ``ValidationFailed`` naming every bad field."""
    if not isinstance(raw, dict):
        raise ValidationFailed("the payment must be a JSON object", {"body": "a JSON object"})
    errors: dict[str, str] = {}
    _unknown(raw, {"external_id", "dealer", "amount", "received_on", "method", "reference"}, errors)
    external_id = _text(raw, "external_id", MAX_EXTERNAL_ID, errors, required=True)
    dealer = _dealer(raw, errors, None)
    amount = parse_amount(raw.get("amount"))
    if isinstance(amount, str):
        errors["amount"] = amount
    received = check_received_on(raw.get("received_on"), today)
    if isinstance(received, str):
        errors["received_on"] = received
    method = _text(raw, "method", MAX_METHOD, errors)
    reference = _text(raw, "reference", MAX_REFERENCE, errors)
    _refuse(errors)
    assert external_id is not None and isinstance(amount, Decimal) and isinstance(received, date)
    return PaymentRequest(external_id, dealer, amount, received, method, reference)


@dataclass(frozen=True)
class CreditIncreaseRequest:
    """A temporary credit-limit increase asked for a dealer."""

    dealer: str
    amount: Decimal
    valid_from: date
    valid_to: date
    reason: str


def parse_credit_increase(raw: Any, today: date) -> CreditIncreaseRequest:
    """A request from JSON-like data: amount above 0, ``valid_to`` ≥ ``valid_from``, not over
    already, at most a year long, a reason; ``ValidationFailed`` naming every bad field."""
    if not isinstance(raw, dict):
        raise ValidationFailed("the request must be a JSON object", {"body": "a JSON object"})
    errors: dict[str, str] = {}
    _unknown(raw, {"dealer", "amount", "valid_from", "valid_to", "reason"}, errors)
    dealer = _dealer(raw, errors, None)
    amount = parse_amount(raw.get("amount"))
    if isinstance(amount, str):
        errors["amount"] = amount
    start, end = parse_date(raw.get("valid_from")), parse_date(raw.get("valid_to"))
    if isinstance(start, str):
        errors["valid_from"] = start
    elif start < EARLIEST:
        errors["valid_from"] = f"before {EARLIEST.isoformat()}"
    if isinstance(end, str):
        errors["valid_to"] = end
    elif end < today:
        errors["valid_to"] = "in the past"
    if isinstance(start, date) and isinstance(end, date) and "valid_to" not in errors:
        if end < start:
            errors["valid_to"] = "before valid_from"
        elif (end - start).days >= MAX_INCREASE_DAYS:
            errors["valid_to"] = f"at most {MAX_INCREASE_DAYS} days after valid_from"
    reason = _text(raw, "reason", MAX_COMMENT, errors, required=True)
    if reason is not None and len(reason) < 2:
        errors["reason"] = "at least 2 characters"
    _refuse(errors)
    assert isinstance(amount, Decimal) and isinstance(start, date) and isinstance(end, date)
    return CreditIncreaseRequest(dealer, amount, start, end, str(reason))


def statement_period(date_from: Any, date_to: Any, today: date) -> tuple[date, date]:
    """The period of a statement: ``from`` defaults to the first of this month, ``to`` to today;
    ``ValidationFailed`` naming a bad date, a reversed or an over-long period."""
    errors: dict[str, str] = {}
    start = parse_date(date_from) if date_from not in (None, "") else today.replace(day=1)
    end = parse_date(date_to) if date_to not in (None, "") else today
    if isinstance(start, str):
        errors["from"] = start
    elif start < EARLIEST:
        errors["from"] = f"before {EARLIEST.isoformat()}"
    if isinstance(end, str):
        errors["to"] = end
    elif end > date(2200, 1, 1):
        errors["to"] = "too far ahead"
    if isinstance(start, date) and isinstance(end, date) and not errors:
        if end < start:
            errors["to"] = "before from"
        elif (end - start).days > MAX_STATEMENT_DAYS:
            errors["to"] = f"a statement covers at most {MAX_STATEMENT_DAYS} days"
    _refuse(errors)
    assert isinstance(start, date) and isinstance(end, date)
    return start, end


@dataclass(frozen=True)
class Entry:
    """A line of a statement: an invoice (the dealer owes more) or a payment (less)."""

    on: date
    kind: str  # invoice / payment
    number: str
    amount: Decimal
    reference: str | None = None


@dataclass(frozen=True)
class StatementLine:
    entry: Entry
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    """Opening balance, the period's invoices and payments by date with the running balance,
    and the closing balance (positive: the dealer owes; negative: paid in advance)."""

    opening: Decimal
    lines: tuple[StatementLine, ...]

    @property
    def invoiced(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + self.invoiced - self.paid


def statement(opening: Decimal, entries: Iterable[Entry]) -> Statement:
    """The statement of ``entries`` after ``opening``: by date, invoices before payments on the
    same day, each line with the balance after it."""
    balance = cents(Decimal(opening))
    lines = []
    for entry in sorted(entries, key=lambda e: (e.on, e.kind != "invoice", e.number)):
        debit = entry.amount if entry.kind == "invoice" else ZERO
        credit = entry.amount if entry.kind == "payment" else ZERO
        balance = balance + debit - credit
        lines.append(StatementLine(entry, debit, credit, balance))
    return Statement(cents(Decimal(opening)), tuple(lines))


def parse_confirmation(raw: Any, default_dealer: str | None) -> tuple[str, str, str, str, str | None]:
    """``(dealer, from, to, status, comment)`` of a statement confirmation (dates unchecked
    here: ``statement_period`` checks them); ``ValidationFailed`` naming every bad field."""
    if not isinstance(raw, dict):
        raise ValidationFailed("the confirmation must be a JSON object", {"body": "a JSON object"})
    errors: dict[str, str] = {}
    _unknown(raw, {"dealer", "from", "to", "status", "comment"}, errors)
    dealer = _dealer(raw, errors, default_dealer)
    dates = {}
    for name in ("from", "to"):
        value = raw.get(name)
        if not isinstance(value, str) or isinstance(parse_date(value), str):
            errors[name] = "required, a date (YYYY-MM-DD)"
        dates[name] = str(value)
    status = raw.get("status")
    if status not in CONFIRMATIONS:
        errors["status"] = f"one of {', '.join(CONFIRMATIONS)}"
    comment = _text(raw, "comment", MAX_COMMENT, errors)
    if status == "disputed" and not comment and "comment" not in errors:
        errors["comment"] = "say what is wrong when disputing"
    _refuse(errors)
    return dealer, dates["from"], dates["to"], str(status), comment
