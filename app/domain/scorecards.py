"""Dealer scorecards: periods, KPI points, the weighted total, rankings, comparisons, suggestions.

Pure functions over a ``KpiSet`` (``app/domain/kpi_sets.py``) and metric values (metric key →
``Decimal`` or ``None``; ``app/domain/kpi_metrics.py`` lists the keys). Rules, in short (the long
form is docs/scorecards.md):

- **Points** (0-100) come from the KPI's basis figure: *attainment* (value / target when higher
  is better, target / value when lower is better — a value of 0 or less is then unbeatable) or the
  *value* itself; bands give the points of the half-open range holding the figure (a figure no
  band holds scores 0), a line gives 0 at the floor, 100 at the target, straight in between.
- **Missing values**: a KPI without a value scores 0 and is flagged (``missing: zero``, the
  default), or with ``missing: exclude`` it is left out and the other weights are re-normalised.
- **Total** = Σ points × weight / Σ weights of the KPIs counted, rounded half up to 0.01.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.domain.errors import ValidationFailed
from app.domain.kpi_metrics import HIGHER
from app.domain.kpi_sets import PERIOD_KINDS, SEVERITIES, Condition, Group, Kpi, KpiSet, effective

HUNDRED, CENT, POINT_STEP = Decimal(100), Decimal("0.01"), Decimal("0.0001")
INFINITY = Decimal("Infinity")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
MetricValues = Mapping[str, Decimal | int | None]


# ---- periods ---------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Period:
    """A month (index 1-12), a quarter (1-4) or a year (index 1) of a year."""

    kind: str
    year: int
    index: int = 1

    def __post_init__(self) -> None:
        last = {"month": 12, "quarter": 4, "year": 1}.get(self.kind)
        if last is None or not 1 <= self.index <= last or not 1 <= self.year <= 9998:
            raise ValidationFailed(f"no such period: {self.kind} {self.year}/{self.index}")

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    @property
    def start(self) -> date:
        """The first day."""
        return date(self.year, (self.index - 1) * self.months + 1, 1)

    @property
    def end(self) -> date:
        """The first day after the period (ranges are ``start <= day < end``)."""
        month = (self.index - 1) * self.months + self.months + 1
        return date(self.year + 1, 1, 1) if month > 12 else date(self.year, month, 1)

    @property
    def label(self) -> str:
        """``2026-03``, ``2026-Q1`` or ``2026``."""
        return {"month": f"{self.year}-{self.index:02d}", "quarter": f"{self.year}-Q{self.index}"}.get(
            self.kind, str(self.year)
        )

    def previous(self) -> Period:
        """The period just before (for a year: the year before)."""
        if self.index > 1:
            return Period(self.kind, self.year, self.index - 1)
        return Period(self.kind, self.year - 1, 12 // self.months)

    def same_last_year(self) -> Period:
        """The same month, quarter or year one year earlier."""
        return Period(self.kind, self.year - 1, self.index)


def period_of(kind: str, day: date) -> Period:
    """The period of ``kind`` (month, quarter, year) that contains ``day``."""
    if kind not in PERIOD_KINDS:
        raise ValidationFailed(f"unknown period kind {kind!r} (one of {', '.join(PERIOD_KINDS)})")
    index = {"month": day.month, "quarter": (day.month - 1) // 3 + 1, "year": 1}[kind]
    return Period(kind, day.year, index)


# ---- scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiScore:
    """One KPI of a scorecard: the value, the figure the scoring read, the points and the weight
    that counted (re-normalised when another KPI was excluded)."""

    key: str
    metric: str
    value: Decimal | None
    target: Decimal
    figure: Decimal | None
    points: Decimal
    weight: Decimal
    contribution: Decimal
    missing: bool = False
    excluded: bool = False


@dataclass(frozen=True)
class Scorecard:
    """A dealer's scores for one KPI set and period; ``values`` keeps every metric value given."""

    set_key: str
    total: Decimal
    kpis: tuple[KpiScore, ...]
    values: dict[str, Decimal] = field(default_factory=dict)

    @property
    def missing(self) -> tuple[str, ...]:
        """Keys of the KPIs that had no value (scored 0 or excluded)."""
        return tuple(k.key for k in self.kpis if k.missing)

    def kpi(self, key: str) -> KpiScore:
        """The score of the KPI ``key`` (``KeyError`` when the set has none)."""
        for score in self.kpis:
            if score.key == key:
                return score
        raise KeyError(key)


