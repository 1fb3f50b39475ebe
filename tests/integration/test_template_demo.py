"""Each shipped industry template with its demo data and a small generated history
(docs/demo_data.md): `template apply <key> --demo --demo-history small` on a fresh database loads
orders, lines and invoices consistent with the stock ledger and the analytics store, leaves open
work in the inboxes, plans to no changes afterwards, and the same seed gives the same orders."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.adapters.analytics_terms import SOLD_STATUSES
from app.adapters.demo_history_plan import master_rows, read_params
from app.adapters.stock_ledger import drift
from app.extensions import db
from app.models import DealerMonth, HumanTask, Invoice, OrderLine, Product, SaleLine, SalesOrder
from tests.conftest import make_app, new_database

ROOT = Path(__file__).parents[2]
TEMPLATES = ("fmcg", "building_materials", "auto_parts")
SEED = "7"


def _applied(url: str, key: str):
    app = make_app(url)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["dms", "init"])
    assert result.exit_code == 0, result.output
    args = ["dms", "template", "apply", key, "--demo", "--demo-history", "small", "--demo-seed", SEED]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "demo history (small)" in result.output and "demo open work" in result.output, result.output
    return app


def _orders_digest() -> str:
    """SHA-256 over the orders and their lines (business columns only)."""
    digest = hashlib.sha256()
    rows = db.session.execute(
        select(SalesOrder.number, SalesOrder.status, SalesOrder.amount, Product.code, OrderLine.qty)
        .join(OrderLine, OrderLine.order_id == SalesOrder.id)
        .join(Product, Product.id == OrderLine.product_id)
        .order_by(SalesOrder.number, OrderLine.line_no)
    )
    for row in rows:
        digest.update(repr(tuple(f"{v:.2f}" if isinstance(v, Decimal) else v for v in row)).encode())
    return digest.hexdigest()


def _dispose(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("key", TEMPLATES)
def test_template_demo_history_loads_consistently_and_deterministically(key, tmp_path):
    with new_database(tmp_path) as url, new_database(tmp_path) as other_url:
        app = _applied(url, key)
        with app.app_context():
            history = (
                select(func.count()).select_from(SalesOrder).where(SalesOrder.created_by == "demo-history")
            )
            assert db.session.scalar(history) > 50
            assert db.session.scalar(select(func.count()).select_from(OrderLine)) > 100
            assert db.session.scalar(select(func.count()).select_from(Invoice)) > 50
            assert drift(db.session) == []
            store = db.session.scalar(select(func.sum(SaleLine.cents)))
            months = db.session.scalar(select(func.sum(DealerMonth.cents)))
            booked = db.session.scalar(
                select(func.sum(OrderLine.amount))
                .join(SalesOrder)
                .where(
                    SalesOrder.status.in_(SOLD_STATUSES),
                    SalesOrder.confirmed_at.is_not(None),
                    OrderLine.qty > 0,
                )
            )
            assert store and store == months == int(Decimal(booked) * 100), (store, months, booked)
            in_review = db.session.scalars(select(SalesOrder).where(SalesOrder.status == "in_review")).all()
            assert len(in_review) >= 2
            roles = set(
                db.session.scalars(select(HumanTask.candidate_roles).where(HumanTask.state == "open"))
            )
            assert {"RegionalManager", "Finance", "Executive", "SalesDirector", "Dealer"} <= roles, roles
            ours = _orders_digest()
            db.session.remove()
        again = app.test_cli_runner().invoke(args=["dms", "template", "plan", key, "--json"])
        assert again.exit_code == 0, again.output
        summary = json.loads(again.output)["summary"]
        assert summary["create"] == summary["update"] == summary["conflict"] == 0, summary
        _dispose(app)

        other = _applied(other_url, key)
        with other.app_context():
            assert _orders_digest() == ours
        _dispose(other)


@pytest.mark.parametrize("key", TEMPLATES)
def test_generated_master_data_speak_the_industry(key):
    params = read_params(ROOT / "seed_templates" / key / "demo_history.yaml", "full")
    rows = master_rows(params)
    lines = params.get("product_lines")
    assert {p["product_line"] for p in rows["products"]} == set(lines)
    units = {p["unit"] for p in rows["products"]}
    tiers = set(params.get("tiers"))
    assert {d["tier"] for d in rows["dealers"]} <= tiers
    words = params.get("dealer_names")["kind"]
    assert all(any(w in d["name"] for w in words) for d in rows["dealers"])
    limits = {d["tier"]: Decimal(d["credit_limit"]) for d in rows["dealers"]}
    terms = {d["payment_terms_days"] for d in rows["dealers"]}
    if key == "fmcg":
        assert units == {"箱"} and terms <= {15, 30, 45}
    elif key == "building_materials":
        assert {"片", "箱", "桶", "根", "张", "套"} <= units
        assert limits["KA"] >= 3_000_000 and {60, 90} <= terms
    else:
        assert {"件", "套", "只", "桶"} <= units and 30 in terms
