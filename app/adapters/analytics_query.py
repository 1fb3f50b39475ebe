"""Sales figures from the analytics store, sliced by dimensions, inside a DataScope.

``sales(session, scope, query)`` picks the smallest table that can answer exactly (month rollups
for whole months, the day × dealer rollup when no product is involved, the booked lines
otherwise), runs one ``GROUP BY`` on it, rolls regions up their tree in Python and labels the
rows with codes and names. Scope: only dealers inside the caller's scope (``dealer_clause``) are
ever read; a filter narrows it, never widens it. Figures: docs/analytics.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.adapters.analytics_terms import (
    SalesQuery,
    add_months,
    bucket_label,
    bucket_period,
    first_of_month,
    measure_values,
    month_key,
)
from app.adapters.clock import business_today
from app.adapters.scope_sql import dealer_clause
from app.domain.errors import ValidationFailed
from app.domain.scope import DataScope
from app.models import (
    Category,
    Dealer,
    DealerMonth,
    DealerTier,
    OrderDay,
    Product,
    ProductLine,
    ProductMonth,
    Region,
    SaleLine,
    Warehouse,
)

ORDER_MEASURES = ("order_count", "average_order")
NAMES_BY_ID = 500  # more ids than this: read the codes and names of the whole table
# code lookups of the filters: (model, column on the fact or its dealer/product)
CODED = {
    "dealer": Dealer,
    "tier": DealerTier,
    "region": Region,
    "warehouse": Warehouse,
    "product_line": ProductLine,
    "category": Category,
    "sku": Product,
}


@dataclass(frozen=True)
class Source:
    """One table of the store and how to read it."""

    name: str
    model: type
    monthly: bool  # keyed by month (whole months only)
    distinct_orders: bool  # orders = COUNT(DISTINCT order_id) (the booked lines)

    def orders(self, per_sku: bool = False):
        """Orders of a group. On the booked lines an order has one row per SKU, so grouped by SKU
        each row is another order: ``COUNT(*)`` then equals ``COUNT(DISTINCT order_id)`` without
        its sort."""
        t = self.model
        if not self.distinct_orders:
            return func.sum(t.orders)
        return func.count() if per_sku else func.count(func.distinct(t.order_id))


SOURCES = {
    "sale_line": Source("sale_line", SaleLine, False, True),
    "order_day": Source("order_day", OrderDay, False, False),
    "dealer_month": Source("dealer_month", DealerMonth, True, False),
    "product_month": Source("product_month", ProductMonth, True, False),
}


def choose_source(q: SalesQuery, scope: DataScope, today: date) -> Source:
    """The smallest table that answers ``q`` exactly."""
    monthly = q.whole_months(today) and q.time_dimension in (None, "month", "quarter", "year")
    by_warehouse = "warehouse" in q.group_by or "warehouse" in q.filters
    if q.needs_product():
        if (
            monthly
            and not by_warehouse
            and scope.unrestricted
            and not q.needs_dealer()
            and not set(q.measures) & set(ORDER_MEASURES)  # orders would count once per SKU
        ):
            return SOURCES["product_month"]
        return SOURCES["sale_line"]
    if by_warehouse:
        return SOURCES["sale_line"]
    return SOURCES["dealer_month"] if monthly else SOURCES["order_day"]


def _time_expr(source: Source, dimension: str):
    t = source.model
    if dimension in ("day", "week"):
        return t.day if dimension == "day" else t.week
    if dimension == "month":
        return t.month
    if dimension == "quarter":
        return (t.month // 100) * 10 + ((t.month % 100) + 2) // 3
    return t.month // 100


def _dimension_expr(source: Source, dimension: str):
    t = source.model
    return {
        "dealer": lambda: t.dealer_id,
        "tier": lambda: Dealer.tier_id,
        "region": lambda: Dealer.region_id,
        "warehouse": lambda: t.warehouse_id,
        "sku": lambda: t.product_id,
        "product_line": lambda: Product.product_line_id,
        "category": lambda: Product.category_id,
    }.get(dimension, lambda: _time_expr(source, dimension))()


def resolve_codes(session: Session, scope: DataScope, filters: dict[str, str]) -> dict[str, Any]:
    """The records the filter codes name; an unknown code (or a dealer outside the scope) is a
    422 naming the filter."""
    found: dict[str, Any] = {}
    errors = {}
    for key, code in filters.items():
        model = CODED[key]
        query = select(model).where(model.code == code)
        if key == "dealer":
            query = query.where(dealer_clause(scope))
        record = session.scalar(query)
        if record is None:
            errors[key] = f"no {key} {code}" + (" in your data scope" if key == "dealer" else "")
        found[key] = record
    if errors:
        raise ValidationFailed("unknown filter: " + "; ".join(errors.values()), errors)
    return found


def where_clauses(
    source: Source, q: SalesQuery, scope: DataScope, found: dict[str, Any]
) -> list[ColumnElement]:
    """The period, the caller's scope (dealers in it) and the filters, on ``source``."""
    t = source.model
    if source.monthly:
        clauses = [t.month >= month_key(q.start), t.month <= month_key(q.end)]
    else:
        clauses = [t.day >= q.start, t.day <= q.end]
    if not scope.unrestricted:
        clauses.append(t.dealer_id.in_(select(Dealer.id).where(dealer_clause(scope))))
    for key, record in found.items():
        if key == "dealer":
            clauses.append(t.dealer_id == record.id)
        elif key == "tier":
            clauses.append(Dealer.tier_id == record.id)
        elif key == "region":
            clauses.append(Dealer.region_id.in_(select(Region.id).where(Region.path.startswith(record.path))))
        elif key == "warehouse":
            clauses.append(t.warehouse_id == record.id)
        elif key == "sku":
            clauses.append(t.product_id == record.id)
        elif key == "product_line":
            clauses.append(Product.product_line_id == record.id)
        else:
            clauses.append(
                Product.category_id.in_(select(Category.id).where(Category.path.startswith(record.path)))
            )
    return clauses


