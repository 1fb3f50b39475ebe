"""What-if arithmetic: constant-elasticity volume response, revenue and margin with and without a
price change or a promotion, rounding that adds up, and bad input refused field by field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.domain.errors import ValidationFailed
from app.domain.what_if import PriceChange, Promotion, respond, simulate

D = Decimal
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def test_a_price_cut_raises_volume_by_the_elasticity():
    result = simulate({JAN: D(100)}, D(10), D(6), D(-2), PriceChange(D(-10)))
    month = result.months[0]
    assert month.new_price == D("9.0000")
    assert result.without.volume == D("100.00") and result.without.revenue == D("1000.00")
    assert result.without.margin == D("400.00")
    # 100 × 0.9^-2 = 123.4567… units
    assert result.with_change.volume == D("123.46")
    assert result.with_change.revenue == D("1111.14")  # 9 × 123.46
    assert result.with_change.margin == D("1111.14") - D("740.76")  # cost 6 × 123.46
    assert result.volume_change_pct == D("23.46")
    assert result.difference.margin == D("370.38") - D("400.00")


def test_unit_elasticity_keeps_revenue_and_zero_elasticity_keeps_volume():
    unit = simulate({JAN: D(200)}, D(5), D(1), -1, PriceChange(D(25)))
    assert unit.with_change.revenue == unit.without.revenue == D("1000.00")
    assert unit.with_change.volume == D("160.00")
    flat = simulate({JAN: D(200)}, D(5), D(1), 0.0, PriceChange(D(25)))
    assert flat.with_change.volume == D("200.00") and flat.with_change.revenue == D("1250.00")
    assert flat.difference.margin == D("250.00")


def test_a_promotion_changes_only_its_months():
    base = {JAN: D(100), FEB: D(80), MAR: D(120)}
    result = simulate(base, D(20), D(12), D("-1.5"), Promotion(D(20), frozenset({date(2026, 2, 14)})))
    jan, feb, mar = result.months
    assert [m.month for m in result.months] == [JAN, FEB, MAR]
    assert jan.with_change == jan.without and mar.with_change == mar.without
    assert feb.new_price == D("16.0000")
    assert feb.with_change.volume == (D(80) * D("0.8") ** D("-1.5")).quantize(D("0.01"))
    assert feb.with_change.margin < feb.without.margin  # 20 % off a 40 % margin costs margin here
    assert result.with_change.volume == sum(m.with_change.volume for m in result.months)
    assert result.with_change.revenue == sum(m.with_change.revenue for m in result.months)


def test_no_volume_stays_no_volume():
    result = simulate({JAN: D(0)}, D(10), D(5), -3, PriceChange(D(-50)))
    assert result.with_change.volume == D("0.00") and result.volume_change_pct is None
    assert respond(D(0), D(10), D(5), D(-3)) == D(0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"base": {}}, "base"),
        ({"base": {JAN: D(-1)}}, "base"),
        ({"price": D(0)}, "price"),
        ({"unit_cost": D(-1)}, "unit_cost"),
        ({"elasticity": float("nan")}, "elasticity"),
        ({"elasticity": D(-50)}, "elasticity"),
        ({"change": PriceChange(D(-100))}, "pct"),
        ({"change": Promotion(D(0), frozenset({JAN}))}, "cut_pct"),
        ({"change": Promotion(D(100), frozenset({JAN}))}, "cut_pct"),
        ({"change": Promotion(D(10), frozenset({MAR}))}, "months"),
    ],
)
def test_bad_input_is_refused_naming_the_field(kwargs, field):
    args = {"base": {JAN: D(10)}, "price": D(10), "unit_cost": D(5), "elasticity": D(-1)}
    args |= {"change": PriceChange(D(5))} | kwargs
    with pytest.raises(ValidationFailed) as refused:
        simulate(**args)
    assert field in refused.value.errors


def test_a_change_that_rounds_the_price_to_nothing_is_refused():
    with pytest.raises(ValidationFailed) as refused:
        simulate({JAN: D(1)}, D("0.0001"), D(0), D(-1), PriceChange(D("-99.9")))
    assert refused.value.errors == {"pct": "leaves no price"}
