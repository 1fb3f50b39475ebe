"""The forecast pipeline (docs/forecast.md, "Wiring"): monthly demand per SKU × region read from
the analytics store, forecast with ``forecast_many``, stored as a run.

**Region** = the top-level region (the root's child, e.g. 华东) of the *dealer* who bought: demand
is where the dealers are, today's classification like every analytics figure, and a top-level
region has enough volume to forecast. **History** = whole months from a series' first sale up to
the month before the run (the current month is incomplete and left out); months without sales in
between count as zero demand. Only SKU × region pairs that ever sold are forecast; any other pair
is "not enough history" when asked for (``series_for``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.adapters.forecast_models import forecast_many
from app.domain.forecast import DemandForecast, DemandSeries, add_months, month_start
from app.models import Dealer, Forecast, ForecastRun, Product, Region, SaleLine

HORIZON = 12
FORECAST = Forecast.__table__


def month_key(month: date) -> int:
    """``202611`` for November 2026 (the analytics store's month column)."""
    return month.year * 100 + month.month


def key_month(key: int) -> date:
    """The first day of the month ``202611``."""
    return date(key // 100, key % 100, 1)


def top_regions(session: Session) -> dict[int, tuple[int, str]]:
    """Region id → (id, code) of its top-level region (the first code of its path)."""
    rows = session.execute(select(Region.id, Region.code, Region.path)).all()
    by_code = {code: id_ for id_, code, _ in rows}
    out = {}
    for id_, code, path in rows:
        top = (path or "").strip("/").split("/")[0] or code
        out[id_] = (by_code.get(top, id_), top if top in by_code else code)
    return out


def demand_series(session: Session, history_end: date) -> list[tuple[int, int, DemandSeries]]:
    """(product id, top region id, series) for every SKU × top-level region that sold before
    ``history_end`` (the first month left out), ordered by SKU and region."""
    tops = top_regions(session)
    query = (
        select(SaleLine.product_id, Dealer.region_id, SaleLine.month, func.sum(SaleLine.qty))
        .join(Dealer, Dealer.id == SaleLine.dealer_id)
        .where(SaleLine.month < month_key(history_end))
        .group_by(SaleLine.product_id, Dealer.region_id, SaleLine.month)
    )
    months: dict[tuple[int, int], dict[date, float]] = defaultdict(dict)
    for product_id, region_id, month, qty in session.execute(query):
        top_id = tops[region_id][0]
        bucket = months[(product_id, top_id)]
        bucket[key_month(month)] = bucket.get(key_month(month), 0.0) + float(qty or 0)
    skus = dict(session.execute(select(Product.id, Product.code)).all())
    codes = {top_id: code for top_id, code in tops.values()}
    out = [
        (p, r, DemandSeries.from_months(skus[p], codes[r], qty, end=history_end))
        for (p, r), qty in months.items()
    ]
    return sorted(out, key=lambda item: (item[2].sku, item[2].region))


def run_forecasts(
    session: Session,
    today: date,
    triggered_by: str = "scheduler",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ForecastRun:
    """Forecast every series and store the run with its forecasts (flushed, not committed)."""
    history_end = month_start(today)
    run = ForecastRun(horizon=HORIZON, history_end=history_end, triggered_by=triggered_by, status="running")
    session.add(run)
    session.flush()
    items = demand_series(session, history_end)
    results = forecast_many([s for _, _, s in items], horizon=HORIZON, workers=workers, progress=progress)
    rows = [forecast_row(run.id, p, r, s, f) for (p, r, s), f in zip(items, results, strict=True)]
    if rows:
        session.execute(insert(FORECAST), rows)
    run.series_count = len(rows)
    run.ok_count = sum(1 for f in results if f.status == "ok")
    run.status = "done"
    run.finished_at = datetime.now(UTC)
    session.flush()
    return run


def record_failure(session: Session, today: date, triggered_by: str, error: str) -> ForecastRun:
    """A failed run, kept so the page can say the last run failed and why (flushed)."""
    now = datetime.now(UTC)
    run = ForecastRun(horizon=HORIZON, history_end=month_start(today), triggered_by=triggered_by,
                      status="failed", error=error[:2000], started_at=now, finished_at=now)  # fmt: skip
    session.add(run)
    session.flush()
    return run


def forecast_row(
    run_id: int, product_id: int, region_id: int, series: DemandSeries, f: DemandForecast
) -> dict:
    """The ``forecast`` row of one result (errors rounded to 4 places, quantities to 2)."""
    scores = [
        {
            "model": s.model,
            "wape": _round(s.wape, 4),
            "mape": _round(s.mape, 4),
            "mae": _round(s.mae, 2),
            "points": s.points,
            "mape_points": s.mape_points,
        }
        for s in f.backtest.scores
    ]
    return {
        "run_id": run_id,
        "product_id": product_id,
        "region_id": region_id,
        "status": f.status,
        "model": f.model,
        "detail": f.detail,
        "history_start": series.start if series.values else None,
        "history": [round(v, 2) for v in series.values],
        "forecast_start": f.start,
        "values": [round(v, 2) for v in f.values],
        "scores": scores,
        "origins": list(f.backtest.origins),
        "message": f.message[:300],
    }


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)


def latest_run(session: Session) -> ForecastRun | None:
    """The newest run that finished (a failed or running one is skipped)."""
    return session.scalar(
        select(ForecastRun).where(ForecastRun.status == "done").order_by(ForecastRun.id.desc())
    )


def months_of(start: date | None, count: int) -> list[str]:
    """``['2026-01', …]``: ``count`` months from ``start``."""
    if start is None:
        return []
    return [add_months(start, i).strftime("%Y-%m") for i in range(count)]
