"""statsmodels behind the forecast domain: exponential smoothing with a fallback ladder, a cheap
backtest stand-in, and the forecast of many series on a process pool (docs/forecast.md).

The ladder, by the months of history ``n`` (months that sold nothing count, as zeros): all zero →
zero; ``n`` ≥ 24 and at most half the months zero → Holt-Winters (damped additive trend,
seasonality of period 12: multiplicative when every month sold something and a quick screen at
fixed settings fits it better, else additive); ``n`` ≥ 10 → Holt (damped additive trend); ``n`` ≥ 4
→ simple exponential smoothing; else the mean. Intermittent series (more than half the months
zero) go to simple exponential smoothing. A fit that fails, gives NaN or explodes (above ten times
the history's highest month) passes to the next rung; the mean never fails. Warnings are
silenced; nothing here raises on odd data. In ``forecast_one`` the seasonal form is chosen at the
first backtest origin and kept for the final fit.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from app.domain.forecast import (
    BASELINE,
    SEASON,
    DemandForecast,
    DemandSeries,
    ForecastModel,
    forecast_series,
    seasonal_naive,
)

ETS = "ets"
SEASONAL_MIN, TREND_MIN, SMOOTHING_MIN = 2 * SEASON, 10, 4
INTERMITTENT_SHARE = 0.5  # more zero months than this → simple exponential smoothing
EXPLOSION = 10.0  # a forecast above this many times the history's maximum is refused
SMOOTHING = ("smoothing_level", "smoothing_trend", "smoothing_seasonal", "damping_trend")
USES = {  # the smoothing parameters each rung has (the others are NaN in statsmodels' results)
    "holt-winters": SMOOTHING,
    "holt": ("smoothing_level", "smoothing_trend", "damping_trend"),
    "ses": ("smoothing_level",),
}
LADDER = ("holt-winters", "holt", "ses", "mean")
TOLERANCE = {"ftol": 1e-4, "xtol": 1e-4, "gtol": 1e-4}  # least squares: as accurate, ~2x faster
SCREEN = {"smoothing_level": 0.2, "smoothing_trend": 0.05, "smoothing_seasonal": 0.1, "damping_trend": 0.95}


@dataclass(frozen=True)
class Fit:
    """What was fitted: the method, the seasonality (``add``/``mul``/""), and the smoothing
    parameters with the initial states (reused by ``OriginModel`` with fixed settings)."""

    method: str
    seasonal: str = ""
    params: tuple[tuple[str, object], ...] = ()

    @property
    def label(self) -> str:
        return f"{self.method} {self.seasonal}".strip()


def rung(history: Sequence[float]) -> str:
    """The first rung of the ladder this history allows."""
    n = len(history)
    if n == 0 or not any(history):
        return "zero"
    zeros = sum(1 for v in history if v == 0) / n
    if zeros > INTERMITTENT_SHARE:
        return "ses" if n >= SMOOTHING_MIN else "mean"
    if n >= SEASONAL_MIN:
        return "holt-winters"
    if n >= TREND_MIN:
        return "holt"
    return "ses" if n >= SMOOTHING_MIN else "mean"


def _model(
    y: np.ndarray, method: str, seasonal: str, known: dict | None = None, heuristic: bool = False
) -> ExponentialSmoothing:
    kwargs: dict = {"initialization_method": "heuristic" if heuristic else "estimated"}
    if known is not None:
        kwargs = {
            "initialization_method": "known",
            "initial_level": known["initial_level"],
            "initial_trend": known.get("initial_trend"),
            "initial_seasonal": known.get("initial_seasons"),
        }
        if method != "holt-winters":
            kwargs.pop("initial_seasonal")
        if method == "ses":
            kwargs.pop("initial_trend")
    if method == "holt-winters":
        return ExponentialSmoothing(
            y, trend="add", damped_trend=True, seasonal=seasonal, seasonal_periods=SEASON, **kwargs
        )
    if method == "holt":
        return ExponentialSmoothing(y, trend="add", damped_trend=True, **kwargs)
    return ExponentialSmoothing(y, **kwargs)


def _sane(values: np.ndarray, y: np.ndarray, h: int) -> bool:
    return len(values) == h and bool(np.all(np.isfinite(values))) and values.max() <= EXPLOSION * y.max()


def screen_form(y: np.ndarray) -> str:
    """``mul`` or ``add``: the Holt-Winters seasonality with the lower in-sample error at fixed,
    typical settings (``SCREEN``; about 1 ms each) — so only the winner is optimised."""
    if y.min() <= 0:
        return "add"
    errors = {}
    for form in ("add", "mul"):
        try:
            result = _model(y, "holt-winters", form, heuristic=True).fit(optimized=False, **SCREEN)
            errors[form] = float(result.sse)
        except Exception:  # noqa: BLE001 — statsmodels raises many types on odd data; keep add
            errors[form] = math.inf
    return "mul" if errors["mul"] < errors["add"] else "add"


def _optimised(y: np.ndarray, method: str, form: str, h: int) -> tuple[np.ndarray, Fit] | None:
    """One optimised fit of one rung: the forecast and the fit, or None when it fails or gives
    nonsense."""
    if method == "mean":
        return np.full(h, y.mean()), Fit("mean")
    try:
        result = _model(y, method, form).fit(
            method="least_squares", use_brute=False, minimize_kwargs=TOLERANCE
        )
        values = np.asarray(result.forecast(h), dtype=float)
    except Exception:  # noqa: BLE001 — statsmodels raises many types on odd data; fall back
        return None
    if not _sane(values, y, h):
        return None
    params = tuple((k, result.params[k]) for k in (*SMOOTHING, "initial_level", "initial_trend"))
    params += (("initial_seasons", result.params["initial_seasons"]),)
    return values, Fit(method, form if method == "holt-winters" else "", params)


def fit_forecast(history: Sequence[float], h: int, seasonal: str = "") -> tuple[list[float], Fit]:
    """The next ``h`` months of ``history`` down the ladder; never raises. Holt-Winters takes the
    ``seasonal`` form given (``add``/``mul``; ``mul`` only on positive data), else the screened one."""
    y = np.asarray(history, dtype=float)
    y = np.where(np.isfinite(y) & (y > 0), y, 0.0)
    first = rung(y.tolist())
    if first == "zero":
        return [0.0] * h, Fit("zero")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for method in LADDER[LADDER.index(first) :]:
            form = "add" if method != "holt-winters" else seasonal or screen_form(y)
            found = _optimised(y, method, "add" if y.min() <= 0 else form, h)
            if found is not None:
                return found[0].clip(min=0).tolist(), found[1]
    return [float(y.mean())] * h, Fit("mean")


def ets_model(history: Sequence[float], h: int) -> list[float]:
    """The statsmodels model as a domain ``ForecastModel`` (values only)."""
    return fit_forecast(history, h)[0]


class OriginModel:
    """The backtest stand-in for ``ets_model``: optimised at the first (earliest) origin it is
    called for; later origins on the same rung reuse that fit's smoothing parameters and initial
    states with fixed settings, so only the states are updated with the newer months (about 1 ms
    instead of an optimisation). A new rung or a failed reuse is fitted optimised again.
    Use one instance per series."""

    def __init__(self) -> None:
        self.fit: Fit | None = None

    def __call__(self, history: Sequence[float], h: int) -> list[float]:
        y = np.asarray(history, dtype=float)
        y = np.where(np.isfinite(y) & (y > 0), y, 0.0)
        fit = self.fit
        if fit is not None and fit.params and fit.method == rung(y.tolist()):
            values = self._reuse(y, fit, h)
            if values is not None:
                return values
        values, self.fit = fit_forecast(y, h)
        return values

    @staticmethod
    def _reuse(y: np.ndarray, fit: Fit, h: int) -> list[float] | None:
        params = dict(fit.params)
        smoothing = {k: params[k] for k in USES[fit.method]}
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                model = _model(y, fit.method, fit.seasonal or "add", known=params)
                values = np.asarray(model.fit(optimized=False, **smoothing).forecast(h), dtype=float)
        except Exception:  # noqa: BLE001 — fall back to an optimised fit
            return None
        return values.clip(min=0).tolist() if _sane(values, y, h) else None


def forecast_one(series: DemandSeries, horizon: int = SEASON, origins: int = 3) -> DemandForecast:
    """Seasonal naive and the statsmodels model, backtested over ``origins`` origins 3 months
    apart; the better one forecasts ``horizon`` months (``detail`` names what was fitted)."""
    fitted: list[Fit] = []
    origin = OriginModel()

    def ets(history: Sequence[float], h: int) -> list[float]:
        values, fit = fit_forecast(history, h, origin.fit.seasonal if origin.fit else "")
        fitted.append(fit)
        return values

    models: dict[str, ForecastModel] = {BASELINE: seasonal_naive, ETS: ets}
    result = forecast_series(
        series, models, horizon, default=ETS, backtest_models={ETS: origin}, origins=origins
    )
    if result.model == ETS and fitted:
        return replace(result, detail=fitted[-1].label)
    if result.model == BASELINE:
        return replace(result, detail="seasonal naive" if len(series.values) >= SEASON else "naive")
    return result


def _forecast_chunk(chunk: list[DemandSeries], horizon: int, origins: int) -> list[DemandForecast]:
    return [forecast_one(s, horizon, origins) for s in chunk]


def forecast_many(
    series: Iterable[DemandSeries],
    horizon: int = SEASON,
    origins: int = 3,
    workers: int | None = None,
    chunk_size: int = 100,
    progress: Callable[[int, int], None] | None = None,
) -> list[DemandForecast]:
    """``forecast_one`` for every series, in order, on ``workers`` processes (default: the usable
    cores; 1 = in this process). Workers are spawned, not forked, so a caller's threads and
    database connections are never copied into them. ``progress(done, total)`` is called after
    each chunk of series."""
    items = list(series)
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    out: list[DemandForecast] = []
    if workers <= 1 or len(items) <= chunk_size:
        for chunk in chunks:
            out += _forecast_chunk(chunk, horizon, origins)
            if progress:
                progress(len(out), len(items))
        return out
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        for part in pool.map(_forecast_chunk, chunks, [horizon] * len(chunks), [origins] * len(chunks)):
            out += part
            if progress:
                progress(len(out), len(items))
    return out
