"""Price records of a draft policy in Excel: one row per record, naming the draft's version
number. Insert only (records have no code of their own; edit or delete them on the draft's page
or through the API). Every row goes through ``record_values`` — the same checks as the pages and
the API — and the whole draft is validated again when it is published.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.excel.reader import Row
from app.adapters.excel.runner import Plan
from app.adapters.excel.spec import Column, SheetSpec
from app.adapters.pricing import conditions_of
from app.adapters.pricing_admin import record_values
from app.domain.errors import ValidationFailed
from app.domain.pricing_model import RECORD_TYPES
from app.domain.scope import DataScope
from app.models import PolicyVersion, PriceRecord

CODES = ("sku", "product_line", "category", "region", "tier", "dealer")
VALUES = (
    "min_qty",
    "price",
    "discount_pct",
    "buy_x",
    "get_y",
    "valid_from",
    "valid_to",
    "stackable",
    "reference",
)

PRICE_RECORD_SHEET = SheetSpec(
    kind="price_record",
    title_zh="价格记录",
    title_en="Price records",
    key="record",  # not a column: records have no code of their own (insert only)
    columns=(
        Column(
            "version",
            "草稿版本号",
            "Draft version",
            "int",
            required=True,
            width=10,
            note_zh="一个草稿版本的编号",
            note_en="the number of a draft version",
        ),
        Column("type", "条件类型", "Condition type", "enum", required=True, choices=RECORD_TYPES, width=12),
        Column("sku", "产品编码", "SKU code", "code", max_length=40, width=14),
        Column("product_line", "产品线编码", "Product line code", "code", max_length=32, width=12),
        Column("category", "品类编码", "Category code", "code", max_length=32, width=12),
        Column("region", "区域编码", "Region code", "code", max_length=32, width=12),
        Column("tier", "经销商级别", "Dealer tier", "code", max_length=20, width=10),
        Column("dealer", "经销商编码", "Dealer code", "code", max_length=32, width=14),
        Column(
            "min_qty", "起订数量", "Minimum quantity", "int", width=10, note_zh="空 = 1", note_en="empty = 1"
        ),
        Column(
            "price",
            "价格",
            "Price",
            "decimal",
            width=12,
            note_zh="最多 4 位小数",
            note_en="at most 4 decimals",
        ),
        Column("discount_pct", "折扣 %", "Discount %", "decimal", width=10),
        Column("buy_x", "买 X", "Buy X", "int", width=8),
        Column("get_y", "送 Y", "Get Y", "int", width=8),
        Column("valid_from", "生效日期", "Valid from", "date", width=12),
        Column("valid_to", "失效日期", "Valid to", "date", width=12),
        Column("stackable", "可叠加", "Stackable", "enum", choices=("yes", "no"), width=8),
        Column("reference", "备注/依据", "Reference", "text", max_length=100, width=16),
    ),  # fmt: skip
    notes_zh=(
        "每行一条价格记录，写入指定的草稿版本（仅新增）；发布时整体校验。",
        "价格、折扣 % 与 买X送Y 三选一；买X送Y 仅用于促销。见 docs/pricing.md。",
    ),
    notes_en=(
        "One price record per row, added to the named draft version (insert only); the whole draft "
        "is validated when it is published.",
        "Give one of price, discount % or buy X / get Y (promotions only). See docs/pricing.md.",
    ),
)


class PriceRecordImport:
    """The price-record handler of the import runner (the policy is not scoped by region)."""

    def __init__(self, session: Session, scope: DataScope) -> None:
        self.session = session
        self.drafts = dict(
            session.execute(
                select(PolicyVersion.number, PolicyVersion.id).where(PolicyVersion.status == "draft")
            ).all()
        )

    def check(self, rows: list[Row], mode: str) -> list[Plan]:
        plans = []
        for row in rows:
            values, problems = row.values, row.problems
            if mode != "insert":
                problems.setdefault("type", "price records can only be inserted")
            version_id = self.drafts.get(values.get("version"))
            if values.get("version") is not None and version_id is None:
                problems.setdefault("version", f"no draft version {values['version']}")
            if problems:
                continue
            raw = {k: values.get(k) for k in ("type", *CODES, *VALUES)}
            raw["stackable"] = values.get("stackable") == "yes"
            try:
                data = record_values(self.session, raw)
            except ValidationFailed as failed:
                for key, reason in failed.errors.items():
                    problems.setdefault("type" if key == "record" else key, reason)
                continue
            plans.append(Plan(row.number, "insert", {**data, "version_id": version_id}))
        return plans

    def write(self, plans: list[Plan]) -> tuple[int, int]:
        """Insert the planned records through the ORM (audited); flushed."""
        self.session.add_all(PriceRecord(**plan.data) for plan in plans)
        self.session.flush()
        return len(plans), 0


def export_rows(session: Session, scope: DataScope) -> Iterator[list[Any]]:
    """The records of every draft, in the sheet's column order."""
    for number, vid in session.execute(
        select(PolicyVersion.number, PolicyVersion.id).where(PolicyVersion.status == "draft")
    ).all():
        for c in sorted(conditions_of(session, vid), key=lambda c: c.id):
            row = [number, c.type, *(getattr(c, k) for k in CODES), *(getattr(c, k) for k in VALUES)]
            row[-2] = "yes" if c.stackable else "no"
            yield row


def template_lists(session: Session, scope: DataScope) -> dict[str, list[tuple[str, str]]]:
    """No drop-down lists besides the enums."""
    return {}
