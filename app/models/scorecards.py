"""Dealer scorecards in the database (docs/scorecards.md): KPI sets as an admin edits them, and
dealer targets per period (imported from Excel). Both are audited.

``kpi_set`` keeps the YAML text as written (comments and order kept for the editor) beside the
checked document (JSON) the scoring reads; each save is a new ``version`` of the same row, the
audit log keeps the earlier texts. The shipped ``rules/kpi/*.yaml`` are loaded when absent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Timestamps
from app.models.dealer import Dealer


class KpiSetRecord(Audited, Timestamps, Model):
    """A KPI set: its key, names and period kind, the YAML text and the checked document."""

    __tablename__ = "kpi_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    yaml_text: Mapped[str] = mapped_column(Text, nullable=False)
    document: Mapped[dict] = mapped_column(JSON, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    updated_by: Mapped[str | None] = mapped_column(String(100))


class DealerTarget(Audited, Timestamps, Model):
    """A dealer's target for one metric in one period (``sales_amount`` is the sales target that
    ``target_attainment`` divides by; another metric replaces the KPI's default target)."""

    __tablename__ = "dealer_target"
    __table_args__ = (
        UniqueConstraint("dealer_id", "period_kind", "period_start", "metric", name="uq_dealer_target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealer.id"), nullable=False, index=True)
    period_kind: Mapped[str] = mapped_column(String(10), nullable=False)
    period_start: Mapped[date] = mapped_column(Date, nullable=False)
    metric: Mapped[str] = mapped_column(String(40), nullable=False)
    target: Mapped[Decimal] = mapped_column(Numeric(18, 4), nullable=False)

    dealer: Mapped[Dealer] = relationship()
