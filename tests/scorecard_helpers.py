"""A world to score: the analytics test world (regions EAST → SH, JS and SOUTH → GD; dealers
D-SH-1 (tier A), D-SH-2, D-JS-1, D-GD-1) with orders of October 2026, September 2026 and October
2025 booked by the analytics update, shipments with promised, shipped, delivered and received
times, price outcomes, a sales target, a licence, and a dealer warehouse with a stock ledger.

``EXPECTED`` holds D-SH-1's October 2026 values worked out by hand from those rows."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from tests.analytics_helpers import CATALOGUE, analytics_app, at, make_order

PERIOD = "2026-10"
_waybills = itertools.count(1)

# D-SH-1, October 2026 (see build_world): sales 391 + 300; last year 500; September 1,000
EXPECTED = {
    "sales_amount": Decimal("691.00"),
    "sales_growth_yoy": Decimal("0.3820"),  # 691 / 500 − 1
    "sales_growth_mom": Decimal("-0.3090"),  # 691 / 1000 − 1
    "target_attainment": Decimal("0.6910"),  # 691 / 1000 (the imported sales target)
    "order_on_time_rate": Decimal("0.5000"),  # one of two orders shipped by its promised day
    "receipt_confirmation_days": Decimal("1.75"),  # 2 days and 1.5 days
    "price_compliance_rate": Decimal("0.5000"),  # one order ok, one with an approved exception
    "stock_age_days": Decimal("122.00"),  # 60 left of a batch received 2026-07-01, on 2026-10-31
    "stock_turnover_days": Decimal("62.00"),  # (100 + 60) / 2 × 31 days / 40 sold
    "qualification_status": Decimal("0.5"),  # the licence ends 2026-11-15: expiring on 2026-10-31
}


def scorecard_app(database_url: str):
    """The analytics world plus D-SH-1's warehouse, orders, shipments, stock and licence; the
    analytics store updated."""
    from app.extensions import db
    from app.jobs.analytics import analytics_update

    application = analytics_app(database_url)
    with application.app_context():
        from app.adapters.demo_inventory import load_inventory

        load_inventory(
            db.session,
            {
                "warehouses": [
                    {
                        "code": "WH-D-SH-1",
                        "name": "上海一号仓",
                        "kind": "dealer",
                        "parent": "WH-EAST",
                        "dealer": "D-SH-1",
                    }
                ]
            },  # fmt: skip
        )
        build_world(db.session)
        db.session.commit()
        analytics_update(application)
    return application


def _ship(session, order, shipped: datetime, delivered: datetime | None, received: datetime | None) -> None:
    from app.models import Shipment

    session.add(
        Shipment(
            number=f"SH-T{next(_waybills):05d}",
            order_id=order.id,
            warehouse_id=order.warehouse_id,
            status="received" if received else "delivered",
            carrier="SF",
            created_by="test",
            waybill=f"WB{next(_waybills):06d}",
            shipped_at=shipped,
            delivered_at=delivered,
            received_at=received,
        )
    )


def build_world(session) -> None:
    from app.models import Dealer, DealerQualification, DealerTarget, Product, StockEntry, Warehouse

    first = make_order(
        session, "D-SH-1", [("W-550", 10, "30.00"), ("T-500", 2, "45.50")], at(2026, 10, 5), "received"
    )
    first.promised_on, first.price_outcome = date(2026, 10, 8), "ok"
    _ship(session, first, at(2026, 10, 7), at(2026, 10, 9), at(2026, 10, 11))
    second = make_order(session, "D-SH-1", [("C-1KG", 5, "60.00")], at(2026, 10, 20), "received")
    second.promised_on, second.price_outcome = date(2026, 10, 22), "approved"
    _ship(session, second, at(2026, 10, 25), at(2026, 10, 26), at(2026, 10, 27, hour=22))
    make_order(session, "D-SH-1", [("W-550", 50, "10.00")], at(2025, 10, 10))
    make_order(session, "D-SH-1", [("W-550", 100, "10.00")], at(2026, 9, 10))
    make_order(session, "D-SH-2", [("T-500", 40, "50.00")], at(2026, 10, 12))
    make_order(session, "D-GD-1", [("W-550", 80, "10.00")], at(2026, 10, 15))
    make_order(session, "D-SH-2", [("W-550", 99, "30.00")], None, status="in_review")
    sh1 = session.scalar(select(Dealer).where(Dealer.code == "D-SH-1"))
    session.add(DealerTarget(dealer_id=sh1.id, period_kind="month", period_start=date(2026, 10, 1),
                             metric="sales_amount", target=Decimal("1000")))  # fmt: skip
    session.add(DealerQualification(dealer_id=sh1.id, kind="business_license", number="L-1",
                                    valid_from=date(2020, 1, 1), valid_to=date(2026, 11, 15)))  # fmt: skip
    warehouse = session.scalar(select(Warehouse).where(Warehouse.code == "WH-D-SH-1"))
    product = session.scalar(select(Product).where(Product.code == "W-550"))
    for n, (kind, qty, when) in enumerate(
        [
            ("receipt", 100, datetime(2026, 7, 1, 2, tzinfo=UTC)),
            ("sell_out", -40, datetime(2026, 10, 10, 2, tzinfo=UTC)),
        ],
        start=1,
    ):
        session.add(StockEntry(movement_id=9000 + n, at=when, kind=kind, warehouse_id=warehouse.id,
                               product_id=product.id, batch="B1", received_on=date(2026, 7, 1), on_hand=qty,
                               actor="test"))  # fmt: skip
    session.flush()


__all__ = ["CATALOGUE", "EXPECTED", "PERIOD", "scorecard_app"]
