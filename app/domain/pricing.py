"""The pricing engine: condition types in a fixed precedence, promotions on top, explained quotes.

A price policy version holds *conditions* (price records). The net price of a SKU for a
dealer is found like SAP's condition technique:

1. Walk ``PRECEDENCE`` (most specific first). Each condition type has an *access sequence*
   (``ACCESS_SEQUENCES``): the keys tried in order; the first access that finds a record
   valid on the date with ``min_qty <= qty`` gives that type's candidate. The first type with a
   candidate sets the price; the candidates of the lower types are listed as overridden.
2. Apply the promotions whose window, scope (SKU, product line, or a category of the SKU's
   category tree) and minimum quantity match: non-stackable ones alone (the lowest result
   wins), stackable ones one after another (fixed price, then % off, then buy-X-get-Y);
   whichever of the two ends lower is taken.

Ties inside one access (only possible in data that skipped validation) go to the record
with the highest ``min_qty``, then the latest ``valid_from`` (open start = oldest), then the
lowest id. Unit prices are rounded to 4 decimals after each step and amounts to 2, both
``ROUND_HALF_UP``. Everything is ``Decimal``.
"""

from __future__ import annotations

from bisect import insort
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.domain.errors import ValidationFailed
from app.domain.pricing_model import (
    ACCESS_SEQUENCES,
    BASE,
    DEALER,
    HUNDRED,
    PROMO,
    PROMO_ORDER,
    PROMO_SCOPES,
    REGION,
    TIER,
    VOLUME,
    Buyer,
    Condition,
    Item,
    Quote,
    QuoteLine,
    q2,
    q4,
)
from app.domain.pricing_values import MAX_QTY, parse_qty


def _tie_key(c: Condition) -> tuple:
    return (-c.min_qty, -(c.valid_from or date.min).toordinal(), c.id)


def _first(candidates: Sequence[Condition], qty: int, day: date) -> Condition | None:
    """The chosen record of one access: candidates are kept in tie order (``_tie_key``)."""
    for c in candidates:
        if c.min_qty <= qty and c.valid_on(day):
            return c
    return None


def _stack_key(c: Condition) -> tuple[int, int]:
    return (PROMO_ORDER[c.kind], c.id)


def _label(c: Condition) -> str:
    keys = [f"{name} {getattr(c, name)}" for name in ("dealer", "tier", "region", "sku", "product_line")]
    parts = [k for k in keys if not k.endswith(" None")]
    if c.category:
        parts.append(f"category {c.category}")
    return f"{c.type}: " + " × ".join(parts)


class _SkuRecords:
    """The records of one SKU by what its accesses look up (the lists are those of ``by_key``)."""

    __slots__ = ("base", "dealer", "region", "tier", "volume")

    def __init__(self) -> None:
        self.dealer: dict[str, list[Condition]] = {}
        self.tier: dict[str, list[Condition]] = {}
        self.region: dict[str, list[Condition]] = {}
        self.volume: list[Condition] | None = None
        self.base: list[Condition] | None = None

    def keep(self, ctype: str, key: str, found: list[Condition]) -> None:
        if ctype == DEALER:
            self.dealer[key] = found
        elif ctype == TIER:
            self.tier[key] = found
        elif ctype == REGION:
            self.region[key] = found
        elif ctype == VOLUME:
            self.volume = found
        elif ctype == BASE:
            self.base = found


_NO_RECORDS = _SkuRecords()


