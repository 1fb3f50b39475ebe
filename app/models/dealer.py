"""The dealer master file (经销商档案): the company, its tier, region, parent dealer, scale,
invoice and bank details, credit terms, lifecycle status, sales rep and custom fields.
Contacts, ship-to addresses, authorisations and qualifications are in ``dealer_parts``."""

from __future__ import annotations

from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import JSON, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Timestamps
from app.models.region import Region

DEALER_STATUSES = ("applicant", "active", "suspended", "terminated")
REVENUE_BANDS = ("R1", "R2", "R3", "R4", "R5")  # <1M, 1–5M, 5–20M, 20–100M, >100M CNY a year


class DealerTier(Audited, Timestamps, Model):
    """A dealer level (一级/二级/KA …), defined per customer by the industry template."""

    __tablename__ = "dealer_tier"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(100))
    rank: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return self.name


class Dealer(Audited, Timestamps, Model):
    __tablename__ = "dealer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    tier_id: Mapped[int | None] = mapped_column(ForeignKey("dealer_tier.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="active")
    sales_rep_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), index=True)
    # scale
    staff_count: Mapped[int | None] = mapped_column(Integer)
    warehouse_area: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    revenue_band: Mapped[str | None] = mapped_column(String(4))
    # invoice and bank
    invoice_title: Mapped[str | None] = mapped_column(String(200))
    invoice_address: Mapped[str | None] = mapped_column(String(300))
    invoice_phone: Mapped[str | None] = mapped_column(String(40))
    bank_name: Mapped[str | None] = mapped_column(String(200))
    bank_account: Mapped[str | None] = mapped_column(String(40))
    # credit
    credit_limit: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=Decimal("0"))
    payment_terms_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # values of the fields an administrator added (form ``dealer_custom``)
    custom: Mapped[dict | None] = mapped_column(JSON)

    region: Mapped[Region] = relationship()
    tier: Mapped[DealerTier | None] = relationship()
    parent: Mapped[Dealer | None] = relationship(remote_side=[id])
    sales_rep = relationship("User", foreign_keys=[sales_rep_id])

    def __repr__(self) -> str:
        return f"{self.name} ({self.code})"
