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
