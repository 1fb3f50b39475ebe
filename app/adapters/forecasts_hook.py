"""Forecasts → replenishment: the seasonal factor of a product at a warehouse in a month, from the
latest forecast run (docs/forecast.md, "Seasonal factor").

A warehouse takes the forecast of its region's top-level region; an ``hq`` warehouse serves every
region and takes the sum of the SKU's forecasts over all regions. ``seasonal_factors`` (domain)
turns a 12-month forecast into month → factor; a product × warehouse without a forecast (or with
"not enough history") gets 1. Registered when the app starts and after each run.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.adapters.forecasts import latest_run, top_regions
from app.domain.forecast import OK, DemandForecast, seasonal_factors
from app.domain.replenishment import SeasonalFactor, register_seasonal_factor
from app.models import Forecast, Warehouse

log = logging.getLogger(__name__)
NATIONAL = 0  # the key of the all-regions sum


def factor_table(session: Session) -> dict[tuple[int, int], dict[int, Decimal]] | None:
    """(product id, top region id or NATIONAL) → month → factor from the latest run; None
    without a run."""
    run = latest_run(session)
    if run is None:
        return None
    rows = session.execute(
        select(Forecast.product_id, Forecast.region_id, Forecast.forecast_start, Forecast.values).where(
            Forecast.run_id == run.id, Forecast.status == OK
        )
    )
    table: dict[tuple[int, int], dict[int, Decimal]] = {}
    national: dict[int, list[float]] = {}
    starts = {}
    for product_id, region_id, start, values in rows:
        table[(product_id, region_id)] = seasonal_factors(_as_forecast(start, values))
        total = national.setdefault(product_id, [0.0] * len(values))
        for i, v in enumerate(values[: len(total)]):
            total[i] += float(v)
        starts[product_id] = start
    for product_id, values in national.items():
        table[(product_id, NATIONAL)] = seasonal_factors(_as_forecast(starts[product_id], values))
    return table


def _as_forecast(start, values) -> DemandForecast:
    return DemandForecast("", "", OK, start, tuple(float(v) for v in values))


def warehouse_regions(session: Session) -> dict[int, int]:
    """Warehouse id → its top-level region id (NATIONAL for an ``hq`` warehouse)."""
    tops = top_regions(session)
    out = {}
    for id_, kind, region_id in session.execute(select(Warehouse.id, Warehouse.kind, Warehouse.region_id)):
        out[id_] = NATIONAL if kind == "hq" else tops.get(region_id, (-1, ""))[0]
    return out


def make_hook(table: dict[tuple[int, int], dict[int, Decimal]], regions: dict[int, int]) -> SeasonalFactor:
    """The replenishment seasonal factor over ``table`` (1 for anything missing)."""

    def factor(product_id: int, warehouse_id: int, month: int) -> Decimal:
        region = regions.get(warehouse_id)
        if region is None:
            return Decimal(1)
        return table.get((product_id, region), {}).get(month, Decimal(1))

    return factor


def register_latest(session: Session) -> bool:
    """Register the factors of the latest run (the default of 1 when there is none, or when the
    tables do not exist yet, e.g. before the first migration); True when registered."""
    try:
        table = factor_table(session)
        regions = warehouse_regions(session) if table else {}
    except SQLAlchemyError as error:
        session.rollback()
        log.info("forecast: no seasonal factors registered (%s)", type(error).__name__)
        table = None
    register_seasonal_factor(make_hook(table, regions) if table else None)
    return bool(table)
