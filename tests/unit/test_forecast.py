"""Forecast arithmetic without statsmodels: months and series, WAPE/MAPE with zero months, the
seasonal-naive baseline, the rolling-origin backtest and the model choice, "not enough history"
results, and the seasonal factors the replenishment rules take."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from app.domain import forecast as fc
from app.domain.replenishment import order_qty

SEASON = [10.0, 12, 15, 20, 30, 45, 50, 40, 25, 15, 12, 10]


def series(values, start=date(2023, 1, 1)) -> fc.DemandSeries:
    return fc.DemandSeries("SKU-1", "EAST", start, tuple(float(v) for v in values))


def drift(history, h):
    """Straight-line extrapolation of the last two months (a model for the tests)."""
    step = history[-1] - history[-2] if len(history) > 1 else 0.0
    return [history[-1] + step * (i + 1) for i in range(h)]


def mean_model(history, h):
    return [sum(history) / len(history)] * h


def test_months_add_across_years():
    assert fc.add_months(date(2023, 11, 1), 3) == date(2024, 2, 1)
    assert fc.add_months(date(2024, 1, 1), -1) == date(2023, 12, 1)
    assert fc.month_start(date(2024, 2, 29)) == date(2024, 2, 1)


def test_series_from_months_adds_within_a_month_and_fills_gaps_with_zero():
    s = fc.DemandSeries.from_months(
        "A", "R", {date(2024, 1, 5): 3, date(2024, 1, 20): 2, date(2024, 4, 1): 7}, end=date(2024, 6, 1)
    )
    assert s.start == date(2024, 1, 1)
    assert s.values == (5.0, 0.0, 0.0, 7.0, 0.0)
    assert s.next_month == date(2024, 6, 1)
    assert fc.DemandSeries.from_months("A", "R", {}).values == ()


def test_wape_weighs_errors_by_volume_and_is_undefined_without_volume():
    assert fc.wape([10, 30], [20, 30]) == pytest.approx(10 / 40)
    assert fc.wape([0, 0], [1, 2]) is None
    assert fc.wape([0, 10], [5, 10]) == pytest.approx(0.5)  # a zero month still adds its error


def test_mape_leaves_zero_months_out():
    assert fc.mape([10, 0, 20], [15, 99, 10]) == pytest.approx((0.5 + 0.5) / 2)
    assert fc.mape([0, 0], [1, 1]) is None
    assert fc.mae([1, 2], [2, 4]) == pytest.approx(1.5)
    assert fc.mae([], []) == 0.0


def test_seasonal_naive_repeats_last_season_or_last_month():
    history = [1.0] * 12 + SEASON
    assert fc.seasonal_naive(history, 14) == SEASON + SEASON[:2]
    assert fc.seasonal_naive([4, 5, 6], 3) == [6.0, 6.0, 6.0]
    assert fc.seasonal_naive([], 2) == [0.0, 0.0]


def test_clean_makes_h_finite_non_negative_values():
    assert fc.clean([1, math.nan, -3, math.inf], 4) == [1.0, 0.0, 0.0, 0.0]
    assert fc.clean([2.5], 3) == [2.5, 2.5, 2.5]
    assert fc.clean([], 2) == [0.0, 0.0]
    assert fc.clean([1, 2, 3], 2) == [1.0, 2.0]


def test_backtest_origins_are_horizon_apart_and_long_enough():
    assert fc.backtest_origins(36, 3, 3) == (27, 30, 33)
    assert fc.backtest_origins(20, 3, 3) == (14, 17)  # 11 months is below one season
    assert fc.backtest_origins(14, 3, 3) == ()


def test_backtest_prefers_seasonal_naive_on_a_repeating_season():
    result = fc.backtest(SEASON * 3, {"seasonal_naive": fc.seasonal_naive, "mean": mean_model})
    naive, mean = result.score("seasonal_naive"), result.score("mean")
    assert result.origins == (27, 30, 33)
    assert naive.wape == 0 and naive.points == 9 and naive.volume == sum(SEASON[3:12])
    assert mean.wape > 0.2
    assert fc.choose_model(result, "mean") == "seasonal_naive"


def test_backtest_prefers_a_trend_model_on_a_steady_trend():
    values = [100 + 5 * t for t in range(30)]
    result = fc.backtest(values, {"seasonal_naive": fc.seasonal_naive, "drift": drift})
    assert result.score("drift").wape == pytest.approx(0)
    assert result.score("seasonal_naive").wape == pytest.approx(60 * 9 / sum(values[21:30]))
    assert fc.choose_model(result, "seasonal_naive") == "drift"


def test_choice_falls_back_to_mae_ties_keep_the_first_and_no_scores_keep_the_default():
    zeros = fc.backtest([0.0] * 30, {"seasonal_naive": fc.seasonal_naive, "drift": drift})
    assert all(s.wape is None and s.mape is None for s in zeros.scores)
    assert fc.choose_model(zeros, "drift") == "seasonal_naive"  # both MAE 0: the first stays
    spikes = fc.backtest(
        [0.0] * 26 + [4.0, 0.0, 0.0, 0.0], {"drift": drift, "seasonal_naive": fc.seasonal_naive}
    )
    assert fc.choose_model(spikes, "drift") == "seasonal_naive"
    assert fc.choose_model(fc.Backtest(3), "drift") == "drift"


def test_no_history_is_a_result_not_an_exception():
    result = fc.forecast_series(series([]), {"seasonal_naive": fc.seasonal_naive})
    assert result.status == fc.NOT_ENOUGH_HISTORY
    assert result.values == () and result.history_months == 0
    assert "not enough history for SKU-1 in EAST: no demand history" in result.message


def test_two_months_are_not_enough_history():
    result = fc.forecast_series(series([3, 4]), {"seasonal_naive": fc.seasonal_naive})
    assert result.status == fc.NOT_ENOUGH_HISTORY
    assert "only 2 month(s)" in result.message and result.start == date(2023, 3, 1)


def test_short_history_forecasts_with_the_default_model_without_backtest():
    result = fc.forecast_series(
        series([5, 6, 7, 8]),
        {"seasonal_naive": fc.seasonal_naive, "drift": drift},
        horizon=3,
        default="drift",
    )
    assert result.status == fc.OK and result.model == "drift"
    assert result.values == (9.0, 10.0, 11.0)
    assert not result.backtest.enough_history and result.backtest.scores == ()


def test_forecast_uses_the_backtest_winner_and_its_stand_in_only_at_the_origins():
    calls = []

    def stand_in(history, h):
        calls.append(len(history))
        return drift(history, h)

    values = [100 + 5 * t for t in range(30)]
    result = fc.forecast_series(
        series(values),
        {"seasonal_naive": fc.seasonal_naive, "drift": drift},
        horizon=2,
        backtest_models={"drift": stand_in},
    )
    assert calls == [21, 24, 27]
    assert result.model == "drift" and result.values == (250.0, 255.0)
    assert result.start == date(2025, 7, 1) and result.history_months == 30


def test_forecasts_are_never_negative():
    falling = [50 - 4 * t for t in range(12)]
    result = fc.forecast_series(series(falling), {"drift": drift}, horizon=12)
    assert min(result.values) == 0.0 and result.values[0] == pytest.approx(2.0)


def test_pooled_wape_weighs_each_series_by_volume():
    a = fc.ModelScore("m", 0.5, None, 5.0, 2, 2, 20.0)
    b = fc.ModelScore("m", 0.0, None, 0.0, 2, 2, 80.0)
    assert fc.pooled_wape([a, b]) == pytest.approx(10 / 100)
    assert fc.pooled_wape([]) is None


def forecast_of(values, start=date(2026, 1, 1)):
    return fc.DemandForecast("A", "R", fc.OK, start, tuple(values), "m")


def test_seasonal_factors_are_month_over_average_month():
    factors = fc.seasonal_factors(forecast_of([20.0] + [10.0] * 10 + [0.0], start=date(2026, 7, 1)))
    average = 120 / 12
    assert factors[7] == Decimal("2.0000")  # July, the first forecast month
    assert factors[8] == Decimal(str(10 / average)).quantize(Decimal("0.0001"))
    assert factors[6] == Decimal("0.2500")  # June: 0 → the floor
    assert sorted(factors) == list(range(1, 13))


def test_seasonal_factors_need_a_year_and_demand():
    assert fc.seasonal_factors(forecast_of([5.0] * 11)) == {}
    assert set(fc.seasonal_factors(forecast_of([0.0] * 12)).values()) == {Decimal("1.0000")}
    short = fc.forecast_series(series([]), {"seasonal_naive": fc.seasonal_naive})
    assert fc.seasonal_factors(short) == {}
    assert fc.seasonal_factors(forecast_of([1.0] + [100.0] * 11), floor=0.25)[1] == Decimal("0.2500")


def test_seasonal_factor_hook_scales_a_replenishment_suggestion():
    factors = fc.seasonal_factors(forecast_of([30.0] + [10.0] * 11))
    hook = fc.seasonal_factor_hook({(7, 3): factors})
    assert hook(7, 3, 1) == factors[1] == Decimal("2.5714")
    assert hook(7, 3, 2) == Decimal("0.8571")
    assert hook(7, 4, 1) == Decimal(1) and hook(8, 3, 1) == Decimal(1)
    assert order_qty(0, 10, 20, 1, hook(7, 3, 1)) == 52  # min 10 → 26, max 20 → 52
    assert order_qty(0, 10, 20, 1, hook(7, 4, 1)) == 20
