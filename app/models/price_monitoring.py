"""Price exceptions (价格例外): an order whose prices depart from policy beyond tolerance, or a
special-price request (特价申请), under review in ``workflows/price_exception_review.bpmn``.

The row is the contract with orders: an order with ``business_key`` = its order number waits
while ``status`` is ``pending`` and reads ``approved`` / ``rejected`` when the review ends.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Timestamps, UTCDateTime
from app.models.catalog import Product
from app.models.dealer import Dealer

EXCEPTION_KINDS = ("order", "special_request")


class PriceException(Audited, Timestamps, Model):
    """One review: what was asked (lines, reason, validity), how deep it goes, how it ended."""

    __tablename__ = "price_exception"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_key: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending", index=True)
    level: Mapped[str] = mapped_column(String(20), nullable=False)
    ship_to_region: Mapped[str | None] = mapped_column(String(32))
    requested_by: Mapped[str] = mapped_column(String(100), nullable=False)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"))
    reason_code: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason_code: Mapped[str | None] = mapped_column(String(20))
    decision_comment: Mapped[str | None] = mapped_column(Text)
    escalated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    dealer: Mapped[Dealer] = relationship()
    lines: Mapped[list[PriceExceptionLine]] = relationship(
        back_populates="exception", cascade="all, delete-orphan", order_by="PriceExceptionLine.id"
    )

    def __repr__(self) -> str:
        return self.business_key


class PriceExceptionLine(Audited, Model):
    """A checked line: price against policy price, deviation and the level it needs."""

    __tablename__ = "price_exception_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exception_id: Mapped[int] = mapped_column(
        ForeignKey("price_exception.id", ondelete="CASCADE"), nullable=False, index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False, index=True)
    qty: Mapped[Decimal] = mapped_column(Numeric(18, 4), nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(18, 4), nullable=False)
    policy_price: Mapped[Decimal | None] = mapped_column(Numeric(18, 4))
    deviation_pct: Mapped[Decimal | None] = mapped_column(Numeric(9, 2))
    deviation_amount: Mapped[Decimal] = mapped_column(Numeric(18, 4), nullable=False)
    level: Mapped[str] = mapped_column(String(20), nullable=False)

    exception: Mapped[PriceException] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()
