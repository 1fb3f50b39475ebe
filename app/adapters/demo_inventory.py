"""Demo catalogue, warehouses and stock receipts from a template's YAML, created when missing.

Product lines, categories and products go through the catalogue rules (``app.domain.catalog``),
warehouses through the warehouse tree rules, receipts through the stock ledger with their
``external_id`` (a receipt already in the ledger is skipped), so loading twice changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.adapters.stock_ledger import apply_movements
from app.adapters.tree_path import apply_tree_path
from app.domain.catalog import ProductFields, check_warehouse_shape, clean_code, clean_name, clean_product
from app.domain.errors import ValidationFailed
from app.domain.stock import parse_movements
from app.models import Category, Dealer, Product, ProductLine, Region, StockMovement, Warehouse


def _by_code(session: Session, model: type, code: str | None, what: str) -> Any:
    if not code:
        return None
    found = session.scalar(select(model).where(model.code == code))
    if found is None:
        raise ValidationFailed(f"demo data: unknown {what} {code}")
    return found


def _exists(session: Session, model: type, code: str) -> bool:
    return session.scalar(select(model.id).where(model.code == code)) is not None


def load_inventory(session: Session, data: dict, actor: str = "demo") -> dict[str, int]:
    """Create the missing catalogue, warehouses and receipts of ``data`` (flushed, not committed)."""
    created = dict.fromkeys(("product_lines", "categories", "products", "warehouses", "receipts"), 0)
    for row in data.get("product_lines", []):
        if not _exists(session, ProductLine, row["code"]):
            session.add(
                ProductLine(
                    code=clean_code(row["code"]), name=clean_name(row["name"]), name_en=row.get("name_en")
                )
            )
            created["product_lines"] += 1
    session.flush()
    for row in data.get("categories", []):
        if _exists(session, Category, row["code"]):
            continue
        category = Category(
            code=clean_code(row["code"]),
            name=clean_name(row["name"]),
            name_en=row.get("name_en"),
            parent=_by_code(session, Category, row.get("parent"), "category"),
            slow_moving_days=row.get("slow_moving_days"),
        )
        apply_tree_path(session, category, None)
        session.add(category)
        session.flush()
        created["categories"] += 1
    for row in data.get("products", []):
        if _exists(session, Product, row["code"]):
            continue
        values = clean_product(ProductFields(**{k: row.get(k) for k in ProductFields.__dataclass_fields__}))
        session.add(
            Product(
                **values,
                product_line=_by_code(session, ProductLine, row.get("product_line"), "product line"),
                category=_by_code(session, Category, row.get("category"), "category"),
            )
        )
        created["products"] += 1
    session.flush()
    for row in data.get("warehouses", []):
        if not _exists(session, Warehouse, row["code"]):
            session.add(_warehouse(session, row))
            session.flush()
            created["warehouses"] += 1
    created["receipts"] = _receipts(session, data.get("stock", []), actor)
    return created


def _warehouse(session: Session, row: dict) -> Warehouse:
    dealer = _by_code(session, Dealer, row.get("dealer"), "dealer")
    region = _by_code(session, Region, row.get("region"), "region") or (dealer.region if dealer else None)
    parent = _by_code(session, Warehouse, row.get("parent"), "warehouse")
    check_warehouse_shape(
        row["kind"],
        parent.kind if parent else None,
        dealer is not None,
        region.path if region else None,
        dealer.region.path if dealer else None,
    )
    warehouse = Warehouse(
        code=clean_code(row["code"]),
        name=clean_name(row["name"], limit=200),
        kind=row["kind"],
        parent=parent,
        region=region,
        dealer=dealer,
        allow_negative=bool(row.get("allow_negative", False)),
        active=True,
    )
    apply_tree_path(session, warehouse, None)
    return warehouse


def _receipts(session: Session, rows: list[dict], actor: str) -> int:
    """Receipts not yet in the ledger (by external id), ``received_days_ago`` relative to today."""
    ids = [row["external_id"] for row in rows]
    seen = set(session.scalars(select(StockMovement.external_id).where(StockMovement.external_id.in_(ids))))
    wanted = []
    for row in rows:
        if row["external_id"] in seen:
            continue
        received = business_today() - timedelta(days=int(row.get("received_days_ago", 0)))
        wanted.append({"kind": "receipt", "received_on": received.isoformat(), **row})
        wanted[-1].pop("received_days_ago", None)
    if wanted:
        apply_movements(session, parse_movements(wanted), actor)
    return len(wanted)
