"""Price monitoring (价格监控): how far a price departs from policy, how deep its review goes,
why a reviewer decided, and the diversion (窜货) signals. Plain values in, plain values out.

Deviation is signed: ``(unit price − policy price) / policy price × 100``, so a price below
policy has a negative deviation. The tolerance and review depth come from the decision table
``rules/price_tolerance.dmn``; this module only orders its levels and does the arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

# Review levels of the decision table, shallow to deep (countersign is the deepest).
LEVELS = ("none", "regional_manager", "sales_director", "executive", "countersign")
# Why a reviewer approved (or a requester asked for) a price below policy.
REASON_CODES = ("COMPETITOR", "VOLUME", "CLEARANCE", "KEY_ACCOUNT", "OTHER")
STATUSES = ("pending", "approved", "rejected")
PCT = Decimal("0.01")
MONEY = Decimal("0.0001")


def deviation_pct(unit_price: Decimal, policy_price: Decimal) -> Decimal:
    """Signed deviation in percent, two decimals (``-12.50`` = 12.5 % below policy).

    A policy price of zero: 0 when the price is zero too, else +100 (never a division by zero)."""
    if policy_price == 0:
        return Decimal("0.00") if unit_price == 0 else Decimal("100.00")
    return ((unit_price - policy_price) / policy_price * 100).quantize(PCT, rounding=ROUND_HALF_UP)


def deviation_amount(unit_price: Decimal, policy_price: Decimal, qty: Decimal | int) -> Decimal:
    """Money given away below policy on a line (positive when below policy, else 0)."""
    below = policy_price - unit_price
    return (below * Decimal(qty)).quantize(MONEY) if below > 0 else Decimal("0.0000")


def level_of(review_level: str, countersign: bool) -> str:
    """One of ``LEVELS`` from the table's outputs (``executive`` + countersign → ``countersign``)."""
    if countersign:
        return "countersign"
    if review_level not in LEVELS:
        raise ValueError(f"unknown review level {review_level!r}")
    return review_level


def deepest(levels: Iterable[str]) -> str:
    """The deepest of some levels (``none`` for no levels)."""
    return max(levels, key=LEVELS.index, default="none")


def check_reason(code: str) -> str:
    """A known reason code, upper-cased; ``ValueError`` otherwise."""
    value = str(code or "").strip().upper()
    if value not in REASON_CODES:
        raise ValueError(f"unknown reason code {code!r} (one of {', '.join(REASON_CODES)})")
    return value


@dataclass(frozen=True)
class Authorization:
    """A dealer may sell a product line into a region (by path) from ``valid_from`` to ``valid_to``."""

    product_line: str
    region_path: str
    valid_from: date
    valid_to: date | None = None

    def covers(self, product_line: str | None, region_path: str, on: date) -> bool:
        """Does it cover this line shipped to this region (or a sub-region) on this day? A product
        without a product line (``None``) is covered by any authorisation of the region."""
        if product_line is not None and self.product_line != product_line:
            return False
        if not region_path.startswith(self.region_path):
            return False
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True)
class DiversionFlag:
    """One diversion signal: ``kind`` ``region`` (outside its authorisations) or ``volume``
    (far above its usual quantity at a promotion price); the line's SKU and a sentence."""

    kind: str
    sku: str
    message: str


def region_flags(
    lines: Sequence[tuple[str, str | None]],
    ship_to_path: str,
    authorizations: Sequence[Authorization],
    on: date,
) -> list[DiversionFlag]:
    """Lines (SKU, product line) shipped to a region no authorisation of the dealer covers."""
    flags = []
    for sku, line in lines:
        if not any(a.covers(line, ship_to_path, on) for a in authorizations):
            message = f"{sku}: product line {line or '-'} is not authorised for the ship-to region"
            flags.append(DiversionFlag("region", sku, message))
    return flags


def volume_flag(
    sku: str, qty: Decimal, history: Sequence[Decimal], promotion: bool, factor: Decimal = Decimal(3)
) -> DiversionFlag | None:
    """A line at a promotion price for more than ``factor`` × the dealer's usual (average) quantity
    of that SKU; None without a promotion price or without history to compare with."""
    if not promotion or not history:
        return None
    usual = sum(history, Decimal(0)) / len(history)
    if usual > 0 and qty > usual * factor:
        message = f"{sku}: {qty} at a promotion price is more than {factor}× the usual {usual:.0f}"
        return DiversionFlag("volume", sku, message)
    return None
