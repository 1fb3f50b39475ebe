"""Products in Excel: the sheet's columns, the import handler and the export of the catalogue.

Every row goes through ``clean_product`` (the same rules as the pages and the API); the handler
adds what needs the database: codes new or existing by mode, the product line and category by
code. The catalogue is reference data every role reads, so the export is not scoped; writing
needs Product write. In update/upsert mode an empty cell keeps the product's current value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.excel.reader import Row
from app.adapters.excel.runner import Plan
from app.adapters.excel.spec import (
    ROWS_NOTE_EN,
    ROWS_NOTE_ZH,
    Column,
    SheetSpec,
    modes_note_en,
    modes_note_zh,
)
from app.domain.catalog import PRODUCT_STATUSES, ProductFields, clean_product
from app.domain.errors import ValidationFailed
from app.domain.scope import DataScope
from app.models import Category, Product, ProductLine

OWN = ("code", "name", "name_en", "brand", "unit", "pack_size", "shelf_life_days", "status", "standard_cost")

PRODUCT_SHEET = SheetSpec(
    kind="product",
    title_zh="产品",
    title_en="Products",
    columns=(
        Column(
            "code",
            "产品编码",
            "SKU code",
            "code",
            required=True,
            max_length=40,
            width=16,
            note_zh="唯一；字母、数字、- _ . /；更新模式按编码查找",
            note_en="unique; letters, digits, - _ . /; update mode finds the product by it",
        ),
        Column("name", "产品名称", "Name", "text", required=True, max_length=200, width=30),
        Column("name_en", "英文名称", "English name", "text", max_length=200, width=30),
        Column(
            "product_line", "产品线编码", "Product line code", "reference", lookup="product_lines", width=14
        ),
        Column("category", "品类编码", "Category code", "reference", lookup="categories", width=14),
        Column("brand", "品牌", "Brand", "text", max_length=100, width=14),
        Column(
            "unit", "单位", "Unit", "text", max_length=20, width=8, note_zh="空 = 箱", note_en="empty = 箱"
        ),
        Column("pack_size", "箱规（每单位件数）", "Pack size", "int", width=10, note_zh="≥ 1", note_en="≥ 1"),
        Column("shelf_life_days", "保质期（天）", "Shelf life (days)", "int", width=12),
        Column(
            "standard_cost",
            "标准成本",
            "Standard cost",
            "decimal",
            width=12,
            note_zh="每单位，用于毛利（政策模拟）",
            note_en="per unit, for margins (policy simulation)",
        ),
        Column(
            "status",
            "状态",
            "Status",
            "enum",
            choices=PRODUCT_STATUSES,
            width=10,
            note_zh="空 = active（新建）",
            note_en="empty = active (new products)",
        ),
    ),
    notes_zh=(modes_note_zh(), ROWS_NOTE_ZH),
    notes_en=(modes_note_en(), ROWS_NOTE_EN),
)


def _current(session: Session, codes: list[str]) -> dict[str, dict[str, Any]]:
    """Current values of the products with these codes (product line and category as codes)."""
    if not codes:
        return {}
    query = (
        select(
            Product.id,
            ProductLine.code.label("product_line"),
            Category.code.label("category"),
            *[getattr(Product, k) for k in OWN],
        )
        .outerjoin(ProductLine, Product.product_line_id == ProductLine.id)
        .outerjoin(Category, Product.category_id == Category.id)
        .where(Product.code.in_(codes))
    )
    return {row.code: dict(row._mapping) for row in session.execute(query)}


class ProductImport:
    """The product handler of the import runner."""

    def __init__(self, session: Session, scope: DataScope) -> None:
        self.session = session
        self.lines = {c.upper(): i for i, c in session.execute(select(ProductLine.id, ProductLine.code))}
        self.categories = {c.upper(): i for i, c in session.execute(select(Category.id, Category.code))}

    def check(self, rows: list[Row], mode: str) -> list[Plan]:
        existing = _current(self.session, [r.values["code"] for r in rows if r.values.get("code")])
        plans = []
        for row in rows:
            plan = self._check_row(row, mode, existing.get(row.values.get("code") or ""))
            if plan is not None and not row.problems:
                plans.append(plan)
        return plans

    def _check_row(self, row: Row, mode: str, current: dict | None) -> Plan | None:
        problems, values = row.problems, row.values
        if current is not None and mode != "insert":  # an empty required cell keeps the current value
            for key in [k for k, reason in problems.items() if reason == "required" and k not in row.given]:
                del problems[key]
        if mode == "insert" and current is not None:
            problems.setdefault("code", "already exists")
        if mode == "update" and current is None and values.get("code"):
            problems.setdefault("code", "no product with this code")
        merged: dict[str, Any] = dict(current or {})
        for key, value in values.items():
            if key in row.given or current is None:
                merged[key] = value
        line_id = self._ref(self.lines, merged.get("product_line"), "product_line", "product line", problems)
        category_id = self._ref(self.categories, merged.get("category"), "category", "category", problems)
        try:
            cleaned = clean_product(ProductFields(**{k: merged.get(k) for k in OWN}))
        except ValidationFailed as failed:
            for key, reason in failed.errors.items():
                problems.setdefault(key, reason)
            return None
        if problems:
            return None
        data = {**cleaned, "product_line_id": line_id, "category_id": category_id}
        return Plan(row.number, "insert" if current is None else "update", data)

    @staticmethod
    def _ref(known: dict, code: str | None, key: str, what: str, problems: dict[str, str]) -> int | None:
        if not code:
            return None
        found = known.get(code.upper())
        if found is None:
            problems.setdefault(key, f"unknown {what} {code}")
        return found

    def write(self, plans: list[Plan]) -> tuple[int, int]:
        """Insert or update the planned products through the ORM (audited); flushed."""
        codes = [p.data["code"] for p in plans if p.action == "update"]
        with self.session.no_autoflush:
            products = {
                p.code: p for p in self.session.scalars(select(Product).where(Product.code.in_(codes)))
            }
        inserted = updated = 0
        for plan in plans:
            if plan.action == "insert":
                self.session.add(Product(**plan.data))
                inserted += 1
                continue
            product = products[plan.data["code"]]
            for key, value in plan.data.items():
                if getattr(product, key) != value:
                    setattr(product, key, value)
            updated += 1
        self.session.flush()
        return inserted, updated


def export_rows(session: Session, scope: DataScope) -> Iterator[list[Any]]:
    """The whole catalogue (reference data every role reads), in the sheet's column order."""
    keys = [c.key for c in PRODUCT_SHEET.columns]
    query = (
        select(
            ProductLine.code.label("product_line"),
            Category.code.label("category"),
            *[getattr(Product, k) for k in OWN],
        )
        .outerjoin(ProductLine, Product.product_line_id == ProductLine.id)
        .outerjoin(Category, Product.category_id == Category.id)
        .order_by(Product.code)
        .execution_options(yield_per=1000)
    )
    for row in session.execute(query):
        mapping = row._mapping
        yield [mapping[k] for k in keys]


def template_lists(session: Session, scope: DataScope) -> dict[str, list[tuple[str, str]]]:
    """Drop-down values of the template: every product line and category (by tree order)."""
    lines = session.execute(select(ProductLine.code, ProductLine.name).order_by(ProductLine.code))
    categories = session.execute(select(Category.code, Category.name).order_by(Category.path))
    return {"product_lines": [(c, n) for c, n in lines], "categories": [(c, n) for c, n in categories]}
