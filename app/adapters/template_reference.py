"""Reference data of a template bundle (``reference.yaml``): tiers, regions, product lines,
categories, products, warehouses — each normalised the same way from the bundle and from the
database (so a plan can compare them), checked with the catalogue and region rules, and upserted
by code through the ORM (so the audit log records every change)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.region_tree import apply_region_path
from app.adapters.tree_path import apply_tree_path
from app.domain.catalog import (
    NODE_CODE,
    SKU_CODE,
    ProductFields,
    check_warehouse_shape,
    clean_code,
    clean_name,
    clean_product,
)
from app.domain.errors import ValidationFailed
from app.domain.regions import validate_code, validate_region
from app.domain.templates import Problem
from app.models import Category, DealerTier, Product, ProductLine, Region, Warehouse

KINDS = ("tier", "region", "product_line", "category", "product", "warehouse")
LISTS = {
    "tier": "tiers",
    "region": "regions",
    "product_line": "product_lines",
    "category": "categories",
    "product": "products",
    "warehouse": "warehouses",
}
MODELS: dict[str, Any] = {
    "tier": DealerTier,
    "region": Region,
    "product_line": ProductLine,
    "category": Category,
    "product": Product,
    "warehouse": Warehouse,
}
PARENTS = {"region": "region", "category": "category", "warehouse": "warehouse"}  # kinds with a tree
REFERENCES = {  # field -> the kind it names
    "region": {"parent": "region"},
    "category": {"parent": "category"},
    "product": {"product_line": "product_line", "category": "category"},
    "warehouse": {"parent": "warehouse", "region": "region"},
}


def _num(value: Any) -> str | None:
    return None if value is None else f"{Decimal(value).normalize():f}"


def _opt(value: Any) -> str | None:
    return None if value in (None, "") else str(value).strip()


def desired(kind: str, row: dict) -> dict[str, Any]:
    """The normalised values of a bundle row (ValidationFailed naming the field)."""
    if kind == "tier":
        rank = row.get("rank", 0)
        if isinstance(rank, bool) or not isinstance(rank, int):
            raise ValidationFailed("rank: a whole number", {"rank": "a whole number"})
        return {"name": clean_name(row.get("name")), "name_en": _opt(row.get("name_en")), "rank": rank}
    if kind == "region":
        validate_region(row.get("name"))
        return {
            "name": str(row["name"]).strip(),
            "name_en": _opt(row.get("name_en")),
            "parent": _opt(row.get("parent")),
        }
    if kind == "product_line":
        return {"name": clean_name(row.get("name")), "name_en": _opt(row.get("name_en"))}
    if kind == "category":
        days = row.get("slow_moving_days")
        if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
            raise ValidationFailed("slow_moving_days: a whole number ≥ 1", {"slow_moving_days": "≥ 1"})
        return {
            "name": clean_name(row.get("name")),
            "name_en": _opt(row.get("name_en")),
            "parent": _opt(row.get("parent")),
            "slow_moving_days": days,
        }
    if kind == "product":
        values = clean_product(ProductFields(**{k: row.get(k) for k in ProductFields.__dataclass_fields__}))
        values.pop("code")
        values["standard_cost"] = _num(values["standard_cost"])
        return {
            **values,
            "product_line": _opt(row.get("product_line")),
            "category": _opt(row.get("category")),
        }
    if row.get("kind") not in ("hq", "regional"):
        raise ValidationFailed(
            "kind: hq or regional (dealer warehouses are demo data)", {"kind": "hq or regional"}
        )
    return {
        "name": clean_name(row.get("name"), limit=200),
        "kind": row["kind"],
        "parent": _opt(row.get("parent")),
        "region": _opt(row.get("region")),
        "allow_negative": bool(row.get("allow_negative", False)),
    }


def _code(row: Any, kind: str) -> str:
    if not isinstance(row, dict) or not row.get("code"):
        raise ValidationFailed("each row needs a code", {"code": "required"})
    code = str(row["code"]).strip()
    if kind == "region":
        return validate_code(code)
    return clean_code(code, "code", SKU_CODE if kind == "product" else NODE_CODE)


def bundle_rows(
    reference: dict,
) -> tuple[dict[str, dict[str, dict]], dict[str, dict[str, dict]], list[Problem]]:
    """(normalised rows by kind and code, raw rows likewise, problems naming list, row and field)."""
    rows: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
    raw: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
    problems = []
    for kind in KINDS:
        name = LISTS[kind]
        for index, row in enumerate(reference.get(name) or [], start=1):
            where = f"{name}[{index}]"
            try:
                code = _code(row, kind)
                where = f"{name}[{index}] {code}"
                if code in rows[kind]:
                    raise ValidationFailed(f"code {code} is given twice")
                rows[kind][code] = desired(kind, row)
                raw[kind][code] = row
            except ValidationFailed as error:
                problems.append(Problem("reference.yaml", where, error.message))
            except (TypeError, KeyError) as error:
                problems.append(Problem("reference.yaml", where, f"malformed row: {error}"))
    return rows, raw, problems


def _current(kind: str, obj: Any) -> dict[str, Any]:
    if kind == "tier":
        return {"name": obj.name, "name_en": obj.name_en, "rank": obj.rank}
    if kind == "region":
        return {"name": obj.name, "name_en": obj.name_en, "parent": obj.parent.code if obj.parent else None}
    if kind == "product_line":
        return {"name": obj.name, "name_en": obj.name_en}
    if kind == "category":
        return {
            "name": obj.name,
            "name_en": obj.name_en,
            "parent": obj.parent.code if obj.parent else None,
            "slow_moving_days": obj.slow_moving_days,
        }
    if kind == "product":
        return {
            "name": obj.name,
            "name_en": obj.name_en,
            "brand": obj.brand,
            "unit": obj.unit,
            "pack_size": obj.pack_size,
            "shelf_life_days": obj.shelf_life_days,
            "status": obj.status,
            "standard_cost": _num(obj.standard_cost),
            "product_line": obj.product_line.code if obj.product_line else None,
            "category": obj.category.code if obj.category else None,
        }
    return {
        "name": obj.name,
        "kind": obj.kind,
        "parent": obj.parent.code if obj.parent else None,
        "region": obj.region.code if obj.region else None,
        "allow_negative": bool(obj.allow_negative),
    }


def current_rows(session: Session, kind: str, codes: set[str] | None = None) -> dict[str, dict]:
    """Normalised database rows of ``kind`` (only ``codes`` when given)."""
    model = MODELS[kind]
    query = select(model)
    if codes is not None:
        query = query.where(model.code.in_(sorted(codes)))
    if kind == "warehouse":
        query = query.where(Warehouse.kind != "dealer")
    return {obj.code: _current(kind, obj) for obj in session.scalars(query)}


def missing_references(session: Session, rows: dict[str, dict[str, dict]]) -> list[Problem]:
    """References (parent, region, product line, category) to codes neither in the bundle nor stored."""
    problems = []
    for kind, fields in REFERENCES.items():
        for code, row in rows[kind].items():
            for field_name, target in fields.items():
                value = row.get(field_name)
                if value is None or value in rows[target]:
                    continue
                model = MODELS[target]
                if session.scalar(select(model.id).where(model.code == value)) is None:
                    problems.append(
                        Problem(
                            "reference.yaml",
                            f"{LISTS[kind]} {code}",
                            f"{field_name}: unknown {target} {value}",
                        )
                    )
    return problems


def ordered(kind: str, rows: dict[str, dict]) -> list[str]:
    """Codes with parents before children (within the bundle)."""
    if kind not in PARENTS:
        return list(rows)
    done: list[str] = []

    def visit(code: str, trail: tuple[str, ...] = ()) -> None:
        if code in done or code in trail:
            return
        parent = rows[code].get("parent")
        if parent in rows:
            visit(parent, (*trail, code))
        done.append(code)

    for code in rows:
        visit(code)
    return done


def _by_code(session: Session, kind: str, code: str | None) -> Any:
    if code is None:
        return None
    model = MODELS[kind]
    found = session.scalar(select(model).where(model.code == code))
    if found is None:
        raise ValidationFailed(f"unknown {kind} {code}", {kind: code})
    return found


def upsert(session: Session, kind: str, code: str, values: dict[str, Any]) -> None:
    """Create or update one row through the same rules as the admin pages (flushed)."""
    with session.no_autoflush:
        _upsert(session, kind, code, values)
    session.flush()


def _upsert(session: Session, kind: str, code: str, values: dict[str, Any]) -> None:
    model = MODELS[kind]
    obj = session.scalar(select(model).where(model.code == code))
    old_path = obj.path if obj is not None and hasattr(obj, "path") else None
    if obj is None:
        obj = model(code=code)
        session.add(obj)
    plain = {k: v for k, v in values.items() if k not in ("parent", "region", "product_line", "category")}
    if kind == "product":
        plain["standard_cost"] = (
            Decimal(plain["standard_cost"]) if plain["standard_cost"] is not None else None
        )
    for name, value in plain.items():
        if getattr(obj, name, None) != value:
            setattr(obj, name, value)
    for name, target in REFERENCES.get(kind, {}).items():
        ref = _by_code(session, target, values.get(name))
        if getattr(obj, name) is not ref:
            setattr(obj, name, ref)
    if kind == "region":
        apply_region_path(session, obj, old_path)
    elif kind == "category":
        apply_tree_path(session, obj, old_path)
    elif kind == "warehouse":
        parent = obj.parent
        check_warehouse_shape(
            obj.kind, parent.kind if parent else None, False, obj.region.path if obj.region else None, None
        )
        if obj.active is None:
            obj.active = True
        apply_tree_path(session, obj, old_path)
