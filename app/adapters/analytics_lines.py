"""What the analytics store reads of orders (docs/analytics.md): the lines an order sells now
and the lines booked for it, and on PostgreSQL the one statement that takes the watermark, reads
the events after it and those lines. The statements are built once (SQLAlchemy then reuses their
compiled form): the job books a few orders a minute, and building and compiling statements cost
more than running them."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import BigInteger, Date, Text, TextClause, bindparam, literal, null, select, text, union_all
from sqlalchemy.orm import Session

from app.adapters.analytics_terms import SOLD_STATUSES
from app.adapters.analytics_watermark import TAKE_CTES
from app.models import OrderLine, SaleLine, SalesOrder

CHUNK = 500  # orders booked per round trip
SALE = SaleLine.__table__
_IDS = bindparam("ids", expanding=True)


def sold_lines(order_ids: Sequence[int] | None = None):
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


def _sold_and_booked(sold_where, booked_where, kinds=(0, 1), lead=()):
    """What orders sell now (kind ``kinds[0]``: the columns of ``sold_lines``) and what is booked
    for them (``kinds[1]``: day and cents), in one ``UNION ALL``; ``lead``: columns after the kind."""
    sold = sold_lines().order_by(None).where(sold_where)
    return union_all(
        sold.with_only_columns(
            literal(kinds[0]).label("kind"),
            *lead,
            *sold.selected_columns,
            null().cast(Date).label("day"),
            null().cast(BigInteger).label("cents"),
        ),
        select(
            literal(kinds[1]), *lead, SALE.c.order_id, null(), SALE.c.dealer_id, SALE.c.warehouse_id,
            SALE.c.product_id, SALE.c.qty, null(), SALE.c.day, SALE.c.cents,
        ).where(booked_where),
    )  # fmt: skip


_SOLD_AND_BOOKED = _sold_and_booked(SalesOrder.id.in_(_IDS), SALE.c.order_id.in_(_IDS))


@cache
def take_and_read_statement() -> TextClause:
    """PostgreSQL: take the watermark, read the events after it and, when they name at most
    ``CHUNK`` orders, what those orders sell now and what is booked for them — one statement.
    Rows (kind, id, unseen, order_id, confirmed_at, dealer_id, warehouse_id, product_id, qty,
    amount, day, cents): kinds 0 and 1 as in ``TAKE_CTES``, 2 and 3 the kinds of
    ``_SOLD_AND_BOOKED``. Reading the booked lines in the statement that takes the row is safe:
    the take only succeeds on the row version this statement's snapshot sees
    (analytics_watermark.py), so no booking was committed between the snapshot and the take."""
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()
    few = "= ANY(ARRAY(SELECT order_id FROM few))"
    lines = _sold_and_booked(
        text(f"{SalesOrder.__tablename__}.id {few}"),
        text(f"{SALE.name}.order_id {few}"),
        kinds=(2, 3),
        lead=(null().cast(BigInteger), null().cast(Text)),
    )
    sql = str(lines.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    types = [c.type.compile(dialect=dialect) for c in lines.selects[0].selected_columns[4:]]
    return text(
        f"""WITH {TAKE_CTES},
        few AS (SELECT DISTINCT order_id FROM ev WHERE (SELECT count(DISTINCT order_id) FROM ev) <= {CHUNK})
        SELECT 0 AS kind, m.last_event_id AS id, m.unseen, CAST(NULL AS BIGINT) AS order_id,
            {", ".join(f"CAST(NULL AS {t})" for t in types)} FROM m
        UNION ALL
        SELECT 1, ev.id, NULL, ev.order_id, {", ".join("NULL" for _ in types)} FROM ev
        UNION ALL
        {sql}"""  # noqa: S608 (our own statement)
    ).bindparams(bindparam("now", type_=SalesOrder.confirmed_at.type))


def read_lines(session: Session, order_ids: Sequence[int]) -> tuple[list, list]:
    """What these orders sell now (rows of ``sold_lines``) and what is booked for them."""
    sold, booked = [], []
    if order_ids:
        for kind, *row in session.execute(_SOLD_AND_BOOKED, {"ids": list(order_ids)}):
            if kind:
                booked.append(row)
            else:
                sold.append(row[:7])
    return sold, booked
