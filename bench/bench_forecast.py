"""Forecast: 5,000 SKU × region monthly series (36 months), backtest and 12-month forecast.

Synthetic series (test data, fixed seed): a level between 2 and 2,000 units a month, a trend
of −1 % to +2 % a month, a yearly season (sine of 10-60 % amplitude, multiplicative for two
series in three, additive otherwise, random phase) and Gaussian noise of 5-30 % of the level,
rounded to whole units and floored at 0 (the low levels sell nothing in some months).

Ours = ``app.adapters.forecast_models.forecast_many``: per series a rolling-origin backtest
(3 origins, 3 months apart, 3-month horizon) of seasonal naive and the statsmodels model
(Holt-Winters, optimised at the first origin, fixed settings at the others), the better by WAPE
chosen and refitted on the whole history for 12 months; spawned worker processes, one per
usable core. Baseline = seasonal naive alone through the same domain backtest and forecast, in
this process: the floor of what any forecast costs. Both run once (a run takes a minute);
memory: the tracemalloc peak of a 100-series in-process pass, with the RSS high-water mark of
this process (and the largest worker's) during the timed run.
"""

from __future__ import annotations

import math
import random
import resource
from dataclasses import replace
from datetime import date
from time import perf_counter

from bench.common import MIB, Report, Row, python_peak, time_calls

SERIES, MONTHS, HORIZON = 5_000, 36, 12
TARGET_S = 120.0
SAMPLE = 100  # series in the in-process memory and single-core passes


def synthetic(n: int = SERIES, months: int = MONTHS + HORIZON, seed: int = 5):
    """``n`` seasonal, noisy monthly demand series starting January 2023 (the last ``HORIZON``
    months are kept back to check the forecasts out of sample)."""
    from app.domain.forecast import DemandSeries

    rng = random.Random(seed)
    out = []
    for i in range(n):
        level = math.exp(rng.uniform(math.log(2), math.log(2000)))
        trend, amplitude = rng.uniform(-0.01, 0.02), rng.uniform(0.1, 0.6)
        phase, noise, mul = rng.uniform(0, 2 * math.pi), rng.uniform(0.05, 0.3), rng.random() < 2 / 3
        values = []
        for t in range(months):
            season = amplitude * math.sin(2 * math.pi * t / 12 + phase)
            base = level * max(0.05, 1 + trend * t)
            mean = base * (1 + season) if mul else base + level * season
            values.append(float(max(0, round(rng.gauss(mean, noise * level)))))
        out.append(DemandSeries(f"S{i:05d}", f"R{i % 20:02d}", date(2023, 1, 1), tuple(values)))
    return out


def baseline_only(series):
    """Seasonal naive alone, backtested and forecast through the domain, in this process."""
    from app.domain.forecast import BASELINE, forecast_series, seasonal_naive

    return [forecast_series(s, {BASELINE: seasonal_naive}, HORIZON) for s in series]


def pooled(forecasts, model: str | None) -> float:
    """Backtest WAPE (%) over every series' test months, for ``model`` (None: the chosen one)."""
    from app.domain.forecast import pooled_wape

    scores = (f.backtest.score(model or f.model) for f in forecasts)
    value = pooled_wape(s for s in scores if s is not None)
    return float("nan") if value is None else value * 100


def holdout(forecasts, future) -> float:
    """WAPE (%) of the forecasts against the months kept back, over all series."""
    errors = sum(
        abs(a - f)
        for fc, fut in zip(forecasts, future, strict=True)
        for a, f in zip(fut, fc.values, strict=True)
    )
    volume = sum(sum(fut) for fut in future)
    return errors / volume * 100 if volume else float("nan")


def run() -> Report:
    from app.adapters.forecast_models import forecast_many

    full = synthetic()
    series = [replace(s, values=s.values[:MONTHS]) for s in full]
    future = [s.values[MONTHS:] for s in full]
    result: dict[str, list] = {}
    began = perf_counter()
    ours_t = time_calls(lambda: result.__setitem__("ours", forecast_many(series, HORIZON)), 1)
    wall = perf_counter() - began
    workers_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    base_t = time_calls(lambda: result.__setitem__("base", baseline_only(series)), 1)
    sample = series[:SAMPLE]
    single_t = time_calls(lambda: forecast_many(sample, HORIZON, workers=1), 1)
    ours_mem = python_peak(lambda: forecast_many(sample, HORIZON, workers=1), 1)
    base_mem = python_peak(lambda: baseline_only(sample), 1)
    ours, base = result["ours"], result["base"]
    if [f.sku for f in ours] != [s.sku for s in series] or any(f.status != "ok" for f in ours):
        raise RuntimeError("forecast_many lost or reordered series, or refused one")
    chosen: dict[str, int] = {}
    for f in ours:
        chosen[f.detail] = chosen.get(f.detail, 0) + 1
    seconds = ours_t.samples[0]
    memory = (
        f"{ours_mem / MIB:.2f} MiB per {SAMPLE} series (RSS {ours_t.rss_peak / MIB:.0f} MiB, "
        f"largest worker {workers_rss / MIB:.0f} MiB) / base {base_mem / MIB:.2f} MiB"
        if ours_t.rss_peak
        else ""
    )
    rows = [
        Row(
            f"forecast {SERIES:,} series incl. backtest",
            seconds,
            "s",
            base_t.samples[0],
            memory,
        ),
        Row("per series (wall, all cores)", seconds / SERIES * 1000, "ms", base_t.samples[0] / SERIES * 1000),
        Row(f"per series, one core ({SAMPLE} series in process)", single_t.samples[0] / SAMPLE * 1000, "ms"),
        Row("backtest WAPE, chosen model (pooled; selection-biased)", pooled(ours, None), "%"),
        Row("backtest WAPE, seasonal naive (pooled)", pooled(ours, "seasonal_naive"), "%"),
        Row(
            f"WAPE of the {HORIZON} months after the history",
            holdout(ours, future),
            "%",
            holdout(base, future),
        ),
    ]
    notes = [
        f"{SERIES:,} synthetic series of {MONTHS} months (levels 2-2,000/month, trend, season, noise); "
        f"forecast {HORIZON} months; backtest 3 origins × 3 months; wall time incl. spawning workers "
        f"{wall:.1f} s",
        "chosen: " + ", ".join(f"{k} {v:,}" for k, v in sorted(chosen.items(), key=lambda kv: -kv[1])),
        f"target ≤ {TARGET_S:.0f} s for {SERIES:,} series: {'met' if seconds <= TARGET_S else 'MISSED'}",
    ]
    return Report(
        f"Forecast: {SERIES:,} SKU × region series, backtest + 12 months (statsmodels)", rows, notes
    )
