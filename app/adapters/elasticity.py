"""Price elasticity of demand from history (docs/forecast.md): ordinary least squares of
log(quantity) on log(price), so the slope is the elasticity, with its 95 % confidence interval.

The estimate is used only when the history can carry it: at least ``MIN_OBSERVATIONS``
observations over ``MIN_PERIODS`` distinct periods, prices spreading at least ``MIN_PRICE_SPREAD``
(max/min − 1), and a slope that is negative and significant at 5 %. Otherwise the result is
``DEFAULT_ELASTICITY``, flagged ``is_default`` with the reason, and still reports whatever fit
there was. Observations with a price or quantity of 0 or less (no logarithm) are left out and
counted.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import statsmodels.api as sm

DEFAULT_ELASTICITY = -1.2  # a common price response for durable goods sold through dealers
MIN_OBSERVATIONS, MIN_PERIODS = 12, 6
MIN_PRICE_SPREAD = 0.05  # highest price at least 5 % above the lowest
ALPHA = 0.05


@dataclass(frozen=True)
class PriceObservation:
    """Quantity sold at one price in one period (a month, a week …) by any grouping."""

    period: Hashable
    price: Decimal | float
    quantity: Decimal | float


@dataclass(frozen=True)
class ElasticityEstimate:
    """``elasticity`` is the value to use: the fitted slope, or the default (``is_default``,
    ``reason`` says why). ``fitted``/``ci_low``/``ci_high``/``p_value`` describe the fit, None
    when none was possible; ``observations`` and ``periods`` are the data the fit used."""

    elasticity: float
    is_default: bool
    reason: str
    fitted: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    observations: int
    periods: int
    excluded: int  # observations left out (price or quantity of 0 or less, or not a number)


def _usable(obs: PriceObservation) -> tuple[float, float] | None:
    try:
        price, qty = float(obs.price), float(obs.quantity)
    except (TypeError, ValueError, ArithmeticError):
        return None
    if not (math.isfinite(price) and math.isfinite(qty)) or price <= 0 or qty <= 0:
        return None
    return price, qty


def estimate_elasticity(
    observations: Iterable[PriceObservation], default: float = DEFAULT_ELASTICITY
) -> ElasticityEstimate:
    """The log-log elasticity of the observations, or ``default`` when they are too thin."""
    rows = list(observations)
    kept = [(o.period, u) for o in rows if (u := _usable(o)) is not None]
    n, periods = len(kept), len({p for p, _ in kept})
    excluded = len(rows) - n

    def fallback(reason: str, fit: tuple[float, float, float, float] | None = None) -> ElasticityEstimate:
        fitted, low, high, p = fit if fit else (None, None, None, None)
        return ElasticityEstimate(default, True, reason, fitted, low, high, p, n, periods, excluded)

    if n < MIN_OBSERVATIONS or periods < MIN_PERIODS:
        return fallback(
            f"too little history: {n} observations over {periods} periods "
            f"(at least {MIN_OBSERVATIONS} over {MIN_PERIODS} needed)"
        )
    prices = np.array([u[0] for _, u in kept])
    spread = prices.max() / prices.min() - 1
    if spread < MIN_PRICE_SPREAD:
        return fallback(
            f"too little price variation: {spread:.1%} between the lowest and highest price "
            f"(at least {MIN_PRICE_SPREAD:.0%} needed)"
        )
    x = sm.add_constant(np.log(prices))
    y = np.log(np.array([u[1] for _, u in kept]))
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            result = sm.OLS(y, x).fit()
            low, high = (float(v) for v in result.conf_int(ALPHA)[1])
            fit = (float(result.params[1]), low, high, float(result.pvalues[1]))
    except (ValueError, np.linalg.LinAlgError) as exc:
        return fallback(f"the regression failed: {exc}")
    if not all(math.isfinite(v) for v in fit):
        return fallback("the regression gave no finite estimate")
    slope, low, high, p = fit
    if p >= ALPHA:
        return fallback(f"not significant (p = {p:.2f}; 95 % interval {low:.2f} to {high:.2f})", fit)
    if slope >= 0:
        return fallback(f"demand rose with price ({slope:.2f}): likely other causes, not the price", fit)
    return ElasticityEstimate(slope, False, "", slope, low, high, p, n, periods, excluded)
