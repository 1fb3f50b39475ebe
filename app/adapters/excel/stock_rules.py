"""Stock rules in Excel: one row per warehouse × SKU (safety stock, min/max, order multiple,
review cycle, lead time, source warehouse). The pair is the row's key: insert refuses an
existing pair, update needs one, upsert takes either; in update/upsert an empty cell keeps the
rule's current value. Every row goes through ``check_rule`` (the same rules as the pages and
the API) and the warehouse must be in the importer's data scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.adapters.excel.reader import Row
from app.adapters.excel.runner import Plan
from app.adapters.excel.spec import Column, SheetSpec, modes_note_en, modes_note_zh
from app.adapters.scope_sql import scope_clause
from app.domain.errors import ValidationFailed
from app.domain.replenishment import RuleFields, check_rule
from app.domain.scope import DataScope
from app.models import Product, StockRule, Warehouse

NUMBERS = ("safety_stock", "min_qty", "max_qty", "order_multiple", "review_cycle_days", "lead_time_days")
DEFAULTS = {"safety_stock": 0, "min_qty": 0, "max_qty": 0, "order_multiple": 1, "review_cycle_days": 1,
            "lead_time_days": 0}  # fmt: skip

STOCK_RULE_SHEET = SheetSpec(
    kind="stock_rule",
    title_zh="补货规则",
    title_en="Stock rules",
    key="pair",  # not a column: the warehouse × SKU pair is checked by the handler
    columns=(
        Column(
            "warehouse",
            "仓库编码",
            "Warehouse code",
            "code",
            required=True,
            max_length=32,
            width=16,
            lookup="warehouses",
            note_zh="您的数据范围内的仓库",
            note_en="a warehouse in your data scope",
        ),
        Column("sku", "产品编码", "SKU code", "code", required=True, max_length=40, width=16),
        Column("safety_stock", "安全库存", "Safety stock", "int", width=10),
        Column(
            "min_qty", "最低库存", "Minimum", "int", width=10, note_zh="≥ 安全库存", note_en="≥ safety stock"
        ),
        Column("max_qty", "最高库存", "Maximum", "int", width=10, note_zh="≥ 最低库存", note_en="≥ minimum"),
        Column(
            "order_multiple",
            "订货倍数",
            "Order multiple",
            "int",
            width=10,
            note_zh="空 = 1",
            note_en="empty = 1",
        ),
        Column(
            "review_cycle_days",
            "检查周期（天）",
            "Review cycle (days)",
            "int",
            width=12,
            note_zh="空 = 1",
            note_en="empty = 1",
        ),
        Column("lead_time_days", "提前期（天）", "Lead time (days)", "int", width=12),
        Column(
            "source_warehouse",
            "补货来源仓编码",
            "Source warehouse code",
            "code",
            max_length=32,
            width=18,
            note_zh="空 = 上级仓",
            note_en="empty = the parent warehouse",
        ),
    ),  # fmt: skip
    notes_zh=(
        "每行一个 仓库 × 产品；低于最低库存（可用 + 在途）时建议补到最高库存，按订货倍数向上取整。",
        modes_note_zh("仓库+产品"),
    ),
    notes_en=(
        "One row per warehouse × SKU; below the minimum (available + in transit) the job suggests "
        "enough to reach the maximum, rounded up to the order multiple.",
        modes_note_en("warehouse + SKU"),
    ),
)


class StockRuleImport:
    """The stock-rule handler of the import runner, for one importer's data scope."""

    def __init__(self, session: Session, scope: DataScope) -> None:
        self.session = session
        self.scope = scope
        self.warehouses = dict(session.execute(select(Warehouse.code, Warehouse.id)).all())
        self.visible = set(session.scalars(select(Warehouse.id).where(scope_clause(Warehouse, scope))))
        self.products = dict(session.execute(select(Product.code, Product.id)).all())
        self.pairs: dict[tuple[int, int], int] = {}

    def check(self, rows: list[Row], mode: str) -> list[Plan]:
        codes = [(r.values.get("warehouse") or "", r.values.get("sku") or "") for r in rows]
        wanted = {(self.warehouses.get(w), self.products.get(p)) for w, p in codes}
        existing = {
            (r.warehouse_id, r.product_id): r
            for r in self.session.scalars(
                select(StockRule).where(StockRule.warehouse_id.in_({w for w, _ in wanted if w}))
            )
            if (r.warehouse_id, r.product_id) in wanted
        }
        plans = []
        for row in rows:
            plan = self._check_row(row, mode, existing)
            if plan is not None and not row.problems:
                plans.append(plan)
        return plans

    def _check_row(self, row: Row, mode: str, existing: dict) -> Plan | None:
        values, problems = row.values, row.problems
        warehouse_id = self.warehouses.get(values.get("warehouse") or "")
        product_id = self.products.get(values.get("sku") or "")
        if values.get("warehouse") and (warehouse_id is None or warehouse_id not in self.visible):
            problems.setdefault("warehouse", "no such warehouse in your data scope")
        if values.get("sku") and product_id is None:
            problems.setdefault("sku", f"unknown SKU {values['sku']}")
        source_id = None
        if values.get("source_warehouse"):
            source_id = self.warehouses.get(values["source_warehouse"])
            if source_id is None:
                problems.setdefault("source_warehouse", f"unknown warehouse {values['source_warehouse']}")
            elif source_id == warehouse_id:
                problems.setdefault("source_warehouse", "must differ from the warehouse")
        if warehouse_id is None or product_id is None or problems:
            return None
        pair = (warehouse_id, product_id)
        if pair in self.pairs:
            problems.setdefault("sku", f"duplicate in this file (also in row {self.pairs[pair]})")
            return None
        self.pairs[pair] = row.number
        current = existing.get(pair)
        if mode == "insert" and current is not None:
            problems.setdefault("sku", "a rule for this warehouse and SKU already exists")
        if mode == "update" and current is None:
            problems.setdefault("sku", "no rule for this warehouse and SKU")
        merged = {k: (getattr(current, k) if current is not None else DEFAULTS[k]) for k in NUMBERS}
        merged.update({k: values[k] for k in NUMBERS if k in row.given})
        try:
            check_rule(RuleFields(**merged))
        except ValidationFailed as failed:
            for key, reason in failed.errors.items():
                problems.setdefault(key, reason)
        if problems:
            return None
        data: dict[str, Any] = {**merged, "warehouse_id": warehouse_id, "product_id": product_id}
        if "source_warehouse" in row.given or current is None:
            data["source_warehouse_id"] = source_id
        return Plan(row.number, "insert" if current is None else "update", data)

    def write(self, plans: list[Plan]) -> tuple[int, int]:
        """Insert or update the planned rules through the ORM (audited); flushed."""
        pairs = [(p.data["warehouse_id"], p.data["product_id"]) for p in plans if p.action == "update"]
        rules = {}
        if pairs:
            for rule in self.session.scalars(
                select(StockRule).where(StockRule.warehouse_id.in_({w for w, _ in pairs}))
            ):
                rules[(rule.warehouse_id, rule.product_id)] = rule
        inserted = updated = 0
        for plan in plans:
            if plan.action == "insert":
                self.session.add(StockRule(**plan.data))
                inserted += 1
                continue
            rule = rules[(plan.data["warehouse_id"], plan.data["product_id"])]
            for key, value in plan.data.items():
                if getattr(rule, key) != value:
                    setattr(rule, key, value)
            updated += 1
        self.session.flush()
        return inserted, updated


def export_rows(session: Session, scope: DataScope) -> Iterator[list[Any]]:
    """The rules of the warehouses ``scope`` may see, in the sheet's column order."""
    source = aliased(Warehouse)
    query = (
        select(Warehouse.code, Product.code, *[getattr(StockRule, k) for k in NUMBERS], source.code)
        .select_from(StockRule)
        .join(Warehouse, Warehouse.id == StockRule.warehouse_id)
        .join(Product, Product.id == StockRule.product_id)
        .outerjoin(source, source.id == StockRule.source_warehouse_id)
        .where(scope_clause(Warehouse, scope))
        .order_by(Warehouse.code, Product.code)
        .execution_options(yield_per=1000)
    )
    for row in session.execute(query):
        yield list(row)


def template_lists(session: Session, scope: DataScope) -> dict[str, list[tuple[str, str]]]:
    """Drop-down values: the warehouses the importer may use."""
    rows = session.execute(
        select(Warehouse.code, Warehouse.name).where(scope_clause(Warehouse, scope)).order_by(Warehouse.code)
    )
    return {"warehouses": [(c, n) for c, n in rows]}
