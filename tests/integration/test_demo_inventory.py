"""The fmcg template and its demo data: catalogue, warehouse tree and receipts load once; loading
again changes nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from app.adapters.demo_data import load_demo
from app.adapters.stock_ledger import drift
from app.adapters.unit_of_work import SqlUnitOfWork
from app.extensions import db
from app.models import Category, Product, StockBatch, StockEntry, Warehouse
from tests.conftest import PASSWORD, make_app

DEMO = Path(__file__).parents[2] / "seed_templates" / "fmcg" / "demo.yaml"


def test_demo_inventory_loads_once(database_url):
    app = make_app(database_url)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["dms", "init"]).exit_code == 0
    applied = runner.invoke(args=["dms", "template", "apply", "fmcg"])
    assert applied.exit_code == 0, applied.output
    with app.app_context():
        uow = SqlUnitOfWork(db.session, app.extensions["dms_roles"])
        first = load_demo(uow, DEMO, PASSWORD)
        assert db.session.scalar(select(func.count()).select_from(Product)) >= 20
        assert (
            first["warehouses"] == 3 and first["receipts"] >= 10
        )  # the dealers' own (HQ, regional: template)
        entries = db.session.scalar(select(func.count()).select_from(StockEntry))
        second = load_demo(uow, DEMO, PASSWORD)
        assert not any(second.values()), second
        assert db.session.scalar(select(func.count()).select_from(StockEntry)) == entries
        assert drift(db.session) == []
        paths = dict(db.session.execute(select(Warehouse.code, Warehouse.path)).tuples().all())
        assert paths["WH-D-GD-001"] == "/WH-HQ/WH-SOUTH/WH-D-GD-001/"
        assert db.session.scalar(select(Category.path).where(Category.code == "NUTS")) == "/FOOD/SNACK/NUTS/"
        dates = set(db.session.scalars(select(StockBatch.received_on)))
        assert len(dates) >= 5  # batches of different ages
        assert db.session.scalar(select(Product.status).where(Product.code == "BEV-T-250L")) == "inactive"
        db.session.remove()
        db.engine.dispose()
