"""Dealers in Excel: the sheet's columns, the import handler and the scoped export.

Every row goes through ``clean_dealer`` (the same rules as the pages and the API); the
handler adds what needs the database: codes new or existing by mode, the region, tier and
parent dealer by code, the USCC not used by another dealer, the lifecycle move, and the
importer's data scope (a dealer may only be created in, moved to or updated in a region the
importer may see). In update/upsert mode an empty cell keeps the dealer's current value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

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
from app.adapters.scope_sql import dealer_clause
from app.domain.dealers import REVENUE_BANDS, STATUSES, DealerFields, check_transition, clean_dealer
from app.domain.errors import ValidationFailed
from app.domain.scope import DataScope
from app.models import Dealer, DealerTier, Region

TEXT_FIELDS = ("invoice_title", "invoice_address", "invoice_phone", "bank_name", "bank_account")
CLEANED = ("code", "name", "status", "uscc", "credit_limit", "payment_terms_days", "staff_count")
CLEANED_ALL = (*CLEANED, "warehouse_area", "revenue_band")

DEALER_SHEET = SheetSpec(
    kind="dealer",
    title_zh="经销商",
    title_en="Dealers",
    columns=(
        Column(
            "code",
            "经销商编码",
            "Dealer code",
            "code",
            required=True,
            max_length=32,
            width=16,
            note_zh="唯一；更新模式按编码查找",
            note_en="unique; update mode finds the dealer by it",
        ),
        Column("name", "经销商名称", "Legal name", "text", required=True, max_length=200, width=30),
        Column(
            "uscc",
            "统一社会信用代码",
            "USCC",
            "code",
            max_length=18,
            width=22,
            note_zh="18 位，校验位按 GB 32100-2015",
            note_en="18 characters, check digit per GB 32100-2015",
        ),
        Column(
            "region",
            "区域编码",
            "Region code",
            "reference",
            required=True,
            lookup="regions",
            width=14,
            note_zh="只能是您的数据范围内的区域",
            note_en="a region inside your data scope",
        ),
        Column("tier", "等级编码", "Tier code", "reference", lookup="tiers", width=12),
        Column(
            "parent",
            "上级经销商编码",
            "Parent dealer code",
            "reference",
            width=18,
            note_zh="已有经销商，或本文件中更早的一行",
            note_en="an existing dealer or an earlier row of this file",
        ),
        Column(
            "status",
            "状态",
            "Status",
            "enum",
            choices=STATUSES,
            width=12,
            note_zh="空 = active（新建）",
            note_en="empty = active (new dealers)",
        ),
        Column("credit_limit", "信用额度（元）", "Credit limit (CNY)", "decimal", width=16),
        Column("payment_terms_days", "账期（天）", "Payment terms (days)", "int", width=12, note_zh="0-365"),
        Column("staff_count", "员工人数", "Staff", "int", width=10),
        Column("warehouse_area", "仓库面积（平方米）", "Warehouse area (m²)", "decimal", width=14),
        Column(
            "revenue_band",
            "年营业额档位",
            "Annual revenue band",
            "enum",
            choices=REVENUE_BANDS,
            width=12,
            note_zh="R1 <100万, R2 100-500万, R3 500-2000万, R4 2000万-1亿, R5 >1亿",
            note_en="R1 <1M, R2 1-5M, R3 5-20M, R4 20-100M, R5 >100M CNY",
        ),
        Column("invoice_title", "开票抬头", "Invoice title", "text", max_length=200, width=24),
        Column("invoice_address", "开票地址", "Invoice address", "text", max_length=300, width=30),
        Column("invoice_phone", "开票电话", "Invoice phone", "text", max_length=40, width=16),
        Column("bank_name", "开户银行", "Bank", "text", max_length=200, width=24),
        Column("bank_account", "银行账号", "Bank account", "text", max_length=40, width=24),
    ),
    notes_zh=(modes_note_zh(), ROWS_NOTE_ZH),
    notes_en=(modes_note_en(), ROWS_NOTE_EN),
)


def _dealer_values(session: Session, codes: list[str]) -> dict[str, dict[str, Any]]:
    """Current values of the dealers with these codes (with region path, tier and parent codes)."""
    if not codes:
        return {}
    parent, tier = aliased(Dealer), aliased(DealerTier)
    columns = [getattr(Dealer, key) for key in (*CLEANED_ALL, *TEXT_FIELDS)]
    query = (
        select(
            Dealer.id,
            Region.path,
            Region.code.label("region"),
            tier.code.label("tier"),
            parent.code.label("parent"),
            *columns,
        )
        .join(Region, Dealer.region_id == Region.id)
        .outerjoin(tier, Dealer.tier_id == tier.id)
        .outerjoin(parent, Dealer.parent_id == parent.id)
        .where(Dealer.code.in_(codes))
    )
    return {row.code: dict(row._mapping) for row in session.execute(query)}


class DealerImport:
    """The dealer handler of the import runner, for one importer's data scope."""

    def __init__(self, session: Session, scope: DataScope) -> None:
        self.session = session
        self.scope = scope
        self.regions = {
            code.upper(): (rid, path, code)
            for rid, code, path in session.execute(select(Region.id, Region.code, Region.path))
        }
        self.tiers = {
            code.upper(): (tid, code) for tid, code in session.execute(select(DealerTier.id, DealerTier.code))
        }
        self.codes_in_file: set[str] = set()
        self.usccs_in_file: dict[str, int] = {}

    def check(self, rows: list[Row], mode: str) -> list[Plan]:
        codes = [r.values["code"] for r in rows if r.values.get("code")]
        parents = [r.values["parent"].upper() for r in rows if r.values.get("parent")]
        existing = _dealer_values(self.session, codes)
        known_parents = _dealer_values(self.session, [p for p in parents if p not in existing])
        known_parents.update(existing)
        usccs = [r.values["uscc"] for r in rows if r.values.get("uscc")]
        uscc_owner = dict(
            self.session.execute(select(Dealer.uscc, Dealer.code).where(Dealer.uscc.in_(usccs))).all()
        )
        plans = []
        for row in rows:
            plan = self._check_row(
                row, mode, existing.get(row.values.get("code") or ""), known_parents, uscc_owner
            )
            if plan is not None and not row.problems:
                plans.append(plan)
                self.codes_in_file.add(plan.data["code"])
        return plans

    def _check_row(
        self, row: Row, mode: str, current: dict | None, parents: dict, uscc_owner: dict
    ) -> Plan | None:
        problems, values = row.problems, row.values
        if current is not None and mode != "insert":  # an empty required cell keeps the current value
            for key in [k for k, reason in problems.items() if reason == "required" and k not in row.given]:
                del problems[key]
        if current is not None and not self.scope.allows_dealer(current["id"], current["path"]):
            problems.setdefault(
                "code",
                "already used by a dealer outside your data scope"
                if mode != "update"
                else "no dealer with this code in your data scope",
            )
            return None
        if mode == "insert" and current is not None:
            problems.setdefault("code", "already exists")
        if mode == "update" and current is None and values.get("code"):
            problems.setdefault("code", "no dealer with this code in your data scope")
        merged: dict[str, Any] = dict(current or {})
        for key, value in values.items():
            if key in row.given or current is None:
                merged[key] = value
        region = self._region(merged.get("region"), problems)
        tier_id = self._tier(merged.get("tier"), problems)
        self._parent(merged.get("parent"), merged.get("code"), parents, problems)
        try:
            cleaned = clean_dealer(DealerFields(**{k: merged.get(k) for k in CLEANED_ALL}))
        except ValidationFailed as failed:
            for key, reason in failed.errors.items():
                problems.setdefault(key, reason)
            return None
        self._uscc(cleaned["uscc"], cleaned["code"], row.number, uscc_owner, problems)
        if current is not None:
            try:
                check_transition(current["status"], cleaned["status"])
            except ValidationFailed as failed:
                problems.setdefault("status", failed.errors["status"])
        if problems or region is None:
            return None
        data = {**cleaned, **{k: merged.get(k) for k in TEXT_FIELDS}}
        data.update(region_id=region, tier_id=tier_id, parent=(merged.get("parent") or "").upper() or None)
        return Plan(row.number, "insert" if current is None else "update", data)

    def _region(self, code: str | None, problems: dict[str, str]) -> int | None:
        if not code:
            return None
        found = self.regions.get(code.upper())
        if found is None:
            problems.setdefault("region", f"unknown region {code}")
            return None
        if not self.scope.allows_region(found[1]):
            problems.setdefault("region", f"region {code} is outside your data scope")
            return None
        return found[0]

    def _tier(self, code: str | None, problems: dict[str, str]) -> int | None:
        if not code:
            return None
        found = self.tiers.get(code.upper())
        if found is None:
            problems.setdefault("tier", f"unknown tier {code}")
            return None
        return found[0]

    def _parent(self, code: str | None, own: str | None, known: dict, problems: dict[str, str]) -> None:
        if not code:
            return
        code = code.upper()
        if own and code == own.upper():
            problems.setdefault("parent", "a dealer cannot be its own parent")
        elif code in self.codes_in_file:
            return
        elif code not in known or not self.scope.allows_dealer(known[code]["id"], known[code]["path"]):
            problems.setdefault("parent", f"unknown dealer {code}")

    def _uscc(self, uscc: str | None, code: str, row: int, owners: dict, problems: dict[str, str]) -> None:
        if not uscc:
            return
        if owners.get(uscc) not in (None, code):
            problems.setdefault("uscc", "already used by another dealer")
        elif uscc in self.usccs_in_file:
            problems.setdefault("uscc", f"duplicate in this file (also in row {self.usccs_in_file[uscc]})")
        else:
            self.usccs_in_file[uscc] = row

    def write(self, plans: list[Plan]) -> tuple[int, int]:
        """Insert or update the planned dealers through the ORM (audited); flushed."""
        parent_codes = {p.data["parent"] for p in plans if p.data["parent"]}
        update_codes = [p.data["code"] for p in plans if p.action == "update"]
        with self.session.no_autoflush:
            dealers = {
                d.code: d for d in self.session.scalars(select(Dealer).where(Dealer.code.in_(update_codes)))
            }
        self.session.flush()  # earlier batches' inserts are visible as parents
        parent_ids = dict(
            self.session.execute(select(Dealer.code, Dealer.id).where(Dealer.code.in_(parent_codes))).all()
        )
        inserted = updated = 0
        for plan in plans:
            data = dict(plan.data)
            parent = data.pop("parent")
            data["parent_id"] = parent_ids.get(parent) if parent else None
            if plan.action == "insert":
                self.session.add(Dealer(**data))
                inserted += 1
            else:
                dealer = dealers[data["code"]]
                for key, value in data.items():
                    if getattr(dealer, key) != value:
                        setattr(dealer, key, value)
                updated += 1
        self.session.flush()
        return inserted, updated


