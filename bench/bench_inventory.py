"""Inventory at scale (SQLite): replenishment evaluation, a region's stock-age report, a movement batch.

Synthetic data, bulk-inserted straight into the tables (test data, not business input): 2,000
warehouses (1 HQ, 20 regional, the rest dealer warehouses spread over 20 regions) × 2,000 SKUs,
sparse: 100 SKUs per warehouse ≈ 200,000 balance rows, two batches each, 2 M ledger entries
(receipts and shipments summing to the balances), 100,000 stock rules of which about a third
are below their minimum. ``BENCH_INVENTORY_SCALE`` (default 1) scales warehouses, rules and
ledger alike (0.05 for a quick run). Figures and their same-process baselines:

- replenishment: ``evaluate`` (one SELECT, one bulk INSERT, one UPDATE) vs a per-rule ORM loop
  (balance, open-suggestion check, insert, stamp for each rule); both rolled back after each run;
- stock-age report of one region: ``figures(level=warehouse, region=…)`` (quantities, FIFO age
  buckets, slow-moving, turnover from the ledger) vs a per-row loop (each warehouse's balances,
  each balance's batches, bucketed in Python; no turnover);
- 1,000 movements: one ``apply_movements`` call and one commit vs one call and commit per movement.
"""

from __future__ import annotations

import os
import random
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from time import perf_counter

from bench.common import Report, Row, compare

NAIVE_RULES = 5000  # the per-rule baseline runs on this many rules and is scaled up linearly
SCALE = float(os.environ.get("BENCH_INVENTORY_SCALE", "1"))
REGIONS, SKUS, SKUS_PER_WAREHOUSE = 20, 2000, 100
WAREHOUSES = max(REGIONS + 2, int(2000 * SCALE))
RULES = int(100_000 * SCALE)
ENTRIES_PER_BALANCE = 10  # 2 receipts + 8 shipments → 2 M entries at scale 1
TODAY = date.today()


