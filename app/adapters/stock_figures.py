"""Stock figures, set-based and scoped: quantities, FIFO stock age, turnover and slow-moving stock,
for the drill-down network → region (tree) → warehouse → SKU → batch (docs/inventory.md).

Each level is a few ``GROUP BY`` queries (balances, batches, ledger) limited to the warehouses of
a DataScope; only the region level is rolled up in Python, over one row per region. Dates are
compared with cut-offs computed here, so the SQL is the same on SQLite and PostgreSQL. How rows add
up, their derived figures and their labels are in ``stock_figure_rows``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from app.adapters.clock import business_today, day_start
from app.adapters.scope_sql import scope_clause
from app.adapters.stock_figure_rows import BUCKETS, add_row, empty_row, finish, label_rows
from app.domain.errors import NotFound, ValidationFailed
from app.domain.scope import DataScope
from app.models import Category, Product, Region, StockBalance, StockBatch, StockEntry, Warehouse

LEVELS = ("network", "region", "warehouse", "sku", "batch")
OUTBOUND_KINDS = ("ship", "sell_out", "transfer_out")
LIMIT = 2000  # rows of one level at most (a table a person reads; the API says when cut)


@dataclass(frozen=True)
class FigureQuery:
    """What to compute: the level, its filters (codes), the age date and the turnover period."""

    level: str = "network"
    region: str | None = None
    warehouse: str | None = None
    sku: str | None = None
    as_of: date = field(default_factory=date.today)
    start: date | None = None  # turnover period, both ends included; default: the 30 days to as_of
    end: date | None = None
    slow_days: int = 90  # DMS_SLOW_MOVING_DAYS: a category may say otherwise

    def period(self) -> tuple[date, date]:
        end = self.end or self.as_of
        return self.start or end - timedelta(days=29), end


EARLIEST, LATEST = date(1990, 1, 1), date(2200, 12, 31)  # stock figures reach back and forward in days


def parse_query(args: dict[str, Any], slow_days: int) -> FigureQuery:
    """A FigureQuery from request arguments; ValidationFailed naming each bad one."""
    errors: dict[str, str] = {}
    level = (args.get("level") or "network").strip()
    if level not in LEVELS:
        errors["level"] = f"one of {', '.join(LEVELS)}"
    dates: dict[str, date | None] = {}
    for key in ("as_of", "from", "to"):
        raw = (args.get(key) or "").strip()
        try:
            dates[key] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[key] = "a date like 2026-01-31"
            continue
        if dates[key] is not None and not EARLIEST <= dates[key] <= LATEST:
            errors[key] = f"between {EARLIEST} and {LATEST}"
    if not errors and dates["from"] and dates["to"] and dates["from"] > dates["to"]:
        errors["from"] = "must not be after 'to'"
    if errors:
        raise ValidationFailed(
            "invalid figure query: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
    codes = {k: (str(args.get(k) or "").strip().upper() or None) for k in ("region", "warehouse", "sku")}
    return FigureQuery(
        level=level,
        as_of=dates["as_of"] or business_today(),
        start=dates["from"],
        end=dates["to"],
        slow_days=slow_days,
        **codes,
    )


def _midnight(day: date) -> datetime:
    return day_start(day)


def category_days(session: Session, default: int) -> dict[int, int]:
    """Slow-moving days per category id: its own setting, else the nearest ancestor's, else ``default``."""
    rows = session.execute(select(Category.id, Category.code, Category.path, Category.slow_moving_days)).all()
    by_code = {r.code: r.slow_moving_days for r in rows}
    result = {}
    for r in rows:
        days = default
        for code in reversed([c for c in r.path.split("/") if c]):
            if by_code.get(code) is not None:
                days = by_code[code]
                break
        result[r.id] = days
    return result


