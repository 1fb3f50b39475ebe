"""Checking a draft policy before it is published, and comparing it with the live one.

``problems`` finds, naming the records involved:

- a record of the wrong shape for its type (missing or extra key fields, no or two values);
- negative prices, percentages outside (0, 100], buy-X-get-Y below 1, ``min_qty`` below 1;
- a validity ending before it starts, a promotion ending before the version takes effect;
- two records of the same type and key (``min_qty`` included) whose validities overlap —
  equal precedence, so neither could win (promotions are exempt: they combine by rule);
- a volume ladder with a gap (no list price for the quantities below its first break) or a
  break priced above a lower break or above the list price.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.domain.errors import ValidationFailed
from app.domain.pricing_model import BASE, DEALER, PROMO, RECORD_TYPES, REGION, TIER, VOLUME, Condition

KEYS = ("sku", "product_line", "category", "region", "tier", "dealer")
REQUIRED: dict[str, tuple[str, ...]] = {
    DEALER: ("dealer", "sku"),
    TIER: ("tier",),
    REGION: ("region", "sku"),
    VOLUME: ("sku",),
    BASE: ("sku",),
    PROMO: (),
}
ALLOWED: dict[str, set[str]] = {
    DEALER: {"dealer", "sku"},
    TIER: {"tier", "sku", "product_line"},
    REGION: {"region", "sku"},
    VOLUME: {"sku"},
    BASE: {"sku"},
    PROMO: set(KEYS),
}


@dataclass(frozen=True)
class Problem:
    records: tuple[int, ...]
    message: str


def _shape(c: Condition) -> list[str]:
    if c.type not in RECORD_TYPES:
        return [f"unknown condition type {c.type!r}"]
    found: list[str] = []
    present = {k for k in KEYS if getattr(c, k) is not None}
    missing = [k for k in REQUIRED[c.type] if k not in present]
    if missing:
        found.append(f"{c.type} needs {', '.join(missing)}")
    extra = sorted(present - ALLOWED[c.type])
    if extra:
        found.append(f"{c.type} cannot have {', '.join(extra)}")
    if c.type == TIER and not present & {"sku", "product_line"}:
        found.append("tier needs a SKU or a product line")
    if c.type == PROMO and not present & {"sku", "product_line", "category"}:
        found.append("promo needs a SKU, a product line or a category")
    values = [c.price is not None, c.discount_pct is not None, c.buy_x is not None or c.get_y is not None]
    if sum(values) != 1:
        found.append("give exactly one of price, discount_pct or buy_x/get_y")
    elif values[2] and c.type != PROMO:
        found.append("buy-X-get-Y is for promotions only")
    if c.type in (BASE, VOLUME) and c.price is None:
        found.append(f"{c.type} needs a price")
    return found


def _values(c: Condition, starts: date | None) -> list[str]:
    found = []
    if c.price is not None and c.price < 0:
        found.append(f"negative price {c.price}")
    if c.discount_pct is not None and not Decimal(0) < c.discount_pct <= Decimal(100):
        found.append(f"discount {c.discount_pct}% outside (0, 100]")
    if (c.buy_x is not None or c.get_y is not None) and not ((c.buy_x or 0) >= 1 and (c.get_y or 0) >= 1):
        found.append("buy X get Y needs X ≥ 1 and Y ≥ 1")
    if c.min_qty < 1:
        found.append("min_qty must be at least 1")
    if c.valid_from and c.valid_to and c.valid_to < c.valid_from:
        found.append(f"ends {c.valid_to} before it starts {c.valid_from}")
    elif c.type == PROMO and starts and c.valid_to and c.valid_to < starts:
        found.append(f"promotion ends {c.valid_to} before the version takes effect {starts}")
    return found


def _key(c: Condition) -> tuple:
    return (c.type, *(getattr(c, k) for k in KEYS), c.min_qty)


def _overlaps(conditions: Iterable[Condition]) -> list[Problem]:
    groups: dict[tuple, list[Condition]] = defaultdict(list)
    for c in conditions:
        if c.type != PROMO:
            groups[_key(c)].append(c)
    found = []
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda c: ((c.valid_from or date.min), c.id))
        reach = group[0]
        for c in group[1:]:
            if reach.valid_to is None or (c.valid_from or date.min) <= reach.valid_to:
                found.append(
                    Problem(
                        (reach.id, c.id), f"records {reach.id} and {c.id}: same {c.type} key, dates overlap"
                    )
                )
            if reach.valid_to is not None and (c.valid_to is None or c.valid_to > reach.valid_to):
                reach = c
    return found


def _ladders(conditions: Sequence[Condition]) -> list[Problem]:
    base: dict[str, Condition] = {}
    for c in conditions:
        if c.type == BASE and c.price is not None:
            base.setdefault(c.sku or "", c)
    ladders: dict[tuple, list[Condition]] = defaultdict(list)
    for c in conditions:
        if c.type == VOLUME and c.price is not None:
            ladders[(c.sku, c.valid_from, c.valid_to)].append(c)
    found = []
    for (sku, _, _), breaks in ladders.items():
        breaks.sort(key=lambda c: (c.min_qty, c.id))
        listed = base.get(sku or "")
        if listed is None:
            ids = tuple(c.id for c in breaks)
            found.append(Problem(ids, f"tier breaks of {sku}: gap below {breaks[0].min_qty}, no list price"))
            continue
        previous = listed
        for c in breaks:
            if previous.price is not None and c.price is not None and c.price > previous.price:
                found.append(
                    Problem(
                        (previous.id, c.id),
                        f"tier break {c.id} ({sku} from {c.min_qty}: {c.price}) is dearer than "
                        f"record {previous.id} ({previous.price})",
                    )
                )
            previous = c
    return found


def record_problems(c: Condition) -> list[str]:
    """What is wrong with one record by itself (its shape and values)."""
    return _shape(c) + _values(c, None)


def problems(conditions: Sequence[Condition], starts: date | None = None) -> list[Problem]:
    """Everything wrong with a draft's records (empty: it may be published)."""
    found: list[Problem] = []
    for c in conditions:
        found.extend(Problem((c.id,), f"record {c.id}: {m}") for m in _shape(c) + _values(c, starts))
    return found + _overlaps(conditions) + _ladders(conditions)


