"""Payments (回款) recorded by finance, posted by the ERP or imported from Excel, idempotent by
external id, and allocated to the dealer's invoices: the invoices of the order the payment
references first, then the oldest due first; the rest stays unallocated until an invoice takes it
(``receivables.apply_unallocated``).

A payment referencing an order that waits for a deposit delivers the BPMN message
``payment_received`` (correlated by the order number) once it commits, and marks the deposit
paid (``deposit_paid_at``) when the payments referencing the order cover ``deposit_amount``.

    payment, created = record_payment(session, {"external_id": "ERP-1", "dealer": "D-SH-001",
                                                "amount": "5000.00", "received_on": "2026-03-01"},
                                      caller, source="erp")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.adapters import orders, receivables
from app.adapters.clock import business_today
from app.adapters.scope_sql import dealer_clause
from app.domain import receivables as rd
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.scope import DataScope
from app.engine import outbox, runtime
from app.models import Dealer, Invoice, Payment, PaymentAllocation, SalesOrder
from app.models.base import utcnow

MESSAGE = "payment_received"
SOURCES = ("finance", "erp", "excel")
NO_DEPOSIT_STATUSES = ("rejected", "cancelled")


@dataclass(frozen=True)
class Target:
    """Where a checked payment goes: its dealer and the order it references (if any)."""

    dealer_id: int
    dealer_code: str
    order_id: int | None


def _recorded(payment: Payment) -> dict[str, Any]:
    return {
        "dealer": payment.dealer.code,
        "amount": payment.amount,
        "received_on": payment.received_on,
        "method": payment.method,
        "reference": payment.reference,
    }


def same_or_conflict(payment: Payment, request: rd.PaymentRequest) -> Payment:
    """The payment already recorded under the request's external id, if it is the same payment;
    ``Conflict`` naming the fields that differ otherwise."""
    differs = request.differs_from(_recorded(payment))
    if differs:
        raise Conflict(
            f"payment {request.external_id} was recorded with another {', '.join(differs)}",
            {"external_id": "already used for another payment", **dict.fromkeys(differs, "differs")},
        )
    return payment


def by_external_id(session: Session, external_id: str) -> Payment | None:
    return session.scalar(select(Payment).where(Payment.external_id == external_id))


def referenced_order(session: Session, reference: str | None) -> SalesOrder | None:
    """The order a payment's reference names (an order number), if it names one."""
    if not reference:
        return None
    candidates = {reference, reference.upper()}
    return session.scalar(select(SalesOrder).where(SalesOrder.number.in_(candidates)).limit(1))


def check_target(session: Session, request: rd.PaymentRequest, scope: DataScope) -> Target:
    """The dealer (must exist in the scope) and the referenced order (must be that dealer's);
    ``ValidationFailed`` naming ``dealer`` or ``reference``."""
    dealer = session.scalar(select(Dealer).where(Dealer.code == request.dealer, dealer_clause(scope)))
    if dealer is None:
        raise ValidationFailed(f"dealer: unknown dealer {request.dealer}", {"dealer": "unknown dealer"})
    order = referenced_order(session, request.reference)
    if order is not None and order.dealer_id != dealer.id:
        raise ValidationFailed(
            f"reference: order {order.number} is not an order of {dealer.code}",
            {"reference": "an order of another dealer"},
        )
    return Target(dealer.id, dealer.code, order.id if order is not None else None)


def _allocate(session: Session, payment: Payment, first_order_id: int | None) -> None:
    invoices = {i.id: i for i in receivables.open_invoices(session, payment.dealer_id)}
    owed = [
        rd.OpenInvoice(i.id, i.order_id, i.due_on, i.issued_on, Decimal(i.amount) - Decimal(i.paid_amount))
        for i in invoices.values()
    ]
    shares, _ = rd.allocate(Decimal(payment.amount), owed, first_order_id)
    for invoice_id, share in shares:
        receivables.add_allocation(session, payment, invoices[invoice_id], share)


