"""Forecast job: monthly demand forecast of every SKU × region, stored as a run; then the seasonal
factors of replenishment are taken from it (docs/forecast.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask

log = logging.getLogger(__name__)


def forecast_run(
    app: Flask,
    today: date | None = None,
    triggered_by: str = "scheduler",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
):
    """Forecast every series and commit the run; a failure is recorded as a failed run and raised."""
    from app.adapters.forecasts import record_failure, run_forecasts
    from app.adapters.forecasts_hook import register_latest
    from app.extensions import db

    today = today or datetime.now(ZoneInfo(app.config["DMS_TIMEZONE"])).date()  # months are local
    try:
        run = run_forecasts(db.session, today, triggered_by, workers, progress)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        record_failure(db.session, today, triggered_by, f"{type(error).__name__}: {error}")
        db.session.commit()
        raise
    register_latest(db.session)
    log.info("forecast: run %s, %s series (%s forecast)", run.id, run.series_count, run.ok_count)
    return run


def forecast_factors(app: Flask) -> bool:
    """Register replenishment's seasonal factors from the latest run (daily, before the
    replenishment job), so a scheduler that took over from another one uses the newest run."""
    from app.adapters.forecasts_hook import register_latest
    from app.extensions import db

    return register_latest(db.session)
