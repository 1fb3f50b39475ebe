"""The analytics store: incremental booking behind the watermark (confirmations, changes,
cancellations, orders never sold) gives exactly the rows of a full rebuild; the figures match an
independent sum over the order lines; the CLI commands."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.analytics_helpers import (
    ZONE,
    analytics_app,
    at,
    change_line,
    expected,
    make_order,
    move,
    store_rows,
)


@pytest.fixture(scope="module")
def app(database_url):
    application = analytics_app(database_url)
    yield application
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _update(app):
    from app.jobs.analytics import analytics_update

    return analytics_update(app)


def test_incremental_batches_equal_rebuild(app):
    from app.extensions import db
    from app.models import DealerMonth, OrderDay

    with app.app_context():
        s = db.session
        # batch 1: confirmed orders over three months, one draft, one rejected
        a = make_order(s, "D-SH-1", [("W-550", 10, "30.00"), ("T-500", 3, "45.50")], at(2026, 1, 5))
        b = make_order(s, "D-SH-1", [("W-550", 5, "30.00")], at(2026, 1, 5, hour=20))  # 04:00 next day local
        c = make_order(s, "D-GD-1", [("C-1KG", 2, "60.00"), ("W-550", 1, "29.99")], at(2026, 2, 14))
        make_order(s, "D-JS-1", [("T-500", 7, "45.00")], None, status="submitted")
        make_order(s, "D-JS-1", [("T-500", 7, "45.00")], None, status="rejected")
        s.commit()
        first = _update(app)
        assert first.events == 5
        assert s.get(OrderDay, (date(2026, 1, 6), a.dealer_id)).orders == 1  # b's local day
        # batch 2: cancel a, change c, a new order, a shipment (no figure change)
        move(s, a, "cancelled", "cancel")
        change_line(s, c, "C-1KG", 5)
        change_line(s, c, "W-550", 0)
        d = make_order(s, "D-SH-2", [("W-550", 100, "28.00")], at(2026, 3, 31, hour=17))  # 1 April local
        move(s, b, "shipped", "ship_all")
        s.commit()
        second = _update(app)
        assert second.events == 5
        assert s.get(DealerMonth, (202601, a.dealer_id)).orders == 1  # only b is left
        # batch 3: a partial cut to 0, a received order; then nothing new
        change_line(s, d, "W-550", 40)
        move(s, d, "received", "receive")
        s.commit()
        _update(app)
        assert _update(app).events == 0
        incremental = store_rows(s)
        assert len(incremental["analytics_sale_line"]) == 3  # b, c (one line), d

        from app.jobs.analytics import analytics_rebuild

        assert analytics_rebuild(app) == 3
        assert store_rows(s) == incremental
        # after a rebuild, updates carry on from the same watermark
        e = make_order(s, "D-GD-1", [("T-500", 1, "45.00")], at(2026, 3, 2))
        s.commit()
        assert _update(app).events == 1
        move(s, e, "cancelled", "cancel")
        s.commit()
        _update(app)
        assert store_rows(s) == incremental


def test_rollups_match_order_lines(app):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Dealer, DealerMonth, ProductMonth

    with app.app_context():
        s = db.session
        want = expected(s, date(2000, 1, 1), date(2100, 1, 1), lambda r: r["dealer"])
        got = {
            code: (Decimal(cents) / 100, qty, orders)
            for code, cents, qty, orders in s.execute(
                select(
                    Dealer.code,
                    func.sum(DealerMonth.cents),
                    func.sum(DealerMonth.qty),
                    func.sum(DealerMonth.orders),
                )
                .join(Dealer, Dealer.id == DealerMonth.dealer_id)
                .group_by(Dealer.code)
            )
        }
        assert got == {k: (v[0], v[1], len(v[2])) for k, v in want.items()}
        by_sku = expected(s, date(2000, 1, 1), date(2100, 1, 1), lambda r: r["sku"])
        total = s.execute(select(func.sum(ProductMonth.cents), func.sum(ProductMonth.qty))).one()
        assert Decimal(total[0]) / 100 == sum(v[0] for v in by_sku.values())
        assert total[1] == sum(v[1] for v in by_sku.values())
        assert ZONE.key == app.config["DMS_TIMEZONE"]


def test_cli_commands(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["dms", "analytics", "update"])
    assert result.exit_code == 0, result.output
    assert "order(s) booked" in result.output
    result = runner.invoke(args=["dms", "analytics", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt" in result.output


def test_an_event_visible_late_is_read_next_time(app):
    """PostgreSQL can make an event id visible after a higher one: an update remembers the ids
    below its new watermark that it did not see and reads those (and only those) again next time.
    Simulated on any database by writing the higher id first."""
    from sqlalchemy import func, insert, select

    from app.adapters.analytics_watermark import read_events
    from app.extensions import db
    from app.models import OrderEvent

    with app.app_context():
        s = db.session
        order = make_order(s, "D-SH-2", [("T-500", 2, "45.00")], at(2026, 4, 2))
        other = make_order(s, "D-SH-2", [("T-500", 1, "45.00")], at(2026, 4, 3))
        mark = s.scalar(select(func.max(OrderEvent.id))) + 1000  # ids of their own, far ahead
        event = {"actor": "test", "action": "approve", "to_status": "confirmed"}
        s.execute(insert(OrderEvent), [{"id": mark + 3, "order_id": other.id, **event}])
        orders, top, events, unseen = read_events(s, mark, [], lookback=500)
        assert (orders, top, events, unseen) == ([other.id], mark + 3, 1, [mark + 1, mark + 2])
        s.execute(insert(OrderEvent), [{"id": mark + 1, "order_id": order.id, **event}])  # committed late
        assert read_events(s, top, unseen, lookback=500) == ([order.id], top, 0, [mark + 2])
        # nothing unseen: only what lies after the watermark; ids fall out of the window
        assert read_events(s, top, [], lookback=500) == ([], top, 0, [])
        assert read_events(s, top + 600, [mark + 2], lookback=500) == ([], top + 600, 0, [])
        # unseen not known (after a rebuild): the whole window once; every id missing in it is unseen
        orders, _, _, unseen = read_events(s, top, None, lookback=500)
        assert set(orders) >= {order.id, other.id}
        assert mark + 2 in unseen and mark + 1 not in unseen and len(unseen) < 500
        s.rollback()


def test_taking_the_watermark_reads_the_same_events(app):
    """Taking the watermark and reading the events (one statement on PostgreSQL) gives what
    reading them after the stored mark gives, in each state of ``unseen``; the row is stamped,
    and created on first use."""
    import json
    from datetime import UTC, datetime

    from sqlalchemy import delete, func, insert, select, update

    from app.adapters.analytics_lines import read_lines, take_and_read_statement
    from app.adapters.analytics_watermark import WATERMARK, read_events, take_and_read
    from app.extensions import db
    from app.models import AnalyticsWatermark, OrderEvent

    with app.app_context():
        s = db.session
        order = make_order(s, "D-SH-2", [("T-500", 2, "45.00")], at(2026, 4, 2))
        other = make_order(s, "D-SH-2", [("T-500", 1, "45.00")], at(2026, 4, 3))
        mark = s.scalar(select(func.max(OrderEvent.id))) + 1000
        event = {"actor": "test", "action": "approve", "to_status": "confirmed"}
        s.execute(insert(OrderEvent), [{"id": mark + 3, "order_id": other.id, **event}])
        s.execute(insert(OrderEvent), [{"id": mark - 2, "order_id": order.id, **event}])  # a late one
        row = AnalyticsWatermark.__table__.c

        def taken(stored_mark, unseen):
            s.execute(
                update(AnalyticsWatermark.__table__)
                .where(row.name == WATERMARK)
                .values(last_event_id=stored_mark, unseen=None if unseen is None else json.dumps(unseen))
            )
            now = datetime(2026, 11, 27, 8, stored_mark % 60, tzinfo=UTC)
            got, rows = take_and_read(s, now, 500, statement)
            assert s.scalar(select(row.last_run_at).where(row.name == WATERMARK)) == now
            assert got == read_events(s, stored_mark, unseen, 500)
            if postgres:  # one statement, which also read the orders' lines
                sold = sorted(tuple(r[3:10]) for r in rows if r[0] == 2)
                assert sold == sorted(tuple(r) for r in read_lines(s, got[0])[0]) and (sold or not got[0])
            else:
                assert rows is None
            return got

        statement = take_and_read_statement()
        postgres = s.get_bind().dialect.name == "postgresql"
        take_and_read(s, datetime(2026, 11, 27, 7, tzinfo=UTC), 500, statement)  # the row exists from here on
        assert taken(mark, []) == ([other.id], mark + 3, 1, [mark + 1, mark + 2])
        assert taken(mark, [mark - 2, mark - 1]) == (
            [order.id, other.id],
            mark + 3,
            1,
            [mark - 1, mark + 1, mark + 2],
        )
        assert taken(mark + 3, []) == ([], mark + 3, 0, [])
        orders, top, events, unseen = taken(mark, None)  # unknown: the whole window
        assert {order.id, other.id} <= set(orders) and (top, events) == (mark + 3, 1)
        assert mark - 2 not in unseen and mark - 1 in unseen and mark + 1 in unseen
        s.execute(delete(AnalyticsWatermark.__table__))  # first use: the row is created at 0
        (orders, top, _, _), rows = take_and_read(s, datetime(2026, 11, 27, 9, tzinfo=UTC), 500, statement)
        assert rows is None  # taken again by a statement of its own
        assert {order.id, other.id} <= set(orders) and top == mark + 3
        assert s.scalar(select(row.last_event_id).where(row.name == WATERMARK)) == 0
        s.rollback()


def test_an_update_that_waited_for_another_books_on_what_that_one_wrote(app):
    """Two updates at once (the job and ``flask dms analytics update``): the second waits for the
    watermark the first holds, then books an order the first booked and that changed meanwhile
    against the lines the first wrote — never against what it saw before it waited. The figures
    then equal a rebuild's. (SQLite lets one writer in at a time: the change comes first there.)"""
    import threading

    from sqlalchemy.orm import Session

    from app.adapters.analytics_store import rebuild_store, update_store
    from app.extensions import db

    with app.app_context():
        s = db.session
        _update(app)
        order = make_order(s, "D-GD-1", [("C-1KG", 4, "60.00"), ("T-500", 2, "45.00")], at(2026, 6, 3))
        s.commit()
        engine = db.engine
        postgres = engine.dialect.name == "postgresql"
        if not postgres:  # SQLite: one writer at a time, nothing can change while an update runs
            change_line(s, order, "C-1KG", 9)
            s.commit()
        first = Session(engine)
        update_store(first, ZONE)  # books the order, holds the watermark until it commits
        if postgres:
            change_line(s, order, "C-1KG", 9)  # changed (and its event committed) meanwhile
            s.commit()
        errors, done = [], threading.Event()

        def second():
            try:
                with Session(engine) as other:
                    update_store(other, ZONE)
                    other.commit()
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)
            finally:
                done.set()

        thread = threading.Thread(target=second)
        thread.start()
        try:
            assert not done.wait(1.0)  # waiting for the first update's watermark
        finally:
            first.commit()
            first.close()
            thread.join(timeout=30)
        assert errors == []
        s.expire_all()
        booked = store_rows(s)
        line_qty = [row for row in booked["analytics_sale_line"] if row[0] == order.id]
        assert sorted(r[7] for r in line_qty) == [2, 9]
        rebuild_store(s, ZONE)
        s.commit()
        assert store_rows(s) == booked
