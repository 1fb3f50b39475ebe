"""A world to analyse: the test world (regions EAST → SH, JS and SOUTH → GD; dealers D-SH-1,
D-SH-2, D-JS-1, D-GD-1) with a small catalogue, and orders written straight into the order
tables with their timeline events (the store reads only those), plus an independent computation
of the figures from the order lines."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.conftest import init_world, make_app

CATALOGUE = {
    "product_lines": [{"code": "BEV", "name": "饮料"}, {"code": "HPC", "name": "日化"}],
    "categories": [{"code": "DRINK", "name": "饮品"}, {"code": "WATER", "name": "水", "parent": "DRINK"}],
    "products": [
        {"code": "W-550", "name": "矿泉水 550ml", "product_line": "BEV", "category": "WATER", "unit": "箱"},
        {"code": "T-500", "name": "绿茶 500ml", "product_line": "BEV", "category": "DRINK", "unit": "箱"},
        {"code": "C-1KG", "name": "洗衣液 1kg", "product_line": "HPC", "unit": "箱"},
    ],
    "warehouses": [
        {"code": "WH-HQ", "name": "总仓", "kind": "hq", "region": "SH"},
        {"code": "WH-EAST", "name": "华东仓", "kind": "regional", "parent": "WH-HQ", "region": "EAST"},
        {"code": "WH-SOUTH", "name": "华南仓", "kind": "regional", "parent": "WH-HQ", "region": "SOUTH"},
    ],
}
ZONE = ZoneInfo("Asia/Shanghai")
SOLD = ("confirmed", "partially_shipped", "shipped", "received")
_numbers = itertools.count(1)


def analytics_app(database_url: str):
    from app.adapters.demo_inventory import load_inventory
    from app.extensions import db

    application = make_app(database_url)
    init_world(application)
    with application.app_context():
        load_inventory(db.session, CATALOGUE)
        db.session.commit()
    return application


def ids(session, model, codes=None) -> dict[str, int]:
    return {code: id_ for id_, code in session.execute(select(model.id, model.code))}


def make_order(session, dealer: str, lines, confirmed_at: datetime | None, status: str = "confirmed"):
    """An order with ``lines`` [(sku, qty, unit price)] in ``status``, confirmed at ``confirmed_at``,
    and its timeline event; flushed."""
    from app.models import Dealer, OrderEvent, OrderLine, Product, SalesOrder, Warehouse

    d = session.scalar(select(Dealer).where(Dealer.code == dealer))
    products = ids(session, Product)
    warehouse = ids(session, Warehouse)["WH-SOUTH" if dealer.startswith("D-GD") else "WH-EAST"]
    order = SalesOrder(
        number=f"SO-T{next(_numbers):05d}",
        dealer_id=d.id,
        region_id=d.region_id,
        ship_to_region_id=d.region_id,
        warehouse_id=warehouse,
        status=status,
        created_by="test",
        confirmed_at=confirmed_at,
    )
    for no, (sku, qty, price) in enumerate(lines, start=1):
        amount = (Decimal(price) * qty).quantize(Decimal("0.01"))
        order.lines.append(
            OrderLine(line_no=no, product_id=products[sku], qty=qty, unit_price=Decimal(price), amount=amount)
        )
    order.amount = sum((line.amount for line in order.lines), Decimal(0))
    session.add(order)
    session.flush()
    session.add(OrderEvent(order_id=order.id, actor="test", action="approve", to_status=status))
    session.flush()
    return order


def move(session, order, status: str, action: str = "moved") -> None:
    """Change an order's status with a timeline event (cancel, ship, …)."""
    from app.models import OrderEvent

    before, order.status = order.status, status
    session.add(
        OrderEvent(order_id=order.id, actor="test", action=action, from_status=before, to_status=status)
    )
    session.flush()


def change_line(session, order, sku: str, qty: int) -> None:
    """Set a line's quantity (0 removes it) as an approved change request does, with its event."""
    from app.models import OrderEvent

    for line in list(order.lines):
        if line.product.code == sku:
            if qty == 0:
                order.lines.remove(line)
            else:
                line.qty = qty
                line.amount = (Decimal(line.unit_price) * qty).quantize(Decimal("0.01"))
    order.amount = sum((line.amount for line in order.lines), Decimal(0))
    session.add(OrderEvent(order_id=order.id, actor="test", action="changed", to_status=order.status))
    session.flush()


def expected(session, start: date, end: date, key, dealers=None) -> dict:
    """Independent figures from the order lines: {key(row): [amount, qty, set of order ids]} over
    sold orders confirmed (local day) in [start, end]; ``row`` has dealer, region path, tier,
    sku, line, category, warehouse, day; ``dealers`` limits to these dealer codes."""
    from app.models import SalesOrder

    out: dict = defaultdict(lambda: [Decimal(0), 0, set()])
    for order in session.scalars(select(SalesOrder).where(SalesOrder.status.in_(SOLD))):
        if order.confirmed_at is None:
            continue
        day = order.confirmed_at.astimezone(ZONE).date()
        if not start <= day <= end or (dealers is not None and order.dealer.code not in dealers):
            continue
        for line in order.lines:
            if line.qty <= 0:
                continue
            row = {
                "dealer": order.dealer.code,
                "region": order.dealer.region.path,
                "tier": order.dealer.tier.code if order.dealer.tier else None,
                "sku": line.product.code,
                "product_line": line.product.product_line.code if line.product.product_line else None,
                "category": line.product.category.code if line.product.category else None,
                "warehouse": order.warehouse.code if order.warehouse else None,
                "day": day,
            }
            acc = out[key(row)]
            acc[0] += Decimal(line.amount)
            acc[1] += int(line.qty)
            acc[2].add(order.id)
    return out


def at(y: int, m: int, d: int, hour: int = 10) -> datetime:
    """A UTC time on that day (10:00 UTC is 18:00 in Shanghai, the same day)."""
    return datetime(y, m, d, hour, tzinfo=UTC)


def store_rows(session) -> dict[str, list[tuple]]:
    """Every row of every store table, sorted, for comparing two builds."""
    from app.models import DealerMonth, OrderDay, ProductMonth, SaleLine

    out = {}
    for model in (SaleLine, OrderDay, DealerMonth, ProductMonth):
        table = model.__table__
        out[table.name] = sorted(tuple(r) for r in session.execute(select(table)))
    return out