@dataclass
class PriceIndex:
    """The conditions of one version, indexed by access key for fast lookups."""

    version: int | None = None
    by_key: dict[tuple, list[Condition]] = field(default_factory=lambda: defaultdict(list))
    promos: dict[tuple[str, str], list[Condition]] = field(default_factory=lambda: defaultdict(list))
    items: dict[str, Item] = field(default_factory=dict)
    # the lists of by_key whose access ends with the SKU, again by SKU (filled by add(), so a line
    # looks up small dicts by one code instead of the big one by a built tuple)
    by_sku: dict[str, _SkuRecords] = field(default_factory=dict)
    # memos filled on use (the index never changes once built)
    _item_promos: dict[str, tuple[Condition, ...]] = field(default_factory=dict)
    _labels: dict[tuple[str, int], str] = field(default_factory=dict)
    _windows: dict[tuple[date | None, date | None], str] = field(default_factory=dict)
    _day_text: tuple[date, str] = (date.min, str(date.min))
    # per SKU, the last day asked and its valid promotions (with "narrowed to a dealer, tier or region")
    _item_promos_on: dict[str, tuple[date, tuple[tuple[Condition, bool], ...]]] = field(default_factory=dict)

    @classmethod
    def build(
        cls, conditions: Iterable[Condition], items: Iterable[Item] = (), version: int | None = None
    ) -> PriceIndex:
        index = cls(version=version)
        for item in items:
            index.items[item.sku] = item
        for c in conditions:
            index.add(c)
        return index

    def add(self, c: Condition) -> None:
        if c.price is not None and c.price.as_tuple().exponent != -4:
            c = c._replace(price=q4(c.price))
        if c.type == PROMO:
            for scope in PROMO_SCOPES:
                if getattr(c, scope):
                    self.promos[(scope, getattr(c, scope))].append(c)
                    self._item_promos.clear()
                    self._item_promos_on.clear()
                    break
            return
        for access in ACCESS_SEQUENCES[c.type]:
            values = tuple(getattr(c, name) for name in access)
            if all(v is not None for v in values) and not self._narrower(c, access):
                key = (c.type, *values)
                found = self.by_key.get(key)
                if found is None:
                    found = self.by_key[key] = []
                    if access[-1] == "sku":
                        records = self.by_sku.get(values[-1])
                        if records is None:
                            records = self.by_sku[values[-1]] = _SkuRecords()
                        records.keep(c.type, values[0], found)
                # kept in tie order, so the first eligible record of an access is the one chosen
                insort(found, c, key=_tie_key)
                return

    @staticmethod
    def _narrower(c: Condition, access: tuple[str, ...]) -> bool:
        # a tier × product-line record must not carry a SKU (it would be indexed by the SKU)
        return access == ("tier", "product_line") and c.sku is not None

    def price_line(
        self,
        buyer: Buyer,
        item: Item,
        qty: int,
        day: date,
        specials: Mapping[str, list[Condition]] | None = None,
    ) -> QuoteLine | None:
        """The explained price of ``qty`` × ``item`` for ``buyer`` on ``day`` (None: no price)."""
        sku, tier = item.sku, buyer.tier
        records = self.by_sku.get(sku, _NO_RECORDS)
        base_found = records.base
        base = _first(base_found, qty, day) if base_found else None
        # indexed prices are rounded to 4 decimals once, in add()
        list_price = base.price if base is not None else None
        special = specials.get(sku) if specials else None
        if special:
            special = [c._replace(price=q4(c.price)) if c.price is not None else c for c in special]
            if len(special) > 1:
                special.sort(key=_tie_key)
        # per condition type in precedence order, the records found by each of its accesses
        accesses = (
            (special,),
            (records.dealer.get(buyer.dealer),),
            (records.tier.get(tier), self.by_key.get((TIER, tier, item.product_line))) if tier else (),
            [records.region.get(region) for region in buyer.regions],
            (records.volume,),
            (base_found,),
        )
        matches: list[tuple[Condition, Decimal]] = []
        for per_type in accesses:
            for found in per_type:
                if not found:
                    continue
                for c in found:  # in tie order: the first eligible record is the one chosen
                    if (
                        c.min_qty <= qty
                        and (c.valid_from is None or c.valid_from <= day)
                        and (c.valid_to is None or day <= c.valid_to)
                    ):
                        break
                else:
                    continue
                value = c.price  # rounded when indexed (and specials above)
                if value is None:
                    if c.discount_pct is None or list_price is None:
                        continue
                    value = q4(list_price * (HUNDRED - c.discount_pct) / HUNDRED)
                matches.append((c, value))
                break
        if not matches:
            return None
        winner, unit = matches[0]
        overrode = [{"record": c.id, "type": c.type, "value": str(v)} for c, v in matches[1:]]
        region = buyer.regions[0] if winner.type == REGION and buyer.regions else None
        step = _step(winner, unit, self._why(winner, qty, day, region), overrode)
        unit, promo_steps = self._promotions(buyer, item, qty, day, unit, step)
        return QuoteLine(sku, qty, unit, list_price, q2(unit * qty), (step, *promo_steps))

    def _why(self, c: Condition, qty: int, day: date, region: str | None = None) -> str:
        """Why ``c`` applies (label, dealer's region, quantity, validity); labels and texts of dates are
        worked out once."""
        key = (c.type, c.id)
        text = self._labels.get(key)
        if text is None:
            text = self._labels[key] = _label(c)
        if region and c.region != region:
            text += f" (dealer's region {region})"
        if c.min_qty > 1:
            text += f", qty {qty} ≥ {c.min_qty}"
        if c.valid_from is None and c.valid_to is None:
            return text
        dates = (c.valid_from, c.valid_to)
        window = self._windows.get(dates)
        if window is None:
            window = self._windows[dates] = f"{c.valid_from or '…'}..{c.valid_to or '…'}"
        day_text = self._day_text
        if day_text[0] != day:
            day_text = self._day_text = (day, str(day))
        return f"{text}, valid {window} on {day_text[1]}"

    def promotions_of(self, item: Item) -> tuple[Condition, ...]:
        """Every promotion whose scope covers ``item`` (SKU, product line, category tree), by id."""
        found = self._item_promos.get(item.sku)
        if found is None:
            scopes = [("sku", item.sku), *(("category", code) for code in item.categories)]
            if item.product_line:
                scopes.append(("product_line", item.product_line))
            unique = {c.id: c for scope in scopes for c in self.promos.get(scope, ())}
            found = self._item_promos[item.sku] = tuple(sorted(unique.values(), key=lambda c: c.id))
        return found

    def _promotions(
        self, buyer: Buyer, item: Item, qty: int, day: date, unit: Decimal, before: dict
    ) -> tuple[Decimal, tuple[dict, ...]]:
        """The unit price after the promotions that apply, and their steps (``before``: the net price's)."""
        on_day = self._item_promos_on.get(item.sku)
        if on_day is None or on_day[0] != day:  # the item's promotions valid on the day, worked out once
            valid = tuple(
                (c, c.dealer is not None or c.tier is not None or c.region is not None)
                for c in self.promotions_of(item)
                if c.valid_on(day)
            )
            on_day = self._item_promos_on[item.sku] = (day, valid)
        if not on_day[1]:
            return unit, ()
        promos: list[Condition] = []  # that apply, by id
        stackable: list[Condition] = []
        single, single_unit = None, unit  # the best non-stackable one
        for c, narrowed in on_day[1]:
            if c.min_qty > qty or (narrowed and not _promo_applies(c, buyer)):
                continue
            promos.append(c)
            if c.stackable:
                stackable.append(c)
                continue
            result = _apply_promo(c, unit, qty)
            if result is not None and (single is None or result < single_unit):
                single, single_unit = c, result
        if not promos:
            return unit, ()
        chain, chain_unit = [], unit
        if len(stackable) > 1:
            stackable.sort(key=_stack_key)
        for c in stackable:
            result = _apply_promo(c, chain_unit, qty)
            if result is not None:
                chain.append((c, chain_unit, result))
                chain_unit = result
        prev = {"record": before["record"], "type": before["type"], "value": before["value"]}
        if single is not None and (not chain or single_unit <= chain_unit):
            overrode = [prev]  # the price before it, then the promotions not applied
            for o in promos:
                if o is not single:
                    overrode.append({"record": o.id, "type": PROMO, "value": "not applied"})
            why = self._why(single, qty, day)
            if len(promos) > 1:
                why += ", the best non-stackable promotion"
            return single_unit, (_step(single, single_unit, why, overrode),)
        steps = []
        for c, was, result in chain:
            steps.append(
                _step(c, result, self._why(c, qty, day) + ", stackable", [dict(prev, value=str(was))])
            )
            prev = {"record": c.id, "type": PROMO, "value": str(result)}
        return chain_unit, tuple(steps)


