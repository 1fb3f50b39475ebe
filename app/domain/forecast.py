"""Monthly demand forecasting without a framework: the demand series of a SKU × region, error
metrics, the seasonal-naive baseline, a rolling-origin backtest of any model, the choice of the
better model and the seasonal factors the replenishment rules take (see docs/forecast.md).

A *model* is any callable ``(history, h) -> next h values``; the statistical ones live in
``app.adapters.forecast_models``. Forecasts are never negative (demand is not) and never raise
for short or odd series: a series too short to forecast gives a ``not_enough_history`` result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.domain.replenishment import SeasonalFactor

SEASON = 12  # months in a seasonal cycle
MIN_HISTORY = 3  # months: below this a series gets "not enough history"
BASELINE = "seasonal_naive"
OK, NOT_ENOUGH_HISTORY = "ok", "not_enough_history"

ForecastModel = Callable[[Sequence[float], int], Sequence[float]]


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first day of the month ``n`` months after ``month`` (``n`` may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class DemandSeries:
    """Monthly demand of one SKU in one region: ``values[i]`` is the month ``start + i``."""

    sku: str
    region: str
    start: date
    values: tuple[float, ...]

    @classmethod
    def from_months(
        cls, sku: str, region: str, quantities: Mapping[date, float], end: date | None = None
    ) -> DemandSeries:
        """Build from month → quantity (any day of the month); months missing between the
        first one and the last (or ``end``, exclusive) count as zero demand."""
        by_month: dict[date, float] = {}
        for day, qty in quantities.items():
            by_month[month_start(day)] = by_month.get(month_start(day), 0.0) + float(qty)
        if not by_month:
            return cls(sku, region, month_start(end) if end else date.min, ())
        first = min(by_month)
        stop = month_start(end) if end else add_months(max(by_month), 1)
        count = (stop.year - first.year) * 12 + stop.month - first.month
        values = tuple(by_month.get(add_months(first, i), 0.0) for i in range(max(0, count)))
        return cls(sku, region, first, values)

    @property
    def next_month(self) -> date:
        """The first month after the history (where a forecast starts)."""
        return add_months(self.start, len(self.values))


def wape(actual: Sequence[float], forecast: Sequence[float]) -> float | None:
    """Weighted absolute percentage error: Σ|actual − forecast| / Σ|actual|.

    None (undefined) when every actual is zero: no volume to weigh the error by."""
    volume = sum(abs(a) for a in actual)
    if volume == 0:
        return None
    return sum(abs(a - f) for a, f in zip(actual, forecast, strict=True)) / volume


def mape(actual: Sequence[float], forecast: Sequence[float]) -> float | None:
    """Mean absolute percentage error over the months whose actual is not zero (a zero month
    has no percentage error and is left out); None when every actual is zero."""
    terms = [abs(a - f) / abs(a) for a, f in zip(actual, forecast, strict=True) if a != 0]
    return sum(terms) / len(terms) if terms else None


def mae(actual: Sequence[float], forecast: Sequence[float]) -> float:
    """Mean absolute error (0 for no months): the tie-breaker when WAPE is undefined."""
    pairs = list(zip(actual, forecast, strict=True))
    return sum(abs(a - f) for a, f in pairs) / len(pairs) if pairs else 0.0


def seasonal_naive(history: Sequence[float], h: int) -> list[float]:
    """The baseline: each month repeats the same month of the last season; with less than a
    season of history, the last month repeats (naive)."""
    if not history:
        return [0.0] * h
    if len(history) < SEASON:
        return [float(history[-1])] * h
    last = history[-SEASON:]
    return [float(last[i % SEASON]) for i in range(h)]


def clean(values: Sequence[float], h: int) -> list[float]:
    """Exactly ``h`` finite, non-negative values: NaN/inf and negatives become 0, a short
    answer is padded with its last value (or 0)."""
    out = [float(v) if math.isfinite(v) and v > 0 else 0.0 for v in list(values)[:h]]
    return out + [out[-1] if out else 0.0] * (h - len(out))


@dataclass(frozen=True)
class ModelScore:
    """Backtest errors of one model, pooled over every origin."""

    model: str
    wape: float | None
    mape: float | None
    mae: float
    points: int  # forecast months compared
    mape_points: int  # of which with a non-zero actual (the base of MAPE)
    volume: float = 0.0  # Σ|actual| of those months (the weight of WAPE)


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin backtest: ``origins`` are the training lengths (months) used."""

    horizon: int
    origins: tuple[int, ...] = ()
    scores: tuple[ModelScore, ...] = ()

    @property
    def enough_history(self) -> bool:
        return bool(self.origins)

    def score(self, model: str) -> ModelScore | None:
        """The score of ``model``, or None when it was not backtested."""
        return next((s for s in self.scores if s.model == model), None)


def backtest_origins(n: int, horizon: int, origins: int, min_train: int = SEASON) -> tuple[int, ...]:
    """Training lengths of the last ``origins`` origins, ``horizon`` months apart, so that each
    test window ends by month ``n``; those shorter than ``min_train`` are dropped."""
    lengths = (n - horizon * (k + 1) for k in range(origins))
    return tuple(sorted(t for t in lengths if t >= max(1, min_train)))


