"""Stock figures, set-based and scoped: quantities, FIFO stock age, turnover and slow-moving stock,
for the drill-down network → region (tree) → warehouse → SKU → batch (docs/inventory.md).

Each level is a few ``GROUP BY`` queries (balances, batches, ledger) limited to the warehouses of
a DataScope; only the region level is rolled up in Python, over one row per region. Dates are
compared with cut-offs computed here, so the SQL is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from app.adapters.scope_sql import scope_clause
from app.domain.errors import NotFound, ValidationFailed
from app.domain.scope import DataScope
from app.models import Category, Product, Region, StockBalance, StockBatch, StockEntry, Warehouse

LEVELS = ("network", "region", "warehouse", "sku", "batch")
OUTBOUND_KINDS = ("ship", "sell_out", "transfer_out")
BUCKETS = ("0_30", "31_90", "91_180", "over_180")
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
        as_of=dates["as_of"] or date.today(),
        start=dates["from"],
        end=dates["to"],
        slow_days=slow_days,
        **codes,
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


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


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def finish(row: dict[str, Any], days: int) -> dict[str, Any]:
    """Derived figures of a row of summed quantities (so totals are computed the same way)."""
    row["available"] = row["on_hand"] - row["reserved"]
    aged = sum(row["age"].values())
    row["age_share"] = {k: _ratio(v, aged) for k, v in row["age"].items()}
    row["over_90_share"] = _ratio(row["age"]["91_180"] + row["age"]["over_180"], aged)
    row["slow_rate"] = _ratio(row["slow_on_hand"], row["on_hand"])
    average = (row["start_level"] + row["end_level"]) / 2
    row["avg_inventory"] = average
    row["turnover_rate"] = _ratio(row["outbound"], average) if average > 0 else None
    daily = row["outbound"] / days
    row["days_of_inventory"] = round(row["end_level"] / daily, 1) if daily else None
    return row


SUMMED = ("on_hand", "reserved", "in_transit", "slow_on_hand", "start_level", "end_level", "outbound")


def _empty() -> dict[str, Any]:
    return {**dict.fromkeys(SUMMED, 0), "age": dict.fromkeys(BUCKETS, 0)}


def _add(into: dict[str, Any], other: dict[str, Any]) -> None:
    for k in SUMMED:
        into[k] += other[k]
    for k in BUCKETS:
        into["age"][k] += other["age"][k]


def figures(session: Session, scope: DataScope, q: FigureQuery) -> dict[str, Any]:
    """The rows of one drill-down level and their totals (same totals at every level)."""
    filters = resolve_filters(session, scope, q)
    start, end = q.period()
    days = (end - start).days + 1
    raw: dict[tuple, dict[str, Any]] = defaultdict(_empty)
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
    rows = _label(session, q, filters, raw, received)
    total = _empty()
    for row in rows:
        _add(total, row)
    rows.sort(key=lambda r: (-r["on_hand"], r["code"]))
    return {
        "level": q.level,
        "filters": {"region": q.region, "warehouse": q.warehouse, "sku": q.sku},
        "as_of": q.as_of.isoformat(),
        "from": start.isoformat(),
        "to": end.isoformat(),
        "slow_moving_days": q.slow_days,
        "totals": finish(total, days),
        "count": len(rows),
        "truncated": len(rows) > LIMIT,
        "rows": [finish(r, days) for r in rows[:LIMIT]],
    }


def _label(
    session: Session, q: FigureQuery, filters: Filters, raw: dict, received: dict
) -> list[dict[str, Any]]:
    """Rows with codes, names and the parameters of the next level down."""
    keep = {"region": q.region, "warehouse": q.warehouse, "sku": q.sku}
    keep = {k: v for k, v in keep.items() if v}
    if q.level == "network":
        row = raw.get((0,), _empty())
        return [{**row, "code": "", "name": "", "name_en": "", "drill": {"level": "region"}}]
    if q.level == "region":
        return _region_rows(session, filters, raw, keep)
    if q.level == "warehouse":
        names = _names(session, Warehouse, [k[0] for k in raw])
        return [
            {**v, **names[k[0]], "drill": {**keep, "level": "sku", "warehouse": names[k[0]]["code"]}}
            for k, v in raw.items()
        ]
    if q.level == "sku":
        names = _names(session, Product, [k[0] for k in raw])
        return [
            {**v, **names[k[0]], "drill": {**keep, "level": "batch", "sku": names[k[0]]["code"]}}
            for k, v in raw.items()
        ]
    warehouses = _names(session, Warehouse, [k[0] for k in raw])
    products = _names(session, Product, [k[1] for k in raw])
    rows = []
    for (warehouse_id, product_id, batch), v in raw.items():
        on = received.get((warehouse_id, product_id, batch))
        rows.append(
            {
                **v,
                "code": batch,
                "name": f"{warehouses[warehouse_id]['code']} · {products[product_id]['code']}",
                "name_en": None,
                "warehouse": warehouses[warehouse_id]["code"],
                "sku": products[product_id]["code"],
                "received_on": on.isoformat() if on else None,
                "age_days": (q.as_of - on).days if on else None,
                "drill": None,
            }
        )
    return rows


def _names(session: Session, model, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    wanted = sorted(set(ids))
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for row in session.execute(
            select(model.id, model.code, model.name, getattr(model, "name_en", literal(None))).where(
                model.id.in_(chunk)
            )
        ):
            found[row[0]] = {"code": row[1], "name": row[2], "name_en": row[3]}
    return found


def _region_rows(session: Session, filters: Filters, raw: dict, keep: dict) -> list[dict[str, Any]]:
    """Roll the per-region sums up to the children of ?region= (or the top-level regions)."""
    regions = {
        r.id: r
        for r in session.execute(select(Region.id, Region.code, Region.name, Region.name_en, Region.path))
    }
    by_code = {r.code: r for r in regions.values()}
    depth = len([c for c in filters.region.path.split("/") if c]) if filters.region is not None else 0
    has_children = {c for r in regions.values() for c in [c for c in r.path.split("/") if c][:-1]}
    grouped: dict[str, dict[str, Any]] = {}
    for (region_id,), values in raw.items():
        parts = [c for c in regions[region_id].path.split("/") if c]
        code = parts[depth] if len(parts) > depth else parts[-1]
        if code not in grouped:
            grouped[code] = _empty()
        _add(grouped[code], values)
    rows = []
    for code, values in grouped.items():
        region = by_code[code]
        direct = filters.region is not None and code == filters.region.code
        next_level = "region" if code in has_children and not direct else "warehouse"
        drill = {**keep, "level": next_level, "region": code}
        rows.append({**values, "code": code, "name": region.name, "name_en": region.name_en, "drill": drill})
    return rows
