"""Sales orders (订单): the order with its lines, the automatic checks run on submit (stock,
price, credit, diversion), the timeline of every change, and the keys that make a retried API
request idempotent. The lifecycle rules are in ``app/domain/orders.py``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, orm_insert_sentinel, relationship

from app.models.base import Audited, Timestamps, UTCDateTime, utcnow
from app.models.catalog import Product
from app.models.dealer import Dealer
from app.models.inventory import BIG_ID, Warehouse
from app.models.region import Region


class SalesOrder(Audited, Timestamps, Model):
    """One order of one dealer, served by one warehouse; ``status`` follows the domain's state
    machine; ``lock_version`` turns two concurrent changes into a conflict."""

    __tablename__ = "sales_order"
    __table_args__ = (Index("ix_sales_order_dealer_status", "dealer_id", "status"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), nullable=False)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    ship_to_region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False)
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft", index=True)
    source: Mapped[str] = mapped_column(String(10), nullable=False, default="portal")
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False, default=Decimal("0"))
    ship_to: Mapped[str | None] = mapped_column(String(400))
    note: Mapped[str | None] = mapped_column(Text)
    stock_outcome: Mapped[str | None] = mapped_column(String(20))
    price_outcome: Mapped[str | None] = mapped_column(String(20))
    credit_outcome: Mapped[str | None] = mapped_column(String(20))
    route: Mapped[str | None] = mapped_column(String(30))  # what the approval table decided
    review_round: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # +1 per submission
    promised_on: Mapped[date | None] = mapped_column(Date)  # delivery promised on confirmation
    deposit_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))  # to be paid before shipping
    deposit_paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(100), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    dealer: Mapped[Dealer] = relationship()
    region: Mapped[Region] = relationship(foreign_keys=[region_id])
    ship_to_region: Mapped[Region] = relationship(foreign_keys=[ship_to_region_id])
    warehouse: Mapped[Warehouse | None] = relationship()
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.line_no"
    )
    checks: Mapped[list[OrderCheck]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderCheck.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    def __repr__(self) -> str:
        return self.number


class OrderLine(Audited, Model):
    """A line: the quantity asked, the price (the quote's, or one asked for), and how much is
    reserved, shipped and received. ``_sentinel`` only lets SQLAlchemy insert an order's lines
    in one statement on SQLite (insertmanyvalues needs it to match the returned ids)."""

    __audit_exclude__ = ("_sentinel", "steps")  # the steps are the quote's explanation, kept on the line

    __tablename__ = "order_line"
    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        Index("ix_order_line_product", "product_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), nullable=False)
    line_no: Mapped[int] = mapped_column(Integer, nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False)
    qty: Mapped[int] = mapped_column(BIG_ID, nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(14, 4), nullable=False)
    policy_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    requested_price: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    amount: Mapped[Decimal] = mapped_column(Numeric(16, 2), nullable=False)
    promotion: Mapped[bool] = mapped_column(default=False, nullable=False)
    shortage: Mapped[str | None] = mapped_column(String(10))  # backorder / partial when short on submit
    steps: Mapped[list | None] = mapped_column(JSON)  # the quote's steps, as JSON
    reserved_qty: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    shipped_qty: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    received_qty: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()

    order: Mapped[SalesOrder] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class OrderCheck(Model):
    """One automatic check as it ran (``run`` counts submissions): its outcome and the figures
    it was decided on, as shown to the dealer and the reviewers."""

    __tablename__ = "order_check"
    __table_args__ = (Index("ix_order_check_order", "order_id", "run"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), nullable=False)
    run: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # stock / price / credit / diversion
    outcome: Mapped[str] = mapped_column(String(20), nullable=False)
    figures: Mapped[dict] = mapped_column(JSON, nullable=False)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()  # one INSERT for a round's checks

    order: Mapped[SalesOrder] = relationship(back_populates="checks")


class OrderEvent(Model):
    """The order's timeline: every status change and action, who and when."""

    __tablename__ = "order_event"
    __table_args__ = (Index("ix_order_event_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()  # one INSERT for several events

    order: Mapped[SalesOrder] = relationship(back_populates="events")


class IdempotencyKey(Model):
    """An ``Idempotency-Key`` seen on a POST: the first answer is replayed for the same body;
    another body under the same key is a conflict. Keys are per user and endpoint."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "endpoint", "key", name="uq_idempotency_key"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, nullable=False)
    endpoint: Mapped[str] = mapped_column(String(100), nullable=False)
    key: Mapped[str] = mapped_column(String(200), nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(Integer, nullable=False)
    response: Mapped[dict] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class OrderChangeRequest(Audited, Timestamps, Model):
    """An amendment to a confirmed order (quantities, lines, ship-to): reviewed, then applied."""

    __tablename__ = "order_change_request"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    lines: Mapped[list] = mapped_column(JSON, nullable=False)  # the requested lines [{sku, qty}]
    reason: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(100), nullable=False)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))

    order: Mapped[SalesOrder] = relationship()
