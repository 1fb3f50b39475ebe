"""Demo history: a seeded, deterministic history so a fresh demo shows a living system
(docs/demo_data.md). ``history_master`` gives the generated dealers, SKUs and prices that
``load_demo`` upserts with the demo; ``load_history`` writes the past orders and their stock,
rebuilds the sales analytics store and runs a forecast. The open work (orders in approval, a price
exception) goes through the real flows in ``demo_history_open``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.analytics_store import rebuild_store
from app.adapters.clock import business_today
from app.adapters.demo_history_orders import DealerInfo, ProductInfo, draw_orders
from app.adapters.demo_history_plan import HistoryParams, master_rows, read_params
from app.adapters.demo_history_stock import book_stock
from app.adapters.demo_history_write import ACTOR, write_orders
from app.adapters.demo_pricing import load_price_policy
from app.adapters.forecasts import run_forecasts
from app.adapters.order_checks import serving_warehouse
from app.models import (
    Dealer,
    DealerTier,
    PolicyVersion,
    PriceRecord,
    Product,
    ProductLine,
    SalesOrder,
    Warehouse,
)

FILE = "demo_history.yaml"


def history_master(template_dir: Path, size: str, seed: int | None = None) -> dict[str, list[dict[str, Any]]]:
    """Generated regions, dealers, dealer warehouses, products and base prices (none for ``none``)."""
    if size == "none":
        return {}
    return master_rows(read_params(template_dir / FILE, size, seed))


def history_loaded(session: Session) -> bool:
    """Has a demo history been written (orders created by ``demo-history``)?"""
    return session.scalar(select(SalesOrder.id).where(SalesOrder.created_by == ACTOR).limit(1)) is not None


def _dealers(session: Session) -> list[DealerInfo]:
    out = []
    for dealer in session.scalars(select(Dealer).where(Dealer.status == "active").order_by(Dealer.code)):
        warehouse = serving_warehouse(session, dealer)
        if warehouse is None:
            continue
        tier = dealer.tier.code if dealer.tier is not None else "B"
        out.append(
            DealerInfo(
                dealer.id,
                dealer.code,
                tier,
                warehouse.id,
                warehouse.code,
                dealer.region_id,
                int(dealer.payment_terms_days or 30),
            )
        )
    return out


def _live_records(session: Session):
    version = session.scalar(
        select(PolicyVersion.id)
        .where(PolicyVersion.status == "published")
        .order_by(PolicyVersion.number.desc())
    )
    return select(PriceRecord).where(PriceRecord.version_id == version)


def listed_products(session: Session) -> list[ProductInfo]:
    """Active SKUs with a base price in the live policy, by code."""
    base = {
        r.product_id: r.price
        for r in session.scalars(_live_records(session).where(PriceRecord.condition_type == "base"))
        if r.product_id is not None and r.price is not None and r.valid_from is None
    }
    lines = dict(session.execute(select(ProductLine.id, ProductLine.code)).tuples().all())
    return [
        ProductInfo(p.id, p.code, lines.get(p.product_line_id, ""), Decimal(base[p.id]))
        for p in session.scalars(select(Product).where(Product.status == "active").order_by(Product.code))
        if p.id in base
    ]


def _tier_discounts(session: Session) -> dict[tuple[str, str], Decimal]:
    """(tier code, product line code) → discount % of the live policy's tier records by line."""
    tiers = dict(session.execute(select(DealerTier.id, DealerTier.code)).tuples().all())
    lines = dict(session.execute(select(ProductLine.id, ProductLine.code)).tuples().all())
    return {
        (tiers[r.tier_id], lines[r.product_line_id]): Decimal(r.discount_pct)
        for r in session.scalars(_live_records(session).where(PriceRecord.condition_type == "tier"))
        if r.tier_id and r.product_line_id and r.product_id is None and r.discount_pct is not None
    }


def _list_prices(session: Session, params: HistoryParams) -> int:
    """Publish the generated SKUs' list prices still missing from the live policy, as one version
    (none when ``demo.yaml``'s ``price_policy`` carried them already, as in ``fmcg``); how many."""
    records = master_rows(params)["price_records"]
    policy = {"note": "演示历史：生成 SKU 的目录价 demo history list prices", "records": records}
    return load_price_policy(session, {"price_policy": policy}, ACTOR)["price_records"]


def load_history(
    session: Session,
    template_dir: Path,
    size: str,
    zone: ZoneInfo,
    *,
    seed: int | None = None,
    today: date | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Write the history of ``size`` once (commits); ``{"history": "skipped" | "already loaded"}``
    when there is nothing to do, else how many records of each kind were written."""
    if size == "none":
        return {"history": "skipped"}
    if history_loaded(session):
        return {"history": "already loaded"}
    today = today or business_today()
    params: HistoryParams = read_params(template_dir / FILE, size, seed)
    list_prices = _list_prices(session, params)
    dealers, products = _dealers(session), listed_products(session)
    if not dealers or not products:
        return {"history": "skipped: no active dealers or no SKUs with a list price"}
    orders = draw_orders(params, dealers, products, _tier_discounts(session), today)
    report: dict[str, Any] = write_orders(session, orders, params.seed)
    if list_prices:
        report["list_prices"] = list_prices
    hq = session.scalar(select(Warehouse.code).where(Warehouse.kind == "hq").order_by(Warehouse.id))
    own = list(
        session.scalars(select(Warehouse.code).where(Warehouse.kind == "dealer").order_by(Warehouse.code))
    )
    report["stock_movements"] = book_stock(session, params, orders, today, hq, own)
    session.commit()
    report["sale_lines"] = rebuild_store(session, zone)
    session.commit()
    run = run_forecasts(session, today, triggered_by=ACTOR, workers=workers)
    session.commit()
    report["forecasts"] = run.series_count
    return report
