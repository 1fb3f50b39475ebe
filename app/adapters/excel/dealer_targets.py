"""Dealer targets in Excel (scorecards): one row per dealer × period × metric with the target.
The triple is the row's key: insert refuses an existing one, update needs one, upsert takes
either. The dealer must be in the importer's data scope; the period is written as the kind asks
(``2026-10``, ``2026-Q3``, ``2026``); a target must be above 0 and usable by every active KPI set's
KPIs on that metric (``scorecards.target_problem``, e.g. not beyond a linear floor)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.excel.reader import Row
from app.adapters.excel.runner import Plan
from app.adapters.excel.spec import Column, SheetSpec, modes_note_en, modes_note_zh
from app.adapters.kpi_files import check_document
from app.adapters.kpi_store import records, source_name
from app.adapters.scope_sql import dealer_clause
from app.adapters.scorecard_ranking import parse_period
from app.domain.errors import ValidationFailed
from app.domain.kpi_metrics import METRICS
from app.domain.kpi_sets import PERIOD_KINDS
from app.domain.scope import DataScope
from app.domain.scorecards import period_of, target_problem
from app.models import Dealer, DealerTarget

DEALER_TARGET_SHEET = SheetSpec(
    kind="dealer_target",
    title_zh="经销商目标",
    title_en="Dealer targets",
    key="triple",  # not a column: dealer × period × metric is checked by the handler
    columns=(
        Column(
            "dealer",
            "经销商编码",
            "Dealer code",
            "code",
            required=True,
            max_length=32,
            width=16,
            lookup="dealers",
            note_zh="您的数据范围内的经销商",
            note_en="a dealer in your data scope",
        ),
        Column(
            "period_kind",
            "周期类型",
            "Period kind",
            "enum",
            required=True,
            choices=PERIOD_KINDS,
            width=10,
            note_zh="month / quarter / year",
            note_en="month / quarter / year",
        ),
        Column(
            "period",
            "周期",
            "Period",
            "text",
            required=True,
            max_length=10,
            width=12,
            note_zh="如 2026-10、2026-Q3、2026",
            note_en="e.g. 2026-10, 2026-Q3, 2026",
        ),
        Column(
            "metric",
            "指标",
            "Metric",
            "enum",
            required=True,
            choices=tuple(METRICS),
            width=24,
            note_zh="sales_amount = 销售目标（元）",
            note_en="sales_amount = the sales target (CNY)",
        ),
        Column(
            "target",
            "目标值",
            "Target",
            "decimal",
            required=True,
            width=14,
            note_zh="比率写小数：0.95 = 95%",
            note_en="ratios as fractions: 0.95 = 95 %",
        ),
    ),  # fmt: skip
    notes_zh=(
        "每行一个 经销商 × 周期 × 指标 的目标；sales_amount 的目标是“目标达成率”的分母，"
        "其他指标的目标替换评分卡中该指标的默认目标。",
        modes_note_zh("经销商+周期+指标"),
    ),
    notes_en=(
        "One target per dealer × period × metric; the sales_amount target is what target attainment "
        "divides by, another metric's target replaces the scorecard's default target for that metric.",
        modes_note_en("dealer + period + metric"),
    ),
)


class DealerTargetImport:
    """The dealer-target handler of the import runner, for one importer's data scope."""

    def __init__(self, session: Session, scope: DataScope) -> None:
        self.session = session
        self.dealers = dict(session.execute(select(Dealer.code, Dealer.id).where(dealer_clause(scope))).all())
        self.kpis = [
            (stored.period, kpi, stored.key)
            for stored in records(session, active_only=True)
            for kpi in check_document(stored.document, source_name(stored.key)).kpis
        ]
        self.seen: dict[tuple, int] = {}

    def check(self, rows: list[Row], mode: str) -> list[Plan]:
        return [plan for row in rows if (plan := self._check_row(row, mode)) is not None and not row.problems]

    def _problem(self, kind: str, metric: str, target: Decimal) -> str | None:
        if target <= 0:
            return "must be above 0"
        for period_kind, kpi, set_key in self.kpis:
            if period_kind == kind and kpi.metric == metric:
                found = target_problem(kpi, target)
                if found:
                    return f"KPI set {set_key}, KPI {kpi.key}: {found}"
        return None

    def _check_row(self, row: Row, mode: str) -> Plan | None:
        values, problems = row.values, row.problems
        dealer_id = self.dealers.get(values.get("dealer") or "")
        if values.get("dealer") and dealer_id is None:
            problems.setdefault("dealer", "no such dealer in your data scope")
        period = None
        if values.get("period_kind") and values.get("period"):
            try:
                period = parse_period(values["period_kind"], str(values["period"]))
            except ValidationFailed as failed:
                problems.setdefault("period", failed.errors.get("period", failed.message))
        target = values.get("target")
        if target is not None and values.get("metric") and values.get("period_kind"):
            found = self._problem(values["period_kind"], values["metric"], Decimal(target))
            if found:
                problems.setdefault("target", found)
        if dealer_id is None or period is None or problems:
            return None
        key = (dealer_id, period.kind, period.start, values["metric"])
        if key in self.seen:
            problems.setdefault("metric", f"duplicate in this file (also in row {self.seen[key]})")
            return None
        self.seen[key] = row.number
        current = self._current(key)
        if mode == "insert" and current is not None:
            problems.setdefault("metric", "a target for this dealer, period and metric already exists")
        if mode == "update" and current is None:
            problems.setdefault("metric", "no target for this dealer, period and metric")
        if problems:
            return None
        data: dict[str, Any] = {
            "dealer_id": dealer_id,
            "period_kind": period.kind,
            "period_start": period.start,
            "metric": values["metric"],
            "target": Decimal(target),
        }
        return Plan(row.number, "insert" if current is None else "update", data)

    def _current(self, key: tuple) -> DealerTarget | None:
        dealer_id, kind, start, metric = key
        return self.session.scalar(
            select(DealerTarget).where(
                DealerTarget.dealer_id == dealer_id,
                DealerTarget.period_kind == kind,
                DealerTarget.period_start == start,
                DealerTarget.metric == metric,
            )
        )

    def write(self, plans: list[Plan]) -> tuple[int, int]:
        """Insert or update the planned targets through the ORM (audited); flushed."""
        inserted = updated = 0
        for plan in plans:
            d = plan.data
            current = self._current((d["dealer_id"], d["period_kind"], d["period_start"], d["metric"]))
            if current is None:
                self.session.add(DealerTarget(**d))
                inserted += 1
            else:
                current.target = d["target"]
                updated += 1
        self.session.flush()
        return inserted, updated


def export_rows(session: Session, scope: DataScope) -> Iterator[list[Any]]:
    """The targets of the dealers ``scope`` may see, in the sheet's column order."""
    query = (
        select(
            Dealer.code,
            DealerTarget.period_kind,
            DealerTarget.period_start,
            DealerTarget.metric,
            DealerTarget.target,
        )
        .join(Dealer, Dealer.id == DealerTarget.dealer_id)
        .where(dealer_clause(scope))
        .order_by(Dealer.code, DealerTarget.period_start, DealerTarget.metric)
    )
    for code, kind, start, metric, target in session.execute(query):
        yield [code, kind, period_of(kind, start).label, metric, Decimal(target)]


def template_lists(session: Session, scope: DataScope) -> dict[str, list[tuple[str, str]]]:
    """Drop-down values: the dealers the importer may use."""
    rows = session.execute(select(Dealer.code, Dealer.name).where(dealer_clause(scope)).order_by(Dealer.code))
    return {"dealers": [(c, n) for c, n in rows]}
