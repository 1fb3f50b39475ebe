"""Stock figures and replenishment on a real database: FIFO age buckets from batches of known
dates, turnover on a hand-computed example, slow-moving with a category override, drill-down
totals equal at every level, data scope, the set-based replenishment job (right multiples,
never twice, accept moves stock, edit/reject recorded) and the Excel rule import."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from app.adapters.clock import business_today
from app.adapters.excel.reader import SheetReader
from app.adapters.excel.runner import ImportOptions, run_import
from app.adapters.excel.stock_rules import STOCK_RULE_SHEET, StockRuleImport
from app.adapters.replenishment import decide, evaluate
from app.adapters.stock_alerts import alerts
from app.adapters.stock_figures import FigureQuery, figures
from app.adapters.stock_ledger import apply_movements
from app.domain.errors import Conflict, NotFound
from app.domain.scope import UNRESTRICTED, DataScope
from app.domain.stock import parse_movements
from app.extensions import db
from app.models import (
    AuditLog,
    Category,
    Dealer,
    Product,
    Region,
    ReplenishmentSuggestion,
    StockBalance,
    StockRule,
    Warehouse,
)
from tests.conftest import api_token, auth

TODAY = business_today()
SOUTH = DataScope(region_paths=frozenset({"/SOUTH/"}))


def days_ago(n: int) -> str:
    return (TODAY - timedelta(days=n)).isoformat()


def run(*movements):
    apply_movements(db.session, parse_movements(list(movements)), "test")
    db.session.commit()


def receipt(warehouse, sku, qty, batch, age):
    return {"kind": "receipt", "warehouse": warehouse, "sku": sku, "qty": qty, "batch": batch,
            "received_on": days_ago(age)}  # fmt: skip


@pytest.fixture(scope="module")
def world(app):
    """HQ → WH-EAST → WH-D-SH-1 (dealer), HQ → WH-SOUTH; products with known stock."""
    with app.app_context():
        region = {r.code: r for r in db.session.scalars(select(Region))}
        dealer = db.session.scalar(select(Dealer).where(Dealer.code == "D-SH-1"))

        def warehouse(code, kind, parent, path, region_code, dealer_id=None):
            w = Warehouse(code=code, name=code, kind=kind, parent_id=parent.id if parent else None,
                          path=path, region_id=region[region_code].id, dealer_id=dealer_id)  # fmt: skip
            db.session.add(w)
            db.session.flush()
            return w

        hq = warehouse("WH-HQ", "hq", None, "/WH-HQ/", "EAST")
        east = warehouse("WH-EAST", "regional", hq, "/WH-HQ/WH-EAST/", "EAST")
        warehouse("WH-D-SH-1", "dealer", east, "/WH-HQ/WH-EAST/WH-D-SH-1/", "SH", dealer.id)
        warehouse("WH-SOUTH", "regional", hq, "/WH-HQ/WH-SOUTH/", "SOUTH")
        slow = Category(code="SLOWCAT", name="慢品类", path="/SLOWCAT/", slow_moving_days=10)
        db.session.add(slow)
        db.session.flush()
        db.session.add_all(
            [
                Product(code="P-AGE", name="库龄"),
                Product(code="P-TURN", name="周转"),
                Product(code="P-SLOW", name="慢", category_id=slow.id),
                Product(code="P-FRESH", name="鲜", shelf_life_days=30),
                Product(code="P-R", name="补货"),
            ]
        )
        db.session.commit()
        run(
            receipt("WH-EAST", "P-AGE", 10, "A1", 10),
            receipt("WH-EAST", "P-AGE", 20, "A2", 60),
            receipt("WH-EAST", "P-AGE", 30, "A3", 120),
            receipt("WH-EAST", "P-AGE", 40, "A4", 400),
            receipt("WH-SOUTH", "P-TURN", 100, "T1", 5),
            {"kind": "ship", "warehouse": "WH-SOUTH", "sku": "P-TURN", "qty": 30},
            receipt("WH-D-SH-1", "P-SLOW", 5, "S1", 20),
            receipt("WH-D-SH-1", "P-FRESH", 7, "F1", 20),
            receipt("WH-HQ", "P-R", 1000, "R1", 3),
            receipt("WH-EAST", "P-R", 5, "R1", 3),
        )
    yield


def query(**kwargs) -> FigureQuery:
    return FigureQuery(as_of=TODAY, **kwargs)


def test_age_buckets_fifo_by_batch(app, world):
    with app.app_context():
        t = figures(db.session, UNRESTRICTED, query(level="warehouse", warehouse="WH-EAST", sku="P-AGE"))[
            "totals"
        ]
        assert t["age"] == {"0_30": 10, "31_90": 20, "91_180": 30, "over_180": 40}
        assert t["age_share"] == {"0_30": 0.1, "31_90": 0.2, "91_180": 0.3, "over_180": 0.4}
        assert t["over_90_share"] == 0.7
        run({"kind": "ship", "warehouse": "WH-EAST", "sku": "P-AGE", "qty": 45})  # FIFO: A4 40, A3 5
        t = figures(db.session, UNRESTRICTED, query(level="batch", warehouse="WH-EAST", sku="P-AGE"))
        assert t["totals"]["age"] == {"0_30": 10, "31_90": 20, "91_180": 25, "over_180": 0}
        assert {r["code"]: r["on_hand"] for r in t["rows"]} == {"A1": 10, "A2": 20, "A3": 25}
        assert {r["code"]: r["age_days"] for r in t["rows"]} == {"A1": 10, "A2": 60, "A3": 120}


def test_turnover_hand_computed(app, world):
    with app.app_context():
        rows = figures(db.session, UNRESTRICTED, query(level="sku", warehouse="WH-SOUTH"))["rows"]
        (row,) = rows
        # 30 days to today: start level 0, end 70, outbound 30 → average 35, rate 30/35,
        # 1 a day → 70 days of inventory
        assert (row["start_level"], row["end_level"], row["outbound"]) == (0, 70, 30)
        assert row["turnover_rate"] == round(30 / 35, 4)
        assert row["days_of_inventory"] == 70.0
        later = figures(
            db.session,
            UNRESTRICTED,
            query(
                level="sku",
                warehouse="WH-SOUTH",
                start=TODAY + timedelta(days=1),
                end=TODAY + timedelta(days=10),
            ),
        )["rows"][0]
        assert (later["start_level"], later["end_level"], later["outbound"]) == (70, 70, 0)
        assert later["turnover_rate"] == 0 and later["days_of_inventory"] is None


def test_slow_moving_with_category_override(app, world):
    with app.app_context():
        t = figures(db.session, UNRESTRICTED, query(level="sku", warehouse="WH-D-SH-1"))
        by_sku = {r["code"]: r for r in t["rows"]}
        assert by_sku["P-SLOW"]["slow_on_hand"] == 5  # 20 days without outbound > its category's 10
        assert by_sku["P-FRESH"]["slow_on_hand"] == 0  # 20 days < the default 90
        assert t["totals"]["slow_rate"] == round(5 / 12, 4)
        found = alerts(db.session, UNRESTRICTED, TODAY, 90, 30)
        assert {(a["kind"], a["sku"]) for a in found if a["warehouse"] == "WH-D-SH-1"} == {
            ("slow_moving", "P-SLOW"),
            ("expiring", "P-FRESH"),  # 30 days of shelf life, received 20 days ago: 10 days left
        }


def test_drill_down_totals_equal_at_every_level(app, world):
    with app.app_context():
        totals = []
        for level in ("network", "region", "warehouse", "sku", "batch"):
            data = figures(db.session, UNRESTRICTED, query(level=level))
            assert sum(r["on_hand"] for r in data["rows"]) == data["totals"]["on_hand"]
            assert sum(r["age"]["0_30"] for r in data["rows"]) == data["totals"]["age"]["0_30"]
            assert sum(r["slow_on_hand"] for r in data["rows"]) == data["totals"]["slow_on_hand"]
            totals.append((data["totals"]["on_hand"], data["totals"]["age"], data["totals"]["slow_on_hand"]))
        assert all(t == totals[0] for t in totals), totals
        regions = figures(db.session, UNRESTRICTED, query(level="region"))["rows"]
        assert {r["code"] for r in regions} == {"EAST", "SOUTH"}
        east = figures(db.session, UNRESTRICTED, query(level="region", region="EAST"))["rows"]
        assert {r["code"]: r["drill"]["level"] for r in east} == {"EAST": "warehouse", "SH": "warehouse"}


def test_scope_south_sees_nothing_of_east(app, world, client):
    with app.app_context():
        data = figures(db.session, SOUTH, query(level="warehouse"))
        assert [r["code"] for r in data["rows"]] == ["WH-SOUTH"]
        with pytest.raises(NotFound):
            figures(db.session, SOUTH, query(level="sku", warehouse="WH-EAST"))
        assert figures(db.session, SOUTH, query(level="region", region="EAST"))["rows"] == []
    result = app.test_cli_runner().invoke(
        args=["dms", "user", "add", "rm_south", "--role", "RegionalManager", "--region", "SOUTH",
              "--password", "south-pass-123"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    headers = auth(api_token(client, "rm_south", "south-pass-123"))
    body = client.get("/api/v1/inventory/figures?level=warehouse", headers=headers).get_json()
    assert [r["code"] for r in body["rows"]] == ["WH-SOUTH"]
    assert (
        client.get("/api/v1/inventory/figures?level=sku&warehouse=WH-EAST", headers=headers).status_code
        == 404
    )
    assert client.get("/api/v1/inventory/figures?level=nope", headers=headers).status_code == 422
    dealer = auth(api_token(client, "dealer_sh1"))
    body = client.get("/api/v1/inventory/figures?level=warehouse", headers=dealer).get_json()
    assert [r["code"] for r in body["rows"]] == ["WH-D-SH-1"]


def _ids(*codes):
    return [db.session.scalar(select(Warehouse.id).where(Warehouse.code == c)) for c in codes]


def test_replenishment_job(app, world):
    with app.app_context():
        east, dealer_wh, south = _ids("WH-EAST", "WH-D-SH-1", "WH-SOUTH")
        product = db.session.scalar(select(Product.id).where(Product.code == "P-R"))
        db.session.add_all(
            [
                StockRule(warehouse_id=east, product_id=product, safety_stock=8, min_qty=10, max_qty=50,
                          order_multiple=12, review_cycle_days=7),
                StockRule(warehouse_id=dealer_wh, product_id=product, min_qty=10, max_qty=20),
                StockRule(warehouse_id=south, product_id=product, min_qty=0, max_qty=0),
            ]
        )  # fmt: skip
        db.session.commit()
        now = datetime.now(UTC)
        result = evaluate(db.session, now)
        db.session.commit()
        assert (result.reviewed, result.suggested) == (3, 2)
        made = {s.warehouse_id: s for s in db.session.scalars(select(ReplenishmentSuggestion))}
        assert (made[east].kind, made[east].qty, made[east].reason) == (
            "transfer",
            48,
            "below_safety",
        )  # 45 → 4×12
        assert (made[dealer_wh].kind, made[dealer_wh].qty) == ("dealer_order", 20)
        assert made[dealer_wh].source_warehouse_id == east
        assert evaluate(db.session, now).reviewed == 0  # not due again the same day
        assert evaluate(db.session, now + timedelta(days=8)).suggested == 0  # open suggestions: none twice
        db.session.commit()

        with pytest.raises(NotFound):
            decide(db.session, SOUTH, made[east].id, "accept", "rm_south")
        decide(db.session, UNRESTRICTED, made[east].id, "accept", "admin")
        db.session.commit()
        balance = {
            w: (b.on_hand, b.in_transit)
            for w, b in db.session.execute(
                select(StockBalance.warehouse_id, StockBalance).where(StockBalance.product_id == product)
            )
        }
        hq = _ids("WH-HQ")[0]
        assert balance[hq] == (1000 - 48, 0) and balance[east] == (5, 48)
        with pytest.raises(Conflict):
            decide(db.session, UNRESTRICTED, made[east].id, "reject", "admin")
        db.session.rollback()

        decide(db.session, UNRESTRICTED, made[dealer_wh].id, "edit", "admin", qty="25")
        decide(db.session, UNRESTRICTED, made[dealer_wh].id, "reject", "admin")
        db.session.commit()
        item = db.session.get(ReplenishmentSuggestion, made[dealer_wh].id)
        assert (item.status, item.qty, item.suggested_qty, item.decided_by) == ("rejected", 25, 20, "admin")
        audited = db.session.scalars(
            select(AuditLog).where(AuditLog.entity == "ReplenishmentSuggestion", AuditLog.action == "update")
        ).all()
        assert len(audited) >= 3
        again = evaluate(db.session, now + timedelta(days=9))  # the dealer rule is due daily, none open
        db.session.commit()
        assert again.suggested == 1


def _sheet(rows) -> BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append([c.header for c in STOCK_RULE_SHEET.columns])
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_excel_rule_import(app, world, tmp_path):
    path = tmp_path / "rules.xlsx"
    path.write_bytes(
        _sheet(
            [
                ["WH-SOUTH", "P-TURN", 5, 10, 40, 6, 7, 3, "WH-HQ"],
                ["WH-SOUTH", "P-AGE", 5, "ten", 40, None, None, None, None],
                ["WH-SOUTH", "P-SLOW", 5, 10, 4, None, None, None, None],
                ["WH-EAST", "P-AGE", 1, 2, 3, None, None, None, None],
            ]
        ).getvalue()
    )
    with app.app_context():
        with SheetReader(path, STOCK_RULE_SHEET) as reader:
            report = run_import(reader, StockRuleImport(db.session, SOUTH), ImportOptions(mode="upsert",
                                all_or_nothing=False))  # fmt: skip
        db.session.commit()
        problems = {(e.row, e.column) for e in report.errors()}
        assert problems == {(3, "min_qty"), (4, "max_qty"), (5, "warehouse")}
        rule = db.session.scalar(
            select(StockRule)
            .join(Product, Product.id == StockRule.product_id)
            .where(Product.code == "P-TURN")
        )
        assert (rule.min_qty, rule.max_qty, rule.order_multiple, rule.lead_time_days) == (10, 40, 6, 3)
        assert rule.source_warehouse_id == _ids("WH-HQ")[0]


def test_rules_from_demand_and_replenish_commands(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["dms", "inventory", "rules-from-demand", "--days", "90"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        turn = db.session.scalar(select(Product.id).where(Product.code == "P-TURN"))
        rule = db.session.scalar(select(StockRule).where(StockRule.product_id == turn))
        # safety 5 + ⌈30 shipped / 90 days × 3 days lead time⌉ = 6; max stays 40 (≥ 6 + ⌈30/90 × 7⌉)
        assert (rule.min_qty, rule.max_qty) == (6, 40)
    result = runner.invoke(args=["dms", "inventory", "replenish"])
    assert result.exit_code == 0 and "rule(s) reviewed" in result.output, result.output
