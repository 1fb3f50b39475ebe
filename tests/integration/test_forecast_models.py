"""The statsmodels forecast on real fits: Holt-Winters beats seasonal naive where the season
grows, seasonal naive wins where the season repeats exactly, the fallback ladder on short,
intermittent and odd series (never raising), the backtest stand-in, the process pool, and
seasonal factors from a forecast."""

from __future__ import annotations

import math
import random
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from app.adapters import forecast_models as fm
from app.domain.forecast import BASELINE, NOT_ENOUGH_HISTORY, OK, DemandSeries, seasonal_factors

SHAPE = [0.6, 0.7, 0.9, 1.0, 1.2, 1.5, 1.6, 1.4, 1.1, 0.9, 0.7, 0.6]


def series(values, sku="SKU-1") -> DemandSeries:
    return DemandSeries(sku, "EAST", date(2023, 1, 1), tuple(float(v) for v in values))


def growing_season(months=36, seed=3):
    """Multiplicative season on a level growing 3 % a month, 3 % noise."""
    rng = random.Random(seed)
    return [100 * 1.03**t * SHAPE[t % 12] * (1 + rng.gauss(0, 0.03)) for t in range(months)]


def test_holt_winters_beats_seasonal_naive_when_the_season_grows():
    result = fm.forecast_one(series(growing_season()))
    ets, naive = result.backtest.score(fm.ETS), result.backtest.score(BASELINE)
    assert result.status == OK and result.backtest.origins == (27, 30, 33)
    assert ets.wape < naive.wape / 2
    assert result.model == fm.ETS and result.detail.startswith("holt-winters")
    assert len(result.values) == 12 and result.start == date(2026, 1, 1)
    # the forecast keeps the season: July above January, both above last year's
    assert result.values[6] > result.values[0] > growing_season()[24]


def test_seasonal_naive_wins_when_the_season_repeats_exactly():
    result = fm.forecast_one(series([100 * s for s in SHAPE] * 3))
    assert result.backtest.score(BASELINE).wape == 0
    assert result.model == BASELINE and result.detail == "seasonal naive"
    assert result.values == tuple(100 * s for s in SHAPE)


@pytest.mark.parametrize(
    ("values", "method"),
    [
        (growing_season(24), "holt-winters"),
        ([10 + t for t in range(15)], "holt"),
        ([5, 7, 6, 8, 7, 9], "ses"),
        ([5, 7, 6], "mean"),
        ([0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 0, 4] * 3, "ses"),
        ([0.0] * 30, "zero"),
    ],
)
def test_the_ladder_follows_the_history(values, method):
    forecast, fit = fm.fit_forecast(values, 6)
    assert fit.method == method
    assert len(forecast) == 6 and all(math.isfinite(v) and v >= 0 for v in forecast)


def test_a_steady_trend_is_continued_on_short_history():
    forecast, fit = fm.fit_forecast([10 + 2 * t for t in range(15)], 3)
    assert fit.method == "holt"
    assert forecast == pytest.approx([40, 42, 44], abs=1.5)


def test_zeros_and_odd_values_never_raise():
    odd = [
        [],
        [0.0] * 40,
        [1e12] * 30,
        [float("nan"), 5, float("inf"), -3, 7, 8, 6, 5, 9, 7, 6, 8, 7, 6, 5, 9, 7, 6, 8, 7, 6, 5, 9, 7, 1],
        [5.0] * 36,
        [0.0] * 35 + [1000.0],
        [1.0, 0.0] * 18,
    ]
    for values in odd:
        forecast, _ = fm.fit_forecast(values, 12)
        assert len(forecast) == 12 and all(math.isfinite(v) and v >= 0 for v in forecast)
    assert fm.fit_forecast([0.0] * 40, 3)[0] == [0.0, 0.0, 0.0]
    assert fm.fit_forecast([5.0] * 36, 3)[0] == pytest.approx([5.0] * 3, abs=0.01)


def test_no_history_is_a_not_enough_history_result():
    result = fm.forecast_one(series([]))
    assert result.status == NOT_ENOUGH_HISTORY and result.values == ()
    assert "no demand history" in result.message


def test_the_backtest_stand_in_reuses_the_first_fit():
    values = growing_season()
    stand_in = fm.OriginModel()
    first = stand_in(values[:27], 3)
    fitted = stand_in.fit
    later = stand_in(values[:30], 3)
    assert stand_in.fit is fitted and fitted.method == "holt-winters"
    assert len(first) == len(later) == 3
    refit, _ = fm.fit_forecast(values[:30], 3, fitted.seasonal)
    assert later == pytest.approx(refit, rel=0.1)  # fixed settings land near a refit


def test_many_series_on_two_processes_match_one_process():
    batch = [series(growing_season(36, seed=i), sku=f"S{i}") for i in range(6)] + [series([], sku="EMPTY")]
    pooled = fm.forecast_many(batch, workers=2, chunk_size=3)
    alone = fm.forecast_many(batch, workers=1)
    assert [f.sku for f in pooled] == [s.sku for s in batch]
    assert [f.values for f in pooled] == [f.values for f in alone]
    assert pooled[-1].status == NOT_ENOUGH_HISTORY


def test_seasonal_factors_follow_the_forecast_season():
    factors = seasonal_factors(fm.forecast_one(series(growing_season())))
    assert sorted(factors) == list(range(1, 13))
    assert factors[7] > Decimal("1.2") > Decimal("0.8") > factors[1]
    assert sum(factors.values()) / 12 == pytest.approx(Decimal(1), abs=Decimal("0.01"))


def test_a_multiplicative_choice_survives_a_later_zero_month():
    values = growing_season()
    values[34] = 0.0  # the first origins saw only positive months, the whole history has a zero
    forecast, fit = fm.fit_forecast(values, 12, "mul")
    assert fit.label == "holt-winters add"
    assert forecast[6] > forecast[0] > 0
    assert fm.forecast_one(series(values)).detail != "holt"


def test_the_screen_picks_the_seasonal_form_of_the_data():
    level = [100 + 10 * t for t in range(36)]
    multiplicative = np.array([lv * SHAPE[t % 12] for t, lv in enumerate(level)])
    additive = np.array([lv + 40 * (SHAPE[t % 12] - 1) * 2 for t, lv in enumerate(level)])
    assert fm.screen_form(multiplicative) == "mul"
    assert fm.screen_form(additive) == "add"
    assert fm.screen_form(np.concatenate([[0.0], multiplicative[1:]])) == "add"
    assert fm.fit_forecast(list(multiplicative), 12)[1].label == "holt-winters mul"
