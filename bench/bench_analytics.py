"""Sales analytics at scale (SQLite, and PostgreSQL when given): dashboard and drill-down queries,
a 50-line order booked, full rebuild.

Synthetic data, bulk-inserted straight into the order tables (the sqlite3 driver's executemany;
on PostgreSQL psycopg's COPY — test data, not business input): 3 years, 2,000 dealers in 30
regions (6 top-level), 5,000 SKUs in 10 product lines, 5 M order lines in 500,000 orders (1–19
lines each; SKUs drawn with a Zipf-like skew, as sales are; 3 % cancelled, 2 % still in review).
``BENCH_ANALYTICS_SCALE`` (default 1) scales the orders (0.05 for a quick run). The store is then
filled by ``rebuild_store`` (timed: the full rebuild). Figures and their same-process baselines:

- each dashboard query through ``sales()`` (the store) vs the same figure from one plain
  ``GROUP BY`` over order lines joined with their orders (and dealers for regions);
- drill-down: the orders of one dealer × month cell, and the lines of one order;
- one 50-line order confirmed, then ``update_store`` + commit (the job's work for it), 40 times
  after ``WARM_ORDERS`` untimed ones: the job's steady state (it runs every minute in one
  long-lived process); the first ones are reported in a note.

``BENCH_DATABASE_URL=postgresql://user@host:port/db`` adds a second pass on PostgreSQL: a
database ``dms_bench_analytics`` is created on that server (dropped first if it exists, and at
the end), migrated, loaded with COPY, then ``VACUUM ANALYZE``d after the load and after the
rebuild (what autovacuum does within a minute on a live server). With a throw-away cluster:
``bash .ci/postgres.sh sh -c 'BENCH_DATABASE_URL=$DATABASE_URL .venv/bin/python -m bench analytics'``.
``BENCH_ANALYTICS_BACKENDS=postgresql`` (or ``sqlite``) runs one of the two only.
"""

from __future__ import annotations

import bisect
import gc
import os
import random
import sqlite3
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from time import perf_counter

from bench.common import Report, Row, compare

SCALE = float(os.environ.get("BENCH_ANALYTICS_SCALE", "1"))
DEALERS, SKUS, TOP_REGIONS, SUB_REGIONS, LINES = 2000, 5000, 6, 5, 10
ORDERS = int(500_000 * SCALE)
RUNS = 20 if SCALE < 0.2 else 10  # timed calls of each query and of its baseline (slow at full size)
TODAY = date.today()
START = TODAY - timedelta(days=3 * 365)
STAMP = "%Y-%m-%d %H:%M:%S.%f"
PG_DATABASE = "dms_bench_analytics"
OWN_INSTANCE_DIR = "DMS_INSTANCE_DIR" in os.environ  # else each pass uses its temp dir

Insert = Callable[[str, str, list], None]


