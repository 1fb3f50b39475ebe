"""Keeping the sales analytics store (docs/analytics.md): incremental booking from the order
timeline behind a watermark, and the full rebuild that must give the same figures.

A sale is an order line with a quantity above 0 of an order in ``SOLD_STATUSES``, dated on the
order's confirmation day in ``DMS_TIMEZONE``, at the line's current quantity and amount. Every
change to such an order (confirmation, change request applied, partial lines cut at the first
shipment, cancellation) writes an ``order_event``; ``update`` re-books each order named by events
after the watermark: its booked lines are replaced by what it sells now, and the rollups get the
difference (a cancelled order's lines are reversed). Booking an order twice changes nothing.
``update`` and ``rebuild`` never run inside an order's transaction (the job and the CLI call them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.adapters.analytics_terms import SOLD_STATUSES, Booked, cents, local_day, rollup_deltas
from app.models import (
    AnalyticsWatermark,
    DealerMonth,
    OrderDay,
    OrderEvent,
    OrderLine,
    ProductMonth,
    SaleLine,
    SalesOrder,
)
from app.models.base import utcnow

WATERMARK = "sales"
CHUNK = 500  # orders booked per round trip
# PostgreSQL hands out event ids before commit, so an event may become visible after a later one:
# each update looks this many ids back again (re-booking is idempotent). SQLite commits in id order.
PG_LOOKBACK = 500
ROLLUPS = {
    "order_day": (OrderDay, ("day", "dealer_id"), ("week", "month")),
    "dealer_month": (DealerMonth, ("month", "dealer_id"), ()),
    "product_month": (ProductMonth, ("month", "product_id"), ()),
}


@dataclass(frozen=True)
class UpdateResult:
    events: int  # events read after the watermark
    orders: int  # orders booked again
    watermark: int  # the last event id read


def _sold_lines(order_ids: Sequence[int] | None):
    query = (
        select(
            SalesOrder.id,
            SalesOrder.confirmed_at,
            SalesOrder.dealer_id,
            SalesOrder.warehouse_id,
            OrderLine.product_id,
            OrderLine.qty,
            OrderLine.amount,
        )
        .join(OrderLine, OrderLine.order_id == SalesOrder.id)
        .where(SalesOrder.status.in_(SOLD_STATUSES), SalesOrder.confirmed_at.is_not(None), OrderLine.qty > 0)
    )
    if order_ids is not None:
        query = query.where(SalesOrder.id.in_(order_ids))
    return query.order_by(SalesOrder.id, OrderLine.product_id)


def _booked(rows: Iterable, zone: ZoneInfo) -> list[Booked]:
    """Order-line rows → booked lines (one per order × SKU; the same SKU twice is added up)."""
    out: dict[tuple[int, int], Booked] = {}
    days: dict[datetime, date] = {}
    for order_id, confirmed_at, dealer_id, warehouse_id, product_id, qty, amount in rows:
        day = days.get(confirmed_at) or days.setdefault(confirmed_at, local_day(confirmed_at, zone))
        line = Booked(order_id, product_id, day, dealer_id, warehouse_id, int(qty), cents(amount))
        seen = out.get((order_id, product_id))
        if seen is not None:
            line = Booked(order_id, product_id, day, dealer_id, warehouse_id, seen.qty + line.qty,
                          seen.cents + line.cents)  # fmt: skip
        out[(order_id, product_id)] = line
    return list(out.values())


def _line_row(line: Booked) -> dict:
    return {
        "order_id": line.order_id,
        "product_id": line.product_id,
        "day": line.day,
        "week": line.week,
        "month": line.month,
        "dealer_id": line.dealer_id,
        "warehouse_id": line.warehouse_id,
        "qty": line.qty,
        "cents": line.cents,
    }


def _upsert(session: Session, model, keys: tuple[str, ...], rows: list[dict]) -> None:
    """Add ``rows``' qty, cents and orders to the rollup rows with the same key (insert if new)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    table = model.__table__
    stmt = dialect_insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c: table.c[c] + stmt.excluded[c] for c in ("qty", "cents", "orders")},
    )
    session.execute(stmt, rows)


def _apply(session: Session, old: list[Booked], new: list[Booked]) -> None:
    """Replace booked lines ``old`` by ``new`` in every rollup; drop rows that fall to zero."""
    for name, delta in rollup_deltas(old, new).items():
        if not delta:
            continue
        model, keys, carried = ROLLUPS[name]
        columns = keys + carried
        rows = [
            {**dict(zip(columns, key, strict=True)), "qty": v[0], "cents": v[1], "orders": v[2]}
            for key, v in delta.items()
        ]
        _upsert(session, model, keys, rows)
        shrunk = [{f"k_{k}": r[k] for k in keys} for r in rows if min(r["qty"], r["cents"], r["orders"]) < 0]
        if shrunk:
            table = model.__table__
            session.execute(
                delete(table).where(
                    *[table.c[k] == bindparam(f"k_{k}") for k in keys],
                    table.c.qty == 0,
                    table.c.cents == 0,
                    table.c.orders == 0,
                ),
                shrunk,
            )


