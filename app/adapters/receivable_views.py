"""Reading receivables in a data scope: invoice and payment lists with filters, one invoice with its
payments, and a dealer's credit position (the credit check's figures plus overdue days)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters import order_checks, payments
from app.adapters.clock import business_today
from app.adapters.scope_sql import dealer_clause
from app.domain import receivables as rd
from app.domain.errors import NotFound, ValidationFailed
from app.domain.scope import DataScope
from app.models import Dealer, Invoice, Payment, PaymentAllocation, SalesOrder, Shipment

MAX_PAGE_SIZE = 200
INVOICE_STATUSES = ("open", "partially_paid", "paid", "cancelled", "unpaid", "overdue")
PAYMENT_STATUSES = ("unallocated",)


@dataclass(frozen=True)
class Filters:
    dealer: str | None = None
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 0
    page_size: int = 50


def parse_filters(args: Any, statuses: tuple[str, ...] = INVOICE_STATUSES) -> Filters:
    """List filters from query arguments (``status`` one of ``statuses``); ``ValidationFailed``
    naming the bad one."""
    errors: dict[str, str] = {}
    status = args.get("status") or None
    if status is not None and status not in statuses:
        errors["status"] = f"one of {', '.join(statuses)}"
    dates = {}
    for name in ("from", "to"):
        value = args.get(name)
        parsed = rd.parse_date(value) if value else None
        if isinstance(parsed, str):
            errors[name] = parsed
        dates[name] = parsed if isinstance(parsed, date) else None
    numbers = {}
    for name, default, least, most in (("page", 0, 0, 10**6), ("page_size", 50, 1, MAX_PAGE_SIZE)):
        raw = str(args.get(name) or "")
        if not raw:
            numbers[name] = default
        elif not re.fullmatch(r"[0-9]{1,7}", raw) or not least <= int(raw) <= most:
            errors[name] = f"a whole number from {least} to {most}"
        else:
            numbers[name] = int(raw)
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first]}", errors)
    dealer = args.get("dealer") or None
    if dealer is not None and rd.clean_code(dealer) is None:
        raise ValidationFailed("dealer: not a dealer code", {"dealer": "not a dealer code"})
    return Filters(
        dealer=rd.clean_code(dealer) if dealer else None,
        status=status,
        date_from=dates["from"],
        date_to=dates["to"],
        page=numbers["page"],
        page_size=numbers["page_size"],
    )


def _page(session: Session, query, filters: Filters) -> tuple[int, list]:
    count = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(query.offset(filters.page * filters.page_size).limit(filters.page_size)).all()
    return int(count), list(rows)


def visible_invoices(scope: DataScope):
    in_scope = Invoice.dealer_id.in_(select(Dealer.id).where(dealer_clause(scope)))
    return select(Invoice).where(in_scope)


def invoice_page(session: Session, scope: DataScope, filters: Filters, today: date | None = None):
    """Invoices of the scope with filters (``unpaid``: open or partially paid; ``overdue``: unpaid
    and past due), oldest due first. Returns (count, invoices)."""
    query = visible_invoices(scope)
    if filters.dealer:
        query = query.where(Invoice.dealer_id.in_(select(Dealer.id).where(Dealer.code == filters.dealer)))
    if filters.status in ("unpaid", "overdue"):
        query = query.where(Invoice.status.in_(rd.UNPAID))
        if filters.status == "overdue":
            query = query.where(Invoice.due_on < (today or business_today()))
    elif filters.status:
        query = query.where(Invoice.status == filters.status)
    if filters.date_from:
        query = query.where(Invoice.issued_on >= filters.date_from)
    if filters.date_to:
        query = query.where(Invoice.issued_on <= filters.date_to)
    return _page(session, query.order_by(Invoice.due_on, Invoice.id), filters)


def payment_page(session: Session, scope: DataScope, filters: Filters):
    """Payments of the scope with filters, newest first. Returns (count, payments)."""
    query = payments.visible(scope)
    if filters.dealer:
        query = query.where(Payment.dealer_id.in_(select(Dealer.id).where(Dealer.code == filters.dealer)))
    if filters.status == "unallocated":
        query = query.where(Payment.unallocated > 0)
    if filters.date_from:
        query = query.where(Payment.received_on >= filters.date_from)
    if filters.date_to:
        query = query.where(Payment.received_on <= filters.date_to)
    return _page(session, query, filters)


def find_invoice(session: Session, invoice_id: int, scope: DataScope) -> Invoice:
    found = session.scalar(visible_invoices(scope).where(Invoice.id == invoice_id))
    if found is None:
        raise NotFound("no such invoice in your data scope")
    return found


def invoice_json(session: Session, invoice: Invoice, with_payments: bool = False) -> dict[str, Any]:
    """An invoice (money as strings); with the payments allocated to it when asked."""
    order_number = session.scalar(select(SalesOrder.number).where(SalesOrder.id == invoice.order_id))
    shipment = (
        session.scalar(select(Shipment.number).where(Shipment.id == invoice.shipment_id))
        if invoice.shipment_id is not None
        else None
    )
    body = {
        "id": invoice.id,
        "number": invoice.number,
        "dealer": {"code": invoice.dealer.code, "name": invoice.dealer.name},
        "order": order_number,
        "shipment": shipment,
        "amount": str(invoice.amount),
        "paid_amount": str(invoice.paid_amount),
        "outstanding": str(rd.cents(invoice.amount - invoice.paid_amount)),
        "issued_on": invoice.issued_on.isoformat(),
        "due_on": invoice.due_on.isoformat(),
        "status": invoice.status,
        "overdue_days": rd.overdue_days(invoice.due_on, business_today())
        if invoice.status in rd.UNPAID
        else 0,
    }
    if with_payments:
        rows = session.execute(
            select(Payment.external_id, Payment.received_on, PaymentAllocation.amount)
            .join(Payment, PaymentAllocation.payment_id == Payment.id)
            .where(PaymentAllocation.invoice_id == invoice.id)
            .order_by(PaymentAllocation.id)
        ).all()
        body["payments"] = [
            {"payment": ext, "received_on": on.isoformat(), "amount": str(amount)} for ext, on, amount in rows
        ]
    return body


def credit_json(session: Session, dealer: Dealer, today: date | None = None) -> dict[str, Any]:
    """The dealer's credit position now: the credit check's figures, overdue days, unallocated money."""
    credit = order_checks.exposure(session, dealer, rd.ZERO, on=today)
    unallocated = session.scalar(
        select(func.coalesce(func.sum(Payment.unallocated), 0)).where(Payment.dealer_id == dealer.id)
    )
    return {
        "dealer": {"code": dealer.code, "name": dealer.name},
        "credit_limit": str(rd.cents(dealer.credit_limit or rd.ZERO)),
        "temporary_increase": str(credit.temporary_increase),
        "limit": str(credit.limit),
        "unpaid_invoices": str(credit.unpaid_invoices),
        "open_orders": str(credit.open_orders),
        "exposure": str(credit.exposure),
        "available": str(credit.available),
        "overdue_days": credit.overdue_days,
        "unallocated_payments": str(rd.cents(unallocated or rd.ZERO)),
    }
