"""What the stock API needs beyond the ledger: scoped balance pages, the scope check of posted
movements, and snapshot sync (differences to the counted levels become ``adjust`` movements).

Everything that changes stock goes through ``stock_ledger.apply_movements``; nothing here
commits (the endpoint commits once, or rolls back on a refusal).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.scope_sql import scope_clause
from app.adapters.stock_ledger import apply_movements
from app.domain.errors import DomainError, NotFound, ValidationFailed
from app.domain.scope import DataScope
from app.domain.stock import Movement
from app.domain.stock_snapshot import Snapshot, differences, external_id
from app.models import Product, StockBalance, StockMovement, Warehouse


def visible_warehouse(session: Session, code: str, scope: DataScope) -> Warehouse | None:
    """The warehouse with this code if the scope covers it (None for unknown and out of scope alike)."""
    return session.scalar(select(Warehouse).where(Warehouse.code == code, scope_clause(Warehouse, scope)))


def balance_page(
    session: Session, scope: DataScope, warehouse: str | None, sku: str | None, page: int, page_size: int
) -> tuple[int, list[dict[str, Any]]]:
    """(total, one page) of balances per warehouse × SKU the scope covers, by warehouse path and SKU."""
    query = (
        select(
            Warehouse.code.label("warehouse"),
            Warehouse.name.label("warehouse_name"),
            Product.code.label("sku"),
            Product.name.label("product_name"),
            StockBalance.on_hand,
            StockBalance.reserved,
            StockBalance.in_transit,
        )
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .join(Product, Product.id == StockBalance.product_id)
        .where(scope_clause(Warehouse, scope))
    )
    if warehouse:
        query = query.where(Warehouse.code == warehouse)
    if sku:
        query = query.where(Product.code == sku)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(Warehouse.path, Product.code).limit(page_size).offset(page * page_size)
    )
    result = [
        {
            **row._mapping,
            "on_hand": int(row.on_hand),
            "reserved": int(row.reserved),
            "available": int(row.on_hand) - int(row.reserved),
            "in_transit": int(row.in_transit),
        }
        for row in rows
    ]
    return total, result


def check_movements_in_scope(session: Session, movements: list[Movement], scope: DataScope) -> None:
    """Every warehouse a movement names must be inside the scope; otherwise it is unknown (422)."""
    if scope.unrestricted:
        return
    codes = {m.warehouse for m in movements} | {m.to_warehouse for m in movements if m.to_warehouse}
    seen = set(
        session.scalars(
            select(Warehouse.code).where(Warehouse.code.in_(sorted(codes)), scope_clause(Warehouse, scope))
        )
    )
    errors = {}
    for index, m in enumerate(movements):
        for key, code in (("warehouse", m.warehouse), ("to_warehouse", m.to_warehouse)):
            if code and code not in seen:
                errors[f"movements/{index}/{key}"] = f"unknown warehouse {code}"
    if errors:
        raise ValidationFailed(
            "invalid movements: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )


def _renamed(error: DomainError, where: dict[int, int]) -> DomainError:
    """The ledger's ``movements/k/…`` keys as the snapshot's ``balances/i/on_hand``."""
    errors = {}
    for key, reason in error.errors.items():
        parts = key.split("/")
        if parts[0] == "movements" and len(parts) > 1 and parts[1].isdigit():
            key = f"balances/{where[int(parts[1])]}/on_hand"
        errors[key] = reason
    return type(error)(error.message, errors)


def sync_snapshot(session: Session, snapshot: Snapshot, scope: DataScope, actor: str) -> list[dict[str, Any]]:
    """Adjust the warehouse to the counted levels; one result per SKU that was (or had been) adjusted."""
    warehouse = visible_warehouse(session, snapshot.warehouse, scope)
    if warehouse is None or not warehouse.active:
        raise NotFound(f"unknown warehouse {snapshot.warehouse}", {"warehouse": "unknown warehouse"})
    skus = [sku for sku, _ in snapshot.levels]
    products = dict(session.execute(select(Product.code, Product.id).where(Product.code.in_(skus))).all())
    unknown = {f"balances/{i}/sku": f"unknown SKU {sku}" for i, sku in enumerate(skus) if sku not in products}
    if unknown:
        missing = ", ".join(sku for sku in skus if sku not in products)
        raise ValidationFailed(f"unknown SKUs: {missing}", unknown)
    levels = session.execute(
        select(StockBalance.product_id, StockBalance.on_hand)
        .where(StockBalance.warehouse_id == warehouse.id, StockBalance.product_id.in_(products.values()))
        .with_for_update()
    ).all()
    by_id = {product_id: int(on_hand) for product_id, on_hand in levels}
    current = {sku: by_id.get(pid, 0) for sku, pid in products.items()}
    done: dict[str, int] = {}
    if snapshot.snapshot_id:
        ids = {external_id(snapshot.snapshot_id, sku): sku for sku in skus}
        done = {
            ids[ext]: mid
            for ext, mid in session.execute(
                select(StockMovement.external_id, StockMovement.id).where(StockMovement.external_id.in_(ids))
            )
        }
    planned = differences(snapshot, current, frozenset(done))
    try:
        applied = apply_movements(session, [m for _, m in planned], actor) if planned else []
    except DomainError as error:
        raise _renamed(error, {k: index for k, (index, _) in enumerate(planned)}) from None
    results = [
        {"sku": sku, "movement_id": mid, "duplicate": True, "adjustment": None} for sku, mid in done.items()
    ]
    for (_, movement), result in zip(planned, applied, strict=True):
        results.append(
            {
                "sku": movement.sku,
                "movement_id": result.movement_id,
                "duplicate": result.duplicate,
                "before": current[movement.sku],
                "on_hand": current[movement.sku] + movement.qty,
                "adjustment": movement.qty,
            }
        )
    return results