def build_app(workdir: Path):
    """An app on a migrated SQLite file (no demo data, no workflows)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.config import ROOT

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
            "DMS_SCHEDULER": False,
            "SERVER_NAME": None,
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app


def populate(session) -> dict:
    """Bulk-insert regions, warehouses, products, balances, batches, ledger and rules."""
    from sqlalchemy import insert

    from app.models import Product, Region, StockBalance, StockBatch, StockEntry, StockRule, Warehouse

    rng = random.Random(7)
    now = datetime.now(UTC)
    session.execute(
        insert(Region),
        [
            {
                "id": i,
                "code": f"R{i:02d}",
                "name": f"区域{i}",
                "path": f"/R{i:02d}/",
                "created_at": now,
                "updated_at": now,
            }
            for i in range(1, REGIONS + 1)
        ],
    )
    warehouses = [
        {
            "id": 1,
            "code": "HQ",
            "name": "总仓",
            "kind": "hq",
            "parent_id": None,
            "path": "/HQ/",
            "region_id": 1,
        }
    ]
    for r in range(1, REGIONS + 1):
        warehouses.append(
            {
                "id": 1 + r,
                "code": f"RW{r:02d}",
                "name": f"区域仓{r}",
                "kind": "regional",
                "parent_id": 1,
                "path": f"/HQ/RW{r:02d}/",
                "region_id": r,
            }
        )
    for i in range(REGIONS + 2, WAREHOUSES + 1):
        r = i % REGIONS + 1
        warehouses.append(
            {
                "id": i,
                "code": f"DW{i:05d}",
                "name": f"经销商仓{i}",
                "kind": "dealer",
                "parent_id": 1 + r,
                "path": f"/HQ/RW{r:02d}/DW{i:05d}/",
                "region_id": r,
            }
        )
    for w in warehouses:
        w.update(allow_negative=False, active=True, created_at=now, updated_at=now)
    session.execute(insert(Warehouse), warehouses)
    session.execute(
        insert(Product),
        [
            {
                "id": p,
                "code": f"SKU{p:05d}",
                "name": f"产品{p}",
                "unit": "箱",
                "pack_size": 1,
                "status": "active",
                "created_at": now,
                "updated_at": now,
            }
            for p in range(1, SKUS + 1)
        ],
    )
    balances, batches, entries = [], [], []
    entry_id = total_entries = 0
    keys = ("id", "at", "kind", "warehouse_id", "product_id", "batch", "received_on", "on_hand")

    def flush_entries() -> None:
        rows = [dict(zip(keys, e, strict=True)) for e in entries]
        for row in rows:
            row.update(movement_id=row["id"], reserved=0, in_transit=0, actor="bench")
        if rows:
            session.execute(insert(StockEntry), rows)
        entries.clear()

    for w in range(1, WAREHOUSES + 1):
        for p in rng.sample(range(1, SKUS + 1), SKUS_PER_WAREHOUSE):
            levels, last_out = 0, None
            for b, age in enumerate((rng.randint(0, 400), rng.randint(0, 60))):
                received = TODAY - timedelta(days=age)
                qty = rng.randint(50, 200)
                left = qty
                entry_id += 1
                at = datetime.combine(received, datetime.min.time(), tzinfo=UTC)
                entries.append((entry_id, at, "receipt", w, p, f"B{b}", received, qty))
                for _ in range(4):
                    out = rng.randint(1, max(1, left // 8))
                    left -= out
                    entry_id += 1
                    out_at = now - timedelta(days=rng.randint(0, min(age, 120)))
                    last_out = max(last_out, out_at) if last_out else out_at
                    entries.append((entry_id, out_at, "ship", w, p, f"B{b}", received, -out))
                batches.append(
                    {
                        "warehouse_id": w,
                        "product_id": p,
                        "batch": f"B{b}",
                        "received_on": received,
                        "on_hand": left,
                    }
                )
                levels += left
            if len(entries) >= 50_000:
                total_entries += len(entries)
                flush_entries()
            balances.append(
                {
                    "warehouse_id": w,
                    "product_id": p,
                    "on_hand": levels,
                    "reserved": 0,
                    "in_transit": 0,
                    "last_in_at": now,
                    "last_out_at": last_out,
                }
            )
    for start in range(0, len(balances), 20_000):
        session.execute(insert(StockBalance), balances[start : start + 20_000])
    for start in range(0, len(batches), 20_000):
        session.execute(insert(StockBatch), batches[start : start + 20_000])
    total_entries += len(entries)
    flush_entries()
    rules = []
    for b in rng.sample(balances, min(RULES, len(balances))):
        low = max(1, b["on_hand"] + rng.randint(-150, 60))  # about a third below min
        rules.append(
            {
                "warehouse_id": b["warehouse_id"],
                "product_id": b["product_id"],
                "safety_stock": low // 2,
                "min_qty": low,
                "max_qty": low * 2,
                "order_multiple": rng.choice((1, 6, 12)),
                "review_cycle_days": 1,
                "lead_time_days": 3,
                "created_at": now,
                "updated_at": now,
            }
        )
    for start in range(0, len(rules), 20_000):
        session.execute(insert(StockRule), rules[start : start + 20_000])
    session.commit()
    return {"balances": len(balances), "batches": len(batches), "entries": total_entries, "rules": len(rules)}


def naive_evaluate(session, now: datetime, limit: int) -> int:
    """Per-rule loop over the first ``limit`` rules: the balance, an open suggestion check, then
    insert and stamp, one rule at a time."""
    from sqlalchemy import select

    from app.domain.replenishment import order_qty
    from app.models import ReplenishmentSuggestion, StockBalance, StockRule, Warehouse

    made = 0
    for rule in session.scalars(select(StockRule).order_by(StockRule.id).limit(limit)):
        warehouse = session.get(Warehouse, rule.warehouse_id)
        balance = session.scalar(
            select(StockBalance).where(
                StockBalance.warehouse_id == rule.warehouse_id, StockBalance.product_id == rule.product_id
            )
        )
        position = (balance.on_hand - balance.reserved + balance.in_transit) if balance else 0
        busy = session.scalar(
            select(ReplenishmentSuggestion.id).where(
                ReplenishmentSuggestion.warehouse_id == rule.warehouse_id,
                ReplenishmentSuggestion.product_id == rule.product_id,
                ReplenishmentSuggestion.status.in_(("proposed", "edited")),
            )
        )
        qty = order_qty(position, rule.min_qty, rule.max_qty, rule.order_multiple)
        if qty and busy is None and warehouse.parent_id:
            session.add(
                ReplenishmentSuggestion(
                    kind="transfer",
                    warehouse_id=rule.warehouse_id,
                    product_id=rule.product_id,
                    source_warehouse_id=warehouse.parent_id,
                    qty=qty,
                    suggested_qty=qty,
                    figures={"position": position},
                    status="proposed",
                    created_at=now,
                )
            )
            made += 1
        rule.last_reviewed_at = now
    session.flush()
    return made


def naive_age_report(session, region_id: int) -> dict:
    """Per-row loop: each warehouse of the region, each balance, each balance's batches."""
    from sqlalchemy import select

    from app.models import StockBalance, StockBatch, Warehouse

    buckets = {"0_30": 0, "31_90": 0, "91_180": 0, "over_180": 0}
    for warehouse in session.scalars(select(Warehouse).where(Warehouse.region_id == region_id)):
        for balance in session.scalars(select(StockBalance).where(StockBalance.warehouse_id == warehouse.id)):
            for batch in session.scalars(
                select(StockBatch).where(
                    StockBatch.warehouse_id == balance.warehouse_id,
                    StockBatch.product_id == balance.product_id,
                )
            ):
                age = (TODAY - batch.received_on).days
                key = (
                    "0_30" if age <= 30 else "31_90" if age <= 90 else "91_180" if age <= 180 else "over_180"
                )
                buckets[key] += batch.on_hand
    return buckets


