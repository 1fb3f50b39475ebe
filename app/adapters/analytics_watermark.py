"""The analytics store's watermark (docs/analytics.md): how far the order timeline has been read.

The row ``analytics_watermark`` named ``sales`` is taken (``UPDATE … RETURNING``) at the start
of an update or a rebuild, so two of them run one after the other; the events after it name the
orders to book again; it moves in the same transaction as the figures (``move_mark``, or ``MOVE_SQL``
inside the store's combined PostgreSQL write).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import TextClause, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from app.models import AnalyticsWatermark, OrderEvent

WATERMARK = "sales"
# PostgreSQL hands out event ids before commit, so an event may become visible after a later one:
# each update remembers the ids up to this many below its watermark that it did not see
# (``analytics_watermark.unseen``) and reads those again next time (re-booking is idempotent).
# SQLite commits in id order.
PG_LOOKBACK = 500

_EVENTS_AFTER = select(OrderEvent.id, OrderEvent.order_id).where(OrderEvent.id > bindparam("after"))
_EVENTS_AFTER_OR = select(OrderEvent.id, OrderEvent.order_id).where(
    or_(OrderEvent.id > bindparam("after"), OrderEvent.id.in_(bindparam("late", expanding=True)))
)
_MARK = AnalyticsWatermark.__table__
_TAKE = (
    update(_MARK)
    .where(_MARK.c.name == WATERMARK)
    .values(last_run_at=bindparam("now"))
    .returning(_MARK.c.last_event_id, _MARK.c.unseen)
)
_MOVE = (
    update(_MARK)
    .where(_MARK.c.name == WATERMARK)
    .values(last_event_id=bindparam("top"), unseen=bindparam("unseen"))
)
MOVE_SQL = f"UPDATE {_MARK.name} SET last_event_id = :top, unseen = :unseen WHERE name = '{WATERMARK}'"  # noqa: S608


def take_mark(session: Session, now: datetime) -> tuple[int, list[int] | None]:
    """Take the watermark row (created on first use) for this transaction: a second update or
    rebuild waits until this one commits. Returns the last event id read and the unseen ids
    below it (None: not known, look back over the whole window)."""
    taken = session.execute(_TAKE, {"now": now}).first()
    if taken is None:
        session.execute(insert(_MARK).values(name=WATERMARK, last_event_id=0, last_run_at=now))
        return 0, None
    return taken[0], (json.loads(taken[1]) if taken[1] is not None else None)


def move_mark(session: Session, last_event_id: int, unseen: list[int] | None, **extra) -> None:
    values = {"top": last_event_id, "unseen": None if unseen is None else json.dumps(unseen)}
    session.execute(_MOVE.values(**extra) if extra else _MOVE, values)


def read_events(
    session: Session, mark: int, unseen: list[int] | None, lookback: int
) -> tuple[list[int], int, int, list[int]]:
    """The orders named by events after the watermark and by the ids that were unseen last time
    (or, when those are not known, every event of the look-back window); see ``_digest``."""
    if unseen is None:
        rows = session.execute(_EVENTS_AFTER, {"after": max(0, mark - lookback)}).all()
    elif unseen:
        rows = session.execute(_EVENTS_AFTER_OR, {"after": mark, "late": unseen}).all()
    else:
        rows = session.execute(_EVENTS_AFTER, {"after": mark}).all()
    return _digest(rows, mark, unseen, lookback)


# PostgreSQL: take the watermark and read the events in one round trip — the UPDATE as a
# data-modifying WITH query ``m``, the events ``ev`` after ``last_event_id`` (after
# ``last_event_id - lookback`` when ``unseen`` is not known) and those with the unseen ids. Both
# reads are index scans on the event id, their bounds computed once from the taken row
# (sub-selects). The statement sees the events as of its start; one committed meanwhile is
# invisible, as if not yet committed, and is kept among the unseen ids like any other.
# The UPDATE takes the row only if it is still the version this statement's snapshot sees: when
# another update or rebuild committed while this one waited for the row (READ COMMITTED re-checks
# the WHERE on the newest version), it takes nothing, and ``take_and_read`` takes the row again
# in a statement of its own. So everything such a statement reads was written before the last
# take — what the store relies on when it reads its booked lines in the same statement
# (analytics_store.py).
TAKE_CTES = f"""m AS (UPDATE {_MARK.name} AS w SET last_run_at = :now
        FROM (SELECT last_run_at, last_event_id FROM {_MARK.name} WHERE name = '{WATERMARK}') AS s
        WHERE w.name = '{WATERMARK}' AND w.last_run_at IS NOT DISTINCT FROM s.last_run_at
            AND w.last_event_id = s.last_event_id
        RETURNING w.last_event_id, w.unseen),
    ev AS (SELECT e.id, e.order_id FROM {OrderEvent.__tablename__} e
        WHERE e.id > (SELECT last_event_id - CASE WHEN unseen IS NULL THEN :lookback ELSE 0 END FROM m)
        UNION ALL
        SELECT e.id, e.order_id FROM {OrderEvent.__tablename__} e
        WHERE e.id = ANY(ARRAY(SELECT CAST(u.v AS BIGINT)
                               FROM m, json_array_elements_text(CAST(m.unseen AS JSON)) AS u(v))))"""  # noqa: S608


def take_and_read(
    session: Session, now: datetime, lookback: int, statement: TextClause | None = None
) -> tuple[tuple[list[int], int, int, list[int]], list | None]:
    """``take_mark`` then ``read_events``; on PostgreSQL with ``statement`` — a statement over
    ``TAKE_CTES`` whose rows are (kind, id, unseen, order id, …): kind 0 the taken row, kind 1 the
    events, other kinds the caller's — in one round trip. Returns what ``read_events`` returns and
    the statement's rows (None when it was not run, or took nothing and the row was taken again)."""
    if statement is not None and session.get_bind().dialect.name == "postgresql":
        rows = session.execute(statement, {"now": now, "lookback": lookback}).all()
        taken = digest_taken(rows, lookback)
        if taken is not None:
            return taken, rows
    return read_events(session, *take_mark(session, now), lookback), None


def digest_taken(rows: Sequence, lookback: int) -> tuple[list[int], int, int, list[int]] | None:
    """The rows of a statement over ``TAKE_CTES`` — (kind, id, unseen, order id, …): kind 0 the
    taken row, kind 1 the events, other kinds ignored — as ``read_events`` returns them. None
    when it took no row: first use (no row yet), or another update took it meanwhile."""
    taken = [row for row in rows if row[0] == 0]
    if not taken:
        return None
    mark, stored = taken[0][1], taken[0][2]
    unseen = json.loads(stored) if stored is not None else None
    return _digest([(row[1], row[3]) for row in rows if row[0] == 1], mark, unseen, lookback)


def _digest(
    rows: Sequence, mark: int, unseen: list[int] | None, lookback: int
) -> tuple[list[int], int, int, list[int]]:
    """Event rows (id, order id) read after watermark ``mark`` → the orders they name; the new
    watermark; how many events lay after the old one; and the ids still unseen within
    ``lookback`` of the new one."""
    if unseen is None:
        unseen = list(range(max(0, mark - lookback) + 1, mark + 1))
    seen = {event_id for event_id, _ in rows}
    top = max(max(seen, default=mark), mark)
    floor = top - lookback
    still = {i for i in unseen if i > floor} | set(range(max(mark, floor) + 1, top + 1))
    return (
        sorted({order_id for _, order_id in rows}),
        top,
        sum(1 for i in seen if i > mark),
        sorted(still - seen),
    )
