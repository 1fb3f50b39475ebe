"""Catalogue and warehouse rules: codes, names, pack sizes, statuses, and the warehouse tree.

The same rules serve the pages, the REST API, the Excel import and the demo data.
A ValidationFailed names every bad field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.errors import ValidationFailed
from app.domain.uscc import normalise_code

PRODUCT_STATUSES = ("active", "inactive")
WAREHOUSE_KINDS = ("hq", "regional", "dealer")
NODE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")  # product lines, categories, warehouses
SKU_CODE = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{0,39}$")
MAX_PACK = 100_000
MAX_SHELF_LIFE = 36_500


def clean_code(raw: Any, field: str = "code", pattern: re.Pattern[str] = NODE_CODE) -> str:
    """A code normalised like dealer codes (full-width to half-width, no spaces, upper case)."""
    code = normalise_code(str(raw)) if raw not in (None, "") else ""
    if not pattern.match(code):
        limit = 40 if pattern is SKU_CODE else 32
        extra = " . /" if pattern is SKU_CODE else ""
        raise ValidationFailed(
            f"invalid {field} {code!r}", {field: f"1-{limit} letters, digits, '-' or '_'{extra}"}
        )
    return code


def clean_name(raw: Any, field: str = "name", limit: int = 100, required: bool = True) -> str | None:
    """Whitespace collapsed; required names must not be empty; at most ``limit`` characters."""
    name = " ".join(str(raw).split()) if raw is not None else ""
    if not name:
        if required:
            raise ValidationFailed(f"{field} is required", {field: "required"})
        return None
    if len(name) > limit:
        raise ValidationFailed(f"{field} is too long", {field: f"at most {limit} characters"})
    return name


def check_no_cycle(path_of_new_parent: str | None, own_path: str) -> None:
    """Refuse moving a tree node below itself or one of its descendants."""
    if path_of_new_parent and path_of_new_parent.startswith(own_path):
        raise ValidationFailed(
            "a node cannot be moved below itself", {"parent": "choose a node outside this subtree"}
        )


def child_path(parent_path: str | None, code: str) -> str:
    """Materialised path of node ``code`` under a parent with ``parent_path`` (None = root)."""
    return f"{parent_path or '/'}{code}/"


@dataclass(frozen=True)
class ProductFields:
    code: Any
    name: Any
    name_en: Any = None
    brand: Any = None
    unit: Any = None
    pack_size: Any = None
    shelf_life_days: Any = None
    status: Any = None
    standard_cost: Any = None


def _whole(value: Any, field: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        errors[field] = "a whole number"
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        errors[field] = "a whole number"
        return None
    if not low <= number <= high:
        errors[field] = f"between {low} and {high}"
        return None
    return number


def _cost(value: Any, errors: dict[str, str]) -> Decimal | None:
    """A unit cost: empty, or a number from 0 with at most 4 decimals."""
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, bool) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number < 0 or number >= Decimal(10) ** 10:
        errors["standard_cost"] = "a number from 0"
        return None
    if number.as_tuple().exponent < -4:  # type: ignore[operator]
        errors["standard_cost"] = "at most 4 decimals"
        return None
    return number


def clean_product(fields: ProductFields) -> dict[str, Any]:
    """Normalised product values, or ValidationFailed naming every bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    checks = (
        ("code", lambda: clean_code(fields.code, "code", SKU_CODE)),
        ("name", lambda: clean_name(fields.name, "name", 200)),
        ("name_en", lambda: clean_name(fields.name_en, "name_en", 200, required=False)),
        ("brand", lambda: clean_name(fields.brand, "brand", 100, required=False)),
        ("unit", lambda: clean_name(fields.unit or "箱", "unit", 20)),
    )
    for key, check in checks:
        try:
            values[key] = check()
        except ValidationFailed as failed:
            errors.update(failed.errors)
    pack = _whole(fields.pack_size, "pack_size", 1, MAX_PACK, errors)
    values["pack_size"] = 1 if pack is None else pack
    values["shelf_life_days"] = _whole(fields.shelf_life_days, "shelf_life_days", 1, MAX_SHELF_LIFE, errors)
    values["standard_cost"] = _cost(fields.standard_cost, errors)
    status = str(fields.status or "active").strip().lower()
    if status not in PRODUCT_STATUSES:
        errors["status"] = f"one of {', '.join(PRODUCT_STATUSES)}"
    values["status"] = status
    if errors:
        raise ValidationFailed(
            "invalid product: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
    return values


def check_warehouse_shape(
    kind: str,
    parent_kind: str | None,
    has_dealer: bool,
    region_path: str | None,
    dealer_region_path: str | None,
) -> None:
    """HQ is a root; a regional warehouse hangs below HQ; a dealer warehouse belongs to a dealer,
    lies in that dealer's region and hangs below HQ or a regional warehouse (never another dealer's)."""
    errors: dict[str, str] = {}
    if kind not in WAREHOUSE_KINDS:
        errors["kind"] = f"one of {', '.join(WAREHOUSE_KINDS)}"
    if region_path is None:
        errors["region"] = "required"
    if kind == "hq" and parent_kind is not None:
        errors["parent"] = "the HQ warehouse has no parent"
    if kind in ("regional", "dealer") and parent_kind == "dealer":
        errors["parent"] = "a dealer warehouse cannot hold other warehouses"
    if kind == "regional" and parent_kind not in (None, "hq"):
        errors["parent"] = "a regional warehouse hangs below the HQ warehouse"
    if kind == "dealer":
        if not has_dealer:
            errors["dealer"] = "a dealer warehouse needs its dealer"
        elif region_path is not None and dealer_region_path != region_path:
            errors["region"] = "must be the dealer's region"
    elif kind in ("hq", "regional") and has_dealer:
        errors["dealer"] = "only a dealer warehouse belongs to a dealer"
    if errors:
        raise ValidationFailed(
            "invalid warehouse: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