def _deposit(session: Session, payment: Payment, order: SalesOrder, actor: str) -> None:
    """A payment towards an order waiting for its deposit: wake the order's flow, and mark the
    deposit paid once the payments referencing the order cover it."""
    if not order.deposit_amount or order.deposit_paid_at is not None or order.status in NO_DEPOSIT_STATUSES:
        return
    paid = Decimal(
        session.scalar(
            select(func.coalesce(func.sum(Payment.amount), 0)).where(
                Payment.dealer_id == order.dealer_id, func.upper(Payment.reference) == order.number
            )
        )
        or 0
    )
    covered = paid >= Decimal(order.deposit_amount)
    if covered:
        order.deposit_paid_at = utcnow()
    orders.add_event(
        order,
        actor,
        "deposit_paid" if covered else "payment",
        before=order.status,
        data={"payment": payment.external_id, "amount": str(payment.amount), "paid": str(rd.cents(paid))},
    )
    outbox.queue_message(
        session,
        MESSAGE,
        order.number,
        {
            "payment": payment.external_id,
            "amount": str(payment.amount),
            "paid": str(rd.cents(paid)),
            "deposit_amount": str(order.deposit_amount),
            "deposit_paid": covered,
        },
    )


def add_payment(
    session: Session, request: rd.PaymentRequest, target: Target, actor: str, source: str
) -> Payment:
    """Write a checked payment, allocate it, handle a deposit. Flushes, no commit; an external id
    already taken surfaces as ``IntegrityError`` at the flush."""
    # one allocation at a time per dealer (PostgreSQL: row lock; SQLite has a single writer)
    session.scalar(select(Dealer.id).where(Dealer.id == target.dealer_id).with_for_update())
    payment = Payment(
        external_id=request.external_id,
        dealer_id=target.dealer_id,
        amount=request.amount,
        unallocated=request.amount,
        received_on=request.received_on,
        method=request.method,
        reference=request.reference,
        source=source if source in SOURCES else "finance",
        created_by=actor[:100],
    )
    session.add(payment)
    session.flush()
    _allocate(session, payment, target.order_id)
    if target.order_id is not None:
        _deposit(session, payment, session.get(SalesOrder, target.order_id), actor)
    session.flush()
    return payment


def record_payment(
    session: Session, raw: Any, caller: runtime.Caller, *, source: str = "erp", today: date | None = None
) -> tuple[Payment, bool]:
    """Record a payment (commits). Returns it and whether it is new: the same payment posted again
    returns the first one (``False``); another payment under the same external id is ``Conflict``.
    Refusals (``ValidationFailed``) name the field."""
    request = rd.parse_payment(raw, today or business_today())
    found = by_external_id(session, request.external_id)
    if found is not None:
        return same_or_conflict(found, request), False
    target = check_target(session, request, caller.scope)
    try:
        payment = add_payment(session, request, target, caller.name, source)
        session.commit()
    except IntegrityError:  # the same external id arrived at the same moment
        session.rollback()
        found = by_external_id(session, request.external_id)
        if found is None:
            raise
        return same_or_conflict(found, request), False
    if session.info.get(outbox.PENDING):
        outbox.drain(session)
    return session.get(Payment, payment.id), True


def visible(scope: DataScope):
    """Payments of the dealers in ``scope``, newest first."""
    in_scope = Payment.dealer_id.in_(select(Dealer.id).where(dealer_clause(scope)))
    return select(Payment).where(in_scope).order_by(Payment.received_on.desc(), Payment.id.desc())


def find(session: Session, payment_id: int, scope: DataScope) -> Payment:
    found = session.scalar(visible(scope).where(Payment.id == payment_id))
    if found is None:
        raise NotFound("no such payment in your data scope")
    return found


def as_json(session: Session, payment: Payment) -> dict[str, Any]:
    """A payment with its allocations (money as strings)."""
    allocations = session.execute(
        select(Invoice.number, SalesOrder.number, PaymentAllocation.amount)
        .join(Invoice, PaymentAllocation.invoice_id == Invoice.id)
        .join(SalesOrder, Invoice.order_id == SalesOrder.id)
        .where(PaymentAllocation.payment_id == payment.id)
        .order_by(PaymentAllocation.id)
    ).all()
    return {
        "id": payment.id,
        "external_id": payment.external_id,
        "dealer": {"code": payment.dealer.code, "name": payment.dealer.name},
        "amount": str(payment.amount),
        "unallocated": str(payment.unallocated),
        "received_on": payment.received_on.isoformat(),
        "method": payment.method,
        "reference": payment.reference,
        "source": payment.source,
        "created_by": payment.created_by,
        "created_at": payment.created_at.isoformat() if payment.created_at else None,
        "allocations": [
            {"invoice": invoice, "order": order, "amount": str(amount)}
            for invoice, order, amount in allocations
        ],
    }
