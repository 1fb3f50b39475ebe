"""Demo history, part 2: the orders of every past month, drawn in memory (no database).

Each order is confirmed, shipped in one shipment and received, with an invoice per shipment and,
for most, a payment; a few are cancelled after confirmation, a few of the latest month are still
partially shipped. Quantities follow the month's seasonality, promotions and yearly growth.
Prices: the SKU's base price in the policy, less the tier's product-line discount, less the
promotion's discount in a promotion month, rounded half up to cents (docs/demo_data.md).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from app.adapters.demo_history_plan import HistoryParams

CENT = Decimal("0.01")


@dataclass(frozen=True)
class DealerInfo:
    id: int
    code: str
    tier: str
    warehouse_id: int
    warehouse: str
    region_id: int
    terms: int


@dataclass(frozen=True)
class ProductInfo:
    id: int
    code: str
    line: str
    price: Decimal


@dataclass
class Line:
    product: ProductInfo
    qty: int
    unit_price: Decimal
    promotion: bool
    shipped: int = 0
    received: int = 0

    @property
    def amount(self) -> Decimal:
        """Quantity × unit price, in cents."""
        return (self.unit_price * self.qty).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Order:
    seq: int
    dealer: DealerInfo
    created: datetime
    lines: list[Line]
    status: str = "received"
    shipped_at: datetime | None = None
    received_at: datetime | None = None
    paid_on: date | None = None  # None: the invoice is still open
    events: list[tuple[datetime, str, str | None, str]] = field(default_factory=list)

    @property
    def number(self) -> str:
        """Order number like the app's: SO + day + a six-digit sequence."""
        return f"SO{self.created:%Y%m%d}{self.seq:06d}"

    @property
    def amount(self) -> Decimal:
        """Sum of the line amounts."""
        return sum((line.amount for line in self.lines), Decimal("0"))

    @property
    def shipped_value(self) -> Decimal:
        """Shipped quantity × unit price, rounded to cents (the invoice)."""
        return sum(
            ((ln.unit_price * ln.shipped).quantize(CENT, ROUND_HALF_UP) for ln in self.lines), Decimal(0)
        )


def history_months(today: date, count: int) -> list[date]:
    """First days of the ``count`` months ending last month, oldest first."""
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        months.append(first)
    return months[::-1]


def _factor(params: HistoryParams, month: date, line: str, index: int) -> tuple[float, Decimal | None]:
    """Demand factor of ``line`` in ``month`` (seasonality × promotion lift × growth) and the
    promotion's discount, if any."""
    season = params.get("seasonality", {})
    factor = float(season.get("all", {}).get(month.month, 1)) * float(
        season.get(line, {}).get(month.month, 1)
    )
    factor *= (1 + float(params.get("growth_per_year", 0))) ** (index / 12)
    for promo in params.get("promotions", []):
        if promo["month"] == month.month and promo["product_line"] == line:
            return factor * float(promo.get("lift", 1)), Decimal(str(promo["discount_pct"]))
    return factor, None


def unit_price(product: ProductInfo, discount: Decimal, promo: Decimal | None) -> Decimal:
    """Base price less the tier discount and the promotion's, in cents (half up)."""
    price = product.price * (1 - discount / 100)
    if promo is not None:
        price *= 1 - promo / 100
    return price.quantize(CENT, ROUND_HALF_UP)


def draw_orders(
    params: HistoryParams,
    dealers: list[DealerInfo],
    products: list[ProductInfo],
    tier_discounts: dict[tuple[str, str], Decimal],
    today: date,
) -> list[Order]:
    """Every history order, oldest first, numbered from 1 in that order."""
    rng = random.Random(params.seed + 1)  # noqa: S311 (seeded demo data, not secrets)
    months = history_months(today, params.months)
    if params.get("month_to_date", False):
        months.append(today.replace(day=1))  # this month up to three days ago: the home page's figures
    low, high = params.get("lines_per_order", [3, 8])
    rate = float(params.get("orders_per_dealer_month", 1.5))
    weights = params.get("tier_weight", {})
    # orders per dealer-month: binomial with mean `rate`, at least 4 trials (the original draw) and
    # enough that no trial's chance exceeds one half, so any rate is followed (no cap at 4)
    trials = max(4, math.ceil(2 * rate))
    now = datetime(today.year, today.month, today.day, tzinfo=UTC)
    drawn: list[Order] = []
    for index, month in enumerate(months):
        days = ((month + timedelta(days=32)).replace(day=1) - month).days
        for dealer in dealers:
            count = sum(1 for _ in range(trials) if rng.random() < rate / trials)
            for _ in range(count):
                created = datetime(
                    month.year,
                    month.month,
                    rng.randint(1, days),
                    rng.randint(0, 9),
                    rng.randint(0, 59),
                    tzinfo=UTC,
                )
                picked = rng.sample(products, min(len(products), rng.randint(low, high)))
                lines = []
                for product in sorted(picked, key=lambda p: p.code):
                    factor, promo = _factor(params, month, product.line, index)
                    qty = max(1, round(rng.uniform(2, 24) * factor * float(weights.get(dealer.tier, 1))))
                    discount = tier_discounts.get((dealer.tier, product.line), Decimal(0))
                    lines.append(Line(product, qty, unit_price(product, discount, promo), promo is not None))
                if created < now - timedelta(days=3):  # shipped and dated before today
                    drawn.append(Order(0, dealer, created, lines))
    drawn.sort(key=lambda o: (o.created, o.dealer.code))
    for seq, order in enumerate(drawn, start=1):
        order.seq = seq
        _life(
            params,
            rng,
            order,
            now,
            latest_month=order.created >= datetime.combine(months[-1], datetime.min.time(), UTC),
        )
    return drawn


def _life(params: HistoryParams, rng: random.Random, order: Order, now: datetime, latest_month: bool) -> None:
    """Statuses and dates: confirmed → shipped → received (or cancelled / partially shipped)."""
    at = order.created
    confirmed = at + timedelta(hours=rng.randint(1, 6))
    order.events = [
        (at, "created", None, "draft"),
        (at, "submit", "draft", "submitted"),
        (confirmed, "approve", "submitted", "confirmed"),
    ]
    if rng.random() < float(params.get("cancelled_share", 0)):
        order.status = "cancelled"
        order.events.append((confirmed + timedelta(hours=3), "cancel", "confirmed", "cancelled"))
        return
    order.shipped_at = confirmed + timedelta(hours=rng.randint(12, 48))
    partial = latest_month and rng.random() < float(params.get("partially_shipped_share", 0))
    for line in order.lines:
        line.shipped = max(1, line.qty // 2) if partial else line.qty
    if partial:
        order.status = "partially_shipped"
        order.events.append((order.shipped_at, "ship", "confirmed", "partially_shipped"))
        return
    order.events.append((order.shipped_at, "ship_all", "confirmed", "shipped"))
    received = order.shipped_at + timedelta(hours=rng.randint(24, 96))
    if received >= now - timedelta(hours=12):
        order.status = "shipped"
    else:
        order.received_at = received
        for line in order.lines:
            line.received = line.shipped
        order.events.append((received, "receive", "shipped", "received"))
    issued = order.shipped_at.date()
    due = issued + timedelta(days=order.dealer.terms)
    recent = (now.date() - issued).days <= int(params.get("open_invoice_days", 45))
    unpaid = rng.random() < (0.6 if recent else float(params.get("overdue_share", 0)))
    if not unpaid:
        order.paid_on = min(due - timedelta(days=rng.randint(0, max(order.dealer.terms - 1, 0))), now.date())
        order.paid_on = max(order.paid_on, issued)
