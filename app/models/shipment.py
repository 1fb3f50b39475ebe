"""Shipments and logistics (C17): one or more shipments per order (split by warehouse or batch)
with carrier, service and waybill (运单), parcels and cost; tracking events pushed by carriers or
the WMS; the dealer's receipt (签收) with quantities, and claims for what did not arrive."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_appbuilder import Model
from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Audited, Timestamps, UTCDateTime, utcnow
from app.models.inventory import BIG_ID, Warehouse
from app.models.order import OrderLine, SalesOrder

SHIPMENT_STATUSES = ("shipped", "in_transit", "delivered", "received", "cancelled")


class Shipment(Audited, Timestamps, Model):
    __tablename__ = "shipment"
    __table_args__ = (UniqueConstraint("carrier", "waybill", name="uq_shipment_waybill"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), nullable=False, index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="shipped", index=True)
    carrier: Mapped[str] = mapped_column(String(40), nullable=False)
    service: Mapped[str | None] = mapped_column(String(40))
    waybill: Mapped[str] = mapped_column(String(60), nullable=False)
    parcels: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(12, 3))
    volume_m3: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    cost: Mapped[Decimal] = mapped_column(Numeric(14, 2), nullable=False, default=Decimal("0"))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_by: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(100), nullable=False)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    order: Mapped[SalesOrder] = relationship(backref="shipments")
    warehouse: Mapped[Warehouse] = relationship()
    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="ShipmentLine.id"
    )
    events: Mapped[list[ShipmentEvent]] = relationship(
        back_populates="shipment", cascade="all, delete-orphan", order_by="ShipmentEvent.at"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    def __repr__(self) -> str:
        return self.number


class ShipmentLine(Audited, Model):
    __tablename__ = "shipment_line"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipment.id", ondelete="CASCADE"), nullable=False, index=True
    )
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), nullable=False, index=True)
    qty: Mapped[int] = mapped_column(BIG_ID, nullable=False)
    received_qty: Mapped[int | None] = mapped_column(BIG_ID)

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()


class ShipmentEvent(Model):
    """A tracking event (picked up, in transit, out for delivery, delivered, exception …);
    ``external_id`` makes a re-sent event count once."""

    __tablename__ = "shipment_event"
    __table_args__ = (Index("ix_shipment_event_shipment", "shipment_id", "at"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id", ondelete="CASCADE"), nullable=False)
    external_id: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    code: Mapped[str] = mapped_column(String(30), nullable=False)
    location: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(60), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    shipment: Mapped[Shipment] = relationship(back_populates="events")


class Claim(Audited, Timestamps, Model):
    """A receipt discrepancy (short, damaged, wrong goods) raised when the dealer confirms a
    shipment with less than was sent."""

    __tablename__ = "claim"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipment.id"), nullable=False, index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    lines: Mapped[list] = mapped_column(JSON, nullable=False)  # [{sku, shipped, received, missing}]
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100), nullable=False)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    shipment: Mapped[Shipment] = relationship()
    order: Mapped[SalesOrder] = relationship()
