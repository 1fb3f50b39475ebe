"""Pricing against the database: the version in force, an in-memory index per version, quotes.

**Contract** (used by price monitoring and orders — keep these names):
``quote(session, dealer, lines, on=None) -> Quote`` (``Quote.lines[i].sku/qty/unit_price/
list_price/amount/steps``, ``Quote.total``), ``policy_unit_price(session, dealer, product, qty,
on) -> Decimal | None`` and ``add_special_price(session, *, dealer, product, price, valid_from,
valid_to, reference, actor) -> SpecialPrice`` (flushed, not committed).

The version in force at a moment is the newest published (or since superseded) version with
``effective_from`` ≤ that moment. A date means the end of that day (UTC); no date means now.
Published versions never change, so their index (records + the catalogue's SKU attributes)
is cached by database and version id; ``publish`` clears the cache. Special prices are read
per quote (one query for the dealer), so an approved special price counts at once.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from time import monotonic
from typing import NamedTuple

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from app.adapters.clock import business_day, business_zone
from app.domain.errors import ValidationFailed
from app.domain.pricing import PriceIndex, quote_lines
from app.domain.pricing_model import SPECIAL, Buyer, Condition, Item, Quote, QuoteLine
from app.domain.pricing_values import parse_money
from app.models import (
    Category,
    Dealer,
    DealerTier,
    PolicyVersion,
    PriceRecord,
    Product,
    ProductLine,
    Region,
    SpecialPrice,
)

__all__ = [
    "Quote",
    "QuoteLine",
    "add_special_price",
    "buyer_of",
    "conditions_of",
    "effective_version",
    "index_for",
    "invalidate_cache",
    "moment",
    "policy_unit_price",
    "quote",
]

LIVE_STATUSES = ("published", "superseded")
CACHE_SIZE = 8
# how long this process trusts its list of published versions (a publish in another worker
# process is seen after at most this long; one in this process at once)
VERSIONS_TTL = 2.0
_cache: OrderedDict[tuple, PriceIndex] = OrderedDict()
_versions: dict[str, tuple[float, list[VersionRef]]] = {}
_lock = threading.Lock()


class VersionRef(NamedTuple):
    """What the quote path needs of a published version."""

    id: int
    status: str
    effective_from: datetime
    published_at: datetime | None


def moment(on: date | datetime | None) -> datetime:
    """The moment a quote is for: now, the given datetime, or the end of the given business day
    (in ``DMS_TIMEZONE``, app/adapters/clock.py)."""
    now = datetime.now(UTC)
    if on is None:
        return now
    if isinstance(on, datetime):
        return on if on.tzinfo else on.replace(tzinfo=UTC)
    zone = business_zone()
    return now if on == business_day(now) else datetime.combine(on, time.max, zone)


def effective_version(session: Session, at: datetime) -> PolicyVersion | None:
    """The version in force at ``at``: newest published/superseded with effective_from ≤ at."""
    return session.scalar(
        select(PolicyVersion)
        .where(PolicyVersion.status.in_(LIVE_STATUSES), PolicyVersion.effective_from <= at)
        .order_by(PolicyVersion.effective_from.desc(), PolicyVersion.id.desc())
        .limit(1)
    )


def version_in_force(session: Session, at: datetime) -> VersionRef | None:
    """Like ``effective_version`` but from this process's short-lived list of published versions."""
    url = str(session.get_bind().url)
    cached = _versions.get(url)
    if cached is None or monotonic() - cached[0] > VERSIONS_TTL:
        rows = session.execute(
            select(
                PolicyVersion.id,
                PolicyVersion.status,
                PolicyVersion.effective_from,
                PolicyVersion.published_at,
            )
            .where(PolicyVersion.status.in_(LIVE_STATUSES))
            .order_by(PolicyVersion.effective_from.desc(), PolicyVersion.id.desc())
        )
        cached = (monotonic(), [VersionRef(*row) for row in rows])
        with _lock:
            _versions[url] = cached
    return next((v for v in cached[1] if v.effective_from <= at), None)


def _codes(session: Session, model: type, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.code).where(model.id.in_(sorted(ids)))).all())


def conditions_of(session: Session, version_id: int) -> list[Condition]:
    """The records of a version as domain conditions (codes instead of ids)."""
    r = PriceRecord
    rows = session.connection().execute(
        select(
            r.id, r.condition_type, r.product_id, r.product_line_id, r.category_id, r.region_id, r.tier_id,
            r.dealer_id, r.min_qty, r.price, r.discount_pct, r.buy_x, r.get_y, r.valid_from, r.valid_to,
            r.stackable, r.reference,
        ).where(r.version_id == version_id)
    ).all()  # fmt: skip
    models = (Product, ProductLine, Category, Region, DealerTier, Dealer)
    maps = [
        _codes(session, m, {row[k] for row in rows if row[k] is not None}) for k, m in enumerate(models, 2)
    ]
    sku, line, cat, region, tier, dealer = (m.get for m in maps)
    return [
        Condition(
            row[0],
            row[1],
            sku(row[2]),
            line(row[3]),
            cat(row[4]),
            region(row[5]),
            tier(row[6]),
            dealer(row[7]),
            *row[8:],
        )  # fmt: skip
        for row in rows
    ]


def catalogue_items(session: Session) -> list[Item]:
    """Every SKU with its product line and the codes of its category and the category's ancestors."""
    rows = session.execute(
        select(Product.code, ProductLine.code, Category.path)
        .outerjoin(ProductLine, ProductLine.id == Product.product_line_id)
        .outerjoin(Category, Category.id == Product.category_id)
    )
    return [Item(sku, line, tuple(p for p in (path or "").split("/") if p)) for sku, line, path in rows]