def _step(c: Condition, value: Decimal, why: str, overrode: list[dict]) -> dict:
    return {"record": c.id, "type": c.type, "value": str(value), "why": why, "overrode": overrode}


def _promo_applies(c: Condition, buyer: Buyer) -> bool:
    return (
        (c.dealer is None or c.dealer == buyer.dealer)
        and (c.tier is None or c.tier == buyer.tier)
        and (c.region is None or c.region in buyer.regions)
    )


def _apply_promo(c: Condition, unit: Decimal, qty: int) -> Decimal | None:
    """The unit price after promotion ``c`` (None: it does not lower the price)."""
    if c.price is not None:
        result = c.price  # rounded when indexed
    elif c.discount_pct is not None:
        result = q4(unit * (HUNDRED - c.discount_pct) / HUNDRED)
    else:
        group = (c.buy_x or 0) + (c.get_y or 0)
        free = (qty // group) * (c.get_y or 0) if group else 0
        result = q4(unit * (qty - free) / qty)
    return result if result < unit else None


def quote_lines(
    index: PriceIndex,
    buyer: Buyer,
    lines: Sequence[tuple[str, object]],
    day: date,
    specials: Mapping[str, list[Condition]] | None = None,
) -> Quote:
    """Price every line; a ValidationFailed names each bad line (``lines/<i>/sku|qty``)."""
    errors: dict[str, str] = {}
    priced = []
    for i, (sku, raw_qty) in enumerate(lines):
        if type(raw_qty) is int and 0 < raw_qty <= MAX_QTY:  # the usual case (parse_qty's fast path)
            qty = raw_qty
        else:
            try:
                qty = parse_qty(raw_qty, f"lines/{i}/qty")
            except ValidationFailed as error:
                errors.update(error.errors)
                continue
        item = index.items.get(sku)
        if item is None:
            errors[f"lines/{i}/sku"] = f"unknown SKU {sku}"
            continue
        line = index.price_line(buyer, item, qty, day, specials)
        if line is None:
            errors[f"lines/{i}/sku"] = f"no price for {sku} in the policy"
            continue
        priced.append(line)
    if errors:
        raise ValidationFailed("some lines cannot be priced", errors)
    return Quote(tuple(priced), q2(sum((line.amount for line in priced), Decimal(0))), index.version)
