"""Invoices (应收发票) and the receivable figures behind the credit check.

An invoice is raised per shipment (Σ shipped quantity × the order line's unit price) or per order
(what of the order is not invoiced yet), as ``DMS_INVOICE_PER`` says; it is due after the dealer's
payment terms. Money the dealer paid that no invoice took yet (``Payment.unallocated``) goes to a
new invoice at once: payments referencing its order first, then the oldest payment first.

The shipments code calls, inside its own transaction (nothing here commits)::

    invoice_shipment(session, shipment)          # when a shipment is written (per shipment)
    invoice_order(session, order)                # when an order is confirmed (per order)
    raise_invoices_for(session, order=order)     # or either, doing only what the setting says

The credit check (``order_checks.exposure``) reads ``unpaid_invoices``, ``uninvoiced_orders``,
``increases_in_force`` and ``oldest_unpaid_due``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from flask import current_app, has_app_context
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.domain import receivables as rd
from app.models import CreditIncrease, Invoice, Payment, PaymentAllocation, SalesOrder, Shipment

SETTING = "DMS_INVOICE_PER"
DEFAULT_PER = "shipment"


def invoice_per() -> str:
    """``shipment`` or ``order``: what one invoice covers (the setting ``DMS_INVOICE_PER``)."""
    value = current_app.config.get(SETTING, DEFAULT_PER) if has_app_context() else DEFAULT_PER
    return value if value in rd.INVOICE_PER else DEFAULT_PER


def invoiced_amount(session: Session, order_id: int) -> Decimal:
    """What has been invoiced for an order so far (cancelled invoices aside)."""
    total = session.scalar(
        select(func.coalesce(func.sum(Invoice.amount), 0)).where(
            Invoice.order_id == order_id, Invoice.status != "cancelled"
        )
    )
    return Decimal(total or 0)


def _new_invoice(
    session: Session, order: SalesOrder, amount: Decimal, on: date | None, shipment_id: int | None = None
) -> Invoice:
    issued = on or business_today()
    invoice = Invoice(
        number=f"TMP-{uuid.uuid4().hex[:24]}",
        dealer_id=order.dealer_id,
        order_id=order.id,
        shipment_id=shipment_id,
        amount=amount,
        paid_amount=rd.ZERO,
        issued_on=issued,
        due_on=rd.due_date(issued, order.dealer.payment_terms_days),
        status="open",
    )
    session.add(invoice)
    session.flush()
    invoice.number = f"INV{issued:%Y%m%d}{invoice.id:06d}"
    apply_unallocated(session, invoice, order.number)
    return invoice


def invoice_shipment(session: Session, shipment: Shipment, on: date | None = None) -> Invoice | None:
    """The invoice of a shipment: Σ shipped quantity × the line's unit price, rounded to cents,
    due after the dealer's payment terms. A shipment already invoiced gets its invoice back;
    one worth nothing gets none. Flushes, no commit."""
    session.flush()
    found = session.scalar(
        select(Invoice).where(Invoice.shipment_id == shipment.id, Invoice.status != "cancelled")
    )
    if found is not None:
        return found
    amount = rd.invoice_amount((line.qty, Decimal(line.order_line.unit_price)) for line in shipment.lines)
    if amount <= 0:
        return None
    return _new_invoice(session, shipment.order, amount, on, shipment.id)


def invoice_order(session: Session, order: SalesOrder, on: date | None = None) -> Invoice | None:
    """The invoice of an order: its amount less what is invoiced already (none when nothing is
    left, so calling it twice raises one invoice). Flushes, no commit."""
    session.flush()
    amount = rd.cents(Decimal(order.amount) - invoiced_amount(session, order.id))
    if amount <= 0:
        return None
    return _new_invoice(session, order, amount, on)


def raise_invoices_for(
    session: Session,
    order: SalesOrder | None = None,
    shipment: Shipment | None = None,
    on: date | None = None,
) -> Invoice | None:
    """Raise what ``DMS_INVOICE_PER`` asks for: per shipment, the shipment's invoice (``order``
    alone does nothing); per order, the order's (the shipment's order when only a shipment is
    given). Flushes, no commit."""
    if invoice_per() == "shipment":
        return invoice_shipment(session, shipment, on) if shipment is not None else None
    target = order if order is not None else (shipment.order if shipment is not None else None)
    return invoice_order(session, target, on) if target is not None else None


def add_allocation(session: Session, payment: Payment, invoice: Invoice, amount: Decimal) -> None:
    """Put ``amount`` of ``payment`` on ``invoice``: the allocation row, the invoice's paid amount
    and status, the payment's unallocated rest."""
    session.add(PaymentAllocation(payment_id=payment.id, invoice_id=invoice.id, amount=amount))
    invoice.paid_amount = Decimal(invoice.paid_amount) + amount
    invoice.status = rd.invoice_status(Decimal(invoice.amount), Decimal(invoice.paid_amount))
    payment.unallocated = Decimal(payment.unallocated) - amount