def _cutoffs(session: Session, q: FigureQuery) -> tuple[ColumnElement, ColumnElement]:
    """(last outbound before this → slow, oldest batch received before this → slow), per product."""
    days = category_days(session, q.slow_days)
    groups: dict[int, list[int]] = defaultdict(list)
    for category_id, n in days.items():
        if n != q.slow_days:
            groups[n].append(category_id)
    if not groups:
        return literal(_midnight(q.as_of - timedelta(days=q.slow_days))), literal(
            q.as_of - timedelta(days=q.slow_days)
        )
    whens = [(Product.category_id.in_(ids), n) for n, ids in sorted(groups.items())]
    stamp = case(
        *[(cond, _midnight(q.as_of - timedelta(days=n))) for cond, n in whens],
        else_=_midnight(q.as_of - timedelta(days=q.slow_days)),
    )
    day = case(
        *[(cond, q.as_of - timedelta(days=n)) for cond, n in whens],
        else_=q.as_of - timedelta(days=q.slow_days),
    )
    return stamp, day


def slow_condition(session: Session, q: FigureQuery) -> ColumnElement[bool]:
    """A balance row (joined with its Product) holding stock with no outbound movement for its
    category's days: its last outbound is older, or it never had one and its oldest batch is."""
    stamp, day = _cutoffs(session, q)
    b, s = StockBalance, aliased(StockBatch)  # aliased: the caller may be a query on StockBatch
    oldest_is_old = (
        exists()
        .where(
            s.warehouse_id == b.warehouse_id, s.product_id == b.product_id, s.on_hand > 0, s.received_on < day
        )
        .correlate_except(s)
    )

    return and_(
        b.on_hand > 0,
        or_(
            and_(b.last_out_at.is_not(None), b.last_out_at < stamp),
            and_(b.last_out_at.is_(None), oldest_is_old),
        ),
    )


@dataclass
class Filters:
    """The WHERE clauses on Warehouse/Product shared by every query of one request."""

    clauses: list[ColumnElement[bool]]
    region: Any = None  # the Region row of ?region=
    warehouse: Any = None
    product: Any = None


def resolve_filters(session: Session, scope: DataScope, q: FigureQuery) -> Filters:
    """Scope plus the code filters; NotFound for a code that is unknown or outside the scope."""
    clauses = [scope_clause(Warehouse, scope), Warehouse.active.is_(True)]
    found = Filters(clauses)
    if q.region:
        found.region = session.scalar(select(Region).where(Region.code == q.region))
        if found.region is None:
            raise NotFound(f"no region {q.region}", {"region": "unknown region"})
        clauses.append(
            Warehouse.region_id.in_(select(Region.id).where(Region.path.startswith(found.region.path)))
        )
    if q.warehouse:
        found.warehouse = session.scalar(
            select(Warehouse).where(Warehouse.code == q.warehouse, scope_clause(Warehouse, scope))
        )
        if found.warehouse is None:
            raise NotFound(f"no warehouse {q.warehouse} in your data scope", {"warehouse": "not found"})
        clauses.append(Warehouse.id == found.warehouse.id)
    if q.sku:
        found.product = session.scalar(select(Product).where(Product.code == q.sku))
        if found.product is None:
            raise NotFound(f"no SKU {q.sku}", {"sku": "unknown SKU"})
        clauses.append(Product.id == found.product.id)
    return found


def _keys(level: str, table) -> list:
    if level == "region":
        return [Warehouse.region_id]
    if level == "warehouse":
        return [Warehouse.id]
    if level == "sku":
        return [Product.id]
    if level == "batch":
        return [table.warehouse_id, table.product_id, table.batch]
    return [literal(0)]


def _base(table, *columns):
    return (
        select(*columns)
        .select_from(table)
        .join(Warehouse, Warehouse.id == table.warehouse_id)
        .join(Product, Product.id == table.product_id)
    )


def _grouped(session: Session, level: str, table, filters: Filters, values: list, where=()) -> dict:
    keys = _keys(level, table)
    query = _base(table, *keys, *values).where(*filters.clauses, *where).group_by(*keys)
    n = len(keys)
    return {tuple(row[:n]): row[n:] for row in session.execute(query)}


