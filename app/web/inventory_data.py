"""Read models of the inventory pages and APIs: suggestion lists (scoped, paged)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.adapters.scope_sql import scope_clause
from app.domain.scope import DataScope
from app.models import Product, ReplenishmentSuggestion, Warehouse
from app.models.replenishment import OPEN_STATUSES, SUGGESTION_STATUSES

PAGE_SIZE = 50


def suggestion_page(
    session: Session, scope: DataScope, status: str, page: int, page_size: int = PAGE_SIZE
) -> tuple[int, list[dict[str, Any]]]:
    """(count, one page) of suggestions in ``scope``; status ``open`` = proposed or edited."""
    s, source = ReplenishmentSuggestion, aliased(Warehouse)
    statuses = OPEN_STATUSES if status == "open" else (status,) if status in SUGGESTION_STATUSES else ()
    where = [scope_clause(Warehouse, scope)]
    if statuses:
        where.append(s.status.in_(statuses))
    base = select(s).join(Warehouse, Warehouse.id == s.warehouse_id).where(*where)
    count = session.scalar(select(func.count()).select_from(base.subquery()))
    query = (
        select(s, Warehouse.code, Warehouse.name, source.code, Product.code, Product.name, Product.name_en)
        .join(Warehouse, Warehouse.id == s.warehouse_id)
        .join(Product, Product.id == s.product_id)
        .outerjoin(source, source.id == s.source_warehouse_id)
        .where(*where)
        .order_by(s.created_at.desc(), s.id.desc())
        .limit(page_size)
        .offset(page * page_size)
    )
    rows = []
    for item, wh_code, wh_name, source_code, sku, name, name_en in session.execute(query):
        rows.append(
            {
                "id": item.id,
                "kind": item.kind,
                "warehouse": wh_code,
                "warehouse_name": wh_name,
                "source": source_code,
                "sku": sku,
                "product": name,
                "product_en": name_en,
                "qty": item.qty,
                "suggested_qty": item.suggested_qty,
                "reason": item.reason,
                "figures": item.figures,
                "status": item.status,
                "reference": item.reference,
                "decided_by": item.decided_by,
                "decided_at": item.decided_at.isoformat() if item.decided_at else None,
                "created_at": item.created_at.isoformat(),
            }  # fmt: skip
        )
    return count or 0, rows
