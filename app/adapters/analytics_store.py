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

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Table,
    TextClause,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from app.adapters.analytics_lines import CHUNK, SALE, read_lines, sold_lines, take_and_read_statement
from app.adapters.analytics_terms import Booked, cents, local_day, rollup_deltas
from app.adapters.analytics_watermark import (
    MOVE_SQL,
    PG_LOOKBACK,
    move_mark,
    take_and_read,
    take_mark,
)
from app.models import (
    DealerMonth,
    OrderDay,
    OrderEvent,
    ProductMonth,
    SaleLine,
)
from app.models.base import utcnow

MEASURES = ("qty", "cents", "orders")  # what a rollup row adds up
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


_DELETE_LINE = delete(SALE).where(
    SALE.c.order_id == bindparam("k_order_id"), SALE.c.product_id == bindparam("k_product_id")
)


@dataclass(frozen=True)
class _Rows:
    """Rows into one table: an INSERT with VALUES run as an executemany, or, on PostgreSQL,
    ``INSERT … SELECT * FROM unnest(<one array per column>)`` (one statement for any number of
    rows; the arrays travel as text literals, which psycopg does not have to dump element by
    element). With ``keys``, an upsert adding qty, cents and orders to the row with those keys —
    the same ``ON CONFLICT … DO UPDATE`` on SQLite (3.24+) and PostgreSQL. Text, because
    SQLAlchemy 2.0 cannot cache its own on-conflict construct (it would compile it on every call)."""

    name: str  # also the prefix of its parameters in a combined statement
    table: Table
    columns: tuple[str, ...]
    keys: tuple[str, ...] = ()

    def sql(self, source: str) -> str:
        table = self.table.name
        sql = f"INSERT INTO {table} ({', '.join(self.columns)}) {source}"
        if self.keys:
            added = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in MEASURES)
            sql += f" ON CONFLICT ({', '.join(self.keys)}) DO UPDATE SET {added}"
        return sql

    @cached_property
    def each(self) -> TextClause:
        values = f"VALUES ({', '.join(':' + c for c in self.columns)})"
        return text(self.sql(values)).bindparams(
            *[bindparam(c, type_=self.table.c[c].type) for c in self.columns]
        )

    @cached_property
    def unnest(self) -> str:
        from sqlalchemy.dialects import postgresql

        dialect = postgresql.dialect()
        types = {c: self.table.c[c].type.compile(dialect=dialect) for c in self.columns}
        arrays = ", ".join(f"CAST(:{self.name}_{c} AS {types[c]}[])" for c in self.columns)
        return self.sql(f"SELECT * FROM unnest({arrays})")  # noqa: S608 (our own columns)

    def write(self, session: Session, rows: list[dict]) -> None:
        """These rows alone, in one statement on PostgreSQL."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(_combined((self,), False), self.arrays(rows))
        else:
            session.execute(self.each, rows)

    def arrays(self, rows: list[dict]) -> dict[str, str]:
        """The parameters of ``unnest``: one array literal per column (ints and dates: no quoting)."""
        return {
            f"{self.name}_{c}": "{" + ",".join("NULL" if r[c] is None else str(r[c]) for r in rows) + "}"
            for c in self.columns
        }


_LINES = _Rows(
    "sl",
    SALE,
    ("order_id", "product_id", "day", "week", "month", "dealer_id", "warehouse_id", *MEASURES[:2]),
)
_ROLLUP_ROWS = {
    name: _Rows(name, model.__table__, (*keys, *carried, *MEASURES), keys)
    for name, (model, keys, carried) in ROLLUPS.items()
}


@cache
def _combined(parts: tuple[_Rows, ...], move: bool) -> TextClause:
    """One PostgreSQL statement running ``parts`` (and moving the watermark): every part but the
    last one a data-modifying WITH query. One round trip for all of an update's writes."""
    statements = [part.unnest for part in parts] + ([MOVE_SQL] if move else [])
    *first, last = statements
    with_ = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(first))
    return text(f"WITH {with_} {last}" if first else last)


class _Writes:
    """The writes of one update, run together: on SQLite one executemany per table (in-process,
    nothing to save), on PostgreSQL one statement for all of them."""

    def __init__(self) -> None:
        self.parts: list[tuple[_Rows, list[dict]]] = []

    def add(self, part: _Rows, rows: list[dict]) -> None:
        if rows:
            self.parts.append((part, rows))

    def run(self, session: Session, mark: tuple[int, list[int] | None] | None = None) -> None:
        if session.get_bind().dialect.name != "postgresql":
            for part, rows in self.parts:
                session.execute(part.each, rows)
            if mark is not None:
                move_mark(session, *mark)
        elif self.parts or mark is not None:
            params: dict = {}
            for part, rows in self.parts:
                params.update(part.arrays(rows))
            if mark is not None:
                params.update(top=mark[0], unseen=None if mark[1] is None else json.dumps(mark[1]))
            session.execute(_combined(tuple(part for part, _ in self.parts), mark is not None), params)
        self.parts.clear()


def _shrunk_sql(model, keys: tuple[str, ...]):
    """Delete a rollup row whose figures fell to zero."""
    table = model.__table__
    return delete(table).where(
        *[table.c[k] == bindparam(f"k_{k}") for k in keys],
        table.c.qty == 0,
        table.c.cents == 0,
        table.c.orders == 0,
    )


_SHRUNK = {name: _shrunk_sql(model, keys) for name, (model, keys, _) in ROLLUPS.items()}


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


