"""Demo history, the parameters' check: what the generator reads from a template's
``demo_history.yaml`` besides the sizes — the industry's words (item names, sizes and variants per
category, brands, units, pack sizes, shelf lives, dealer-name patterns), the dealers' credit terms
per tier and the open work (docs/demo_data.md). Every refusal names the file and the key.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

from app.domain.errors import ValidationFailed

DEALER_NAME_FIELDS = frozenset({"trade", "kind", "code"})
PRODUCT_NAME_FIELDS = frozenset({"variant", "name", "size", "brand"})
ITEM_KEYS = ("variants", "brands", "unit", "pack_sizes", "shelf_life_days", "product_name")
OPEN_DECISIONS = ("approve", "reject", "revise")


class _Check:
    def __init__(self, name: str) -> None:
        self.name = name

    def fail(self, key: str, message: str) -> None:
        raise ValidationFailed(f"{self.name}: {key}: {message}")

    def mapping(self, value: Any, key: str) -> dict:
        if not isinstance(value, dict) or not value:
            self.fail(key, "must be a non-empty mapping")
        return value

    def words(self, value: Any, key: str) -> list:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            self.fail(key, "must be a non-empty list of words")
        return value

    def number(self, value: Any, key: str, low: float, high: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"must be a number, not {value!r}")
        if value < low or (high is not None and value > high):
            self.fail(key, f"must be {low}–{high}" if high is not None else f"must be ≥ {low}")
        return float(value)

    def whole(self, value: Any, key: str, low: int, high: int, *, drawn: bool = False) -> None:
        """A whole number low–high, or (``drawn``) a non-empty list of them."""
        values = value if drawn and isinstance(value, list) and value else [value]
        for one in values:
            if isinstance(one, bool) or not isinstance(one, int) or not low <= one <= high:
                what = "a whole number or a non-empty list of them" if drawn else "a whole number"
                self.fail(key, f"must be {what} {low}–{high}, not {value!r}")

    def pattern(self, value: Any, key: str, fields: frozenset[str]) -> None:
        if not isinstance(value, str) or not value:
            self.fail(key, "must be a text pattern")
        try:
            used = {f for _, f, _, _ in Formatter().parse(value) if f is not None}
        except ValueError as error:
            self.fail(key, f"not a valid pattern ({error})")
        unknown = used - fields
        if unknown:
            self.fail(key, f"unknown field {{{sorted(unknown)[0]}}} (known: {', '.join(sorted(fields))})")


def check(name: str, raw: Any) -> None:
    """Refuse parameters the generator cannot use, naming ``name`` (the file) and the key."""
    c = _Check(name)
    if not isinstance(raw, dict):
        c.fail("(file)", "must be a mapping of parameters")
    for key in ("seed", "months", "dealers", "skus"):
        if key not in raw:
            c.fail(key, "is missing")
    c.number(raw.get("orders_per_dealer_month", 1.5), "orders_per_dealer_month", 0, 60)
    _dealer_words(c, raw)
    _items(c, raw)
    _open_orders(c, raw.get("open_orders", []))


def _dealer_words(c: _Check, raw: dict) -> None:
    names = c.mapping(raw.get("dealer_names"), "dealer_names")
    c.pattern(names.get("pattern"), "dealer_names.pattern", DEALER_NAME_FIELDS)
    for key in ("trade", "kind"):
        c.words(names.get(key), f"dealer_names.{key}")
    credit = c.mapping(raw.get("dealer_credit"), "dealer_credit")
    for tier in c.mapping(raw.get("tiers", {"B": 1}), "tiers"):
        if tier not in credit:
            c.fail("dealer_credit", f"has no entry for tier {tier} (of `tiers`)")
    for tier, terms in credit.items():
        key = f"dealer_credit.{tier}"
        c.mapping(terms, key)
        c.number(terms.get("credit_limit"), f"{key}.credit_limit", 0)
        c.whole(terms.get("payment_terms_days"), f"{key}.payment_terms_days", 0, 365, drawn=True)
    factors = raw.get("credit_factors", [1])
    if not isinstance(factors, list) or not factors:
        c.fail("credit_factors", "must be a non-empty list of numbers")
    for factor in factors:
        c.number(factor, "credit_factors", 0.01)


def _items(c: _Check, raw: dict) -> None:
    items = c.mapping(raw.get("items"), "items")
    lines = c.mapping(raw.get("product_lines"), "product_lines")
    c.number(raw.get("standard_cost_share", 0.62), "standard_cost_share", 0, 1)
    for category, item in items.items():
        key = f"items.{category}"
        c.mapping(item, key)
        for word in ("name", "name_en"):
            if not isinstance(item.get(word), str) or not item[word]:
                c.fail(f"{key}.{word}", "is missing")
        c.words([str(s) for s in item.get("sizes") or []] or None, f"{key}.sizes")
    for line, spec in lines.items():
        key = f"product_lines.{line}"
        c.mapping(spec, key)
        c.number(spec.get("share"), f"{key}.share", 0)
        price = spec.get("price")
        if not isinstance(price, list) or len(price) != 2:
            c.fail(f"{key}.price", "must be [low, high]")
        if c.number(price[0], f"{key}.price", 0.01) > c.number(price[1], f"{key}.price", 0.01):
            c.fail(f"{key}.price", "low must not exceed high")
        categories = spec.get("categories")
        if not isinstance(categories, list) or not categories:
            c.fail(f"{key}.categories", "must be a non-empty list of category codes")
        for category in categories:
            if category not in items:
                c.fail(f"{key}.categories", f"{category} has no entry in `items`")
            _item_keys(c, raw, spec, items[category], f"items.{category}")


def _item_keys(c: _Check, raw: dict, line: dict, item: dict, key: str) -> None:
    """The keys an item takes from itself, else its product line, else the file."""
    found = {k: next((lv[k] for lv in (item, line, raw) if k in lv), None) for k in ITEM_KEYS}
    c.words(found["variants"], f"{key}.variants (or of its product line, or `variants`)")
    c.words(found["brands"], f"{key}.brands (or of its product line)")
    if not isinstance(found["unit"], str) or not found["unit"]:
        c.fail(f"{key}.unit", "is missing (on the item or its product line)")
    c.whole(found["pack_sizes"], f"{key}.pack_sizes (or of its product line)", 1, 100_000, drawn=True)
    if found["product_name"] is not None:
        c.pattern(
            found["product_name"],
            f"{key}.product_name (or of its product line, or the file's)",
            PRODUCT_NAME_FIELDS,
        )
    if found["shelf_life_days"] is not None:
        c.whole(found["shelf_life_days"], f"{key}.shelf_life_days", 1, 3650, drawn=True)


def _open_orders(c: _Check, orders: Any) -> None:
    if not isinstance(orders, list):
        c.fail("open_orders", "must be a list")
    for number, order in enumerate(orders, start=1):
        key = f"open_orders[{number}]"
        c.mapping(order, key)
        for word in ("dealer", "user"):
            if not isinstance(order.get(word), str) or not order[word]:
                c.fail(f"{key}.{word}", "is missing")
        if ("lines" in order) == ("amount" in order):
            c.fail(key, "needs either `amount` (SKUs picked from the catalogue) or `lines`")
        if "amount" in order:
            c.number(order["amount"], f"{key}.amount", 1)
            c.whole(order.get("skus", 2), f"{key}.skus", 1, 20)
        for line in order.get("lines", []):
            if not isinstance(line, list) or len(line) not in (2, 3) or not isinstance(line[0], str):
                c.fail(f"{key}.lines", "each line is [sku, qty] or [sku, qty, unit price]")
            c.whole(line[1], f"{key}.lines", 1, 10_000_000)
        c.number(order.get("price_off_pct", 0), f"{key}.price_off_pct", 0, 90)
        for step in order.get("decisions", []):
            if not isinstance(step, dict) or not all(step.get(k) for k in ("task", "user", "decision")):
                c.fail(f"{key}.decisions", "each decision has task, user and decision")
            if step["decision"] not in OPEN_DECISIONS:
                c.fail(f"{key}.decisions", f"decision must be one of {', '.join(OPEN_DECISIONS)}")