def _quantities(session: Session, q: FigureQuery, filters: Filters) -> dict:
    b = StockBalance
    if q.level == "batch":  # batch: its on-hand; slow when its warehouse × product is
        s = StockBatch
        slow = exists().where(
            b.warehouse_id == s.warehouse_id, b.product_id == s.product_id, slow_condition(session, q)
        )
        values = [
            func.sum(s.on_hand),
            literal(0),
            literal(0),
            func.sum(case((slow, s.on_hand), else_=0)),
        ]
        return _grouped(session, q.level, s, filters, values, [s.on_hand != 0])
    values = [
        func.sum(b.on_hand),
        func.sum(b.reserved),
        func.sum(b.in_transit),
        func.sum(case((slow_condition(session, q), b.on_hand), else_=0)),
    ]
    return _grouped(session, q.level, b, filters, values)


def _ages(session: Session, q: FigureQuery, filters: Filters) -> dict:
    s = StockBatch
    d30, d90, d180 = (q.as_of - timedelta(days=n) for n in (30, 90, 180))
    values = [
        func.sum(case((s.received_on >= d30, s.on_hand), else_=0)),
        func.sum(case((and_(s.received_on < d30, s.received_on >= d90), s.on_hand), else_=0)),
        func.sum(case((and_(s.received_on < d90, s.received_on >= d180), s.on_hand), else_=0)),
        func.sum(case((s.received_on < d180, s.on_hand), else_=0)),
    ]
    if q.level == "batch":
        values.append(func.min(s.received_on))
    return _grouped(session, q.level, s, filters, values, [s.on_hand > 0])


def _turnover(session: Session, q: FigureQuery, filters: Filters) -> dict:
    e = StockEntry
    start, end = q.period()
    start_at, end_at = _midnight(start), _midnight(end + timedelta(days=1))
    outbound = and_(e.at >= start_at, e.kind.in_(OUTBOUND_KINDS), e.on_hand < 0)
    values = [
        func.sum(case((e.at < start_at, e.on_hand), else_=0)),
        func.sum(e.on_hand),
        func.sum(case((outbound, -e.on_hand), else_=0)),
    ]
    return _grouped(session, q.level, e, filters, values, [e.at < end_at])


def figures(session: Session, scope: DataScope, q: FigureQuery) -> dict[str, Any]:
    """The rows of one drill-down level and their totals (same totals at every level)."""
    filters = resolve_filters(session, scope, q)
    start, end = q.period()
    days = (end - start).days + 1
    raw: dict[tuple, dict[str, Any]] = defaultdict(empty_row)
    for key, (on_hand, reserved, in_transit, slow) in _quantities(session, q, filters).items():
        raw[key].update(
            on_hand=int(on_hand or 0), reserved=int(reserved or 0), in_transit=int(in_transit or 0)
        )
        raw[key]["slow_on_hand"] = int(slow or 0)
    received: dict[tuple, Any] = {}
    for key, values in _ages(session, q, filters).items():
        raw[key]["age"] = dict(zip(BUCKETS, (int(v or 0) for v in values[:4]), strict=True))
        if q.level == "batch":
            received[key] = values[4]
    for key, (start_level, end_level, outbound) in _turnover(session, q, filters).items():
        if q.level == "batch" and key not in raw:
            continue  # a batch long gone: not a row of the stock table
        raw[key].update(
            start_level=int(start_level or 0), end_level=int(end_level or 0), outbound=int(outbound or 0)
        )
    chosen = {"region": q.region, "warehouse": q.warehouse, "sku": q.sku}
    rows = label_rows(session, q.level, raw, received, chosen=chosen, region=filters.region, as_of=q.as_of)
    total = empty_row()
    for row in rows:
        add_row(total, row)
    rows.sort(key=lambda r: (-r["on_hand"], r["code"]))
    return {
        "level": q.level,
        "filters": chosen,
        "as_of": q.as_of.isoformat(),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "slow_moving_days": q.slow_days,
        "totals": finish(total, days),
        "count": len(rows),
        "truncated": len(rows) > LIMIT,
        "rows": [finish(r, days) for r in rows[:LIMIT]],
    }