def _grouped(session: Session, source: Source, q: SalesQuery, scope: DataScope, found, dims) -> list[dict]:
    t = source.model
    exprs = [_dimension_expr(source, d).label(d) for d in dims]
    query = select(*exprs, func.sum(t.qty).label("qty"), func.sum(t.cents).label("cents"),
                   source.orders(per_sku="sku" in dims).label("orders"))  # fmt: skip
    if q.needs_dealer() or set(dims) & {"tier", "region"}:
        query = query.join(Dealer, Dealer.id == t.dealer_id)
    if q.needs_product() and set(dims + tuple(found)) & {"product_line", "category"}:
        query = query.join(Product, Product.id == t.product_id)
    query = query.where(*where_clauses(source, q, scope, found))
    if dims:
        query = query.group_by(*exprs)
    result = session.connection().execute(query)  # Core rows: no ORM loading for plain columns
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def sales(session: Session, scope: DataScope, q: SalesQuery, today: date | None = None) -> dict[str, Any]:
    """``{"rows", "total", "totals", "truncated", "source", ...}`` for ``q`` inside ``scope``."""
    today = today or business_today()
    found = resolve_codes(session, scope, dict(q.filters))
    rows, sources = _read(session, scope, q, found, today)
    if "region" in q.group_by:
        rows = _roll_up_regions(session, rows, found.get("region"))
    rows = [r for r in rows if r["qty"] or r["cents"] or r["orders"]]
    labelled = _label(session, rows, q)
    time_dim = q.time_dimension
    first = q.measures[0]

    def rank(row):
        value = row[first] if row[first] is not None else -1
        return -value if q.descending else value

    labelled.sort(key=lambda r: ((r[time_dim] if time_dim else ""), rank(r)))
    total_q = SalesQuery((), q.measures, q.start, q.end, q.filters)
    total_row = (_read(session, scope, total_q, found, today)[0] or [{}])[0]
    totals = measure_values(total_row.get("qty") or 0, total_row.get("cents") or 0,
                            total_row.get("orders") or 0, q.measures)  # fmt: skip
    return {
        "group_by": list(q.group_by),
        "measures": list(q.measures),
        "from": q.start.isoformat(),
        "to": q.end.isoformat(),
        "filters": dict(q.filters),
        "rows": labelled[: q.limit],
        "truncated": len(labelled) > q.limit,
        "total": totals[first],
        "totals": totals,
        "source": "+".join(sources),
    }


