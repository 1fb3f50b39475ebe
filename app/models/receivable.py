"""Receivables behind the credit check: invoices (per shipment or per order), payments recorded by
finance or posted by the ERP (idempotent by external id) and their allocation to invoices; the
dealer's statement confirmations (对账单); temporary credit-limit increases with an expiry."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Timestamps, UTCDateTime
from app.models.dealer import Dealer
from app.models.inventory import BIG_ID

INVOICE_STATUSES = ("open", "partially_paid", "paid", "cancelled")


class Invoice(Audited, Timestamps, Model):
    __tablename__ = "invoice"
    __table_args__ = (Index("ix_invoice_dealer_status", "dealer_id", "status"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), nullable=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), nullable=False, index=True)
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipment.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    paid_amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False, default=Decimal("0"))
    issued_on: Mapped[date] = mapped_column(Date, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")

    dealer: Mapped[Dealer] = relationship()


class Payment(Audited, Timestamps, Model):
    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    unallocated: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False, default=Decimal("0"))
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    method: Mapped[str | None] = mapped_column(String(30))
    reference: Mapped[str | None] = mapped_column(String(100))  # an order number it pays (deposit) …
    source: Mapped[str] = mapped_column(String(20), nullable=False, default="finance")  # finance/erp/excel
    created_by: Mapped[str] = mapped_column(String(100), nullable=False)

    dealer: Mapped[Dealer] = relationship()


class PaymentAllocation(Audited, Model):
    __tablename__ = "payment_allocation"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), nullable=False, index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)

    payment: Mapped[Payment] = relationship(backref="allocations")
    invoice: Mapped[Invoice] = relationship(backref="allocations")


class StatementConfirmation(Audited, Model):
    """A dealer confirming (or disputing) its statement for a period with the balance shown."""

    __tablename__ = "statement_confirmation"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), nullable=False, index=True)
    period_from: Mapped[date] = mapped_column(Date, nullable=False)
    period_to: Mapped[date] = mapped_column(Date, nullable=False)
    balance: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # confirmed / disputed
    comment: Mapped[str | None] = mapped_column(Text)
    confirmed_by: Mapped[str] = mapped_column(String(100), nullable=False)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class CreditIncrease(Audited, Timestamps, Model):
    """A temporary credit-limit increase: requested, approved by finance in a small flow, in force
    from ``valid_from`` to ``valid_to``."""

    __tablename__ = "credit_increase"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(100), nullable=False)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    dealer: Mapped[Dealer] = relationship()

    __mapper_args__ = {"version_id_col": lock_version}
