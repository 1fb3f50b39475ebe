"""Orders: submitting a 50-line order end to end, against the sum of its parts measured alone.

The app and the 200,000-record price policy are built as in ``bench_pricing`` (5,000 SKUs,
200 generated dealers, ``tests/data/world.yaml``); the regional warehouse that serves dealer
D-SH-1 (region SH under EAST) gets stock of every SKU. Ours = ``orders.create_order`` for
D-SH-1 with 50 random SKUs: parse, price every line (quote), run the stock / price / credit /
diversion checks and store them, start ``order_approval`` (decision table, service tasks,
notifications), commit — one database transaction, as the API does it. The baseline is the sum
of the same parts timed alone in the same run: the quote, the four checks on a stored order
(rolled back), and starting the approval flow with the same start data.
"""

from __future__ import annotations

import random
from decimal import Decimal
from time import perf_counter

from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from bench.bench_api_list import temporary_instance
from bench.bench_pricing import SKUS, build_app, fill
from bench.common import (
    Measurement,
    Memory,
    Report,
    Row,
    Timing,
    _merge,
    latency_rows,
    python_peak,
    time_calls,
)

LINES, ORDERS, PART_CALLS = 50, 300, 100
TARGET_P95_MS, TARGET_RPS = 50.0, 50


def stock_everything(session) -> None:
    """Warehouses HQ → EAST (serves SH) and 10^9 units of every SKU at EAST."""
    from app.adapters.demo_inventory import load_inventory
    from app.models import Product, StockBalance, Warehouse

    load_inventory(
        session,
        {
            "warehouses": [
                {"code": "WH-HQ", "name": "总仓", "kind": "hq", "region": "SH"},
                {
                    "code": "WH-EAST",
                    "name": "华东仓",
                    "kind": "regional",
                    "parent": "WH-HQ",
                    "region": "EAST",
                },
            ]
        },
    )
    east = session.scalar(select(Warehouse.id).where(Warehouse.code == "WH-EAST"))
    products = session.scalars(select(Product.id)).all()
    session.execute(
        insert(StockBalance),
        [
            {"warehouse_id": east, "product_id": p, "on_hand": 10**9, "reserved": 0, "in_transit": 0}
            for p in products
        ],
    )
    session.commit()


def run() -> Report:
    from app.adapters import order_checks, orders, pricing
    from app.domain.scope import UNRESTRICTED
    from app.engine import runtime
    from app.extensions import db
    from app.models import Dealer, OrderLine, Product, SalesOrder

    rng = random.Random(23)
    with temporary_instance() as workdir:
        app = build_app(workdir)
        with app.app_context():
            fill(db.session)
            stock_everything(db.session)
            dealer = db.session.scalar(select(Dealer).where(Dealer.code == "D-SH-1"))
            dealer.credit_limit = Decimal("100000000")
            db.session.commit()
            caller = runtime.Caller(None, "bench", frozenset({"SalesOps"}), UNRESTRICTED)

            def body() -> dict:
                skus = rng.sample(range(SKUS), LINES)
                return {
                    "dealer": "D-SH-1",
                    "lines": [{"sku": f"S{i:05d}", "qty": rng.choice((1, 6, 12, 30, 100))} for i in skus],
                }

            def submit():
                return orders.create_order(db.session, body(), caller, source="api")

            first = submit()
            if first.status not in ("confirmed", "in_review") or len(first.lines) != LINES:
                raise RuntimeError(f"unexpected order {first.number}: {first.status}")
            stored_id = first.id

            def quote_part():
                raw = body()
                pricing.quote(db.session, dealer, [(line["sku"], line["qty"]) for line in raw["lines"]])

            def checks_part():
                order = db.session.scalar(
                    select(SalesOrder)
                    .where(SalesOrder.id == stored_id)
                    .options(
                        selectinload(SalesOrder.lines)
                        .joinedload(OrderLine.product)
                        .joinedload(Product.product_line)
                    )
                )
                order_checks.run_checks(db.session, order)
                db.session.flush()
                db.session.rollback()

            start_data = {
                "dealer": "D-SH-1",
                "region": "SH",
                "business_key": first.number,
                "order_id": first.id,
                "checks": {"amount": "5000.00", "tier": "A", "stock": "ok", "price": "ok", "credit": "ok",
                           "diversion": "ok"},
            }  # fmt: skip

            def engine_part():
                runtime.start_instance(db.session, "order_approval", dict(start_data), caller)

            for fn in (submit, quote_part, checks_part):
                fn()
            ours_parts, sums = [], []
            began = perf_counter()
            for _ in range(5):
                ours_parts.append(time_calls(submit, ORDERS // 5))
                parts = [time_calls(fn, PART_CALLS // 5) for fn in (quote_part, checks_part)]
                # the engine part completes the approval at once (auto route): its own instances
                parts.append(time_calls(engine_part, PART_CALLS // 5))
                sums.append(Timing(tuple(sum(s) for s in zip(*(p.samples for p in parts), strict=True))))
            wall = perf_counter() - began
            ours_t, base_t = _merge(ours_parts), _merge(sums)
            ours = Measurement(ours_t, Memory(python_peak(submit, 10), ours_t.rss_peak))
            base = Measurement(base_t, Memory(python_peak(quote_part, 10), None))
            part_rows = {
                "quote": time_calls(quote_part, 50),
                "checks": time_calls(checks_part, 50),
                "engine start": time_calls(engine_part, 50),
            }
            count = db.session.query(SalesOrder).count()
            db.session.remove()
            db.engine.dispose()
    rows = latency_rows(f"submit a {LINES}-line order", ours, base)
    for name, timing in part_rows.items():
        rows.append(Row(f"part alone: {name} p50", timing.p50 * 1000, "ms"))
    p95, rps = ours.timing.p95 * 1000, ours.timing.rps
    met = {
        f"p95 ≤ {TARGET_P95_MS:.0f} ms": p95 <= TARGET_P95_MS,
        f"≥ {TARGET_RPS} orders/s": rps >= TARGET_RPS,
    }
    notes = [
        f"{ORDERS} orders of {LINES} random SKUs (quantities 1-100) for D-SH-1 against 200,000 price records "
        f"and {SKUS:,} SKUs, one after another on one thread ({count:,} orders stored, {wall:.0f} s); "
        "baseline = per call the sum of a quote, the four checks on a stored order and starting the approval "
        "flow, each timed alone",
        "targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items()),
    ]
    return Report("Orders: submit a 50-line order end to end (SQLite)", rows, notes)