def split_period(q: SalesQuery, today: date) -> list[SalesQuery]:
    """A period that is not whole months, grouped without days or weeks, as its whole months (read
    from the month tables) and the days before and after them (figures add up across days)."""
    if q.whole_months(today) or q.time_dimension in ("day", "week"):
        return [q]
    first_full = q.start if q.start.day == 1 else first_of_month(add_months(q.start, 1))
    month_end = add_months(first_of_month(q.end), 1) - timedelta(days=1)
    last_full = q.end if q.end == month_end or q.end >= today else first_of_month(q.end) - timedelta(days=1)
    if first_full > last_full:
        return [q]
    parts = [replace(q, start=first_full, end=last_full)]
    if q.start < first_full:
        parts.insert(0, replace(q, end=first_full - timedelta(days=1)))
    if last_full < q.end:
        parts.append(replace(q, start=last_full + timedelta(days=1)))
    return parts


def _read(
    session: Session, scope: DataScope, q: SalesQuery, found, today: date
) -> tuple[list[dict], list[str]]:
    """Grouped rows of ``q`` (qty, cents, orders per group) and the tables read."""
    parts = [(part, choose_source(part, scope, today)) for part in split_period(q, today)]
    if not any(source.monthly for _, source in parts):  # no month table helps: one query
        parts = [(q, choose_source(q, scope, today))]
    rows = []
    for part, source in parts:
        rows.extend(_grouped(session, source, part, scope, found, q.group_by))
    return (_merge(rows) if len(parts) > 1 else rows), [source.name for _, source in parts]


def _merge(rows: list[dict]) -> list[dict]:
    """Add up rows with the same group keys."""
    merged: dict[tuple, dict] = {}
    for row in rows:
        key = tuple(row[k] for k in row if k not in ("qty", "cents", "orders"))
        acc = merged.setdefault(key, {**row, "qty": 0, "cents": 0, "orders": 0})
        for k in ("qty", "cents", "orders"):
            acc[k] += row[k] or 0
    return list(merged.values())


def _roll_up_regions(session: Session, rows: list[dict], under: Region | None) -> list[dict]:
    """Regions shown: the top-level ones, or with a region filter its children (and itself, for
    dealers located in it directly); each row's leaf region is added into the one shown above it."""
    regions = {r.id: r for r in session.scalars(select(Region))}
    by_code = {r.code: r for r in regions.values()}
    depth = under.path.count("/") - 1 if under else 0

    def shown(region_id: int) -> int:
        codes = regions[region_id].path.strip("/").split("/")
        return by_code[codes[min(depth, len(codes) - 1)]].id

    return _merge([{**row, "region": shown(row["region"])} for row in rows])


def _names(session: Session, model, ids: set) -> dict[Any, tuple[str, str, str | None]]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    name_en = getattr(model, "name_en", None)
    cols = [model.id, model.code, model.name] + ([name_en] if name_en is not None else [])
    query = select(*cols)
    if len(ids) <= NAMES_BY_ID:
        query = query.where(model.id.in_(ids))
    rows = session.connection().execute(query).all()  # many ids: the whole table is cheaper
    return {r[0]: (r[1], r[2], r[3] if len(r) > 3 else None) for r in rows if r[0] in ids}


def _label(session: Session, rows: list[dict], q: SalesQuery) -> list[dict[str, Any]]:
    """Codes, names and measures for the grouped rows, with the filters to drill into each."""
    names = {d: _names(session, CODED[d], {r[d] for r in rows}) for d in q.group_by if d in CODED}
    out = []
    whole = {"from": q.start.isoformat(), "to": q.end.isoformat()}  # the period of a row without time
    for row in rows:
        item: dict[str, Any] = {}
        drill = dict(q.filters)
        period = None
        for d in q.group_by:
            if d in CODED:
                code, name, name_en = names[d].get(row[d], (None, None, None))
                item[d], item[f"{d}_name"], item[f"{d}_name_en"] = code, name, name_en
                if code is not None:
                    drill[d] = code
            else:
                item[d] = bucket_label(d, row[d])
                start, end = bucket_period(d, item[d])
                period = {"from": max(start, q.start).isoformat(), "to": min(end, q.end).isoformat()}
        item.update(measure_values(row["qty"] or 0, row["cents"] or 0, row["orders"] or 0, q.measures))
        item["drill"] = {**drill, **(period or whole)}
        out.append(item)
    return out