def sqlite_loader(path: Path):
    """``(insert, finish)`` writing rows into the SQLite file with executemany."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")

    def ins(table: str, cols: str, rows: list) -> None:
        marks = ",".join("?" * len(cols.split(",")))
        db.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)  # noqa: S608

    def finish() -> None:
        db.commit()
        db.execute("ANALYZE")
        db.close()

    return ins, finish


def pg_loader(url: str):
    """``(insert, finish)`` writing rows into PostgreSQL with COPY (timestamps are UTC)."""
    import psycopg

    conn = psycopg.connect(url)
    conn.execute("SET TIME ZONE 'UTC'")

    def ins(table: str, cols: str, rows: list) -> None:
        with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def finish() -> None:
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
        conn.close()

    return ins, finish


def populate(ins: Insert) -> dict:
    """Regions, tiers, lines, categories, products, warehouses, dealers, orders, their lines and
    their timeline (a submission, and the approval of each confirmed order: the events the
    store's update reads after its watermark, as in a live system)."""
    rng = random.Random(9)
    now = datetime.now(UTC).strftime(STAMP)
    regions = [(t, f"R{t}", f"大区{t}", None, f"/R{t}/", now, now) for t in range(1, TOP_REGIONS + 1)]
    leaves = []
    for t in range(1, TOP_REGIONS + 1):
        for s in range(1, SUB_REGIONS + 1):
            rid = 100 + t * 10 + s
            leaves.append(rid)
            regions.append((rid, f"R{t}S{s}", f"区域{t}-{s}", t, f"/R{t}/R{t}S{s}/", now, now))
    ins("region", "id,code,name,parent_id,path,created_at,updated_at", regions)
    ins(
        "dealer_tier",
        "id,code,name,rank,created_at,updated_at",
        [(i, c, c, i, now, now) for i, c in enumerate("ABK", 1)],
    )
    ins(
        "product_line",
        "id,code,name,created_at,updated_at",
        [(i, f"PL{i}", f"产品线{i}", now, now) for i in range(1, 11)],
    )
    ins(
        "category",
        "id,code,name,path,created_at,updated_at",
        [(i, f"C{i}", f"品类{i}", f"/C{i}/", now, now) for i in range(1, 51)],
    )
    ins(
        "product",
        "id,code,name,product_line_id,category_id,unit,pack_size,status,created_at,updated_at",
        [
            (p, f"SKU{p:05d}", f"产品{p}", p % 10 + 1, p % 50 + 1, "箱", 1, "active", now, now)
            for p in range(1, SKUS + 1)
        ],
    )
    ins(
        "warehouse",
        "id,code,name,kind,parent_id,path,region_id,allow_negative,active,created_at,updated_at",
        [(1, "HQ", "总仓", "hq", None, "/HQ/", 1, False, True, now, now)]
        + [
            (1 + t, f"RW{t}", f"区域仓{t}", "regional", 1, f"/HQ/RW{t}/", t, False, True, now, now)
            for t in range(1, 7)
        ],
    )
    dealer_region = {d: rng.choice(leaves) for d in range(1, DEALERS + 1)}
    ins(
        "dealer",
        "id,code,name,region_id,tier_id,status,credit_limit,payment_terms_days,created_at,updated_at",
        [
            (d, f"D{d:05d}", f"经销商{d}", r, d % 3 + 1, "active", 0, 0, now, now)
            for d, r in dealer_region.items()
        ],
    )
    weights = [1 / (rank**0.9) for rank in range(1, SKUS + 1)]
    cumulative, total = [], 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    skus = list(range(1, SKUS + 1))
    rng.shuffle(skus)
    prices = {p: round(rng.uniform(5, 500), 2) for p in skus}
    orders, lines, events, line_id, days = [], [], [], 0, (TODAY - START).days
    for o in range(1, ORDERS + 1):
        dealer = rng.randint(1, DEALERS)
        at = datetime.combine(START + timedelta(days=rng.randrange(days)), datetime.min.time()) + timedelta(
            seconds=rng.randrange(86400)
        )
        roll = rng.random()
        sold = rng.choice(("confirmed", "shipped", "received"))
        status = "cancelled" if roll < 0.03 else "in_review" if roll < 0.05 else sold
        draws = rng.randint(1, 2 * LINES - 1)
        picked = {skus[bisect.bisect(cumulative, rng.random() * total)] for _ in range(draws)}
        amount = 0.0
        for no, p in enumerate(sorted(picked), start=1):
            line_id += 1
            qty = rng.randint(1, 50)
            line_amount = round(prices[p] * qty, 2)
            amount += line_amount
            lines.append((line_id, o, no, p, qty, prices[p], line_amount, False, 0, 0, 0))
        region = dealer_region[dealer]
        confirmed = at.strftime(STAMP) if status != "in_review" else None
        warehouse = 1 + (region - 100) // 10  # the top-level region's warehouse
        orders.append((o, f"SO{o:08d}", dealer, region, region, warehouse, status, "api", round(amount, 2),
                       "bench", 1, 1, now, now, confirmed))  # fmt: skip
        events.append((o, at.strftime(STAMP), "bench", "submit", "in_review"))
        if confirmed is not None:
            events.append((o, confirmed, "bench", "approve", "confirmed"))
        if len(lines) >= 200_000:
            _flush(ins, orders, lines, events)
    _flush(ins, orders, lines, events)
    return {"orders": ORDERS, "lines": line_id}


def _flush(ins: Insert, orders, lines, events) -> None:
    ins("sales_order", "id,number,dealer_id,region_id,ship_to_region_id,warehouse_id,status,source,amount,"
        "created_by,review_round,lock_version,created_at,updated_at,confirmed_at", orders)  # fmt: skip
    ins("order_line", "id,order_id,line_no,product_id,qty,unit_price,amount,promotion,reserved_qty,"
        "shipped_qty,received_qty", lines)  # fmt: skip
    ins("order_event", "order_id,at,actor,action,to_status", events)  # ids from the table's own sequence
    orders.clear()
    lines.clear()
    events.clear()


BASE_SQL = """
SELECT {keys}, SUM(l.amount) FROM order_line l JOIN sales_order o ON o.id = l.order_id {join}
WHERE o.status IN ('confirmed','partially_shipped','shipped','received')
  AND o.confirmed_at >= :start AND o.confirmed_at < :end {where} GROUP BY {keys}"""
# the local (UTC+8) month and ISO-like week of the confirmation, per database
LOCAL = {
    "sqlite": (
        "strftime('%Y-%m', o.confirmed_at, '+8 hours')",
        "strftime('%Y-%W', o.confirmed_at, '+8 hours')",
    ),
    "postgresql": (
        "to_char(o.confirmed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')",
        "to_char(o.confirmed_at AT TIME ZONE 'Asia/Shanghai', 'IYYY-IW')",
    ),
}


def baseline(session, keys: str, start: date, end: date, join: str = "", where: str = "", **params):
    """The same figure from one plain GROUP BY over the order lines (UTC+8 days by a fixed shift)."""
    from sqlalchemy import text

    lo = datetime.combine(start, datetime.min.time(), UTC) - timedelta(hours=8)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC) - timedelta(hours=8)
    bounds = (lo, hi)
    if session.get_bind().dialect.name == "sqlite":  # stored as naive UTC text
        bounds = (lo.strftime(STAMP), hi.strftime(STAMP))
    sql = BASE_SQL.format(keys=keys, join=join, where=where)  # noqa: S608 (the bench's own constants)
    return session.execute(text(sql), {"start": bounds[0], "end": bounds[1], **params}).all()


