"""Elasticity from history with statsmodels: a known log-log elasticity recovered within its
confidence interval, and the flagged default when the history is thin, flat, unrelated to price or
rising with it; unusable observations are left out and counted."""

from __future__ import annotations

import math
import random
from decimal import Decimal

import pytest

from app.adapters.elasticity import DEFAULT_ELASTICITY, PriceObservation, estimate_elasticity


def loglog(elasticity: float, n: int = 60, periods: int = 24, noise: float = 0.1, seed: int = 1):
    """``n`` observations of q = 500 × p^ε × noise at prices between 8 and 12 over ``periods``."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        price = rng.uniform(8, 12)
        qty = 500 * price**elasticity * math.exp(rng.gauss(0, noise))
        out.append(PriceObservation(f"2024-{i % periods:02d}", Decimal(f"{price:.2f}"), qty))
    return out


@pytest.mark.parametrize("true", [-1.8, -0.6])
def test_a_known_elasticity_is_recovered_within_its_interval(true):
    result = estimate_elasticity(loglog(true))
    assert not result.is_default and result.reason == ""
    assert result.ci_low < true < result.ci_high
    assert result.elasticity == result.fitted == pytest.approx(true, abs=0.3)
    assert result.ci_high - result.ci_low < 0.6
    assert result.p_value < 0.001
    assert (result.observations, result.periods, result.excluded) == (60, 24, 0)


def test_thin_history_gives_the_flagged_default():
    result = estimate_elasticity(loglog(-1.8, n=5))
    assert result.is_default and result.elasticity == DEFAULT_ELASTICITY == -1.2
    assert "too little history: 5 observations over 5 periods" in result.reason
    assert result.fitted is None and result.ci_low is None


def test_few_periods_give_the_default_even_with_many_observations():
    result = estimate_elasticity(loglog(-1.8, n=40, periods=3))
    assert result.is_default and result.periods == 3


def test_no_history_gives_the_default():
    result = estimate_elasticity([])
    assert result.is_default and result.observations == 0 and result.elasticity == -1.2


def test_a_price_that_never_moved_gives_the_default():
    flat = [PriceObservation(i, 10, 100 + i) for i in range(20)]
    result = estimate_elasticity(flat)
    assert result.is_default and "too little price variation: 0.0%" in result.reason


def test_demand_unrelated_to_price_is_not_significant():
    rng = random.Random(4)
    noise = [PriceObservation(i, rng.uniform(8, 12), rng.uniform(50, 150)) for i in range(30)]
    result = estimate_elasticity(noise, default=-1.5)
    assert result.is_default and result.elasticity == -1.5
    assert result.reason.startswith("not significant")
    assert result.fitted is not None and result.ci_low < result.fitted < result.ci_high
    assert result.p_value >= 0.05


def test_demand_rising_with_price_is_not_taken_as_an_elasticity():
    result = estimate_elasticity(loglog(1.5))
    assert result.is_default and "demand rose with price" in result.reason
    assert result.fitted == pytest.approx(1.5, abs=0.3)


def test_unusable_observations_are_left_out_and_counted():
    data = loglog(-1.8) + [
        PriceObservation("x", 10, 0),
        PriceObservation("x", 0, 10),
        PriceObservation("x", -1, 10),
        PriceObservation("x", float("nan"), 10),
        PriceObservation("x", "abc", 10),  # type: ignore[arg-type]
    ]
    result = estimate_elasticity(data)
    assert (result.observations, result.excluded) == (60, 5)
    assert not result.is_default