def _line_row(line: Booked, weeks: dict[date, tuple[int, int]] | None = None) -> dict:
    if weeks is None:
        week, month = line.week, line.month
    else:  # one ISO-week computation per day, not per line
        week, month = weeks.get(line.day) or weeks.setdefault(line.day, (line.week, line.month))
    return {
        "order_id": line.order_id,
        "product_id": line.product_id,
        "day": line.day,
        "week": week,
        "month": month,
        "dealer_id": line.dealer_id,
        "warehouse_id": line.warehouse_id,
        "qty": line.qty,
        "cents": line.cents,
    }


def _rollup_rows(old: list[Booked], new: list[Booked]) -> dict[str, list[dict]]:
    """What replacing booked lines ``old`` by ``new`` adds to each rollup, as rows to upsert."""
    out = {}
    for name, delta in rollup_deltas(old, new).items():
        _, keys, carried = ROLLUPS[name]
        columns = keys + carried
        out[name] = [
            {**dict(zip(columns, key, strict=True)), "qty": v[0], "cents": v[1], "orders": v[2]}
            for key, v in delta.items()
        ]
    return out


def book_orders(
    session: Session,
    order_ids: Sequence[int],
    zone: ZoneInfo,
    mark: tuple[int, list[int] | None] | None = None,
    lines: tuple[list, list] | None = None,
) -> None:
    """Book these orders again: their stored lines become what they sell now (none when no
    longer sold), and the rollups get the difference; rows that fall to zero are dropped. Only
    the lines that differ are deleted and inserted. With ``mark`` (last event id, unseen ids) the
    watermark moves with the writes. ``lines``: what ``read_lines`` returns for them, when
    already read. Flushes, never commits."""
    writes = _Writes()
    sold, booked = lines if lines is not None else read_lines(session, order_ids)
    new = _booked(sold, zone)
    old = [
        Booked(order_id, product_id, day, dealer_id, warehouse_id, int(qty), int(amount))
        for order_id, _, dealer_id, warehouse_id, product_id, qty, _, day, amount in booked
    ]
    old_set, new_set = set(old), set(new)
    if old_set == new_set:
        writes.run(session, mark)
        return
    gone = [{"k_order_id": b.order_id, "k_product_id": b.product_id} for b in old if b not in new_set]
    if gone:  # first: a changed line goes out before its new version comes in
        session.execute(_DELETE_LINE, gone)
    rollups = _rollup_rows(old, new)
    for name, rows in rollups.items():
        writes.add(_ROLLUP_ROWS[name], rows)
    weeks: dict[date, tuple[int, int]] = {}
    writes.add(_LINES, [_line_row(line, weeks) for line in new if line not in old_set])
    writes.run(session, mark)
    for name, rows in rollups.items():
        keys = ROLLUPS[name][1]
        shrunk = [{f"k_{k}": r[k] for k in keys} for r in rows if min(r["qty"], r["cents"], r["orders"]) < 0]
        if shrunk:
            session.execute(_SHRUNK[name], shrunk)


def update_store(session: Session, zone: ZoneInfo, now: datetime | None = None) -> UpdateResult:
    """Book every order with timeline events after the watermark (and with events that were not
    yet visible last time), then move it. Flushes; the caller commits (one transaction: the
    watermark moves with the figures). Round trips for a new order on PostgreSQL: take the
    watermark and read the events, the order's lines and what is booked for it, then one write
    (the rollups, the lines and the watermark). SQLite: one statement each."""
    postgres = session.get_bind().dialect.name == "postgresql"
    statement = take_and_read_statement() if postgres else None
    taken, rows = take_and_read(session, now or utcnow(), PG_LOOKBACK if postgres else 0, statement)
    order_ids, top, events, unseen = taken
    lines = None
    if rows is not None and len(order_ids) <= CHUNK:  # the statement read them too
        lines = ([row[3:10] for row in rows if row[0] == 2], [row[3:] for row in rows if row[0] == 3])
    chunks = [order_ids[start : start + CHUNK] for start in range(0, len(order_ids), CHUNK)] or [[]]
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        book_orders(session, chunk, zone, (top, unseen) if last else None, lines if last else None)
    return UpdateResult(events, len(order_ids), top)


def rebuild_store(session: Session, zone: ZoneInfo, now: datetime | None = None) -> int:
    """Empty the store and book every sold order line again; the rollups are summed from the
    booked lines with GROUP BY (not by the incremental arithmetic). Returns the booked lines."""
    now = now or utcnow()
    take_mark(session, now)
    top = session.scalar(select(func.max(OrderEvent.id))) or 0
    for model in (SaleLine, OrderDay, DealerMonth, ProductMonth):
        session.execute(delete(model.__table__))
    written, batch, pending = 0, [], []
    weeks: dict[date, tuple[int, int]] = {}
    result = session.execute(sold_lines(None).execution_options(yield_per=20_000))
    for rows in result.partitions():
        pending.extend(rows)
        last_order = pending[-1][0]
        complete = [r for r in pending if r[0] != last_order]  # an order's lines stay together
        pending = [r for r in pending if r[0] == last_order]
        batch = [_line_row(line, weeks) for line in _booked(complete, zone)]
        if batch:
            _LINES.write(session, batch)
            written += len(batch)
    batch = [_line_row(line, weeks) for line in _booked(pending, zone)]
    if batch:
        _LINES.write(session, batch)
        written += len(batch)
    _sum_rollups(session)
    move_mark(session, top, None, rebuilt_at=now)  # unseen not known: the next update looks back
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
