"""The forecast pipeline on 30 months of booked orders: the run stores one forecast per SKU × top
region with the backtest errors of each model, the history equals the order lines month by month,
a SKU with 2 months is "not enough history", the seasonal factor of the latest run reaches the
replenishment suggestions, the CLI runs it with progress, and a failed run is recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.forecast_helpers import TODAY, forecast_app, history


@pytest.fixture(scope="module")
def app(database_url):
    application = forecast_app(database_url)
    yield application
    from app.domain.replenishment import register_seasonal_factor
    from app.extensions import db

    register_seasonal_factor(None)
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _stored(app):
    from app.extensions import db
    from app.models import Forecast, ForecastRun, Product, Region

    with app.app_context():
        run = db.session.scalars(select(ForecastRun).order_by(ForecastRun.id.desc())).first()
        rows = db.session.execute(
            select(Forecast, Product.code, Region.code)
            .join(Product, Product.id == Forecast.product_id)
            .join(Region, Region.id == Forecast.region_id)
            .where(Forecast.run_id == run.id)
        ).all()
        return run, {(sku, region): f for f, sku, region in rows}


def test_run_stores_each_series_with_its_backtest(app):
    run, stored = _stored(app)
    assert run.status == "done" and run.history_end == date(2026, 11, 1) and run.horizon == 12
    assert set(stored) == {("W-550", "EAST"), ("W-550", "SOUTH"), ("T-500", "EAST"), ("C-1KG", "EAST")}
    assert run.series_count == 4 and run.ok_count == 3
    w = stored[("W-550", "EAST")]
    assert w.status == "ok" and w.model in ("seasonal_naive", "ets") and w.detail
    assert w.forecast_start == date(2026, 11, 1) and len(w.values) == 12 and min(w.values) >= 0
    assert w.origins == [21, 24, 27]  # 30 months: three cut-offs 3 months apart
    by_model = {s["model"]: s for s in w.scores}
    assert set(by_model) == {"seasonal_naive", "ets"}
    for score in by_model.values():
        assert score["points"] == 9 and 0 <= score["wape"] < 1 and score["mape"] is not None
    chosen = min(by_model.values(), key=lambda s: s["wape"])
    assert w.model == chosen["model"]  # the lower backtest WAPE is used
    july = w.values[8]  # 2027-07 (the forecast starts in 2026-11)
    january = w.values[2]
    assert july > january * 1.5  # the summer peak is forecast


def test_history_is_the_order_lines_month_by_month(app):
    _, stored = _stored(app)
    want = history("W-550", ("D-SH-1",))  # the only EAST dealer buying W-550
    w = stored[("W-550", "EAST")]
    assert w.history_start == date(2024, 5, 1) and len(w.history) == 30
    assert w.history == [want[k][0] for k in sorted(want)]
    t = stored[("T-500", "EAST")]  # two dealers of EAST (SH and JS) add up in the top region
    both = history("T-500", ("D-SH-2", "D-JS-1"))
    assert t.history == [both[k][0] for k in sorted(both)]


def test_two_months_is_not_enough_history(app):
    _, stored = _stored(app)
    c = stored[("C-1KG", "EAST")]
    assert c.status == "not_enough_history" and c.values == [] and c.scores == []
    assert "not enough history for C-1KG in EAST" in c.message and "2 month" in c.message


def _suggestion_qty(app, month: int, register) -> tuple[int, str]:
    """Evaluate one rule of WH-EAST × W-550 (min 100, max 200, nothing on hand) in ``month``."""
    from app.adapters.replenishment import evaluate
    from app.extensions import db
    from app.models import Product, ReplenishmentSuggestion, StockRule, Warehouse

    with app.app_context():
        s = db.session
        register(s)
        warehouse = s.scalar(select(Warehouse).where(Warehouse.code == "WH-EAST"))
        product = s.scalar(select(Product).where(Product.code == "W-550"))
        s.add(StockRule(warehouse_id=warehouse.id, product_id=product.id, min_qty=100, max_qty=200))
        s.flush()
        evaluate(s, datetime(2027, month, 15, 3, tzinfo=UTC), warehouse_ids=[warehouse.id])
        made = s.scalar(
            select(ReplenishmentSuggestion).where(ReplenishmentSuggestion.warehouse_id == warehouse.id)
        )
        found = made.qty, made.figures["seasonal_factor"]
        s.rollback()
        return found


def test_seasonal_factor_of_the_latest_run_reaches_replenishment(app):
    from app.adapters.forecasts_hook import register_latest
    from app.domain.replenishment import register_seasonal_factor

    _, stored = _stored(app)
    values = stored[("W-550", "EAST")].values
    average = sum(values) / 12
    plain, factor = _suggestion_qty(app, 7, lambda s: register_seasonal_factor(None))
    assert (plain, factor) == (200, "1")
    july, factor = _suggestion_qty(app, 7, register_latest)
    assert abs(float(factor) - values[8] / average) < 1e-3  # July's forecast over the year's average
    assert july == -(-200 * float(factor) // 1) and july > 200  # max scaled up, rounded up
    january, factor = _suggestion_qty(app, 1, register_latest)
    assert january < 200 and float(factor) < 1


def test_hq_takes_the_sum_over_regions_and_unknown_pairs_get_one(app):
    from decimal import Decimal

    from app.adapters.forecasts_hook import factor_table, make_hook, warehouse_regions
    from app.extensions import db
    from app.models import Product, Warehouse

    with app.app_context():
        s = db.session
        hook = make_hook(factor_table(s), warehouse_regions(s))
        wh = dict(s.execute(select(Warehouse.code, Warehouse.id)).all())
        sku = dict(s.execute(select(Product.code, Product.id)).all())
    _, stored = _stored(app)
    total = [
        a + b
        for a, b in zip(stored[("W-550", "EAST")].values, stored[("W-550", "SOUTH")].values, strict=True)
    ]
    assert abs(float(hook(sku["W-550"], wh["WH-HQ"], 7)) - total[8] / (sum(total) / 12)) < 1e-3
    south = stored[("W-550", "SOUTH")].values
    assert abs(float(hook(sku["W-550"], wh["WH-SOUTH"], 7)) - south[8] / (sum(south) / 12)) < 1e-3
    assert hook(sku["C-1KG"], wh["WH-EAST"], 7) == Decimal(1)  # not enough history: no adjustment
    assert hook(sku["T-500"], wh["WH-SOUTH"], 7) == Decimal(1)  # never sold there


def test_cli_runs_a_new_run_with_progress(app):
    from app.domain.replenishment import seasonal_is_default
    from app.models import ForecastRun

    result = app.test_cli_runner().invoke(args=["dms", "forecast", "run", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "4 series (3 forecast, 1 not enough history)" in result.output and "forecast" in result.output
    assert not seasonal_is_default()  # registered after the run
    from app.extensions import db

    with app.app_context():
        runs = db.session.scalars(select(ForecastRun).order_by(ForecastRun.id)).all()
    assert [r.triggered_by for r in runs] == ["test", "cli"]


def test_a_failed_run_is_recorded_and_the_latest_good_one_stays(app, monkeypatch):
    from app.adapters import forecasts
    from app.adapters.forecasts import latest_run
    from app.extensions import db
    from app.jobs.forecast import forecast_run
    from app.models import ForecastRun

    def broken(*args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(forecasts, "forecast_many", broken)
    with app.app_context(), pytest.raises(RuntimeError, match="worker died"):
        forecast_run(app, TODAY, "test", workers=1)
    with app.app_context():
        failed = db.session.scalars(select(ForecastRun).order_by(ForecastRun.id.desc())).first()
        assert failed.status == "failed" and "worker died" in failed.error
        assert latest_run(db.session).status == "done" and latest_run(db.session).id < failed.id


def test_daily_factor_job_registers_the_latest_run(app):
    from app.domain.replenishment import register_seasonal_factor, seasonal_is_default
    from app.jobs.forecast import forecast_factors
    from app.jobs.scheduler import JOBS

    assert {"forecast.run", "forecast.factors"} <= {job_id for job_id, _, _ in JOBS}
    register_seasonal_factor(None)  # e.g. a standby scheduler started before the run
    with app.app_context():
        assert forecast_factors(app) is True
    assert not seasonal_is_default()
