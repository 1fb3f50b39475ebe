"""Warehouses (a tree: HQ → regional → dealer) and stock: the append-only ledger
(``stock_entry``), and the balances derived from it in the same transaction
(``stock_balance`` per warehouse × product, ``stock_batch`` per batch for FIFO age)."""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Timestamps, UTCDateTime, utcnow
from app.models.catalog import Product
from app.models.dealer import Dealer
from app.models.region import Region

WAREHOUSE_KINDS = ("hq", "regional", "dealer")
BIG_ID = BigInteger().with_variant(Integer, "sqlite")


class Warehouse(Audited, Timestamps, Model):
    __tablename__ = "warehouse"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id", ondelete="RESTRICT"), index=True)
    path: Mapped[str] = mapped_column(String(400), nullable=False, index=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), nullable=False, index=True)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealer.id"), index=True)
    allow_negative: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)

    parent: Mapped[Warehouse | None] = relationship(remote_side=[id])
    region: Mapped[Region] = relationship()
    dealer: Mapped[Dealer | None] = relationship()

    def __repr__(self) -> str:
        return f"{self.name} ({self.code})"


class StockEntry(Model):
    """One line of the ledger: what changed for one warehouse × product × batch, and why.
    Never updated or deleted (database triggers refuse it); a correction is a new entry."""

    __tablename__ = "stock_entry"
    __table_args__ = (
        Index("ix_stock_entry_wh_product", "warehouse_id", "product_id", "id"),
        Index("ix_stock_entry_product_at", "product_id", "at"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    movement_id: Mapped[int] = mapped_column(BIG_ID, nullable=False, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False)
    batch: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    received_on: Mapped[date | None] = mapped_column(Date)
    on_hand: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)  # change, not level
    reserved: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    in_transit: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    reference: Mapped[str | None] = mapped_column(String(100), index=True)  # order number …
    reason: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(100), nullable=False)


class StockMovement(Model):
    """A movement as requested (one or more ledger lines); ``external_id`` makes a retried
    request from an ERP/WMS apply once."""

    __tablename__ = "stock_movement"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    actor: Mapped[str] = mapped_column(String(100), nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)  # of the request, to spot a changed retry


class StockBalance(Model):
    """Levels per warehouse × product, kept equal to the ledger's sums (``inventory check``)."""

    __tablename__ = "stock_balance"
    __table_args__ = (
        UniqueConstraint("warehouse_id", "product_id"),
        Index("ix_stock_balance_product", "product_id"),
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False)
    on_hand: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    reserved: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    in_transit: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    last_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    warehouse: Mapped[Warehouse] = relationship()
    product: Mapped[Product] = relationship()


class StockBatch(Model):
    """On-hand quantity per batch with its receipt date: stock age is FIFO over these."""

    __tablename__ = "stock_batch"
    __table_args__ = (UniqueConstraint("warehouse_id", "product_id", "batch"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), nullable=False)
    batch: Mapped[str] = mapped_column(String(40), nullable=False)
    received_on: Mapped[date] = mapped_column(Date, nullable=False)
    on_hand: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
