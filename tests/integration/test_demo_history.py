"""The demo history (docs/demo_data.md), small size, fixed seed: deterministic, consistent with
the ledger, the analytics store and the receivables, open tasks for the demo roles, loaded once."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.adapters.analytics_store import rebuild_store
from app.adapters.clock import business_today
from app.adapters.demo_history_plan import master_rows, read_params
from app.adapters.stock_ledger import drift
from app.extensions import db
from app.models import (
    AuditLog,
    DealerMonth,
    HumanTask,
    Invoice,
    OrderLine,
    ProductMonth,
    SaleLine,
    SalesOrder,
    ShipmentLine,
    StockBalance,
    StockBatch,
    StockEntry,
)
from tests.conftest import make_app

SEED = 7
PARAMS = Path(__file__).parents[2] / "seed_templates" / "fmcg" / "demo_history.yaml"
INIT = ["dms", "init", "--demo", "--demo-history", "small", "--demo-seed", str(SEED)]


def _digest() -> str:
    """SHA-256 over the key tables' business columns (no surrogate ids, no wall-clock times)."""
    queries = [
        select(SalesOrder.number, SalesOrder.status, SalesOrder.amount, SalesOrder.confirmed_at).order_by(
            SalesOrder.number
        ),
        select(
            SalesOrder.number,
            OrderLine.line_no,
            OrderLine.product_id,
            OrderLine.qty,
            OrderLine.unit_price,
            OrderLine.shipped_qty,
            OrderLine.received_qty,
        )
        .join(SalesOrder)
        .order_by(SalesOrder.number, OrderLine.line_no),
        select(Invoice.number, Invoice.amount, Invoice.paid_amount, Invoice.due_on, Invoice.status).order_by(
            Invoice.number
        ),
        select(
            StockBalance.warehouse_id, StockBalance.product_id, StockBalance.on_hand, StockBalance.reserved
        ).order_by(StockBalance.warehouse_id, StockBalance.product_id),
        select(StockBatch.warehouse_id, StockBatch.product_id, StockBatch.batch, StockBatch.on_hand).order_by(
            StockBatch.warehouse_id, StockBatch.product_id, StockBatch.batch
        ),
        select(DealerMonth.month, DealerMonth.dealer_id, DealerMonth.cents).order_by(
            DealerMonth.month, DealerMonth.dealer_id
        ),
    ]
    digest = hashlib.sha256()
    for query in queries:
        for row in db.session.execute(query):
            digest.update(repr(tuple(_plain(v) for v in row)).encode())
    return digest.hexdigest()


def _plain(value):
    """The same text for the same value on SQLite and PostgreSQL (scale of decimals, time zone)."""
    if isinstance(value, Decimal):
        return f"{value:.4f}"
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _history_app(database_url: str):
    app = make_app(database_url)
    result = app.test_cli_runner().invoke(args=INIT)
    assert result.exit_code == 0, result.output
    assert "demo history (small)" in result.output
    return app