def _cache_key(session: Session, version: PolicyVersion | VersionRef) -> tuple:
    return (str(session.get_bind().url), version.id, version.published_at)


def index_for(session: Session, version: PolicyVersion | VersionRef | None) -> PriceIndex:
    """The (cached) index of a published version; drafts are indexed afresh each time."""
    if version is None:
        return PriceIndex.build((), catalogue_items(session))
    if version.status == "draft":
        return PriceIndex.build(conditions_of(session, version.id), catalogue_items(session), version.id)
    key = _cache_key(session, version)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    conditions = conditions_of(session, version.id)
    index = PriceIndex.build(conditions, catalogue_items(session), version.id)
    with _lock:
        _cache[key] = index
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    if len(conditions) >= FREEZE_FROM:
        _out_of_collector_sight()
    return index


FREEZE_FROM = 50_000  # records of a version whose index is kept away from the cyclic collector


def _out_of_collector_sight() -> None:
    """A large index lives as long as its version: move every object alive now (the index among
    them) out of the cyclic garbage collector's generations (``gc.freeze``). Without it each full
    collection walks the index again: a pause of about 0.25 s per 700,000 objects, every few
    hundred requests. (Freed index objects still go by reference counting: they hold no cycles.)"""
    gc.collect()
    gc.freeze()


def invalidate_cache() -> None:
    """Forget every cached index and version list (called on publish)."""
    with _lock:
        _cache.clear()
        _versions.clear()


def buyer_of(dealer: Dealer) -> Buyer:
    """The dealer as the pricing engine sees it: code, tier code, own region then its ancestors."""
    path = dealer.region.path if dealer.region is not None else ""
    regions = tuple(reversed([p for p in path.split("/") if p]))
    return Buyer(dealer.code, dealer.tier.code if dealer.tier is not None else None, regions)


_SPECIALS = (
    select(SpecialPrice.id, Product.code, SpecialPrice.price, SpecialPrice.valid_from, SpecialPrice.valid_to)
    .join(Product, Product.id == SpecialPrice.product_id)
    .where(
        SpecialPrice.dealer_id == bindparam("dealer_id"),
        SpecialPrice.valid_from <= bindparam("day"),
        or_(SpecialPrice.valid_to.is_(None), SpecialPrice.valid_to >= bindparam("day")),
    )
)


def specials_of(session: Session, dealer: Dealer, day: date) -> dict[str, list[Condition]]:
    """The dealer's special prices valid on ``day``, by SKU."""
    rows = session.connection().execute(_SPECIALS, {"dealer_id": dealer.id, "day": day})
    found: dict[str, list[Condition]] = {}
    for sid, sku, price, start, end in rows:
        found.setdefault(sku, []).append(
            Condition(sid, SPECIAL, sku=sku, dealer=dealer.code, price=price, valid_from=start, valid_to=end)
        )
    return found


def quote(
    session: Session,
    dealer: Dealer,
    lines: Sequence[tuple[str, int]],
    on: date | datetime | None = None,
) -> Quote:
    """Price ``lines`` ([(sku, qty)]) for ``dealer`` with the policy in force ``on`` (default now).

    Raises ValidationFailed naming ``lines/<i>/sku`` (unknown SKU, no price) or ``lines/<i>/qty``.
    """
    at = moment(on)
    day = business_day(at)
    version = version_in_force(session, at)
    index = index_for(session, version)
    new_skus = {sku for sku, _ in lines if isinstance(sku, str) and sku not in index.items}
    if new_skus and session.scalar(select(Product.id).where(Product.code.in_(new_skus)).limit(1)):
        invalidate_cache()  # products added since the index was built
        index = index_for(session, version)
    return quote_lines(index, buyer_of(dealer), list(lines), day, specials_of(session, dealer, day))


def policy_unit_price(
    session: Session, dealer: Dealer, product: Product, qty: int, on: date | datetime | None = None
) -> Decimal | None:
    """The policy's net unit price of ``qty`` × ``product`` for ``dealer`` (None: no price)."""
    at = moment(on)
    index = index_for(session, version_in_force(session, at))
    item = index.items.get(product.code) or Item(product.code)
    day = business_day(at)
    line = index.price_line(buyer_of(dealer), item, qty, day, specials_of(session, dealer, day))
    return line.unit_price if line is not None else None


def price_list(session: Session, dealer: Dealer, on: date | datetime | None = None) -> list[QuoteLine]:
    """The dealer's effective unit price (qty 1) of every priced SKU — its own specials only."""
    at = moment(on)
    index = index_for(session, version_in_force(session, at))
    day = business_day(at)
    buyer, specials = buyer_of(dealer), specials_of(session, dealer, day)
    priced = (index.price_line(buyer, item, 1, day, specials) for _, item in sorted(index.items.items()))
    return [line for line in priced if line is not None]


def add_special_price(
    session: Session,
    *,
    dealer: Dealer,
    product: Product,
    price: Decimal,
    valid_from: date,
    valid_to: date | None,
    reference: str | None,
    actor: str,
) -> SpecialPrice:
    """Record an approved special price (dealer × SKU); flushed, not committed."""
    value = parse_money(price, "price")
    if valid_to is not None and valid_to < valid_from:
        raise ValidationFailed(
            f"the special price ends {valid_to} before it starts {valid_from}",
            {"valid_to": "before valid_from"},
        )
    special = SpecialPrice(
        dealer=dealer,
        product=product,
        price=value,
        valid_from=valid_from,
        valid_to=valid_to,
        reference=reference,
        approved_by=actor,
    )
    session.add(special)
    session.flush()
    return special