def _value(metric: str, raw: Any) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal) or not Decimal(raw).is_finite():
        raise ValidationFailed(
            f"metric {metric}: {raw!r} is not a number (give a Decimal or an int)", {metric: "not a number"}
        )
    return Decimal(raw)


def target_problem(kpi: Kpi, target: Decimal) -> str | None:
    """Why ``target`` cannot be this KPI's target (a dealer's own target for a period), or None."""
    if not target.is_finite():
        return "the target must be a finite number"
    if kpi.basis == "attainment" and target <= 0:
        return f"the target must be above 0 (attainment is measured against it), not {target}"
    if kpi.method == "linear" and kpi.basis == "value" and kpi.floor is not None:
        if kpi.direction == HIGHER and target <= kpi.floor:
            return f"the target {target} must be above the floor {kpi.floor} (higher is better)"
        if kpi.direction != HIGHER and target >= kpi.floor:
            return f"the target {target} must be below the floor {kpi.floor} (lower is better)"
    return None


def basis_figure(kpi: Kpi, value: Decimal, target: Decimal) -> Decimal:
    """What the bands or the line read: the attainment of ``value`` against ``target`` or the value."""
    if kpi.basis == "value":
        return value
    if kpi.direction == HIGHER:
        return value / target
    return target / value if value > 0 else INFINITY


