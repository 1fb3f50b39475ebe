"""Stock alerts computed from the figures, scoped: below safety stock, slow-moving stock, and
batches expiring soon (products with a known shelf life, counted from the batch's receipt date)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.adapters.scope_sql import scope_clause
from app.adapters.stock_figures import FigureQuery, slow_condition
from app.domain.scope import DataScope
from app.models import Product, StockBalance, StockBatch, StockRule, Warehouse

ALERT_KINDS = ("below_safety", "slow_moving", "expiring")
LIMIT = 500  # per kind


def _scoped(query, table):
    return query.join(Warehouse, Warehouse.id == table.warehouse_id).join(
        Product, Product.id == table.product_id
    )


def alerts(
    session: Session,
    scope: DataScope,
    as_of: date,
    slow_days: int,
    expiry_warn_days: int,
    kinds: tuple[str, ...] = ALERT_KINDS,
) -> list[dict[str, Any]]:
    """Alerts of the warehouses in ``scope``, most urgent first within each kind."""
    where = [scope_clause(Warehouse, scope), Warehouse.active.is_(True)]
    found: list[dict[str, Any]] = []
    b, r, s = StockBalance, StockRule, StockBatch
    if "below_safety" in kinds:
        available = (b.on_hand - b.reserved).label("available")
        query = _scoped(
            select(
                Warehouse.code, Product.code, Product.name, available, b.in_transit, r.safety_stock, r.min_qty
            )
            .select_from(r)
            .outerjoin(b, and_(b.warehouse_id == r.warehouse_id, b.product_id == r.product_id)),
            r,
        ).where(*where, r.safety_stock > 0, or_(b.id.is_(None), b.on_hand - b.reserved < r.safety_stock))
        for row in session.execute(query.order_by(available).limit(LIMIT)):
            found.append(
                {"kind": "below_safety", "warehouse": row[0], "sku": row[1], "product": row[2],
                 "available": int(row[3] or 0), "in_transit": int(row[4] or 0), "safety_stock": row[5],
                 "min_qty": row[6]}
            )  # fmt: skip
    if "slow_moving" in kinds:
        q = FigureQuery(as_of=as_of, slow_days=slow_days)
        query = _scoped(
            select(Warehouse.code, Product.code, Product.name, b.on_hand, b.last_out_at).select_from(b), b
        ).where(*where, slow_condition(session, q))
        for row in session.execute(query.order_by(b.on_hand.desc()).limit(LIMIT)):
            found.append(
                {"kind": "slow_moving", "warehouse": row[0], "sku": row[1], "product": row[2],
                 "on_hand": int(row[3]), "last_out_at": row[4].isoformat() if row[4] else None}
            )  # fmt: skip
    if "expiring" in kinds:
        lives = [n for (n,) in session.execute(select(Product.shelf_life_days).distinct()) if n]
        if lives:  # received_on + shelf life ≤ as_of + warn days, one clause per distinct shelf life
            soon = or_(
                *[
                    and_(
                        Product.shelf_life_days == n,
                        s.received_on <= as_of + timedelta(days=expiry_warn_days - n),
                    )
                    for n in lives
                ]
            )
            query = _scoped(
                select(Warehouse.code, Product.code, Product.name, s.batch, s.received_on, s.on_hand,
                       Product.shelf_life_days).select_from(s),
                s,
            ).where(*where, s.on_hand > 0, soon)  # fmt: skip
            for row in session.execute(query.order_by(s.received_on).limit(LIMIT)):
                expires = row[4] + timedelta(days=row[6])
                found.append(
                    {"kind": "expiring", "warehouse": row[0], "sku": row[1], "product": row[2],
                     "batch": row[3], "on_hand": int(row[5]), "expires_on": expires.isoformat(),
                     "days_left": (expires - as_of).days}
                )  # fmt: skip
    return found
