"""Pricing: a 60-line quote against 200,000 price records, indexed vs a query per line per type.

The app is built like ``bench_api_list`` (``create_app`` on a temporary SQLite file, ``dms
init``, ``tests/data/world.yaml`` plus 200 generated dealers), then 5,000 SKUs and one
published policy of 200,000 records are inserted with Core: per SKU 1 list price, 3 volume
breaks, 5 regional prices (every region of the world), 3 dealer-tier prices, 25 dealer-specific
prices (random dealers) and 3 promotions (one stackable). Ours = ``app.adapters.pricing.quote``
(cached index of the version, two small queries per quote: the version in force and the
dealer's special prices). Baseline = the same quote done naively: per line, one query per
condition type (special, dealer, tier × SKU, tier × product line, region per level of the
region tree, volume, base, promotions), each line then priced by the same domain engine — so
both must return the same prices, which is checked.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from time import perf_counter

import yaml
from sqlalchemy import insert, or_, select

from bench.bench_api_list import PASSWORD, WORLD, temporary_instance
from bench.common import Measurement, Memory, Report, Row, _merge, latency_rows, python_peak, time_calls

SKUS, DEALERS, LINES = 5_000, 200, 60
QUOTES, NAIVE_QUOTES = 2_000, 100
PER_SKU = {"base": 1, "volume": 3, "region": 5, "tier": 3, "dealer": 25, "promo": 3}
TARGET_P95_MS, TARGET_RPS = 10.0, 1_000


def build_app(workdir: Path):
    from app import create_app
    from app.adapters.demo_data import load_demo
    from app.adapters.unit_of_work import SqlUnitOfWork
    from app.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.db'}",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
            "DMS_SCHEDULER": False,
            "DMS_ADMIN_PASSWORD": PASSWORD,
            "DMS_DEMO_PASSWORD": PASSWORD,
            "SERVER_NAME": None,
        }
    )
    result = app.test_cli_runner().invoke(args=["dms", "init"])
    if result.exit_code != 0:
        raise RuntimeError(f"dms init failed: {result.output}")
    regions = ["SH", "JS", "GD"]
    extra = [
        {
            "code": f"P-{i:04d}",
            "name": f"价格基准经销商 {i:04d}",
            "region": regions[i % 3],
            "tier": "AB"[i % 2],
        }
        for i in range(DEALERS)
    ]
    (workdir / "dealers.yaml").write_text(yaml.safe_dump({"dealers": extra}, allow_unicode=True), "utf-8")
    with app.app_context():
        roles = app.extensions["dms_roles"]
        load_demo(SqlUnitOfWork(db.session, roles), WORLD, PASSWORD)
        load_demo(SqlUnitOfWork(db.session, roles), workdir / "dealers.yaml", PASSWORD)
        db.session.remove()
    return app


def fill(session) -> int:
    """5,000 SKUs and a published version of 200,000 records; returns the version id."""
    from app.models import (
        Category,
        Dealer,
        DealerTier,
        PolicyVersion,
        PriceRecord,
        Product,
        ProductLine,
        Region,
    )

    rng = random.Random(7)
    session.add_all([ProductLine(code=f"L{i}", name=f"产品线 {i}") for i in range(10)])
    session.add(Category(code="ALL", name="全部", path="/ALL/"))
    session.flush()
    lines = list(session.scalars(select(ProductLine.id)))
    category = session.scalar(select(Category.id))
    session.execute(
        insert(Product),
        [
            {
                "code": f"S{i:05d}",
                "name": f"商品 {i}",
                "product_line_id": lines[i % 10],
                "category_id": category,
            }
            for i in range(SKUS)
        ],
    )
    products = list(session.scalars(select(Product.id).order_by(Product.id)))
    regions = list(session.scalars(select(Region.id)))
    tiers = list(session.scalars(select(DealerTier.id)))
    dealers = list(session.scalars(select(Dealer.id)))
    version = PolicyVersion(
        number=1,
        status="published",
        effective_from=datetime.now(UTC) - timedelta(days=1),
        published_by="bench",
    )
    session.add(version)
    session.flush()
    today = date.today()
    rows = []
    for pid in products:
        base = Decimal(rng.randint(1000, 90000)) / 100
        rec = {"version_id": version.id, "product_id": pid, "stackable": False, "min_qty": 1}
        rows.append({**rec, "condition_type": "base", "price": base})
        for k, qty in enumerate((24, 96, 480)):
            rows.append(
                {**rec, "condition_type": "volume", "min_qty": qty, "price": base * (95 - 3 * k) / 100}
            )
        rows += [
            {**rec, "condition_type": "region", "region_id": r, "price": base * 97 / 100} for r in regions
        ]
        rows += [{**rec, "condition_type": "tier", "tier_id": t, "price": base * 96 / 100} for t in tiers]
        rows += [
            {**rec, "condition_type": "dealer", "dealer_id": d, "price": base * 93 / 100}
            for d in rng.sample(dealers, PER_SKU["dealer"])
        ]
        window = {"valid_from": today - timedelta(days=5), "valid_to": today + timedelta(days=25)}
        rows.append({**rec, **window, "condition_type": "promo", "discount_pct": Decimal(5)})
        rows.append({**rec, **window, "condition_type": "promo", "buy_x": 10, "get_y": 1, "min_qty": 11})
        rows.append(
            {**rec, **window, "condition_type": "promo", "discount_pct": Decimal(2), "stackable": True}
        )
    for start in range(0, len(rows), 20_000):
        session.execute(insert(PriceRecord), rows[start : start + 20_000])
    session.commit()
    return version.id


def naive_quote(session, dealer, lines, day):
    """Query per line per condition type, then the domain engine on what was found."""
    from app.adapters.pricing import buyer_of
    from app.domain.pricing import Condition, Item, PriceIndex, Quote, q2
    from app.models import Category, PolicyVersion, PriceRecord, Product, SpecialPrice

    buyer = buyer_of(dealer)
    version = session.scalar(
        select(PolicyVersion.id)
        .where(PolicyVersion.status == "published", PolicyVersion.effective_from <= datetime.now(UTC))
        .order_by(PolicyVersion.effective_from.desc())
        .limit(1)
    )
    r = PriceRecord
    dated = (or_(r.valid_from.is_(None), r.valid_from <= day), or_(r.valid_to.is_(None), r.valid_to >= day))
    out = []
    for sku, qty in lines:
        product = session.scalar(select(Product).where(Product.code == sku))
        path = session.scalar(select(Category.path).where(Category.id == product.category_id)) or ""
        line_code = product.product_line.code if product.product_line else None
        item = Item(sku, line_code, tuple(p for p in path.split("/") if p))
        queries = [
            ("dealer", r.dealer_id == dealer.id, r.product_id == product.id),
            ("tier", r.tier_id == dealer.tier_id, r.product_id == product.id),
            ("tier", r.tier_id == dealer.tier_id, r.product_line_id == product.product_line_id),
            *[("region", r.region.has(code=code), r.product_id == product.id) for code in buyer.regions],
            ("volume", r.product_id == product.id, r.min_qty <= qty),
            ("base", r.product_id == product.id, r.min_qty <= qty),
            ("promo", r.product_id == product.id, r.min_qty <= qty),
        ]
        found = []
        for ctype, *where in queries:
            for rec in session.scalars(
                select(r).where(r.version_id == version, r.condition_type == ctype, *where, *dated)
            ):
                found.append(_condition(rec, sku, line_code, buyer, dealer.code))
        specials = session.scalars(
            select(SpecialPrice).where(
                SpecialPrice.dealer_id == dealer.id, SpecialPrice.product_id == product.id
            )
        )
        special = {
            sku: [Condition(s.id, "special", sku=sku, dealer=dealer.code, price=s.price) for s in specials]
        }
        out.append(PriceIndex.build(found, [item], version).price_line(buyer, item, qty, day, special))
    return Quote(tuple(out), q2(sum((x.amount for x in out), Decimal(0))), version)


def _condition(rec, sku, line_code, buyer, dealer_code):
    from app.domain.pricing import Condition

    keys = {
        "sku": sku if rec.product_id else None,
        "product_line": line_code if rec.product_line_id else None,
    }
    keys["tier"] = buyer.tier if rec.tier_id else None
    keys["dealer"] = dealer_code if rec.dealer_id else None
    keys["region"] = rec.region.code if rec.region_id else None
    return Condition(
        rec.id, rec.condition_type, **keys, min_qty=rec.min_qty, price=rec.price,
        discount_pct=rec.discount_pct, buy_x=rec.buy_x, get_y=rec.get_y,
        valid_from=rec.valid_from, valid_to=rec.valid_to, stackable=rec.stackable,
    )  # fmt: skip


def measure(ours, base, rounds: int = 5) -> tuple[Measurement, Measurement]:
    """Like ``common.compare`` but with fewer calls of the (slow) baseline."""
    for _ in range(20):
        ours()
    base()
    ours_parts, base_parts = [], []
    for _ in range(rounds):
        ours_parts.append(time_calls(ours, QUOTES // rounds))
        base_parts.append(time_calls(base, NAIVE_QUOTES // rounds))
    ours_t, base_t = _merge(ours_parts), _merge(base_parts)
    return (
        Measurement(ours_t, Memory(python_peak(ours, 20), ours_t.rss_peak)),
        Measurement(base_t, Memory(python_peak(base, 3), base_t.rss_peak)),
    )


def run() -> Report:
    from app.adapters import pricing
    from app.extensions import db
    from app.models import Dealer, PolicyVersion, PriceRecord

    with temporary_instance() as workdir:
        app = build_app(workdir)
        with app.app_context():
            began = perf_counter()
            version_id = fill(db.session)
            fill_s = perf_counter() - began
            count = db.session.query(PriceRecord).count()
            dealer = db.session.scalar(select(Dealer).where(Dealer.code == "D-SH-1"))
            rng = random.Random(11)
            order = [
                (f"S{i:05d}", rng.choice((1, 6, 12, 30, 100, 500))) for i in rng.sample(range(SKUS), LINES)
            ]
            pricing.invalidate_cache()
            began = perf_counter()
            pricing.index_for(db.session, db.session.get(PolicyVersion, version_id))
            index_s = perf_counter() - began
            day = date.today()
            ours_fn = lambda: pricing.quote(db.session, dealer, order)  # noqa: E731
            base_fn = lambda: naive_quote(db.session, dealer, order, day)  # noqa: E731
            a, b = ours_fn(), base_fn()
            if [x.unit_price for x in a.lines] != [x.unit_price for x in b.lines] or a.total != b.total:
                raise RuntimeError("indexed and naive quotes disagree")
            ours, base = measure(ours_fn, base_fn)
            rows = latency_rows(f"quote of {LINES} lines", ours, base)
            rows.append(Row("index build (records + catalogue), once per version", index_s * 1000, "ms"))
            rows.append(Row(f"insert {count:,} records + {SKUS:,} SKUs (Core)", fill_s, "s"))
            db.session.remove()
            db.engine.dispose()
    p95, rps = ours.timing.p95 * 1000, ours.timing.rps
    met = {
        f"p95 ≤ {TARGET_P95_MS:.0f} ms": p95 <= TARGET_P95_MS,
        f"≥ {TARGET_RPS:,} quotes/s": rps >= TARGET_RPS,
    }
    notes = [
        f"{count:,} records in one published version "
        f"({', '.join(f'{k} {v}' for k, v in PER_SKU.items())} per SKU), "
        f"{SKUS:,} SKUs, {DEALERS} generated dealers; quote for D-SH-1 (tier A, region SH under EAST), "
        f"{LINES} random SKUs, quantities 1-500; {QUOTES} quotes ours, {NAIVE_QUOTES} naive, alternating in "
        "5 blocks, one thread; throughput = quotes one after another",
        f"the two quotes agree line by line (total {a.total}); SQLite file in a temp dir",
        "targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items()),
    ]
    return Report("Pricing: 60-line quote on 200,000 price records (SQLite)", rows, notes)
