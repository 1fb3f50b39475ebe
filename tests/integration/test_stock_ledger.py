"""The stock ledger on a real database (SQLite here, PostgreSQL in CI): balances move with the
ledger in one transaction, FIFO batches, transfers through transit, refusals change nothing,
external ids apply once, the reconciliation finds injected drift, and concurrent reservations
from several threads never oversell."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text, update

from app.adapters.stock_ledger import apply_movements, drift
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.stock import parse_movements
from app.extensions import db
from app.models import Dealer, Product, Region, StockBalance, StockBatch, StockEntry, Warehouse


@pytest.fixture(scope="module")
def stock(app):
    """HQ → regional (EAST) → a dealer warehouse, two products."""
    with app.app_context():
        east = db.session.scalar(select(Region).where(Region.code == "EAST"))
        dealer = db.session.scalar(select(Dealer).where(Dealer.code == "D-SH-1"))
        hq = Warehouse(code="WH-HQ", name="总仓", kind="hq", path="/WH-HQ/", region_id=east.id)
        db.session.add(hq)
        db.session.flush()
        regional = Warehouse(
            code="WH-EAST",
            name="华东仓",
            kind="regional",
            parent_id=hq.id,
            path="/WH-HQ/WH-EAST/",
            region_id=east.id,
        )
        db.session.add(regional)
        db.session.flush()
        db.session.add(
            Warehouse(
                code="WH-D-SH-1",
                name="经销商仓",
                kind="dealer",
                parent_id=regional.id,
                path="/WH-HQ/WH-EAST/WH-D-SH-1/",
                region_id=dealer.region_id,
                dealer_id=dealer.id,
            )
        )
        db.session.add_all([Product(code="SKU-1", name="矿泉水"), Product(code="SKU-2", name="饼干")])
        db.session.commit()
    yield


FIRST_BALANCE = "SELECT min(id) FROM stock_balance"


def run(*movements, actor="test"):
    """Apply movements in one transaction; roll back and re-raise on refusal."""
    try:
        result = apply_movements(db.session, parse_movements(list(movements)), actor)
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        raise


def level(warehouse: str, sku: str) -> tuple[int, int, int]:
    row = db.session.execute(
        select(StockBalance.on_hand, StockBalance.reserved, StockBalance.in_transit)
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .join(Product, Product.id == StockBalance.product_id)
        .where(Warehouse.code == warehouse, Product.code == sku)
    ).first()
    return tuple(row) if row else (0, 0, 0)


def batches(warehouse: str, sku: str) -> dict[str, int]:
    rows = db.session.execute(
        select(StockBatch.batch, StockBatch.on_hand)
        .join(Warehouse, Warehouse.id == StockBatch.warehouse_id)
        .join(Product, Product.id == StockBatch.product_id)
        .where(Warehouse.code == warehouse, Product.code == sku)
    )
    return {b: q for b, q in rows if q}


def test_receipt_reserve_ship_and_fifo_batches(app, stock):
    with app.app_context():
        run(
            {
                "kind": "receipt",
                "warehouse": "WH-HQ",
                "sku": "SKU-1",
                "qty": 100,
                "batch": "B1",
                "received_on": "2026-01-10",
            },
            {
                "kind": "receipt",
                "warehouse": "WH-HQ",
                "sku": "SKU-1",
                "qty": 50,
                "batch": "B2",
                "received_on": "2026-03-01",
            },
        )
        assert level("WH-HQ", "SKU-1") == (150, 0, 0)
        run({"kind": "reserve", "warehouse": "WH-HQ", "sku": "SKU-1", "qty": 120, "reference": "SO-1"})
        assert level("WH-HQ", "SKU-1") == (150, 120, 0)
        run(
            {
                "kind": "ship",
                "warehouse": "WH-HQ",
                "sku": "SKU-1",
                "qty": 110,
                "from_reserved": True,
                "reference": "SO-1",
            }
        )
        assert level("WH-HQ", "SKU-1") == (40, 10, 0)
        assert batches("WH-HQ", "SKU-1") == {"B2": 40}  # the oldest batch went first
        lines = db.session.scalars(
            select(StockEntry)
            .where(StockEntry.reference == "SO-1", StockEntry.kind == "ship")
            .order_by(StockEntry.id)
        ).all()
        assert [(e.batch, e.on_hand) for e in lines] == [("B1", -100), ("B2", -10)]
        assert drift(db.session) == []


def test_oversell_and_bad_input_are_refused_and_change_nothing(app, stock):
    with app.app_context():
        before = (level("WH-HQ", "SKU-1"), db.session.scalar(select(func.count(StockEntry.id))))
        with pytest.raises(Conflict) as refused:
            run(
                {"kind": "receipt", "warehouse": "WH-HQ", "sku": "SKU-1", "qty": 5},
                {"kind": "reserve", "warehouse": "WH-HQ", "sku": "SKU-1", "qty": 1000},
            )
        assert "movements/1/qty" in refused.value.errors
        with pytest.raises(ValidationFailed) as bad:
            run(
                {
                    "kind": "transfer_out",
                    "warehouse": "WH-HQ",
                    "to_warehouse": "WH-HQ",
                    "sku": "SKU-1",
                    "qty": 1,
                },
                {"kind": "receipt", "warehouse": "WH-HQ", "sku": "SKU-1", "qty": 0},
                {"kind": "receipt", "warehouse": "WH-HQ", "sku": "SKU-1", "qty": "ten"},
                {"kind": "adjust", "warehouse": "WH-HQ", "sku": "SKU-1", "qty": -1},
            )
        assert set(bad.value.errors) == {
            "movements/0/to_warehouse",
            "movements/1/qty",
            "movements/2/qty",
            "movements/3/reason",
        }
        with pytest.raises(ValidationFailed) as unknown:
            run({"kind": "receipt", "warehouse": "WH-NOPE", "sku": "SKU-X", "qty": 1})
        assert set(unknown.value.errors) == {"movements/0/warehouse", "movements/0/sku"}
        with pytest.raises(NotFound):
            run({"kind": "ship", "warehouse": "WH-HQ", "sku": "SKU-1", "qty": 1, "batch": "NOPE"})
        with pytest.raises(ValidationFailed):
            run({"kind": "sell_out", "warehouse": "WH-HQ", "sku": "SKU-1", "qty": 1})  # not a dealer's
        assert (level("WH-HQ", "SKU-1"), db.session.scalar(select(func.count(StockEntry.id)))) == before


def test_transfer_goes_through_transit_keeping_batches(app, stock):
    with app.app_context():
        run(
            {
                "kind": "receipt",
                "warehouse": "WH-HQ",
                "sku": "SKU-2",
                "qty": 30,
                "batch": "C1",
                "received_on": "2026-02-01",
            }
        )
        run(
            {
                "kind": "transfer_out",
                "warehouse": "WH-HQ",
                "to_warehouse": "WH-EAST",
                "sku": "SKU-2",
                "qty": 20,
                "reference": "TR-1",
            }
        )
        assert level("WH-HQ", "SKU-2") == (10, 0, 0)
        assert level("WH-EAST", "SKU-2") == (0, 0, 20)
        with pytest.raises(Conflict):
            run(
                {
                    "kind": "transfer_in",
                    "warehouse": "WH-EAST",
                    "sku": "SKU-2",
                    "qty": 25,
                    "reference": "TR-1",
                }
            )
        run({"kind": "transfer_in", "warehouse": "WH-EAST", "sku": "SKU-2", "qty": 20, "reference": "TR-1"})
        assert level("WH-EAST", "SKU-2") == (20, 0, 0)
        received = db.session.scalar(
            select(StockBatch.received_on)
            .join(Warehouse)
            .where(Warehouse.code == "WH-EAST", StockBatch.batch == "C1")
        )
        assert received == date(2026, 2, 1)  # stock age follows the batch across warehouses
        assert drift(db.session) == []


def test_external_id_applies_once_and_a_changed_retry_is_refused(app, stock):
    with app.app_context():
        movement = {
            "kind": "receipt",
            "warehouse": "WH-EAST",
            "sku": "SKU-1",
            "qty": 7,
            "external_id": "ERP-42",
        }
        first = run(movement)
        again = run(movement)
        assert not first[0].duplicate and again[0].duplicate and again[0].movement_id == first[0].movement_id
        assert level("WH-EAST", "SKU-1") == (7, 0, 0)
        with pytest.raises(Conflict):
            run({**movement, "qty": 8})
        assert level("WH-EAST", "SKU-1") == (7, 0, 0)


def test_ledger_is_append_only_and_the_check_finds_injected_drift(app, stock):
    with app.app_context():
        with pytest.raises(Exception, match="append-only"):
            db.session.execute(update(StockEntry).values(reason="changed"))
        db.session.rollback()
        assert drift(db.session) == []
        db.session.execute(
            text(f"UPDATE stock_balance SET on_hand = on_hand + 3 WHERE id = ({FIRST_BALANCE})")
        )
        db.session.commit()
        found = drift(db.session)
        assert (
            len(found) == 1
            and found[0]["balance"] - found[0]["ledger"] == 3
            and found[0]["level"] == "on_hand"
        )
        db.session.execute(
            text(f"UPDATE stock_balance SET on_hand = on_hand - 3 WHERE id = ({FIRST_BALANCE})")
        )
        db.session.commit()
        assert drift(db.session) == []


def test_concurrent_reservations_never_oversell(app, stock):
    with app.app_context():
        run({"kind": "receipt", "warehouse": "WH-D-SH-1", "sku": "SKU-2", "qty": 50})
    results: list[str] = []
    lock = threading.Lock()

    def reserve(n: int) -> None:
        with app.app_context():
            for _ in range(5):
                try:
                    run(
                        {
                            "kind": "reserve",
                            "warehouse": "WH-D-SH-1",
                            "sku": "SKU-2",
                            "qty": 3,
                            "reference": f"T{n}",
                        }
                    )
                    outcome = "ok"
                except Conflict:
                    outcome = "refused"
                except Exception as error:  # a lock timeout would be a test failure too
                    outcome = f"error: {error}"
                with lock:
                    results.append(outcome)
            db.session.remove()

    threads = [threading.Thread(target=reserve, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 40 and not [r for r in results if r.startswith("error")], results
    with app.app_context():
        on_hand, reserved, _ = level("WH-D-SH-1", "SKU-2")
        assert reserved == 3 * results.count("ok") == 48  # 16 of 40 fit into 50; never more
        assert on_hand - reserved >= 0
        assert drift(db.session) == []


def test_inventory_check_command_reports_drift_and_exits_non_zero(app, stock):
    runner = app.test_cli_runner()
    ok = runner.invoke(args=["dms", "inventory", "check"])
    assert ok.exit_code == 0 and "agree" in ok.output
    with app.app_context():
        db.session.execute(
            text("UPDATE stock_batch SET on_hand = on_hand + 2 WHERE id = (SELECT min(id) FROM stock_batch)")
        )
        db.session.commit()
    bad = runner.invoke(args=["dms", "inventory", "check"])
    assert bad.exit_code == 1 and "DRIFT" in bad.output and "batch" in bad.output
    with app.app_context():
        db.session.execute(
            text("UPDATE stock_batch SET on_hand = on_hand - 2 WHERE id = (SELECT min(id) FROM stock_batch)")
        )
        db.session.commit()


def test_dealer_figures_show_the_stock_in_its_own_warehouses(app, stock):
    from app.adapters.dealer_figures import dealer_figures

    with app.app_context():
        dealer = db.session.scalar(select(Dealer).where(Dealer.code == "D-SH-1"))
        before = dealer_figures(db.session, dealer)["inventory_on_hand"]
        run({"kind": "receipt", "warehouse": "WH-D-SH-1", "sku": "SKU-1", "qty": 12})
        assert dealer_figures(db.session, dealer)["inventory_on_hand"] == before + 12
        other = db.session.scalar(select(Dealer).where(Dealer.code == "D-GD-1"))
        assert dealer_figures(db.session, other)["inventory_on_hand"] == 0


def test_a_batch_applies_in_order_and_repeats_of_an_external_id_apply_once(app, stock):
    with app.app_context():
        before = level("WH-EAST", "SKU-2")
        results = run(
            {
                "kind": "receipt",
                "warehouse": "WH-EAST",
                "sku": "SKU-2",
                "qty": 10,
                "batch": "E1",
                "external_id": "B-1",
            },
            {"kind": "reserve", "warehouse": "WH-EAST", "sku": "SKU-2", "qty": before[0] - before[1] + 8},
            {
                "kind": "receipt",
                "warehouse": "WH-EAST",
                "sku": "SKU-2",
                "qty": 10,
                "batch": "E1",
                "external_id": "B-1",
            },
            {"kind": "receipt", "warehouse": "WH-EAST", "sku": "SKU-2", "qty": 4, "batch": "E1"},
        )
        assert [r.duplicate for r in results] == [False, False, True, False]
        assert results[2].movement_id == results[0].movement_id
        on_hand, reserved, _ = level("WH-EAST", "SKU-2")
        assert on_hand == before[0] + 14 and on_hand - reserved == 6
        assert batches("WH-EAST", "SKU-2")["E1"] == 14
        assert drift(db.session) == []
