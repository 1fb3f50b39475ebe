"""Product contribution, free of the database: ABC classes along the Pareto curve, growth × share
quadrants against the previous period, and the previous period itself. Unit-tested alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from app.adapters.analytics_terms import add_months

A_SHARE, B_SHARE = Decimal("0.80"), Decimal("0.95")  # cumulative share closing classes A and B


def previous_period(start: date, end: date, whole_months: bool) -> tuple[date, date]:
    """The period of the same length just before: as many whole months, or as many days."""
    if whole_months:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return add_months(start, -months), start - timedelta(days=1)
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def abc(rows: Iterable[Mapping[str, Any]], measure: str = "amount") -> list[dict[str, Any]]:
    """Rows sorted by ``measure`` (largest first) with ``share``, ``cumulative`` share (0–1, four
    decimals) and ``abc`` class: A while the cumulative share before the row is under 80 %, B under
    95 %, C after — so the first row is always A and a row crossing 80 % is still A."""
    ordered = sorted(rows, key=lambda r: (-(r.get(measure) or 0), str(r.get("sku") or "")))
    total = sum((Decimal(r.get(measure) or 0) for r in ordered), Decimal(0))
    out, running = [], Decimal(0)
    for row in ordered:
        value = Decimal(row.get(measure) or 0)
        before = running / total if total else Decimal(0)
        running += value
        klass = "A" if before < A_SHARE else "B" if before < B_SHARE else "C"
        out.append(
            {
                **row,
                "share": (value / total).quantize(Decimal("0.0001")) if total else Decimal(0),
                "cumulative": (running / total).quantize(Decimal("0.0001")) if total else Decimal(0),
                "abc": klass,
            }
        )
    return out


def quadrants(
    current: Iterable[Mapping[str, Any]],
    previous: Iterable[Mapping[str, Any]],
    key: str,
    measure: str = "amount",
) -> list[dict[str, Any]]:
    """Growth × share: each item's share of the current total and its growth over the previous
    period (None when it sold nothing then: new). Quadrants split at the mean share and 0 growth:
    ``star`` (high share, growing), ``cash_cow`` (high share, shrinking), ``question`` (low share,
    growing or new), ``dog`` (low share, shrinking)."""
    current = list(current)
    before = {r[key]: Decimal(r.get(measure) or 0) for r in previous}
    total = sum((Decimal(r.get(measure) or 0) for r in current), Decimal(0))
    if not current or not total:
        return []
    mean_share = 1 / Decimal(len(current))
    out = []
    for row in current:
        value = Decimal(row.get(measure) or 0)
        share = value / total
        prior = before.get(row[key], Decimal(0))
        growth = (value - prior) / prior if prior else None
        high = share >= mean_share
        rising = growth is None or growth >= 0
        quadrant = ("star" if rising else "cash_cow") if high else ("question" if rising else "dog")
        out.append(
            {
                **row,
                "share": share.quantize(Decimal("0.0001")),
                "growth": growth.quantize(Decimal("0.0001")) if growth is not None else None,
                "previous": prior,
                "quadrant": quadrant,
            }
        )
    return out
