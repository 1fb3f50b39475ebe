"""What-if simulation of a price change or a promotion (docs/forecast.md): volume, revenue and
margin per month with and without the change, the volume responding to price with a constant
elasticity ε:

    volume' = volume × (price' / price) ** ε        revenue = price × volume
    margin  = revenue − unit cost × volume

A price change of c % sets price' = price × (1 + c/100) in every month; a promotion cuts the price
by its percentage in the months it names only. Volumes are rounded to 2 places, money to cents,
each month; totals add the rounded months so a table of months sums to its total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.domain.errors import ValidationFailed

CENT, HUNDREDTH = Decimal("0.01"), Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PriceChange:
    """A lasting price change of ``pct`` percent (−10 = ten percent cheaper)."""

    pct: Decimal


@dataclass(frozen=True)
class Promotion:
    """A price cut of ``cut_pct`` percent in the given months (any day of each month)."""

    cut_pct: Decimal
    months: frozenset[date]


@dataclass(frozen=True)
class Outcome:
    """Volume, revenue and margin of one month or of the total."""

    volume: Decimal
    revenue: Decimal
    margin: Decimal

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(self.volume + other.volume, self.revenue + other.revenue, self.margin + other.margin)


ZERO = Outcome(Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


@dataclass(frozen=True)
class MonthResult:
    month: date
    price: Decimal
    new_price: Decimal
    without: Outcome
    with_change: Outcome


@dataclass(frozen=True)
class WhatIf:
    """Months in order, the totals without and with the change, and the differences."""

    elasticity: Decimal
    months: tuple[MonthResult, ...]
    without: Outcome
    with_change: Outcome

    @property
    def difference(self) -> Outcome:
        """With minus without, for volume, revenue and margin."""
        return Outcome(
            self.with_change.volume - self.without.volume,
            self.with_change.revenue - self.without.revenue,
            self.with_change.margin - self.without.margin,
        )

    @property
    def volume_change_pct(self) -> Decimal | None:
        """Volume change in percent (2 places); None when there was no volume."""
        if not self.without.volume:
            return None
        return (self.difference.volume / self.without.volume * HUNDRED).quantize(HUNDREDTH, ROUND_HALF_UP)


def outcome(volume: Decimal, price: Decimal, unit_cost: Decimal) -> Outcome:
    """Volume (2 places), revenue and margin (cents) of selling ``volume`` at ``price``."""
    volume = volume.quantize(HUNDREDTH, ROUND_HALF_UP)
    revenue = (price * volume).quantize(CENT, ROUND_HALF_UP)
    return Outcome(volume, revenue, revenue - (unit_cost * volume).quantize(CENT, ROUND_HALF_UP))


def respond(volume: Decimal, price: Decimal, new_price: Decimal, elasticity: Decimal) -> Decimal:
    """The volume at ``new_price`` under a constant elasticity (unrounded)."""
    if new_price == price or volume == 0:
        return volume
    return volume * (new_price / price) ** elasticity


def _check(
    base: Mapping[date, Decimal],
    price: Decimal,
    unit_cost: Decimal,
    elasticity: Decimal,
    change: PriceChange | Promotion,
) -> None:
    errors: dict[str, str] = {}
    if not base:
        errors["base"] = "at least one month of base volume"
    elif any(not v.is_finite() or v < 0 for v in base.values()):
        errors["base"] = "volumes of 0 or more"
    if not price.is_finite() or price <= 0:
        errors["price"] = "a price above 0"
    if not unit_cost.is_finite() or unit_cost < 0:
        errors["unit_cost"] = "a cost of 0 or more"
    if not elasticity.is_finite() or abs(elasticity) > 20:
        errors["elasticity"] = "a number between -20 and 20"
    if isinstance(change, PriceChange) and (not change.pct.is_finite() or not -100 < change.pct <= 1000):
        errors["pct"] = "a change above -100 % and at most +1000 %"
    if isinstance(change, Promotion):
        if not change.cut_pct.is_finite() or not 0 < change.cut_pct < 100:
            errors["cut_pct"] = "a cut above 0 % and below 100 %"
        elif not {m.replace(day=1) for m in change.months} & {m.replace(day=1) for m in base}:
            errors["months"] = "at least one month of the base"
    if errors:
        raise ValidationFailed(
            "invalid what-if: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )


def simulate(
    base: Mapping[date, Decimal],
    price: Decimal,
    unit_cost: Decimal,
    elasticity: Decimal | float,
    change: PriceChange | Promotion,
) -> WhatIf:
    """Project each month of ``base`` (month → volume without the change, e.g. a forecast) at
    ``price`` and at the changed price; ValidationFailed names each field that is out of range."""
    try:
        e = elasticity if isinstance(elasticity, Decimal) else Decimal(str(elasticity))
    except InvalidOperation:
        e = Decimal("NaN")
    _check(base, price, unit_cost, e, change)
    months: list[MonthResult] = []
    for month in sorted(base):
        volume = base[month]
        new_price = _new_price(price, change, month)
        if new_price <= 0:
            raise ValidationFailed("invalid what-if: the change leaves no price", {"pct": "leaves no price"})
        months.append(
            MonthResult(
                month,
                price,
                new_price,
                outcome(volume, price, unit_cost),
                outcome(respond(volume, price, new_price, e), new_price, unit_cost),
            )
        )
    without = sum((m.without for m in months), ZERO)
    with_change = sum((m.with_change for m in months), ZERO)
    return WhatIf(e, tuple(months), without, with_change)


def _new_price(price: Decimal, change: PriceChange | Promotion, month: date) -> Decimal:
    if isinstance(change, PriceChange):
        return (price * (1 + change.pct / HUNDRED)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    if month.replace(day=1) in {m.replace(day=1) for m in change.months}:
        return (price * (1 - change.cut_pct / HUNDRED)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return price
