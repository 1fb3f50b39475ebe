"""``/api/v1/scorecard/``: the dealer ranking of a KPI set and period (JSON or xlsx) and one
dealer's scorecard KPI by KPI with suggestions; only dealers in the caller's data scope
(docs/scorecards.md). Permission ``Scorecard`` ``read``."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import lazy_gettext as _l

from app.adapters.analytics_drill import xlsx
from app.adapters.clock import business_today
from app.adapters.kpi_store import kpi_set
from app.adapters.kpi_values import Context
from app.adapters.scorecard_ranking import dealer_card, parse_period, ranking
from app.domain.errors import DomainError
from app.domain.scorecards import period_of
from app.extensions import db
from app.web.api.analytics_export import XLSX, plain
from app.web.api.base import JsonApi
from app.web.permissions import READ
from app.web.scope import current_scope

DEFAULT_SET = "default"
RANKING_COLUMNS = (
    ("dealer", _l("Dealer")),
    ("dealer_name", _l("Dealer name")),
    ("region", _l("Region")),
    ("region_name", _l("Region name")),
    ("tier", _l("Tier")),
    ("total", _l("Score")),
    ("rank_region", _l("Rank in region")),
    ("region_size", _l("Dealers in region")),
    ("rank_tier", _l("Rank in tier")),
    ("tier_size", _l("Dealers in tier")),
    ("change_previous", _l("Change vs previous period")),
    ("change_last_year", _l("Change vs last year")),
)


def context() -> Context:
    """Today, the business time zone and the licence warning days, from the configuration."""
    config = current_app.config
    return Context(business_today(), ZoneInfo(config["DMS_TIMEZONE"]), config["DMS_QUALIFICATION_WARN_DAYS"])


def scorecard_args(args) -> dict[str, Any]:
    """The set, period, region and tier of a request (the period defaults to the running one)."""
    key = (args.get("set") or DEFAULT_SET).strip()
    chosen = kpi_set(db.session, key)
    period = args.get("period")
    return {
        "kpi_set": chosen,
        "period": parse_period(chosen.period, period)
        if period
        else period_of(chosen.period, business_today()),
        "region": (args.get("region") or "").strip() or None,
        "tier": (args.get("tier") or "").strip() or None,
    }


def ranking_result(args) -> dict[str, Any]:
    """The ranking for request arguments, inside the caller's scope."""
    a = scorecard_args(args)
    return ranking(db.session, current_scope(), a["kpi_set"], a["period"], context(), a["region"], a["tier"])


def ranking_xlsx(result: dict[str, Any]) -> Response:
    """The ranking as a workbook (scores stay numbers)."""
    headers = [str(label) for _, label in RANKING_COLUMNS]
    data = xlsx("scorecard", headers, [key for key, _ in RANKING_COLUMNS], result["rows"])
    name = f"scorecard_{result['set']}_{result['period']}.xlsx"
    return Response(data, mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename={name}"})


class ScorecardApi(JsonApi):
    resource_name = "scorecard"
    class_permission_name = "Scorecard"
    method_permission_name = {"get_ranking": READ, "get_card": READ}
    openapi_spec_tag = "Scorecards"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_ranking(self):
        """Dealers in your data scope ranked by their scorecard total.
        ---
        get:
          parameters:
          - {in: query, name: set, schema: {type: string}, description: "a KPI set key (default: default)"}
          - {in: query, name: period, schema: {type: string}, description: "2026-10, 2026-Q3, 2026"}
          - {in: query, name: region, schema: {type: string}, description: a region code (its subtree)}
          - {in: query, name: tier, schema: {type: string}, description: a tier code}
          - {in: query, name: format, schema: {type: string, enum: [json, xlsx]}}
          responses:
            200: {description: "{set, period, kind, rows: [{dealer, dealer_name, region, tier, total,
              rank_region, region_size, rank_tier, tier_size, change_previous, change_last_year, missing}]}"}
            404: {description: An unknown KPI set}
            422: {description: A bad period or region}
        """
        try:
            result = ranking_result(request.args)
        except DomainError as error:
            return self.fail(error)
        if request.args.get("format") == "xlsx":
            return ranking_xlsx(result)
        return self.response(200, **plain(result))

    @expose("/<code>", methods=["GET"])
    @protect()
    @safe
    def get_card(self, code: str):
        """One dealer's scorecard: each KPI's value, target, points, weight; suggestions.
        ---
        get:
          parameters:
          - {in: path, name: code, required: true, schema: {type: string}}
          - {in: query, name: set, schema: {type: string}}
          - {in: query, name: period, schema: {type: string}}
          responses:
            200: {description: "{set, period, dealer, total, change_previous, change_last_year, kpis: [{key,
              name, metric, value, target, points, weight, contribution, missing, excluded}], suggestions}"}
            404: {description: A dealer outside your data scope or an unknown set}
            422: {description: A bad period}
        """
        try:
            a = scorecard_args(request.args)
            result = dealer_card(db.session, current_scope(), a["kpi_set"], a["period"], code, context())
        except DomainError as error:
            return self.fail(error)
        return self.response(200, **plain(result))
