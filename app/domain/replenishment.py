"""Replenishment arithmetic: how much to suggest for a warehouse × product, rule checks, targets
from past demand, and the seasonal adjustment hook (the forecast issue registers its own).

Position = available (on hand − reserved) + in transit. Below the minimum, the suggestion brings
the position up to the maximum, rounded up to the order multiple. The seasonal factor of a
product × warehouse × month scales both minimum and maximum (rounded up to whole units).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from app.domain.errors import ValidationFailed

SeasonalFactor = Callable[[int, int, int], Decimal]
MAX_RULE_QTY = 10**9


def no_season(product_id: int, warehouse_id: int, month: int) -> Decimal:
    """The default: no seasonal adjustment."""
    return Decimal(1)


_hook: list[SeasonalFactor] = [no_season]


def register_seasonal_factor(factor: SeasonalFactor | None) -> None:
    """Replace the seasonal factor (None restores the default of 1)."""
    _hook[0] = factor or no_season


def seasonal_factor(product_id: int, warehouse_id: int, month: int) -> Decimal:
    """Factor applied to min and max of a product at a warehouse in a month (1-12)."""
    return Decimal(_hook[0](product_id, warehouse_id, month))


def seasonal_is_default() -> bool:
    """True while no seasonal factor is registered (the evaluation can stay in SQL)."""
    return _hook[0] is no_season


def scaled(qty: int, factor: Decimal) -> int:
    """``qty`` times ``factor``, rounded up to a whole unit."""
    if factor == 1:
        return qty
    return int((Decimal(qty) * factor).to_integral_value(rounding=ROUND_CEILING))


def order_qty(position: int, min_qty: int, max_qty: int, multiple: int, factor: Decimal = Decimal(1)) -> int:
    """Quantity to suggest (0 = none): below min → up to max, in whole multiples."""
    low, high = scaled(min_qty, factor), scaled(max_qty, factor)
    if position >= low or high <= position:
        return 0
    step = max(1, multiple)
    return math.ceil((high - position) / step) * step


def min_from_demand(safety_stock: int, outbound: int, days: int, lead_time_days: int) -> int:
    """Safety stock plus the demand expected during the lead time (average daily outbound)."""
    if days <= 0:
        return safety_stock
    return safety_stock + math.ceil(Decimal(outbound) * lead_time_days / days)


@dataclass(frozen=True)
class RuleFields:
    safety_stock: int = 0
    min_qty: int = 0
    max_qty: int = 0
    order_multiple: int = 1
    review_cycle_days: int = 1
    lead_time_days: int = 0


def check_rule(rule: RuleFields) -> None:
    """Refuse impossible targets; ValidationFailed names each field."""
    errors: dict[str, str] = {}
    for name in ("safety_stock", "min_qty", "max_qty", "lead_time_days"):
        value = getattr(rule, name)
        if value is None or not 0 <= value <= MAX_RULE_QTY:
            errors[name] = "a whole number, 0 or more"
    for name in ("order_multiple", "review_cycle_days"):
        value = getattr(rule, name)
        if value is None or not 1 <= value <= MAX_RULE_QTY:
            errors[name] = "a whole number, 1 or more"
    if not errors and rule.max_qty < rule.min_qty:
        errors["max_qty"] = "must not be below the minimum"
    if not errors and rule.min_qty < rule.safety_stock:
        errors["min_qty"] = "must not be below the safety stock"
    if errors:
        raise ValidationFailed(
            "invalid stock rule: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
