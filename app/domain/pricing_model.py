"""The pricing engine's vocabulary: condition types and their precedence and access sequences,
the price records (``Condition``), what is priced (``Item``), for whom (``Buyer``), the explained
result (``QuoteLine``, ``Quote``) and the rounding rules. ``app/domain/pricing.py`` holds the
engine (the index and the quote) and re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

SPECIAL, DEALER, TIER, REGION, VOLUME, BASE, PROMO = (
    "special",
    "dealer",
    "tier",
    "region",
    "volume",
    "base",
    "promo",
)
PRECEDENCE: tuple[str, ...] = (SPECIAL, DEALER, TIER, REGION, VOLUME, BASE)
# condition types a policy version holds (special prices live in their own table)
RECORD_TYPES: tuple[str, ...] = (DEALER, TIER, REGION, VOLUME, BASE, PROMO)
ACCESS_SEQUENCES: dict[str, tuple[tuple[str, ...], ...]] = {
    SPECIAL: (("dealer", "sku"),),
    DEALER: (("dealer", "sku"),),
    TIER: (("tier", "sku"), ("tier", "product_line")),
    REGION: (("region", "sku"),),  # the dealer's region first, then each ancestor
    VOLUME: (("sku",),),
    BASE: (("sku",),),
}
PROMO_SCOPES = ("sku", "product_line", "category")
PROMO_ORDER = {"price": 0, "discount_pct": 1, "buy_get": 2}  # stackable promotions applied in this order
UNIT, CENT, HUNDRED = Decimal("0.0001"), Decimal("0.01"), Decimal(100)


def q4(value: Decimal) -> Decimal:
    """A unit price: 4 decimals, half up."""
    return value.quantize(UNIT, rounding=ROUND_HALF_UP)


def q2(value: Decimal) -> Decimal:
    """An amount: 2 decimals, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Condition(NamedTuple):
    """One price record: a condition type, its key fields, a value and a validity.
    (A named tuple: 200,000 of them are built per version index.)"""

    id: int
    type: str
    sku: str | None = None
    product_line: str | None = None
    category: str | None = None
    region: str | None = None
    tier: str | None = None
    dealer: str | None = None
    min_qty: int = 1
    price: Decimal | None = None
    discount_pct: Decimal | None = None
    buy_x: int | None = None
    get_y: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    stackable: bool = False
    reference: str | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def kind(self) -> str:
        """How the value is given: ``price``, ``discount_pct`` or ``buy_get``."""
        if self.price is not None:
            return "price"
        return "discount_pct" if self.discount_pct is not None else "buy_get"

    def describe_value(self) -> str:
        if self.price is not None:
            return str(self.price)
        if self.discount_pct is not None:
            return f"-{self.discount_pct}%"
        return f"buy {self.buy_x} get {self.get_y}"


@dataclass(frozen=True)
class Item:
    """A SKU with what promotions and tier prices match on."""

    sku: str
    product_line: str | None = None
    categories: tuple[str, ...] = ()  # the category and its ancestors' codes


@dataclass(frozen=True)
class Buyer:
    """The dealer being priced: its code, tier and region chain (own region first)."""

    dealer: str
    tier: str | None = None
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuoteLine:
    sku: str
    qty: int
    unit_price: Decimal
    list_price: Decimal | None
    amount: Decimal
    steps: tuple[dict, ...]


@dataclass(frozen=True)
class Quote:
    lines: tuple[QuoteLine, ...]
    total: Decimal
    version: int | None = None
