"""The sales analytics store (docs/analytics.md): what was sold, booked from confirmed orders.

``analytics_sale_line`` holds one row per booked order line (an order × SKU): the detail every
figure can be computed from, and the record of what was booked, so a later change or a
cancellation reverses exactly that. Three rollups of it serve the pages quickly:
``analytics_order_day`` (day × dealer, orders counted once), ``analytics_dealer_month``
(month × dealer) and ``analytics_product_month`` (month × SKU, orders containing the SKU).
Money is in integer cents (exact sums on every database). Region, tier, product line and
category are read from the dealer and the product when queried (today's classification).
"""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy import Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import UTCDateTime
from app.models.inventory import BIG_ID

COVER = ("dealer_id", "day", "product_id", "order_id", "qty", "cents")


class SaleLine(Model):
    """One booked order line: the order's confirmation day (in ``DMS_TIMEZONE``) with its ISO
    week (``202648``) and month (``202611``), dealer, serving warehouse, SKU, quantity, cents."""

    __tablename__ = "analytics_sale_line"
    __table_args__ = (
        Index("ix_analytics_sale_line_day", "day"),
        # covers a scoped reader (dealers × period) without touching the table: SKU contribution
        # of a regional manager, a dealer's orders; also the index for dealer × day lookups
        Index("ix_analytics_sale_line_dealer_cover", *COVER),
        Index("ix_analytics_sale_line_product_day", "product_id", "day"),
    )

    order_id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)  # sales_order.id
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # product.id
    day: Mapped[date] = mapped_column(Date, nullable=False)
    week: Mapped[int] = mapped_column(Integer, nullable=False)
    month: Mapped[int] = mapped_column(Integer, nullable=False)
    dealer_id: Mapped[int] = mapped_column(Integer, nullable=False)  # dealer.id
    warehouse_id: Mapped[int | None] = mapped_column(Integer)  # warehouse.id
    qty: Mapped[int] = mapped_column(BIG_ID, nullable=False)
    cents: Mapped[int] = mapped_column(BIG_ID, nullable=False)


class OrderDay(Model):
    """Sales per day × dealer; ``orders`` counts each order once."""

    __tablename__ = "analytics_order_day"
    __table_args__ = (Index("ix_analytics_order_day_dealer", "dealer_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dealer_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # dealer.id
    week: Mapped[int] = mapped_column(Integer, nullable=False)
    month: Mapped[int] = mapped_column(Integer, nullable=False)
    qty: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    cents: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    orders: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)


class DealerMonth(Model):
    """Sales per month × dealer; ``orders`` counts each order once."""

    __tablename__ = "analytics_dealer_month"
    __table_args__ = (Index("ix_analytics_dealer_month_dealer", "dealer_id", "month"),)

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    dealer_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # dealer.id
    qty: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    cents: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    orders: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)


class ProductMonth(Model):
    """Sales per month × SKU over all dealers; ``orders`` = orders containing the SKU."""

    __tablename__ = "analytics_product_month"
    __table_args__ = (Index("ix_analytics_product_month_product", "product_id", "month"),)

    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # product.id
    qty: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    cents: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    orders: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)


class AnalyticsWatermark(Model):
    """How far the store has read the order timeline (``order_event.id``), and when it last ran;
    the row is also the lock that keeps two updates from booking at once. ``unseen``: the event
    ids below the mark (at most ``PG_LOOKBACK`` back) that were not visible at the last update —
    on PostgreSQL an id can become visible after a higher one — as a JSON list; NULL after a
    rebuild or before the first update (then the whole look-back window is read again)."""

    __tablename__ = "analytics_watermark"

    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BIG_ID, nullable=False, default=0)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rebuilt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unseen: Mapped[str | None] = mapped_column(Text)
