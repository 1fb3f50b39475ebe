"""Scorecards of dealers for a KPI set and period: the ranking (total, rank within region and
within tier, change against the previous period and the same period last year) and one dealer's
card KPI by KPI with its suggestions. Rows are limited to the caller's data scope; ranks are
taken among all dealers of the region or tier (so a dealer's rank does not depend on who looks),
and no figure of a dealer outside the scope is shown."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.kpi_values import Context, dealer_targets, metric_values
from app.adapters.scope_sql import dealer_clause
from app.domain.errors import NotFound, ValidationFailed
from app.domain.kpi_sets import KpiSet
from app.domain.scope import DataScope
from app.domain.scorecards import Period, PeriodScorecard, rank, score_period, suggestions, target_problem
from app.models import Dealer, DealerTier, Region

PERIOD_FORMATS = {
    "month": re.compile(r"^(\d{4})-(\d{2})$"),
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "year": re.compile(r"^(\d{4})$"),
}
OUT = ("applicant", "terminated")  # not (or no longer) dealers to score


def parse_period(kind: str, text: str | None) -> Period:
    """``2026-10`` (month), ``2026-Q3`` (quarter) or ``2026`` (year), of the set's kind."""
    match = PERIOD_FORMATS[kind].match((text or "").strip())
    shown = {"month": "2026-10", "quarter": "2026-Q3", "year": "2026"}[kind]
    if not match:
        raise ValidationFailed(f"period: a {kind} such as {shown}", {"period": f"a {kind} such as {shown}"})
    year, index = int(match.group(1)), int(match.group(2)) if kind != "year" else 1
    if not 2000 <= year <= 2100 or not 1 <= index <= (12 if kind == "month" else 4):
        raise ValidationFailed(f"period: no such {kind} {text}", {"period": f"no such {kind}"})
    return Period(kind, year, index)


def kpi_targets(kpi_set: KpiSet, targets: dict[str, Decimal]) -> dict[str, Decimal]:
    """KPI key → the dealer's own target for the KPI's metric, where that target can work."""
    out = {}
    for kpi in kpi_set.kpis:
        target = targets.get(kpi.metric)
        if target is not None and target_problem(kpi, target) is None:
            out[kpi.key] = target
    return out


def _cards(session: Session, kpi_set: KpiSet, period: Period, ids: list[int], ctx: Context) -> dict:
    """{dealer id: PeriodScorecard}: values of the period, the previous one and last year's."""
    metrics = kpi_set.metrics_needed()
    periods = (period, period.previous(), period.same_last_year())
    values = {p: metric_values(session, ids, p, metrics, ctx) for p in periods}
    targets = {p: dealer_targets(session, ids, p) for p in periods}
    return {
        d: score_period(
            kpi_set,
            period,
            {p: values[p][d] for p in periods},
            {p: kpi_targets(kpi_set, targets[p].get(d, {})) for p in periods},
        )
        for d in ids
    }


def _dealers(session: Session, where=None) -> list[tuple]:
    query = (
        select(Dealer.id, Dealer.code, Dealer.name, Region.code, Region.name, Region.path, DealerTier.code)
        .join(Region, Region.id == Dealer.region_id)
        .outerjoin(DealerTier, DealerTier.id == Dealer.tier_id)
        .where(Dealer.status.not_in(OUT))
        .order_by(Dealer.code)
    )
    return list(session.execute(query if where is None else query.where(where)))


def _region_path(session: Session, code: str | None) -> str | None:
    if not code:
        return None
    path = session.scalar(select(Region.path).where(Region.code == code))
    if path is None:
        raise ValidationFailed(f"region: unknown region {code}", {"region": "unknown region"})
    return path


def ranking(
    session: Session,
    scope: DataScope,
    kpi_set: KpiSet,
    period: Period,
    ctx: Context,
    region: str | None = None,
    tier: str | None = None,
) -> dict[str, Any]:
    """The ranking rows of the dealers in scope (optionally of a region subtree and a tier), best
    total first; ``rank_region``/``rank_tier`` among all dealers of the same region and tier."""
    everyone = _dealers(session)
    visible = set(session.scalars(select(Dealer.id).where(dealer_clause(scope))))
    path = _region_path(session, region)
    cards = _cards(session, kpi_set, period, [row[0] for row in everyone], ctx)
    totals = {row[1]: cards[row[0]].card.total for row in everyone}
    by_region = {r.dealer: r for r in rank(totals, {row[1]: row[3] for row in everyone})}
    by_tier = {r.dealer: r for r in rank(totals, {row[1]: row[6] or "" for row in everyone})}
    rows = []
    for dealer_id, code, name, region_code, region_name, region_path, tier_code in everyone:
        if dealer_id not in visible or (path and not region_path.startswith(path)):
            continue
        if tier and tier_code != tier:
            continue
        card = cards[dealer_id]
        rows.append(
            {
                "dealer": code,
                "dealer_name": name,
                "region": region_code,
                "region_name": region_name,
                "tier": tier_code,
                "total": card.card.total,
                "rank_region": by_region[code].rank,
                "region_size": by_region[code].size,
                "rank_tier": by_tier[code].rank,
                "tier_size": by_tier[code].size,
                "change_previous": card.vs_previous.total,
                "change_last_year": card.vs_last_year.total,
                "missing": list(card.card.missing),
            }
        )
    rows.sort(key=lambda r: (-r["total"], r["dealer"]))
    return {"set": kpi_set.key, "period": period.label, "kind": period.kind, "rows": rows}


def dealer_card(
    session: Session, scope: DataScope, kpi_set: KpiSet, period: Period, code: str, ctx: Context
) -> dict[str, Any]:
    """One dealer's scorecard KPI by KPI with the suggestions; NotFound outside the scope."""
    found = _dealers(session, (Dealer.code == code) & dealer_clause(scope))
    if not found:
        raise NotFound(f"no dealer {code} in your data scope", {"dealer": "unknown dealer"})
    dealer_id, code, name, region_code, region_name, _, tier_code = found[0]
    result: PeriodScorecard = _cards(session, kpi_set, period, [dealer_id], ctx)[dealer_id]
    card = result.card
    kpis = []
    for score in card.kpis:
        kpi = kpi_set.kpi(score.key)
        kpis.append(
            {
                "key": score.key,
                "name": kpi.name_zh,
                "name_en": kpi.name_en,
                "metric": score.metric,
                "value": score.value,
                "target": score.target,
                "points": score.points,
                "weight": score.weight,
                "contribution": score.contribution,
                "missing": score.missing,
                "excluded": score.excluded,
                "change_previous": result.vs_previous.kpis.get(score.key),
                "change_last_year": result.vs_last_year.kpis.get(score.key),
            }
        )
    return {
        "set": kpi_set.key,
        "set_name": kpi_set.name_zh,
        "set_name_en": kpi_set.name_en,
        "period": period.label,
        "dealer": code,
        "dealer_name": name,
        "region": region_code,
        "region_name": region_name,
        "tier": tier_code,
        "total": card.total,
        "change_previous": result.vs_previous.total,
        "change_last_year": result.vs_last_year.total,
        "kpis": kpis,
        "values": dict(card.values),
        "suggestions": [
            {
                "key": s.key,
                "severity": s.severity,
                "message": s.message_zh,
                "message_en": s.message_en,
                "because": list(s.because),
            }  # fmt: skip
            for s in suggestions(kpi_set, card)
        ],
    }
