"""What the sales analytics page shows, computed with the same ``sales()`` as the API: totals,
the trend, product contribution (ABC/Pareto, growth × share), regions, top and bottom dealers."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.adapters.analytics_mix import abc, previous_period, quadrants
from app.adapters.analytics_query import sales
from app.adapters.analytics_terms import FILTERS, MEASURES, TIME_DIMENSIONS, parse_query
from app.domain.errors import ValidationFailed
from app.domain.scope import DataScope

KEPT = ("from", "to", "grain", "measure", *FILTERS)  # the page's arguments, kept in every link
TOP = 10
CHART_SKUS = 50


def page_args(args) -> dict[str, str]:
    """The page's own arguments from the URL (blank ones dropped)."""
    return {k: str(args[k]).strip() for k in KEPT if str(args.get(k) or "").strip()}


def dashboard(session: Session, scope: DataScope, args: dict[str, str], today: date) -> dict[str, Any]:
    """Every block of the page; ValidationFailed for bad arguments (the page says which)."""
    grain = args.get("grain", "month")
    measure = args.get("measure", "amount")
    errors = {}
    if grain not in TIME_DIMENSIONS:
        errors["grain"] = f"one of {', '.join(TIME_DIMENSIONS)}"
    if measure not in MEASURES:
        errors["measure"] = f"unknown {measure}; valid: {', '.join(MEASURES)}"
    if errors:
        raise ValidationFailed("invalid analytics query", errors)
    base = {k: v for k, v in args.items() if k not in ("grain", "measure")}

    def run(**extra):
        return sales(session, scope, parse_query({**base, "measure": measure, **extra}, today), today)

    totals = sales(session, scope, parse_query({**base, "measure": ",".join(MEASURES)}, today), today)
    query = parse_query(base, today)
    trend = run(group_by=grain)
    regions = run(group_by="region")
    top = run(group_by="dealer", limit=str(TOP))
    bottom = run(group_by="dealer", sort="asc", limit=str(TOP))
    mix_measure = measure if measure in ("amount", "quantity") else "amount"
    sku_args = {**base, "group_by": "sku", "measure": mix_measure, "limit": "5000"}
    products = sales(session, scope, parse_query(sku_args, today), today)
    prev_start, prev_end = previous_period(query.start, query.end, query.whole_months(today))
    prev_args = {**sku_args, "from": prev_start.isoformat(), "to": prev_end.isoformat()}
    previous = sales(session, scope, parse_query(prev_args, today), today)
    pareto = abc(products["rows"], mix_measure)
    top_value = max((r[measure] or 0 for r in regions["rows"]), default=0)
    for row in regions["rows"]:
        row["heat"] = float((row[measure] or 0) / top_value) if top_value else 0.0
    return {
        "grain": grain,
        "measure": measure,
        "mix_measure": mix_measure,
        "from": query.start.isoformat(),
        "to": query.end.isoformat(),
        "previous": {"from": prev_start.isoformat(), "to": prev_end.isoformat()},
        "totals": totals["totals"],
        "trend": trend,
        "regions": regions,
        "top": top,
        "bottom": bottom,
        "pareto": pareto,
        "abc_counts": {k: sum(1 for r in pareto if r["abc"] == k) for k in "ABC"},
        "quadrants": quadrants(products["rows"][:CHART_SKUS], previous["rows"], "sku", mix_measure),
    }


def chart_data(data: dict[str, Any]) -> dict[str, Any]:
    """The series the ECharts blocks draw (numbers as floats: a chart is a picture)."""
    measure, mix = data["measure"], data["mix_measure"]

    def num(v):
        return float(v) if v is not None else None

    trend_rows = data["trend"]["rows"]
    pareto = data["pareto"][:CHART_SKUS]
    return {
        "trend": {
            "labels": [r[data["grain"]] for r in trend_rows],
            "values": [num(r[measure]) for r in trend_rows],
        },
        "pareto": {
            "labels": [r["sku"] for r in pareto],
            "values": [num(r[mix]) for r in pareto],
            "cumulative": [round(float(r["cumulative"]) * 100, 1) for r in pareto],
        },
        "quadrants": [
            [
                round(float(r["share"]) * 100, 2),
                round(float(r["growth"]) * 100, 1) if r["growth"] is not None else None,
                r["sku"],
                r["quadrant"],
            ]
            for r in data["quadrants"]
        ],
        "regions": [
            {"name": r["region_name"] or r["region"], "value": num(r[measure]), "code": r["region"]}
            for r in data["regions"]["rows"]
        ],
    }