def points_of(kpi: Kpi, figure: Decimal) -> Decimal:
    """Points (0-100) of a basis figure by the KPI's bands or line."""
    if kpi.method == "bands":
        band = next((b for b in kpi.bands if b.contains(figure)), None)
        return band.points if band else Decimal(0)
    better, aim = effective(kpi)
    floor = kpi.floor if kpi.floor is not None else Decimal(0)
    if figure == INFINITY:
        share = Decimal(1)
    else:
        share = (figure - floor) / (aim - floor) if better == HIGHER else (floor - figure) / (floor - aim)
    return (min(max(share, Decimal(0)), Decimal(1)) * HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def score(kpi_set: KpiSet, values: MetricValues, targets: Mapping[str, Decimal] | None = None) -> Scorecard:
    """Score a dealer's metric values for one period; ``targets`` (KPI key → target) replaces the
    set's default target of those KPIs. ``ValidationFailed`` names a bad value or target."""
    clean = {metric: v for metric, raw in values.items() if (v := _value(metric, raw)) is not None}
    targets = targets or {}
    bad = {k.key: p for k in kpi_set.kpis if k.key in targets if (p := target_problem(k, targets[k.key]))}
    known = {k.key for k in kpi_set.kpis}
    bad.update({key: f"the set {kpi_set.key} has no such KPI" for key in targets if key not in known})
    if bad:
        raise ValidationFailed("invalid target: " + "; ".join(f"{k}: {v}" for k, v in bad.items()), bad)
    counted = {k.key for k in kpi_set.kpis if k.metric in clean or k.missing != "exclude"}
    weights = sum((k.weight for k in kpi_set.kpis if k.key in counted), Decimal(0))
    scores, total = [], Decimal(0)
    for kpi in kpi_set.kpis:
        target, value = targets.get(kpi.key, kpi.target), clean.get(kpi.metric)
        figure = None if value is None else basis_figure(kpi, value, target)
        points = Decimal(0) if figure is None else points_of(kpi, figure)
        excluded = kpi.key not in counted
        weight = Decimal(0) if excluded or not weights else kpi.weight * HUNDRED / weights
        contribution = points * weight / HUNDRED
        total += contribution
        scores.append(
            KpiScore(
                kpi.key,
                kpi.metric,
                value,
                target,
                figure,
                points,
                weight.quantize(POINT_STEP, rounding=ROUND_HALF_UP),
                contribution.quantize(POINT_STEP, rounding=ROUND_HALF_UP),
                missing=value is None,
                excluded=excluded,
            )
        )
    return Scorecard(kpi_set.key, total.quantize(CENT, rounding=ROUND_HALF_UP), tuple(scores), clean)


# ---- comparison --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreChange:
    """Current minus earlier scores; ``None`` where the earlier card (or a KPI's value) is missing."""

    earlier: Scorecard | None
    total: Decimal | None
    kpis: dict[str, Decimal | None]


def compare(current: Scorecard, earlier: Scorecard | None) -> ScoreChange:
    """How the total and each KPI's points moved since an earlier scorecard of the same set."""
    if earlier is None:
        return ScoreChange(None, None, {k.key: None for k in current.kpis})
    before = {k.key: k for k in earlier.kpis}
    deltas: dict[str, Decimal | None] = {}
    for now in current.kpis:
        old = before.get(now.key)
        deltas[now.key] = None if old is None or old.missing or now.missing else now.points - old.points
    return ScoreChange(earlier, current.total - earlier.total, deltas)


@dataclass(frozen=True)
class PeriodScorecard:
    """A period's scorecard beside the previous period (MoM, QoQ) and the same period last year (YoY)."""

    period: Period
    card: Scorecard
    vs_previous: ScoreChange
    vs_last_year: ScoreChange


def score_period(
    kpi_set: KpiSet,
    period: Period,
    values: Mapping[Period, MetricValues],
    targets: Mapping[Period, Mapping[str, Decimal]] | None = None,
) -> PeriodScorecard:
    """Score ``period`` and compare it with the previous period and the same period last year,
    each scored from its own values (and targets) in ``values``; a period absent there has no card."""
    if period.kind != kpi_set.period:
        raise ValidationFailed(f"the KPI set {kpi_set.key} scores {kpi_set.period}s, not {period.kind}s")
    targets = targets or {}

    def card(of: Period) -> Scorecard | None:
        return score(kpi_set, values[of], targets.get(of)) if of in values else None

    current = card(period)
    if current is None:
        raise ValidationFailed(f"no metric values for {period.label}")
    return PeriodScorecard(
        period,
        current,
        compare(current, card(period.previous())),
        compare(current, card(period.same_last_year())),
    )


# ---- ranking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    """A dealer's place in its group: ties share a rank (1, 2, 2, 4), listed by dealer code."""

    dealer: str
    group: str
    total: Decimal
    rank: int
    size: int


def rank(totals: Mapping[str, Decimal], group_of: Mapping[str, str] | None = None) -> list[Ranked]:
    """Rank dealers (code → total) within their group (code → region, tier or both joined; a dealer
    without one is in group ""), by total descending; groups in name order."""
    groups: dict[str, list[str]] = {}
    for dealer in totals:
        groups.setdefault((group_of or {}).get(dealer, ""), []).append(dealer)
    ranked: list[Ranked] = []
    for group in sorted(groups):
        members = sorted(groups[group], key=lambda d: (-totals[d], d))
        place = 0
        for position, dealer in enumerate(members, start=1):
            if position == 1 or totals[dealer] != totals[members[position - 2]]:
                place = position
            ranked.append(Ranked(dealer, group, totals[dealer], place, len(members)))
    return ranked


# ---- suggestions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A suggestion whose conditions held, with the facts that made them hold."""

    key: str
    severity: str
    message_zh: str
    message_en: str
    because: tuple[str, ...]


def _operand(condition: Condition, card: Scorecard) -> Decimal | None:
    if condition.subject == "metric":
        return card.values.get(condition.key)
    kpi = next((k for k in card.kpis if k.key == condition.key), None)
    return None if kpi is None or kpi.missing else kpi.points


def _holds(item: Condition | Group, card: Scorecard, facts: list[str]) -> bool:
    if isinstance(item, Group):
        found: list[str] = []
        results = [_holds(sub, card, found) for sub in item.items]
        held = all(results) if item.mode == "all" else any(results)
        if held:
            facts.extend(found)
        return held
    value = _operand(item, card)
    if value is None or not _OPS[item.op](value, item.value):
        return False
    name = item.key if item.subject == "metric" else f"KPI {item.key} points"
    facts.append(f"{name} {value} {item.op} {item.value}")
    return True


def suggestions(kpi_set: KpiSet, card: Scorecard) -> list[Suggestion]:
    """The set's suggestions whose conditions hold for a scorecard, most severe first (then in file
    order). A condition on a metric or KPI without a value never holds."""
    found = []
    for rule in kpi_set.suggestions:
        facts: list[str] = []
        if _holds(rule.when, card, facts):
            found.append(Suggestion(rule.key, rule.severity, rule.message_zh, rule.message_en, tuple(facts)))
    return sorted(found, key=lambda s: SEVERITIES.index(s.severity))
