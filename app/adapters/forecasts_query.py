"""Reading forecasts inside a data scope (docs/forecast.md, "API and page").

A forecast region is a top-level region; a user sees the series of the regions their scope
covers whole: everything for an unrestricted scope, the regions at or below their own for a
regional scope (a manager of 上海 alone covers only part of 华东, so sees no 华东 series). Scopes
made of dealers (sales reps, dealers) cover no region. An unknown SKU, or a region that is not a
forecast region in the scope, is a 422 naming the argument (a region outside the scope reads like
an unknown one).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.adapters.forecasts import latest_run, months_of
from app.domain.errors import ValidationFailed
from app.domain.forecast import DemandSeries, add_months, not_enough_history
from app.domain.scope import DataScope
from app.models import Forecast, ForecastRun, Product, Region

LIMIT = 500
CODE = re.compile(r"[A-Z0-9._/-]{1,40}")  # SKUs, regions and product lines (docs/inventory.md)


def clean_code(raw: object, field: str) -> str | None:
    """An upper-case code, None for blank; anything that cannot be a code is a 422 naming ``field``
    (such as control characters, which PostgreSQL refuses in text)."""
    code = str(raw or "").strip().upper()
    if not code:
        return None
    if not CODE.fullmatch(code):
        raise ValidationFailed(f"{field}: not a code", {field: "not a code"})
    return code


def visible_regions(session: Session, scope: DataScope) -> dict[str, Region]:
    """Code → top-level region the scope covers whole, in code order."""
    tops = session.scalars(select(Region).where(Region.parent_id.is_(None)).order_by(Region.code))
    return {r.code: r for r in tops if scope.allows_region(r.path)}


def product_by_code(session: Session, code: str | None, field: str = "sku") -> Product | None:
    """The product with this SKU (None for a blank code); ValidationFailed for an unknown one."""
    code = clean_code(code, field)
    if code is None:
        return None
    product = session.scalar(select(Product).where(Product.code == code))
    if product is None:
        raise ValidationFailed(f"{field}: unknown SKU {code}", {field: f"unknown SKU {code}"})
    return product


def region_in(regions: dict[str, Region], code: str | None, field: str = "region") -> Region | None:
    """The forecast region with this code among ``regions`` (None for blank); else 422."""
    code = clean_code(code, field)
    if code is None:
        return None
    if code not in regions:
        valid = ", ".join(regions) or "none in your data scope"
        raise ValidationFailed(f"{field}: unknown forecast region {code}", {field: f"one of: {valid}"})
    return regions[code]


def run_info(run: ForecastRun | None) -> dict[str, Any] | None:
    """The run's facts for a page or an answer."""
    if run is None:
        return None
    return {
        "id": run.id,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "history_end": run.history_end.isoformat(),  # the first month not in the history
        "last_history_month": add_months(run.history_end, -1).strftime("%Y-%m"),
        "horizon": run.horizon,
        "series_count": run.series_count,
        "ok_count": run.ok_count,
    }


def forecasts(session: Session, scope: DataScope, sku: str | None, region: str | None) -> dict[str, Any]:
    """The latest run's series in scope, filtered by SKU and region; both given and nothing
    stored → the "not enough history" result for that pair (never an error)."""
    regions = visible_regions(session, scope)
    product = product_by_code(session, sku)
    chosen = region_in(regions, region)
    run = latest_run(session)
    answer: dict[str, Any] = {
        "run": run_info(run),
        "regions": list(regions),
        "series": [],
        "truncated": False,
    }
    if run is None or not regions:
        answer["message"] = "no forecast run yet" if run is None else "no forecast region in your data scope"
        if run is None and product and chosen:
            answer["series"] = [_short(product, chosen, None)]
        return answer
    query = (
        select(Forecast, Product, Region)
        .join(Product, Product.id == Forecast.product_id)
        .join(Region, Region.id == Forecast.region_id)
        .where(Forecast.run_id == run.id, Forecast.region_id.in_([r.id for r in regions.values()]))
        .order_by(Product.code, Region.code)
        .limit(LIMIT + 1)
    )
    if product is not None:
        query = query.where(Forecast.product_id == product.id)
    if chosen is not None:
        query = query.where(Forecast.region_id == chosen.id)
    rows = session.execute(query).all()
    answer["truncated"] = len(rows) > LIMIT
    answer["series"] = [series_json(f, p, r) for f, p, r in rows[:LIMIT]]
    if not rows and product and chosen:
        answer["series"] = [_short(product, chosen, run)]
    return answer


def series_json(f: Forecast, product: Product, region: Region) -> dict[str, Any]:
    """One stored forecast: history and forecast by month, the model, every model's errors."""
    chosen = next((s for s in f.scores if s["model"] == f.model), None)
    return {
        "sku": product.code,
        "product_name": product.name,
        "region": region.code,
        "region_name": region.name,
        "region_name_en": region.name_en,
        "status": f.status,
        "message": f.message,
        "model": f.model,
        "detail": f.detail,
        "history": {"months": months_of(f.history_start, len(f.history)), "values": f.history},
        "forecast": {"months": months_of(f.forecast_start, len(f.values)), "values": f.values},
        "scores": f.scores,
        "chosen": chosen,
        "origins": f.origins,
        "backtested": bool(f.origins),
    }


def _short(product: Product, region: Region, run: ForecastRun | None) -> dict[str, Any]:
    """The "not enough history" answer for a pair that never sold."""
    start = run.history_end if run else None
    result = not_enough_history(
        DemandSeries(product.code, region.code, start or business_today().replace(day=1), ())
    )
    assert result is not None  # an empty series is always short
    return {
        "sku": product.code,
        "product_name": product.name,
        "region": region.code,
        "region_name": region.name,
        "region_name_en": region.name_en,
        "status": result.status,
        "message": result.message,
        "model": "",
        "detail": "",
        "history": {"months": [], "values": []},
        "forecast": {"months": [], "values": []},
        "scores": [],
        "chosen": None,
        "origins": [],
        "backtested": False,
    }