@pytest.fixture(scope="module")
def demo(database_url):
    app = _history_app(database_url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_same_seed_gives_identical_rows(demo, tmp_path_factory):
    other = _history_app(f"sqlite:///{tmp_path_factory.mktemp('other') / 'other.db'}")
    with other.app_context():
        theirs = _digest()
        db.session.remove()
        db.engine.dispose()
    with demo.app_context():
        ours = _digest()
        assert db.session.scalar(select(func.count()).select_from(SalesOrder)) > 100
    assert ours == theirs


def test_another_seed_draws_other_master_data():
    first = master_rows(read_params(PARAMS, "small", 1))
    assert first == master_rows(read_params(PARAMS, "small", 1))
    assert first["dealers"] != master_rows(read_params(PARAMS, "small", 2))["dealers"]
    assert len(first["dealers"]) == 12 and len(first["products"]) == 30


def test_ledger_balances_and_batches_agree(demo):
    with demo.app_context():
        assert drift(db.session) == []
        assert db.session.scalar(select(func.count()).select_from(StockBatch)) > 50
        days = {
            at.date() for at in db.session.scalars(select(StockEntry.at).where(StockEntry.kind == "ship"))
        }
        assert len(days) > 200 and min(days) < business_today() - timedelta(days=300)  # dated in the past


def test_analytics_store_equals_a_fresh_rebuild(demo):
    with demo.app_context():
        tables = (SaleLine, DealerMonth, ProductMonth)

        def snapshot():  # every column but the surrogate id (PostgreSQL hands out new ones)
            columns = [[c for c in t.__table__.c if c.name != "id"] for t in tables]
            return [sorted(tuple(r) for r in db.session.execute(select(*cols))) for cols in columns]

        before = snapshot()
        assert before[0], "the store has sale lines"
        rebuild_store(db.session, ZoneInfo(demo.config["DMS_TIMEZONE"]))
        db.session.commit()
        assert snapshot() == before


def test_shipped_within_ordered_and_invoiced_within_shipped(demo):
    with demo.app_context():
        over = db.session.scalar(
            select(func.count()).select_from(OrderLine).where(OrderLine.shipped_qty > OrderLine.qty)
        )
        assert over == 0
        shipped = dict(
            db.session.execute(
                select(ShipmentLine.order_line_id, func.sum(ShipmentLine.qty)).group_by(
                    ShipmentLine.order_line_id
                )
            ).all()
        )
        lines = db.session.execute(select(OrderLine.id, OrderLine.qty, OrderLine.shipped_qty)).all()
        assert all(shipped.get(i, 0) == s <= q for i, q, s in lines)
        value = dict(
            db.session.execute(
                select(OrderLine.order_id, func.sum(OrderLine.shipped_qty * OrderLine.unit_price)).group_by(
                    OrderLine.order_id
                )
            ).all()
        )
        invoiced = db.session.execute(
            select(Invoice.order_id, func.sum(Invoice.amount)).group_by(Invoice.order_id)
        )
        rows = list(invoiced)
        assert rows and all(Decimal(amount) <= Decimal(value[oid]) + Decimal("0.01") for oid, amount in rows)
        statuses = set(db.session.scalars(select(Invoice.status)))
        assert {"paid", "open"} <= statuses  # credit figures have something to show


def test_open_tasks_for_the_demo_roles(demo):
    with demo.app_context():
        open_tasks = db.session.execute(
            select(HumanTask.candidate_roles, HumanTask.region_path).where(HumanTask.state == "open")
        ).all()
        roles = {role for role, _ in open_tasks}
        assert {"RegionalManager", "Finance", "Executive", "SalesDirector", "SalesOps", "Dealer"} <= roles
        regions = {path.split("/")[1] for role, path in open_tasks if role == "RegionalManager"}
        assert {"EAST", "SOUTH"} <= regions  # rm_east and rm_south each have one


def test_bulk_inserts_are_audited(demo):
    with demo.app_context():
        rows = db.session.execute(
            select(AuditLog.entity, AuditLog.after).where(AuditLog.action == "bulk_create")
        ).all()
        audited = {entity: after["rows"] for entity, after in rows}
        orders = db.session.scalar(
            select(func.count()).select_from(SalesOrder).where(SalesOrder.created_by == "demo-history")
        )
        assert audited["SalesOrder"] == orders
        assert {"OrderLine", "Shipment", "Invoice", "Payment"} <= set(audited)


def test_init_again_keeps_the_history(demo):
    with demo.app_context():
        orders = db.session.scalar(select(func.count()).select_from(SalesOrder))
        db.session.remove()
    result = demo.test_cli_runner().invoke(args=INIT)
    assert result.exit_code == 0, result.output
    assert "demo history: already loaded, skipped" in result.output
    with demo.app_context():
        assert db.session.scalar(select(func.count()).select_from(SalesOrder)) == orders
        assert drift(db.session) == []
