"""The metric library of dealer scorecards: every metric a KPI set may score or a suggestion may test.

Only definitions live here (key, zh/en name, unit, which direction is better, what it means); the
values of a dealer × period come from the database (the analytics store) and reach
``app/domain/scorecards.py`` as a mapping ``metric key → Decimal | None``.

Units: ``CNY`` an amount; ``ratio`` a fraction (0.95 = 95 %, growth 0.12 = +12 %, −0.05 = −5 %);
``days`` a duration in days; ``status`` the value of a licence state (see ``QUALIFICATION_VALUES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

HIGHER, LOWER = "higher", "lower"
DIRECTIONS = (HIGHER, LOWER)
UNITS = ("CNY", "ratio", "days", "status")


@dataclass(frozen=True)
class Metric:
    """One measurable figure of a dealer in a period."""

    key: str
    name_zh: str
    name_en: str
    unit: str
    better: str  # HIGHER or LOWER: the usual direction; a KPI states its own
    meaning: str


METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            "sales_amount",
            "销售额",
            "Sales amount",
            "CNY",
            HIGHER,
            "Net amount of the dealer's confirmed orders in the period (after discounts, before tax).",
        ),
        Metric(
            "sales_growth_yoy",
            "销售额同比增长",
            "Sales growth YoY",
            "ratio",
            HIGHER,
            "Sales amount of the period / the same period last year − 1; no value without last year's sales.",
        ),
        Metric(
            "sales_growth_mom",
            "销售额环比增长",
            "Sales growth MoM",
            "ratio",
            HIGHER,
            "Sales amount of the period / the previous period − 1; no value without previous sales.",
        ),
        Metric(
            "target_attainment",
            "目标达成率",
            "Target attainment",
            "ratio",
            HIGHER,
            "Sales amount / the dealer's sales target for the period; no value without a target.",
        ),
        Metric(
            "order_on_time_rate",
            "订单及时率",
            "Order timeliness",
            "ratio",
            HIGHER,
            "Share of the period's orders delivered by their promised date.",
        ),
        Metric(
            "stock_turnover_days",
            "库存周转天数",
            "Stock turnover days",
            "days",
            LOWER,
            "Average stock at the dealer / average daily sell-out in the period.",
        ),
        Metric(
            "price_compliance_rate",
            "价格政策执行率",
            "Price-policy compliance",
            "ratio",
            HIGHER,
            "Share of the period's order lines without a price deviation from the policy in force.",
        ),
        Metric(
            "receipt_confirmation_days",
            "收货确认时效",
            "Receipt-confirmation speed",
            "days",
            LOWER,
            "Average days from a shipment's delivery to the dealer's receipt confirmation.",
        ),
        Metric(
            "credit_utilisation",
            "信用额度使用率",
            "Credit utilisation",
            "ratio",
            LOWER,
            "Credit exposure (open receivables + unshipped orders) / credit limit at the period's end.",
        ),
        Metric(
            "stock_age_days",
            "库存账龄",
            "Stock age",
            "days",
            LOWER,
            "Quantity-weighted average age of the dealer's stock at the period's end.",
        ),
        Metric(
            "qualification_status",
            "资质状态",
            "Qualification status",
            "status",
            HIGHER,
            "Worst state of the dealer's required licences at the period's end: valid 1, expiring 0.5, "
            "expired or missing 0.",
        ),
    )
}

QUALIFICATION_VALUES: dict[str, Decimal] = {
    "valid": Decimal(1),
    "expiring": Decimal("0.5"),
    "expired": Decimal(0),
    "missing": Decimal(0),
}


def metric(key: str) -> Metric:
    """The metric of ``key``; ``KeyError`` naming the valid keys when it is unknown."""
    try:
        return METRICS[key]
    except KeyError:
        raise KeyError(f"unknown metric {key!r} (known: {', '.join(METRICS)})") from None


def qualification_value(states: list[str]) -> Decimal:
    """Value of ``qualification_status`` from the states of a dealer's required licences (the worst
    counts; no licence at all is ``missing``). States are those of ``dealers.qualification_state``."""
    if not states:
        return QUALIFICATION_VALUES["missing"]
    return min(QUALIFICATION_VALUES[state] for state in states)
