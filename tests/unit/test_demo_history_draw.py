"""The demo history's orders drawn in memory: months, prices, seasonality, lifecycle (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from app.adapters.demo_history_orders import DealerInfo, ProductInfo, draw_orders, history_months, unit_price
from app.adapters.demo_history_plan import read_params

PARAMS = read_params(Path(__file__).parents[2] / "seed_templates" / "fmcg" / "demo_history.yaml", "small", 3)
TODAY = date(2026, 11, 27)
DEALERS = [DealerInfo(i, f"D-{i:03d}", "ABBK"[i % 4], 1, "WH-EAST", 1, 30) for i in range(1, 61)]
PRODUCTS = [
    ProductInfo(i, f"{line}-{i:03d}", line, Decimal("40.00"))
    for i, line in enumerate(["BEV"] * 6 + ["HPC"] * 6, 1)
]


def _draw():
    return draw_orders(PARAMS, DEALERS, PRODUCTS, {("A", "BEV"): Decimal("5")}, TODAY)


def test_history_months_end_last_month():
    months = history_months(TODAY, 12)
    assert months[0] == date(2025, 11, 1) and months[-1] == date(2026, 10, 1) and len(months) == 12


def test_unit_price_takes_the_tier_discount_then_the_promotion_half_up():
    product = ProductInfo(1, "X", "BEV", Decimal("36.00"))
    assert unit_price(product, Decimal("5"), None) == Decimal("34.20")
    assert unit_price(product, Decimal("5"), Decimal("5")) == Decimal("32.49")
    assert unit_price(ProductInfo(2, "Y", "BEV", Decimal("0.05")), Decimal("0"), Decimal("10")) == Decimal(
        "0.05"
    )


def test_same_seed_same_orders():
    first, second = _draw(), _draw()
    assert [(o.number, o.status, o.amount) for o in first] == [(o.number, o.status, o.amount) for o in second]


def test_orders_stop_three_days_before_today_and_ship_before_it():
    orders = _draw()
    assert max(o.created for o in orders).date() < date(2026, 11, 24)
    assert all(o.shipped_at is None or o.shipped_at.date() < TODAY for o in orders)
    assert all(o.received_at is None or o.received_at > o.shipped_at for o in orders)


def test_summer_drinks_outsell_spring_drinks():
    qty: dict[int, int] = {}
    for order in _draw():
        for line in order.lines:
            if line.product.line == "BEV":
                qty[order.created.month] = qty.get(order.created.month, 0) + line.qty
    assert qty[7] > 1.3 * qty[3]


def test_shipped_never_exceeds_ordered_and_cancelled_ship_nothing():
    orders = _draw()
    assert all(line.shipped <= line.qty for o in orders for line in o.lines)
    cancelled = [o for o in orders if o.status == "cancelled"]
    assert all(o.shipped_at is None and o.paid_on is None for o in cancelled)
    assert all(o.shipped_value <= o.amount for o in orders)
