"""Metric values of dealer scorecards (docs/scorecards.md, "Where the values come from"): every
metric of the library for a batch of dealers and one period, a few queries per metric (never one
per dealer). A metric without data for a dealer is left out (``None``): the domain scores it.

Sales, growth and attainment read the analytics store (``analytics_dealer_month``) and the dealer
targets; the operational metrics are in ``kpi_operations.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters import kpi_operations as ops
from app.domain.kpi_metrics import METRICS
from app.domain.scorecards import Period
from app.models import DealerMonth, DealerTarget

RATIO = Decimal("0.0001")
Values = dict[int, dict[str, Decimal | None]]


@dataclass(frozen=True)
class Context:
    """What the computation needs besides the database: today, the business time zone and the
    days before expiry a licence counts as expiring."""

    today: date
    zone: ZoneInfo
    warn_days: int


def months_of(period: Period) -> list[int]:
    """The store's month keys (``202611``) of a period."""
    first = (period.index - 1) * period.months + 1
    return [period.year * 100 + m for m in range(first, first + period.months)]


def sales_by_period(session: Session, dealer_ids: list[int], periods: Iterable[Period]) -> dict:
    """{period: {dealer id: Decimal amount}} of confirmed sales (one query over every month needed)."""
    periods = list(dict.fromkeys(periods))
    month_to = {m: p for p in periods for m in months_of(p)}
    out: dict[Period, dict[int, Decimal]] = {p: {} for p in periods}
    if not dealer_ids or not month_to:
        return out
    rows = session.execute(
        select(DealerMonth.dealer_id, DealerMonth.month, func.sum(DealerMonth.cents))
        .where(DealerMonth.dealer_id.in_(dealer_ids), DealerMonth.month.in_(sorted(month_to)))
        .group_by(DealerMonth.dealer_id, DealerMonth.month)
    )
    for dealer_id, month, cents in rows:
        bucket = out[month_to[month]]
        bucket[dealer_id] = bucket.get(dealer_id, Decimal(0)) + Decimal(int(cents or 0)) / 100
    return out


def dealer_targets(session: Session, dealer_ids: list[int], period: Period) -> dict[int, dict[str, Decimal]]:
    """{dealer id: {metric: target}} of the period."""
    out: dict[int, dict[str, Decimal]] = {}
    if not dealer_ids:
        return out
    rows = session.execute(
        select(DealerTarget.dealer_id, DealerTarget.metric, DealerTarget.target).where(
            DealerTarget.dealer_id.in_(dealer_ids),
            DealerTarget.period_kind == period.kind,
            DealerTarget.period_start == period.start,
        )
    )
    for dealer_id, metric, target in rows:
        out.setdefault(dealer_id, {})[metric] = Decimal(target)
    return out


def growth(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """now / before − 1 to 0.0001; none without sales before."""
    if before is None or before <= 0:
        return None
    return ((now or Decimal(0)) / before - 1).quantize(RATIO, ROUND_HALF_UP)


def metric_values(
    session: Session, dealer_ids: list[int], period: Period, metrics: Iterable[str], ctx: Context
) -> Values:
    """{dealer id: {metric: value or None}} for ``metrics`` (keys of the library) in ``period``."""
    wanted = set(metrics)
    unknown = wanted - set(METRICS)
    if unknown:
        raise KeyError(f"unknown metrics: {', '.join(sorted(unknown))}")
    values: Values = {d: dict.fromkeys(sorted(wanted)) for d in dealer_ids}
    sales = sales_by_period(session, dealer_ids, [period, period.previous(), period.same_last_year()])
    targets = dealer_targets(session, dealer_ids, period) if "target_attainment" in wanted else {}
    for d in dealer_ids:
        now = sales[period].get(d)
        row = values[d]
        if "sales_amount" in wanted:
            row["sales_amount"] = (now or Decimal(0)).quantize(Decimal("0.01"))
        if "sales_growth_yoy" in wanted:
            row["sales_growth_yoy"] = growth(now, sales[period.same_last_year()].get(d))
        if "sales_growth_mom" in wanted:
            row["sales_growth_mom"] = growth(now, sales[period.previous()].get(d))
        if "target_attainment" in wanted:
            target = targets.get(d, {}).get("sales_amount")
            row["target_attainment"] = (
                ((now or Decimal(0)) / target).quantize(RATIO, ROUND_HALF_UP) if target else None
            )
    for key, compute in ops.OPERATIONAL.items():
        if key in wanted:
            for d, value in compute(session, dealer_ids, period, ctx).items():
                values[d][key] = value
    return values
