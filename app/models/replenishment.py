"""Replenishment: stock rules per warehouse × product (safety stock, min/max, order multiple,
review cycle, lead time, source) and the suggestions the evaluation job writes from them."""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Timestamps, UTCDateTime, utcnow
from app.models.catalog import Product
from app.models.inventory import BIG_ID, Warehouse

SUGGESTION_STATUSES = ("proposed", "edited", "accepted", "rejected")
OPEN_STATUSES = ("proposed", "edited")
SUGGESTION_KINDS = ("transfer", "dealer_order")


class StockRule(Audited, Timestamps, Model):
    """Targets of one warehouse × product, in the product's whole units.

    Below ``min_qty`` (available + in transit) the job suggests enough to reach ``max_qty``,
    rounded up to ``order_multiple``; ``source_warehouse`` empty = the warehouse's parent."""

    __tablename__ = "stock_rule"
    __table_args__ = (UniqueConstraint("warehouse_id", "product_id"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False, index=True)
    safety_stock: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    min_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    max_qty: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    order_multiple: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    review_cycle_days: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    lead_time_days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    source_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    warehouse: Mapped[Warehouse] = relationship(foreign_keys=[warehouse_id])
    product: Mapped[Product] = relationship()
    source_warehouse: Mapped[Warehouse | None] = relationship(foreign_keys=[source_warehouse_id])

    def __repr__(self) -> str:
        return f"{self.warehouse_id}×{self.product_id}"


class ReplenishmentSuggestion(Audited, Model):
    """What to move (``transfer`` from the source warehouse) or order (``dealer_order``, a draft
    for the Orders issue) so a warehouse × product is back to its max; ``figures`` says why."""

    __tablename__ = "replenishment_suggestion"
    __table_args__ = (Index("ix_replenishment_open", "warehouse_id", "product_id", "status"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False)
    source_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    qty: Mapped[int] = mapped_column(Integer, nullable=False)
    suggested_qty: Mapped[int] = mapped_column(Integer, nullable=False)
    reason: Mapped[str] = mapped_column(String(40), nullable=False, default="below_min")
    figures: Mapped[dict] = mapped_column(JSON, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="proposed", index=True)
    reference: Mapped[str | None] = mapped_column(String(100))  # the transfer's reference once accepted
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    warehouse: Mapped[Warehouse] = relationship(foreign_keys=[warehouse_id])
    product: Mapped[Product] = relationship()
    source_warehouse: Mapped[Warehouse | None] = relationship(foreign_keys=[source_warehouse_id])