def backtest(
    values: Sequence[float],
    models: Mapping[str, ForecastModel],
    horizon: int = 3,
    origins: int = 3,
    min_train: int = SEASON,
) -> Backtest:
    """Fit each model on the history up to each origin (earliest first), forecast the next
    ``horizon`` months and pool the errors; no origin fits → a backtest without scores."""
    lengths = backtest_origins(len(values), horizon, origins, min_train)
    if not lengths:
        return Backtest(horizon)
    scores = []
    for name, model in models.items():
        actual: list[float] = []
        predicted: list[float] = []
        for t in lengths:
            actual += [float(v) for v in values[t : t + horizon]]
            predicted += clean(model(values[:t], horizon), horizon)
        scores.append(
            ModelScore(
                name,
                wape(actual, predicted),
                mape(actual, predicted),
                mae(actual, predicted),
                len(actual),
                sum(1 for a in actual if a != 0),
                sum(abs(a) for a in actual),
            )
        )
    return Backtest(horizon, lengths, tuple(scores))


def pooled_wape(scores: Iterable[ModelScore]) -> float | None:
    """WAPE over many series' backtests (each weighted by its volume); None without volume."""
    errors = volume = 0.0
    for score in scores:
        errors += score.mae * score.points
        volume += score.volume
    return errors / volume if volume else None


def choose_model(result: Backtest, default: str) -> str:
    """The model with the lowest backtest WAPE (lowest MAE where WAPE is undefined because the
    test months sold nothing); a tie keeps the earlier model; no scores → ``default``."""
    if not result.scores:
        return default
    if all(s.wape is not None for s in result.scores):
        return min(result.scores, key=lambda s: s.wape or 0.0).model
    return min(result.scores, key=lambda s: s.mae).model


@dataclass(frozen=True)
class DemandForecast:
    """The forecast of one series: ``values[i]`` is the month ``start + i``.

    ``status`` is ``ok`` or ``not_enough_history`` (then ``values`` is empty and ``message``
    says why); ``model`` is the chosen model, ``detail`` what it fitted (from the adapter)."""

    sku: str
    region: str
    status: str
    start: date
    values: tuple[float, ...] = ()
    model: str = ""
    backtest: Backtest = field(default_factory=lambda: Backtest(0))
    history_months: int = 0
    detail: str = ""
    message: str = ""


def not_enough_history(series: DemandSeries, min_history: int = MIN_HISTORY) -> DemandForecast | None:
    """The "not enough history" result when ``series`` is shorter than ``min_history`` months,
    else None."""
    n = len(series.values)
    if n >= max(1, min_history):
        return None
    what = "no demand history" if n == 0 else f"only {n} month(s) of demand history"
    return DemandForecast(
        series.sku,
        series.region,
        NOT_ENOUGH_HISTORY,
        series.next_month,
        history_months=n,
        message=f"not enough history for {series.sku} in {series.region}: {what} "
        f"(at least {min_history} months needed)",
    )


def forecast_series(
    series: DemandSeries,
    models: Mapping[str, ForecastModel],
    horizon: int = SEASON,
    default: str | None = None,
    backtest_models: Mapping[str, ForecastModel] | None = None,
    backtest_horizon: int = 3,
    origins: int = 3,
    min_history: int = MIN_HISTORY,
) -> DemandForecast:
    """Backtest ``models`` (``backtest_models`` may stand in for some of them at the origins,
    e.g. cheaper fixed-setting fits), choose the better one and forecast ``horizon`` months
    with it. Without a backtest the ``default`` model (the first one if None) is used."""
    short = not_enough_history(series, min_history)
    if short is not None:
        return short
    stand_ins = {name: (backtest_models or {}).get(name, model) for name, model in models.items()}
    result = backtest(series.values, stand_ins, backtest_horizon, origins)
    chosen = choose_model(result, default or next(iter(models)))
    values = clean(models[chosen](series.values, horizon), horizon)
    return DemandForecast(
        series.sku,
        series.region,
        OK,
        series.next_month,
        tuple(values),
        chosen,
        result,
        len(series.values),
    )


def seasonal_factors(
    forecast: DemandForecast, floor: float = 0.25, ceiling: float = 4.0
) -> dict[int, Decimal]:
    """Calendar month (1-12) → forecast of that month / the average of the first 12 forecast
    months, kept within [floor, ceiling] and rounded to 4 places. Empty (no adjustment) when the
    forecast covers fewer than 12 months; all 1 when it forecasts no demand."""
    if forecast.status != OK or len(forecast.values) < SEASON:
        return {}
    year = forecast.values[:SEASON]
    average = sum(year) / SEASON
    factors: dict[int, Decimal] = {}
    for i, value in enumerate(year):
        ratio = min(ceiling, max(floor, value / average)) if average > 0 else 1.0
        month = add_months(forecast.start, i).month
        factors[month] = Decimal(str(ratio)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return factors


def seasonal_factor_hook(factors: Mapping[tuple[int, int], Mapping[int, Decimal]]) -> SeasonalFactor:
    """A replenishment seasonal factor (``register_seasonal_factor``) reading
    (product id, warehouse id) → month → factor; anything missing gives 1."""

    def factor(product_id: int, warehouse_id: int, month: int) -> Decimal:
        return factors.get((product_id, warehouse_id), {}).get(month, Decimal(1))

    return factor