def book_orders(session: Session, order_ids: Sequence[int], zone: ZoneInfo) -> None:
    """Book these orders again: their stored lines become what they sell now (none when no
    longer sold), and the rollups follow. Flushes, never commits."""
    if not order_ids:
        return
    new = _booked(session.execute(_sold_lines(order_ids)), zone)
    old = [
        Booked(r.order_id, r.product_id, r.day, r.dealer_id, r.warehouse_id, int(r.qty), int(r.cents))
        for r in session.execute(select(SaleLine.__table__).where(SaleLine.order_id.in_(order_ids)))
    ]
    if set(old) == set(new):
        return
    _apply(session, old, new)
    session.execute(delete(SaleLine.__table__).where(SaleLine.order_id.in_(order_ids)))
    if new:
        session.execute(insert(SaleLine.__table__), [_line_row(line) for line in new])


def _lock(session: Session, now: datetime) -> AnalyticsWatermark:
    """Take the watermark row (created on first use) for this transaction: a second update or
    rebuild waits until this one commits."""
    table = AnalyticsWatermark.__table__
    taken = session.execute(
        update(table)
        .where(table.c.name == WATERMARK)
        .values(last_run_at=now)
        .returning(table.c.last_event_id)
    ).scalar()
    if taken is None:
        session.execute(insert(table).values(name=WATERMARK, last_event_id=0, last_run_at=now))
    return AnalyticsWatermark(name=WATERMARK, last_event_id=taken or 0)


def _set_mark(session: Session, last_event_id: int, **extra) -> None:
    table = AnalyticsWatermark.__table__
    session.execute(
        update(table).where(table.c.name == WATERMARK).values(last_event_id=last_event_id, **extra)
    )


def update_store(session: Session, zone: ZoneInfo, now: datetime | None = None) -> UpdateResult:
    """Book every order with timeline events after the watermark, then move it. Flushes; the
    caller commits (one transaction: the watermark moves with the figures)."""
    mark = _lock(session, now or utcnow())
    top, events = session.execute(
        select(func.max(OrderEvent.id), func.count()).where(OrderEvent.id > mark.last_event_id)
    ).one()
    top = top or mark.last_event_id
    lookback = PG_LOOKBACK if session.get_bind().dialect.name == "postgresql" else 0
    low = max(0, mark.last_event_id - lookback)
    order_ids = sorted(
        session.scalars(
            select(OrderEvent.order_id).where(OrderEvent.id > low, OrderEvent.id <= top).distinct()
        )
    )
    for start in range(0, len(order_ids), CHUNK):
        book_orders(session, order_ids[start : start + CHUNK], zone)
    _set_mark(session, top)
    return UpdateResult(events or 0, len(order_ids), top)


def rebuild_store(session: Session, zone: ZoneInfo, now: datetime | None = None) -> int:
    """Empty the store and book every sold order line again; the rollups are summed from the
    booked lines with GROUP BY (not by the incremental arithmetic). Returns the booked lines."""
    now = now or utcnow()
    _lock(session, now)
    top = session.scalar(select(func.max(OrderEvent.id))) or 0
    for model in (SaleLine, OrderDay, DealerMonth, ProductMonth):
        session.execute(delete(model.__table__))
    written, batch, pending = 0, [], []
    result = session.execute(_sold_lines(None).execution_options(yield_per=20_000))
    for rows in result.partitions():
        pending.extend(rows)
        last_order = pending[-1][0]
        complete = [r for r in pending if r[0] != last_order]  # an order's lines stay together
        pending = [r for r in pending if r[0] == last_order]
        batch = [_line_row(line) for line in _booked(complete, zone)]
        if batch:
            session.execute(insert(SaleLine.__table__), batch)
            written += len(batch)
    batch = [_line_row(line) for line in _booked(pending, zone)]
    if batch:
        session.execute(insert(SaleLine.__table__), batch)
        written += len(batch)
    _sum_rollups(session)
    _set_mark(session, top, rebuilt_at=now)
    return written


def _sum_rollups(session: Session) -> None:
    s = SaleLine.__table__.c
    per_order = func.count(func.distinct(s.order_id))
    sums = (func.sum(s.qty), func.sum(s.cents))
    session.execute(
        insert(OrderDay.__table__).from_select(
            ["day", "dealer_id", "week", "month", "qty", "cents", "orders"],
            select(s.day, s.dealer_id, func.min(s.week), func.min(s.month), *sums, per_order).group_by(
                s.day, s.dealer_id
            ),
        )
    )
    session.execute(
        insert(DealerMonth.__table__).from_select(
            ["month", "dealer_id", "qty", "cents", "orders"],
            select(s.month, s.dealer_id, *sums, per_order).group_by(s.month, s.dealer_id),
        )
    )
    session.execute(
        insert(ProductMonth.__table__).from_select(
            ["month", "product_id", "qty", "cents", "orders"],
            select(s.month, s.product_id, *sums, func.count()).group_by(s.month, s.product_id),
        )
    )
