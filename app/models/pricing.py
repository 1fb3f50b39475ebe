"""Price policies: versions (draft → published → superseded), their price records, and the
dealer × SKU special prices granted by approved requests. See docs/pricing.md."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, UTCDateTime, utcnow
from app.models.catalog import Category, Product, ProductLine
from app.models.dealer import Dealer, DealerTier
from app.models.region import Region

VERSION_STATUSES = ("draft", "published", "superseded")


class PolicyVersion(Audited, Model):
    """One version of the price policy; a published version is never edited again."""

    __tablename__ = "policy_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft", index=True)
    effective_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # set when a later version takes over (its effective_from)
    effective_to: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    published_by: Mapped[str | None] = mapped_column(String(100))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"V{self.number} ({self.status})"


class PriceRecord(Audited, Model):
    """A condition record of a version: edited while the version is a draft, frozen after.
    See ``app.domain.pricing`` for what each condition type uses."""

    __tablename__ = "price_record"
    __table_args__ = (Index("ix_price_record_version_type", "version_id", "condition_type"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("policy_version.id", ondelete="CASCADE"), nullable=False, index=True
    )
    condition_type: Mapped[str] = mapped_column(String(20), nullable=False)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    product_line_id: Mapped[int | None] = mapped_column(ForeignKey("product_line.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("dealer_tier.id"))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    min_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    discount_pct: Mapped[Decimal | None] = mapped_column(Numeric(7, 4))
    buy_x: Mapped[int | None] = mapped_column(Integer)
    get_y: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    stackable: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    reference: Mapped[str | None] = mapped_column(String(100))

    version: Mapped[PolicyVersion] = relationship()
    product: Mapped[Product | None] = relationship()
    product_line: Mapped[ProductLine | None] = relationship()
    category: Mapped[Category | None] = relationship()
    region: Mapped[Region | None] = relationship()
    tier: Mapped[DealerTier | None] = relationship()
    dealer: Mapped[Dealer | None] = relationship()

    def __repr__(self) -> str:
        return f"#{self.id} {self.condition_type}"


class SpecialPrice(Audited, Model):
    """A dealer × SKU price from an approved special-price request: the most specific
    condition, valid for its dates whatever version is live."""

    __tablename__ = "special_price"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), nullable=False, index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False)
    price: Mapped[Decimal] = mapped_column(Numeric(14, 4), nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date | None] = mapped_column(Date)
    reference: Mapped[str | None] = mapped_column(String(100))
    approved_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    dealer: Mapped[Dealer] = relationship()
    product: Mapped[Product] = relationship()

    def __repr__(self) -> str:
        return f"#{self.id} special"