def apply_unallocated(session: Session, invoice: Invoice, order_number: str | None = None) -> Decimal:
    """Pay a new invoice from the dealer's unallocated money: payments referencing its order
    first, then the oldest. Returns what was applied."""
    referencing = case((func.upper(Payment.reference) == order_number, 0), else_=1) if order_number else None
    query = select(Payment).where(Payment.dealer_id == invoice.dealer_id, Payment.unallocated > 0)
    ordering = [Payment.received_on, Payment.id]
    if referencing is not None:
        ordering.insert(0, referencing)
    applied = rd.ZERO
    for payment in session.scalars(query.order_by(*ordering)):
        owed = Decimal(invoice.amount) - Decimal(invoice.paid_amount)
        if owed <= 0:
            break
        share = min(owed, Decimal(payment.unallocated))
        add_allocation(session, payment, invoice, share)
        applied += share
    session.flush()
    return applied


def open_invoices(session: Session, dealer_id: int) -> list[Invoice]:
    """The dealer's invoices with money still owed, oldest due first."""
    return list(
        session.scalars(
            select(Invoice)
            .where(Invoice.dealer_id == dealer_id, Invoice.status.in_(rd.UNPAID))
            .order_by(Invoice.due_on, Invoice.issued_on, Invoice.id)
        )
    )


def unpaid_invoices(session: Session, dealer_id: int) -> tuple[Decimal, date | None]:
    """Σ (amount − paid) of the dealer's open and partially paid invoices, and the oldest due date
    among them."""
    total, oldest = session.execute(
        select(
            func.coalesce(func.sum(Invoice.amount - Invoice.paid_amount), 0), func.min(Invoice.due_on)
        ).where(Invoice.dealer_id == dealer_id, Invoice.status.in_(rd.UNPAID))
    ).one()
    return Decimal(total or 0), oldest


def _uninvoiced_sum():
    """Σ over the selected orders of (order amount − invoiced for it), never below 0 per order."""
    invoiced = (
        select(func.coalesce(func.sum(Invoice.amount), 0))
        .where(Invoice.order_id == SalesOrder.id, Invoice.status != "cancelled")
        .correlate(SalesOrder)
        .scalar_subquery()
    )
    left = SalesOrder.amount - invoiced
    return func.coalesce(func.sum(case((left > 0, left), else_=0)), 0)


def uninvoiced_orders(
    session: Session, dealer_id: int, statuses: Iterable[str], exclude_id: int | None = None
) -> Decimal:
    """Σ over the dealer's orders in ``statuses`` of (order amount − invoiced for it), never
    below 0 per order."""
    query = select(_uninvoiced_sum()).where(
        SalesOrder.dealer_id == dealer_id, SalesOrder.status.in_(list(statuses))
    )
    if exclude_id is not None:
        query = query.where(SalesOrder.id != exclude_id)
    return Decimal(session.scalar(query) or 0)


def _credit_position_statement():
    """Built once (statement construction costs more than running it): parameters ``dealer_id``,
    ``statuses`` (expanding), ``exclude_id`` (−1: none) and ``on``."""
    dealer_id, on = bindparam("dealer_id"), bindparam("on")
    unpaid = (
        select(func.coalesce(func.sum(Invoice.amount - Invoice.paid_amount), 0))
        .where(Invoice.dealer_id == dealer_id, Invoice.status.in_(rd.UNPAID))
        .scalar_subquery()
    )
    oldest = (
        select(func.min(Invoice.due_on))
        .where(Invoice.dealer_id == dealer_id, Invoice.status.in_(rd.UNPAID))
        .scalar_subquery()
    )
    orders = (
        select(_uninvoiced_sum())
        .where(
            SalesOrder.dealer_id == dealer_id,
            SalesOrder.status.in_(bindparam("statuses", expanding=True)),
            SalesOrder.id != bindparam("exclude_id"),
        )
        .scalar_subquery()
    )
    increase = (
        select(func.coalesce(func.sum(CreditIncrease.amount), 0))
        .where(
            CreditIncrease.dealer_id == dealer_id,
            CreditIncrease.status == "approved",
            CreditIncrease.valid_from <= on,
            CreditIncrease.valid_to >= on,
        )
        .scalar_subquery()
    )
    return select(unpaid, oldest, orders, increase)


CREDIT_POSITION = _credit_position_statement()


def credit_position(
    session: Session, dealer_id: int, statuses: Iterable[str], exclude_id: int | None, on: date
) -> tuple[Decimal, date | None, Decimal, Decimal]:
    """``unpaid_invoices``, ``uninvoiced_orders`` and ``increases_in_force`` in one prebuilt query
    (the order check runs on every submission): (unpaid, oldest due, open orders, increase)."""
    params = {
        "dealer_id": dealer_id,
        "statuses": list(statuses),
        "exclude_id": -1 if exclude_id is None else exclude_id,
        "on": on,
    }
    row = session.execute(CREDIT_POSITION, params).one()
    return (
        Decimal(row[0] or 0),
        row[1],
        Decimal(row[2] or 0),
        rd.limit_in_force(rd.ZERO, [(Decimal(row[3] or 0), on, on)], on),
    )


def increases_in_force(session: Session, dealer_id: int, on: date) -> Decimal:
    """Σ of the dealer's approved temporary credit increases valid on ``on``."""
    rows = session.execute(
        select(CreditIncrease.amount, CreditIncrease.valid_from, CreditIncrease.valid_to).where(
            CreditIncrease.dealer_id == dealer_id,
            CreditIncrease.status == "approved",
            CreditIncrease.valid_from <= on,
            CreditIncrease.valid_to >= on,
        )
    ).all()
    return rd.limit_in_force(rd.ZERO, [(Decimal(a), f, t) for a, f, t in rows], on)
