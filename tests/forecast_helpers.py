"""A world to forecast: the analytics test world (regions EAST → SH, JS and SOUTH → GD) with 30
months of confirmed orders (May 2024 – October 2026), booked into the analytics store by its own
update job, and standard costs for the what-if margins.

- W-550: D-SH-1 (EAST) and D-GD-1 (SOUTH) every month, a summer peak, always at 30.00;
- T-500: D-SH-2 and D-JS-1 (EAST) every month at prices from 40 to 50, volume ∝ price^-1.5;
- C-1KG: D-SH-1 in September and October 2026 only (2 months: not enough history);
- T-500 never sold in SOUTH.

The forecast runs "today" = 15 November 2026, so the history ends with October 2026.
"""

from __future__ import annotations

import math
import random
from datetime import date
from decimal import Decimal

from tests.analytics_helpers import analytics_app, at, make_order

TODAY = date(2026, 11, 15)
MONTHS = [(2024 + (4 + i) // 12, (4 + i) % 12 + 1) for i in range(30)]  # 2024-05 … 2026-10
T500_PRICES = ("40.00", "45.00", "50.00", "42.00", "48.00")
COSTS = {"W-550": "18.00", "T-500": "30.00", "C-1KG": "35.00"}
TRUE_ELASTICITY = -1.5


def w550_qty(year: int, month: int, dealer: str, rng: random.Random) -> int:
    season = 1 + 0.5 * math.sin((month - 4) / 12 * 2 * math.pi)  # peak in July
    base = 100 if dealer == "D-SH-1" else 60
    return max(1, round(base * season * (1 + 0.02 * (year - 2024)) * rng.uniform(0.95, 1.05)))


def t500_line(i: int, dealer: str, rng: random.Random) -> tuple[int, str]:
    price = T500_PRICES[(i + (dealer == "D-JS-1")) % len(T500_PRICES)]
    base = 80 if dealer == "D-SH-2" else 50
    return max(1, round(base * (float(price) / 45) ** TRUE_ELASTICITY * rng.uniform(0.97, 1.03))), price


def plan() -> list[tuple[str, list[tuple[str, int, str]], int, int]]:
    """(dealer, lines [(sku, qty, price)], year, month) of every order, deterministic."""
    rng = random.Random(9)
    orders = []
    for i, (year, month) in enumerate(MONTHS):
        for dealer in ("D-SH-1", "D-GD-1"):
            lines = [("W-550", w550_qty(year, month, dealer, rng), "30.00")]
            if dealer == "D-SH-1" and (year, month) in ((2026, 9), (2026, 10)):
                lines.append(("C-1KG", 5, "60.00"))
            orders.append((dealer, lines, year, month))
        for dealer in ("D-SH-2", "D-JS-1"):
            qty, price = t500_line(i, dealer, rng)
            orders.append((dealer, [("T-500", qty, price)], year, month))
    return orders


def forecast_app(database_url: str, run: bool = True):
    """The analytics world with the orders booked, costs set and (``run``) one forecast run."""
    from sqlalchemy import select

    from app.extensions import db
    from app.jobs.analytics import analytics_update
    from app.models import Product

    application = analytics_app(database_url)
    with application.app_context():
        s = db.session
        for product in s.scalars(select(Product)):
            product.standard_cost = Decimal(COSTS[product.code])
        for dealer, lines, year, month in plan():
            make_order(s, dealer, lines, at(year, month, 10))
        s.commit()
        analytics_update(application)
        if run:
            from app.jobs.forecast import forecast_run

            forecast_run(application, TODAY, "test", workers=1)
    return application


def history(sku: str, dealers: tuple[str, ...]) -> dict[str, list[int]]:
    """month → [qty, cents] of the plan for a SKU and dealers (independent of the store)."""
    out: dict[str, list[int]] = {}
    for dealer, lines, year, month in plan():
        if dealer not in dealers:
            continue
        for code, qty, price in lines:
            if code == sku:
                acc = out.setdefault(f"{year}-{month:02d}", [0, 0])
                acc[0] += qty
                acc[1] += int(Decimal(price) * 100) * qty
    return out