def check(conditions: Sequence[Condition], starts: date | None = None) -> None:
    """Raise ValidationFailed naming every problem (``records/<id>``) — or return."""
    found = problems(conditions, starts)
    if found:
        errors: dict[str, str] = {}
        for p in found:
            for rid in p.records:
                key = f"records/{rid}"
                errors[key] = f"{errors[key]}; {p.message}" if key in errors else p.message
        raise ValidationFailed(
            f"the draft has {len(found)} problem(s): " + "; ".join(p.message for p in found[:5]), errors
        )


VALUE_FIELDS = ("price", "discount_pct", "buy_x", "get_y", "valid_to", "stackable", "reference")


def natural_key(c: Condition) -> tuple:
    """What identifies a record across versions (copies get new ids)."""
    return (*_key(c), c.valid_from)


@dataclass(frozen=True)
class Diff:
    added: tuple[Condition, ...]
    removed: tuple[Condition, ...]
    changed: tuple[tuple[Condition, Condition], ...]  # (live, draft)


def diff(draft: Iterable[Condition], live: Iterable[Condition]) -> Diff:
    """Records added, removed and changed in ``draft`` compared with ``live``."""
    new = {natural_key(c): c for c in draft}
    old = {natural_key(c): c for c in live}
    added = tuple(new[k] for k in new.keys() - old.keys())
    removed = tuple(old[k] for k in old.keys() - new.keys())
    changed = tuple(
        (old[k], new[k])
        for k in new.keys() & old.keys()
        if any(getattr(old[k], f) != getattr(new[k], f) for f in VALUE_FIELDS)
    )
    return Diff(
        tuple(sorted(added, key=lambda c: c.id)),
        tuple(sorted(removed, key=lambda c: c.id)),
        tuple(sorted(changed, key=lambda pair: pair[1].id)),
    )