def _app(url: str, workdir: Path):
    """An app on a migrated database (no demo data, no workflows)."""
    from flask_migrate import upgrade

    from app import create_app
    from app.config import ROOT

    if not OWN_INSTANCE_DIR:
        os.environ["DMS_INSTANCE_DIR"] = str(workdir / "instance")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
            "DMS_SCHEDULER": False,
            "SERVER_NAME": None,
        }
    )
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
    return app


def _pg_database(server_url: str, create: bool) -> str:
    """(Re)create, or drop, the bench database on the server; returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from app.config import database_url

    base = make_url(database_url(server_url))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
        if create:
            conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
    admin.dispose()
    return base.set(database=PG_DATABASE).render_as_string(hide_password=False)


def run() -> Report:
    server = os.environ.get("BENCH_DATABASE_URL", "")
    backends = ["sqlite"] + (["postgresql"] if server else [])
    wanted = [b.strip() for b in os.environ.get("BENCH_ANALYTICS_BACKENDS", "").split(",") if b.strip()]
    backends = [b for b in backends if b in wanted] if wanted else backends
    if not backends:
        raise SystemExit("BENCH_ANALYTICS_BACKENDS names no backend (postgresql needs BENCH_DATABASE_URL)")
    rows: list[Row] = []
    notes: list[str] = []
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    for backend in backends:
        prefix = "" if backend == "sqlite" else "PG: "
        part_rows, part_notes = _run_on(backend, server)
        rows += [Row(prefix + r.figure, r.value, r.unit, r.baseline, r.memory) for r in part_rows]
        notes += [f"{names[backend]}: {n}" for n in part_notes] if len(backends) > 1 else part_notes
    title = "Sales analytics: dashboard and drill-down queries, booking, rebuild"
    return Report(f"{title} ({' and '.join(names[b] for b in backends)})", rows, notes)


def _run_on(backend: str, server: str) -> tuple[list[Row], list[str]]:
    from zoneinfo import ZoneInfo

    from sqlalchemy import text

    from app.adapters.analytics_drill import lines, orders
    from app.adapters.analytics_query import sales
    from app.adapters.analytics_store import rebuild_store, update_store
    from app.adapters.analytics_terms import first_of_month, parse_query
    from app.domain.scope import UNRESTRICTED, DataScope
    from app.extensions import db

    zone = ZoneInfo("Asia/Shanghai")
    year_ago = first_of_month(TODAY.replace(year=TODAY.year - 1))
    with tempfile.TemporaryDirectory(prefix="dms-bench-analytics-") as tmp:
        if backend == "sqlite":
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            app = _app(url, Path(tmp))
            ins, finish = sqlite_loader(Path(tmp) / "bench.db")
        else:
            url = _pg_database(server, create=True)
            app = _app(url, Path(tmp))
            ins, finish = pg_loader(url.replace("postgresql+psycopg://", "postgresql://"))
        began = perf_counter()
        sizes = populate(ins)
        finish()
        load_seconds = perf_counter() - began
        with app.app_context():
            s = db.session
            began = perf_counter()
            booked = rebuild_store(s, zone)
            s.commit()
            rebuild_seconds = perf_counter() - began
            if backend == "postgresql":
                s.remove()
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(text("VACUUM ANALYZE"))
            # As the web server does once the app is loaded (app/wsgi.py): everything alive now
            # out of the cyclic collector's sight, or each full collection walks the whole app.
            gc.collect()
            gc.freeze()
            region = DataScope(region_paths=frozenset({"/R1/"}))
            dealer = DataScope(dealer_ids=frozenset({7}))
            month, week = LOCAL[backend]
            by_dealer = "JOIN dealer d ON d.id = o.dealer_id"
            in_r1 = "AND d.region_id IN (SELECT id FROM region WHERE path LIKE '/R1/%')"
            ya, y3 = year_ago.isoformat(), START.isoformat()
            cases = [
                ("trend by month, 12 months, executive", UNRESTRICTED, {"group_by": "month", "from": ya},
                 (month, year_ago)),
                ("region × month, 3 years, executive", UNRESTRICTED, {"group_by": "region,month", "from": y3},
                 (f"d.region_id, {month}", START, by_dealer)),
                ("top dealers, 12 months, executive", UNRESTRICTED,
                 {"group_by": "dealer", "limit": "10", "from": ya}, ("o.dealer_id", year_ago)),
                ("SKU contribution, 12 months, executive", UNRESTRICTED,
                 {"group_by": "sku", "limit": "5000", "from": ya}, ("l.product_id", year_ago)),
                ("SKU contribution, 12 months, regional manager", region,
                 {"group_by": "sku", "limit": "5000", "from": ya},
                 ("l.product_id", year_ago, by_dealer, in_r1)),
                ("orders by week, 12 months, regional manager", region,
                 {"group_by": "week", "measure": "order_count", "from": ya},
                 (week, year_ago, by_dealer, in_r1)),
                ("trend by month, 3 years, one dealer", dealer, {"group_by": "month", "from": y3},
                 (month, START, "", "AND o.dealer_id = 7")),
            ]  # fmt: skip
            rows, met, notes = [], {}, []
            for name, scope, args, base_args in cases:
                query = parse_query(args, TODAY)
                keys, start, *rest = base_args

                def ours(scope=scope, query=query):
                    return sales(s, scope, query, TODAY)

                def base(keys=keys, start=start, rest=tuple(rest)):
                    return baseline(s, keys, start, TODAY, *rest)

                ours_m, base_m = compare(ours, base, n=RUNS, warmup=1, memory_n=1)
                rows.append(
                    Row(
                        f"{name} p95",
                        ours_m.timing.p95 * 1000,
                        "ms",
                        base_m.timing.p95 * 1000,
                        str(ours_m.memory),
                    )
                )
                met[name] = ours_m.timing.p95 <= 0.3
                notes.append(f"{name}: read {ours()['source']}")
            last_month_end = first_of_month(TODAY) - timedelta(days=1)
            cell = parse_query({"dealer": "D00007", "from": ya, "to": last_month_end.isoformat()}, TODAY)
            number = orders(s, UNRESTRICTED, cell)["rows"][0]["number"]
            drills = (
                ("drill: orders of a dealer × 11 months", lambda: orders(s, UNRESTRICTED, cell),
                 lambda: baseline(s, "o.id", cell.start, cell.end, "", "AND o.dealer_id = 7")),
                ("drill: lines of one order", lambda: lines(s, UNRESTRICTED, cell, number),
                 lambda: baseline(s, "l.id", cell.start, cell.end, "", "AND o.number = :n", n=number)),
            )  # fmt: skip
            for name, fn, base in drills:
                ours_m, base_m = compare(fn, base, n=RUNS, warmup=1, memory_n=1)
                rows.append(
                    Row(
                        f"{name} p95",
                        ours_m.timing.p95 * 1000,
                        "ms",
                        base_m.timing.p95 * 1000,
                        str(ours_m.memory),
                    )
                )
                met[name] = ours_m.timing.p95 <= 0.3
            update_ms, update_p50, cold, job = _time_updates(s, zone, update_store)
            rows.append(Row("book a 50-line order (update + commit) p95", update_ms, "ms"))
            met["50-line order ≤ 5 ms"] = update_ms <= 5
            rows.append(Row("full rebuild", rebuild_seconds, "s"))
            s.remove()
            db.engine.dispose()
            gc.unfreeze()
        if backend == "postgresql":
            _pg_database(server, create=False)
    where = (
        "SQLite file (WAL, the app's pragmas) in a temp dir, one thread"
        if backend == "sqlite"
        else "PostgreSQL database on the given server (psycopg 3, TCP), one thread"
    )
    notes = [
        f"scale {SCALE:g}: {DEALERS:,} dealers, {SKUS:,} SKUs, {sizes['orders']:,} orders, "
        f"{sizes['lines']:,} order lines over 3 years; generated and bulk-loaded in {load_seconds:.0f} s; "
        f"rebuild booked {booked:,} lines in {rebuild_seconds:.0f} s",
        *notes,
        "baseline: the same figure by one plain GROUP BY over order_line ⨝ sales_order",
        f"booking: p50 {update_p50:.2f} ms in the job's steady state, after {WARM_ORDERS} untimed orders "
        f"(SQLAlchemy compiles each statement once per process; psycopg prepares one on the server at its "
        f"6th execution on a connection); the first {WARM_ORDERS} of a new process: "
        f"p50 {cold[1]:.2f} ms, max {cold[0]:.2f} ms",
        *(
            [
                f"WAL checkpoint by the job sqlite.checkpoint after every 10 orders (their order and "
                f"booking pages): p50 {job[1]:.1f} ms, max {job[0]:.1f} ms, untimed above"
            ]
            if job
            else []
        ),
        "targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items()),
        where,
    ]
    return rows, notes


NEW_ORDER = """INSERT INTO sales_order (id, number, dealer_id, region_id, ship_to_region_id, warehouse_id,
status, source, amount, created_by, review_round, lock_version, created_at, updated_at, confirmed_at)
VALUES (:i, :n, 7, 111, 111, 2, 'confirmed', 'api', 5000, 'bench', 1, 1, :t, :t, :t)"""
# Orders booked before the timed ones: SQLAlchemy compiles a statement at its first use in a
# process, psycopg prepares it on the server at its 6th on a connection (``prepare_threshold``).
WARM_ORDERS = 10
NEW_LINE = """INSERT INTO order_line (id, order_id, line_no, product_id, qty, unit_price, amount, promotion,
reserved_qty, shipped_qty, received_qty) VALUES (:id, :o, :no, :p, 2, 50, 100, false, 0, 0, 0)"""
NEW_EVENT = """INSERT INTO order_event (order_id, at, actor, action, to_status)
VALUES (:o, :t, 'bench', 'approve', 'confirmed')"""


def _time_updates(session, zone, update_store, n: int = 40):
    """p95 and p50 ms of: confirm a new 50-line order (committed first), then the job's update +
    commit, in the job's steady state: after ``WARM_ORDERS`` orders (the job runs every minute in
    one long-lived process), whose max and p50 are returned too. On SQLite the scheduler's WAL
    checkpoint runs (untimed, its max and p50 returned) after every ten orders."""
    from sqlalchemy import text

    from app.adapters.sqlite_pragmas import checkpoint
    from bench.common import percentile

    top = session.execute(text("SELECT MAX(id) FROM sales_order")).scalar()
    line = session.execute(text("SELECT MAX(id) FROM order_line")).scalar()
    sqlite = session.get_bind().dialect.name == "sqlite"
    samples, cold, checkpoints = [], [], []
    if sqlite:
        checkpoint(session.get_bind())  # what the load and the rebuild left in the WAL
    for i in range(0, n + WARM_ORDERS):
        oid = top + 1 + i
        now = datetime.now(UTC)
        stamp = now.strftime(STAMP) if sqlite else now
        session.execute(text(NEW_ORDER), {"i": oid, "n": f"SOB{oid}", "t": stamp})
        session.execute(
            text(NEW_LINE),
            [{"id": line + i * 50 + k, "o": oid, "no": k, "p": k * 37} for k in range(1, 51)],
        )
        session.execute(text(NEW_EVENT), {"o": oid, "t": stamp})
        session.commit()
        began = perf_counter()
        update_store(session, zone)
        session.commit()
        (samples if i >= WARM_ORDERS else cold).append(perf_counter() - began)
        if sqlite and i % 10 == 9:  # the scheduler's sqlite.checkpoint (every 10 s in the app)
            began = perf_counter()
            checkpoint(session.get_bind())
            checkpoints.append(perf_counter() - began)
    cold_figures = (max(cold) * 1000, percentile(cold, 50) * 1000)
    job = (max(checkpoints) * 1000, percentile(checkpoints, 50) * 1000) if checkpoints else None
    return percentile(samples, 95) * 1000, percentile(samples, 50) * 1000, cold_figures, job