def movement_batch(rng: random.Random, size: int = 1000):
    from app.domain.stock import Movement

    return [
        Movement(
            kind="receipt",
            warehouse=f"DW{rng.randint(REGIONS + 2, WAREHOUSES):05d}",
            sku=f"SKU{rng.randint(1, SKUS):05d}",
            qty=1,
            batch="BENCH",
            received_on=TODAY,
        )
        for _ in range(size)
    ]


def run() -> Report:
    from app.adapters.replenishment import evaluate
    from app.adapters.stock_figures import FigureQuery, figures
    from app.adapters.stock_ledger import apply_movements
    from app.domain.scope import UNRESTRICTED
    from app.extensions import db

    with tempfile.TemporaryDirectory(prefix="dms-bench-inv-") as tmp:
        os.environ.setdefault("DMS_INSTANCE_DIR", str(Path(tmp) / "instance"))
        app = build_app(Path(tmp))
        with app.app_context():
            began = perf_counter()
            sizes = populate(db.session)
            load_seconds = perf_counter() - began
            now = datetime.now(UTC)
            suggested = []

            def ours_replenish():
                suggested.append(evaluate(db.session, now).suggested)
                db.session.rollback()

            naive_rules = min(NAIVE_RULES, sizes["rules"])

            def base_replenish():
                naive_evaluate(db.session, now, naive_rules)
                db.session.rollback()

            rep_ours, rep_base = compare(ours_replenish, base_replenish, n=2, rounds=1, memory_n=1)
            query = FigureQuery(level="warehouse", region="R01", as_of=TODAY)
            report_rows = []

            def ours_age():
                report_rows.append(figures(db.session, UNRESTRICTED, query)["totals"]["age"])

            age_ours, age_base = compare(
                ours_age, lambda: naive_age_report(db.session, 1), n=5, rounds=5, memory_n=1
            )
            base_age = naive_age_report(db.session, 1)
            db.session.rollback()
            rng = random.Random(11)

            def ours_moves():
                apply_movements(db.session, movement_batch(rng), "bench")
                db.session.commit()

            def base_moves():
                for m in movement_batch(rng):
                    apply_movements(db.session, [m], "bench")
                    db.session.commit()

            mv_ours, mv_base = compare(ours_moves, base_moves, n=3, rounds=3, memory_n=1)
            db.session.remove()
            db.engine.dispose()
    rows = [
        Row(
            f"replenishment, {sizes['rules']:,} rules",
            rep_ours.timing.p50,
            "s",
            rep_base.timing.p50 * sizes["rules"] / naive_rules,
            f"{rep_ours.memory} / base {rep_base.memory.python_peak / 2**20:.2f} MiB",
        ),
        Row(
            "stock-age report, one region (p50)",
            age_ours.timing.p50 * 1000,
            "ms",
            age_base.timing.p50 * 1000,
            f"{age_ours.memory} / base {age_base.memory.python_peak / 2**20:.2f} MiB",
        ),
        Row(
            "stock-age report, one region (p95)", age_ours.timing.p95 * 1000, "ms", age_base.timing.p95 * 1000
        ),
        Row(
            "1,000 movements (p50)",
            mv_ours.timing.p50 * 1000,
            "ms",
            mv_base.timing.p50 * 1000,
            f"{mv_ours.memory} / base {mv_base.memory.python_peak / 2**20:.2f} MiB",
        ),
    ]
    met = {
        "replenishment ≤ 5 s": rep_ours.timing.p50 <= 5,
        "stock-age report ≤ 1 s": age_ours.timing.p95 <= 1,
        "1,000 movements ≤ 1 s": mv_ours.timing.p50 <= 1,
    }
    notes = [
        f"scale {SCALE:g}: {WAREHOUSES:,} warehouses × {SKUS:,} SKUs, {sizes['balances']:,} balances, "
        f"{sizes['batches']:,} batches, {sizes['entries']:,} ledger entries, {sizes['rules']:,} rules; "
        f"bulk load {load_seconds:.0f} s",
        f"replenishment: {suggested[0]:,} suggestions per run; ours = evaluate() (1 SELECT + bulk INSERT + "
        "UPDATE), baseline = per-rule ORM loop timed on the first "
        f"{naive_rules:,} rules ({rep_base.timing.p50:.1f} s) and scaled linearly; 2 runs each, rolled back",
        f"stock-age report: region R01 (~{WAREHOUSES // REGIONS} warehouses), ours = figures() incl. "
        "turnover over the ledger; baseline = N+1 ORM loop, age only; same age totals: "
        f"{report_rows[0] == base_age}",
        "movements: 1,000 receipts into random warehouse × SKU pairs; ours = one apply_movements + one "
        "commit, baseline = one call + commit per movement",
        "targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items()),
        "SQLite file (WAL, the app's pragmas) in a temp dir, one thread",
    ]
    return Report("Inventory: replenishment, stock-age report, movement batch (SQLite)", rows, notes)