def export_rows(session: Session, scope: DataScope) -> Iterator[list[Any]]:
    """The dealers ``scope`` may see, in the sheet's column order, streamed by code."""
    parent, tier = aliased(Dealer), aliased(DealerTier)
    keys = [c.key for c in DEALER_SHEET.columns]
    query = (
        select(
            Region.code.label("region"),
            tier.code.label("tier"),
            parent.code.label("parent"),
            *[getattr(Dealer, k) for k in keys if k not in ("region", "tier", "parent")],
        )
        .join(Region, Dealer.region_id == Region.id)
        .outerjoin(tier, Dealer.tier_id == tier.id)
        .outerjoin(parent, Dealer.parent_id == parent.id)
        .where(dealer_clause(scope))
        .order_by(Dealer.code)
        .execution_options(yield_per=1000)
    )
    for row in session.execute(query):
        mapping = row._mapping
        yield [mapping[k] for k in keys]


def template_lists(session: Session, scope: DataScope) -> dict[str, list[tuple[str, str]]]:
    """Drop-down values of the template: the regions the user may use, every tier."""
    regions = [
        (code, name)
        for code, name, path in session.execute(
            select(Region.code, Region.name, Region.path).order_by(Region.path)
        )
        if scope.allows_region(path)
    ]
    tiers = list(
        session.execute(select(DealerTier.code, DealerTier.name).order_by(DealerTier.rank, DealerTier.code))
    )
    return {"regions": regions, "tiers": [(c, n) for c, n in tiers]}
