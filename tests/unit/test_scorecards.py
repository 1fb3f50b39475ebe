"""Scorecards: periods, points by bands and lines, missing values, totals, ranks, comparisons, suggestions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from app.domain.errors import ValidationFailed
from app.domain.kpi_sets import parse_kpi_set
from app.domain.scorecards import Period, compare, period_of, rank, score, score_period, suggestions


def kpi(key, metric, weight, target, direction="higher", missing="zero", **scoring):
    return {
        "key": key,
        "name": {"zh": key, "en": key},
        "metric": metric,
        "weight": weight,
        "target": target,
        "direction": direction,
        "missing": missing,
        "scoring": scoring,
    }


SALES = kpi(
    "sales",
    "target_attainment",
    50,
    1,
    method="bands",
    basis="value",
    bands=[{"to": 0.8, "points": 0}, {"from": 0.8, "to": 1, "points": 60}, {"from": 1, "points": 100}],
)
TURNOVER = kpi("turnover", "stock_turnover_days", 30, 30, "lower", method="linear", basis="value", floor=90)
GROWTH = kpi(
    "growth", "sales_growth_yoy", 20, 0.1, missing="exclude", method="linear", basis="value", floor=-0.1
)
SUGGESTIONS = [
    {
        "key": "promote",
        "severity": "warning",
        "when": {
            "any": [
                {"metric": "stock_age_days", "op": ">", "value": 90},
                {
                    "all": [
                        {"metric": "stock_age_days", "op": ">", "value": 60},
                        {"kpi": "turnover", "op": "<", "value": 50},
                    ]
                },
            ]
        },
        "message": {"zh": "建议促销", "en": "Run a promotion"},
    },
    {
        "key": "review_credit",
        "severity": "critical",
        "when": {
            "all": [
                {"kpi": "sales", "op": "<", "value": 60},
                {"metric": "credit_utilisation", "op": ">=", "value": 0.9},
            ]
        },
        "message": {"zh": "复核信用", "en": "Review credit"},
    },
]


def make_set(*kpis, period="month", suggestions_=SUGGESTIONS):
    document = {
        "schema_version": 1,
        "key": "test",
        "name": {"zh": "测试", "en": "Test"},
        "period": period,
        "kpis": list(kpis or (SALES, TURNOVER, GROWTH)),
        "suggestions": suggestions_,
    }
    return parse_kpi_set(document, "test.yaml")


KPIS = make_set()
FULL = {"target_attainment": D("0.9"), "stock_turnover_days": 45, "sales_growth_yoy": D("0.05")}


# ---- periods ----


@pytest.mark.parametrize(
    ("kind", "day", "label", "start", "end"),
    [
        ("month", date(2026, 2, 28), "2026-02", date(2026, 2, 1), date(2026, 3, 1)),
        ("month", date(2026, 12, 31), "2026-12", date(2026, 12, 1), date(2027, 1, 1)),
        ("quarter", date(2026, 5, 15), "2026-Q2", date(2026, 4, 1), date(2026, 7, 1)),
        ("quarter", date(2026, 10, 1), "2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
        ("year", date(2026, 7, 4), "2026", date(2026, 1, 1), date(2027, 1, 1)),
    ],
)
def test_the_period_containing_a_day(kind, day, label, start, end):
    period = period_of(kind, day)
    assert (period.label, period.start, period.end) == (label, start, end)
    assert period.start <= day < period.end


def test_previous_period_and_same_period_last_year_cross_year_boundaries():
    assert Period("month", 2026, 1).previous() == Period("month", 2025, 12)
    assert Period("quarter", 2026, 1).previous() == Period("quarter", 2025, 4)
    assert Period("quarter", 2026, 3).previous() == Period("quarter", 2026, 2)
    assert Period("year", 2026).previous() == Period("year", 2025)
    assert Period("month", 2026, 3).same_last_year() == Period("month", 2025, 3)
    assert Period("quarter", 2026, 2).same_last_year().label == "2025-Q2"


def test_impossible_periods_are_refused():
    with pytest.raises(ValidationFailed, match="week"):
        period_of("week", date(2026, 1, 1))
    with pytest.raises(ValidationFailed):
        Period("quarter", 2026, 5)
    with pytest.raises(ValidationFailed):
        Period("month", 2026, 0)


# ---- points ----


@pytest.mark.parametrize(
    ("attainment", "points"),
    [("0.7999", 0), ("0.8", 60), ("0.9999", 60), ("1", 100), ("1.5", 100), ("-0.2", 0)],
)
def test_bands_are_half_open_so_a_boundary_belongs_to_the_band_above(attainment, points):
    card = score(KPIS, {**FULL, "target_attainment": D(attainment)})
    assert card.kpi("sales").points == points


@pytest.mark.parametrize(
    ("days", "points"), [(30, 100), (10, 100), (45, "75.00"), (60, 50), (90, 0), (200, 0)]
)
def test_a_line_gives_100_at_the_target_and_0_at_the_floor_clamped_beyond(days, points):
    assert score(KPIS, {**FULL, "stock_turnover_days": days}).kpi("turnover").points == D(points)


def test_a_figure_no_band_holds_scores_zero():
    gapless_from_half = kpi(
        "sales",
        "target_attainment",
        100,
        1,
        method="bands",
        basis="value",
        bands=[{"from": 0.5, "points": 100}],
    )
    kpi_set = make_set(gapless_from_half, suggestions_=[])
    assert score(kpi_set, {"target_attainment": D("0.4")}).kpi("sales").points == 0
    assert score(kpi_set, {"target_attainment": D("0.5")}).kpi("sales").points == 100


def test_attainment_basis_divides_by_the_target_or_into_it_when_lower_is_better():
    sales = kpi(
        "sales",
        "sales_amount",
        50,
        1000000,
        method="bands",
        bands=[{"to": 0.9, "points": 0}, {"from": 0.9, "to": 1, "points": 80}, {"from": 1, "points": 100}],
    )
    days = kpi("days", "stock_turnover_days", 50, 30, "lower", method="linear", floor=0)
    kpi_set = make_set(sales, days, suggestions_=[])
    card = score(kpi_set, {"sales_amount": D("900000.00"), "stock_turnover_days": 60})
    assert card.kpi("sales").figure == D("0.9") and card.kpi("sales").points == 80
    assert card.kpi("days").figure == D("0.5") and card.kpi("days").points == 50
    unbeatable = score(kpi_set, {"sales_amount": 0, "stock_turnover_days": 0})
    assert unbeatable.kpi("days").points == 100 and unbeatable.kpi("sales").points == 0


def test_a_dealers_own_target_replaces_the_default_and_a_bad_one_is_refused_naming_the_kpi():
    sales = kpi("sales", "sales_amount", 100, 1000, method="linear", floor=0.5)
    kpi_set = make_set(sales, suggestions_=[])
    assert score(kpi_set, {"sales_amount": 1000}).kpi("sales").points == 100
    card = score(kpi_set, {"sales_amount": 1000}, targets={"sales": D(2000)})
    assert (card.kpi("sales").target, card.kpi("sales").points) == (D(2000), D(0))
    assert score(kpi_set, {"sales_amount": 1500}, targets={"sales": D(2000)}).kpi("sales").points == 50
    with pytest.raises(ValidationFailed) as caught:
        score(kpi_set, {"sales_amount": 1000}, targets={"sales": D(0)})
    assert "above 0" in caught.value.errors["sales"]
    with pytest.raises(ValidationFailed) as caught:
        score(KPIS, FULL, targets={"turnover": D(95)})
    assert "below the floor 90" in caught.value.errors["turnover"]
    with pytest.raises(ValidationFailed) as caught:
        score(KPIS, FULL, targets={"volume": D(95)})
    assert caught.value.errors == {"volume": "the set test has no such KPI"}


# ---- totals and missing values ----


def test_the_total_is_the_weighted_sum_of_points():
    card = score(KPIS, FULL)  # sales 60 × 50 % + turnover 75 × 30 % + growth 75 × 20 %
    assert [k.points for k in card.kpis] == [60, D("75.00"), D("75.00")]
    assert [k.contribution for k in card.kpis] == [D(30), D("22.5"), D(15)]
    assert card.total == D("67.50") and card.missing == ()


def test_the_total_is_rounded_half_up_to_hundredths():
    a = kpi("a", "order_on_time_rate", 30, 1, method="linear", basis="value", floor=0)
    b = kpi("b", "price_compliance_rate", 70, 1, method="linear", basis="value", floor=0)
    card = score(
        make_set(a, b, suggestions_=[]),
        {"order_on_time_rate": D("0.3333"), "price_compliance_rate": D("0.6667")},
    )
    assert card.total == D("56.67")  # 9.999 + 46.669 = 56.668


def test_a_missing_value_scores_zero_and_is_flagged_by_default():
    card = score(KPIS, {"stock_turnover_days": 45, "sales_growth_yoy": D("0.05")})
    sales = card.kpi("sales")
    assert (sales.missing, sales.excluded, sales.points, sales.weight) == (True, False, 0, 50)
    assert card.missing == ("sales",) and card.total == D("37.50")


def test_a_missing_value_of_an_excluded_kpi_re_normalises_the_other_weights():
    card = score(KPIS, {"target_attainment": D("0.9"), "stock_turnover_days": 45})
    growth = card.kpi("growth")
    assert (growth.missing, growth.excluded, growth.weight) == (True, True, 0)
    assert (card.kpi("sales").weight, card.kpi("turnover").weight) == (D("62.5"), D("37.5"))
    assert card.total == D("65.63")  # (60 × 50 + 75 × 30) / 80


def test_none_is_missing_and_no_values_at_all_give_zero_not_an_error():
    assert score(KPIS, {**FULL, "target_attainment": None}).missing == ("sales",)
    only_excluded = make_set(
        kpi(
            "growth", "sales_growth_yoy", 100, 0.1, missing="exclude", method="linear", basis="value", floor=0
        ),
        suggestions_=[],
    )
    card = score(only_excluded, {})
    assert card.total == 0 and card.kpi("growth").excluded


@pytest.mark.parametrize("bad", [0.9, "0.9", True, D("NaN")])
def test_a_value_that_is_not_a_decimal_or_int_is_refused_naming_the_metric(bad):
    with pytest.raises(ValidationFailed) as caught:
        score(KPIS, {**FULL, "target_attainment": bad})
    assert "target_attainment" in caught.value.errors


# ---- ranking ----


def test_ranks_within_groups_with_ties_sharing_a_rank_listed_by_dealer_code():
    totals = {"D4": D(80), "D2": D(90), "D3": D(80), "D1": D(70), "E1": D(50), "E2": D(60)}
    groups = {"D1": "east", "D2": "east", "D3": "east", "D4": "east", "E1": "west", "E2": "west"}
    ranked = [(r.group, r.dealer, r.rank, r.size) for r in rank(totals, groups)]
    assert ranked == [
        ("east", "D2", 1, 4),
        ("east", "D3", 2, 4),
        ("east", "D4", 2, 4),
        ("east", "D1", 4, 4),
        ("west", "E2", 1, 2),
        ("west", "E1", 2, 2),
    ]


def test_ranking_is_deterministic_whatever_the_input_order_and_ungrouped_dealers_share_one_group():
    one = rank({"B": D(1), "A": D(1), "C": D(2)})
    two = rank({"C": D(2), "A": D(1), "B": D(1)})
    assert one == two
    assert [(r.dealer, r.rank, r.group) for r in one] == [("C", 1, ""), ("A", 2, ""), ("B", 2, "")]


# ---- comparison ----


def test_compare_gives_total_and_kpi_deltas_and_none_where_a_side_is_missing():
    now = score(KPIS, FULL)
    before = score(KPIS, {"target_attainment": D("1.1"), "stock_turnover_days": 60})
    change = compare(now, before)
    assert change.total == now.total - before.total
    assert change.kpis == {"sales": D(-40), "turnover": D(25), "growth": None}
    empty = compare(now, None)
    assert empty.total is None and set(empty.kpis.values()) == {None}


def test_score_period_compares_with_the_previous_month_and_the_same_month_last_year():
    march = Period("month", 2026, 3)
    values = {
        march: FULL,
        Period("month", 2026, 2): {**FULL, "target_attainment": D("0.7")},
        Period("month", 2025, 3): {**FULL, "target_attainment": D("1.2")},
    }
    result = score_period(KPIS, march, values)
    assert result.card.total == D("67.50")
    assert result.vs_previous.kpis["sales"] == 60 and result.vs_previous.total == D(30)
    assert result.vs_last_year.kpis["sales"] == -40
    without_history = score_period(KPIS, march, {march: FULL})
    assert without_history.vs_previous.earlier is None and without_history.vs_last_year.total is None


def test_score_period_uses_each_periods_own_targets_and_refuses_a_wrong_kind():
    sales = kpi("sales", "sales_amount", 100, 1000, method="linear", floor=0)
    kpi_set = make_set(sales, period="quarter", suggestions_=[])
    q2, q1 = Period("quarter", 2026, 2), Period("quarter", 2026, 1)
    result = score_period(
        kpi_set, q2, {q2: {"sales_amount": 500}, q1: {"sales_amount": 500}}, {q1: {"sales": D(500)}}
    )
    assert (result.card.total, result.vs_previous.earlier.total, result.vs_previous.total) == (50, 100, -50)
    with pytest.raises(ValidationFailed, match="quarters, not months"):
        score_period(kpi_set, Period("month", 2026, 4), {})
    with pytest.raises(ValidationFailed, match="no metric values for 2026-Q2"):
        score_period(kpi_set, q2, {})


# ---- suggestions ----


def test_suggestions_fire_on_their_conditions_most_severe_first_with_the_facts():
    card = score(
        KPIS, {**FULL, "target_attainment": D("0.5"), "credit_utilisation": D("0.95"), "stock_age_days": 120}
    )
    found = suggestions(KPIS, card)
    assert [s.key for s in found] == ["review_credit", "promote"]
    assert found[0].because == ("KPI sales points 0 < 60", "credit_utilisation 0.95 >= 0.9")
    assert found[1].because == ("stock_age_days 120 > 90",) and found[1].message_zh == "建议促销"


def test_a_nested_all_group_fires_only_when_each_of_its_conditions_holds():
    slow = {**FULL, "stock_age_days": 70, "stock_turnover_days": 80}  # turnover points 16.67 < 50
    assert [s.key for s in suggestions(KPIS, score(KPIS, slow))] == ["promote"]
    assert suggestions(KPIS, score(KPIS, {**slow, "stock_turnover_days": 40})) == []


def test_a_condition_on_a_missing_metric_or_kpi_never_holds():
    no_sales = score(KPIS, {"stock_turnover_days": 45, "credit_utilisation": D("0.99")})
    assert no_sales.kpi("sales").points == 0  # scored 0, but missing: the credit rule must not fire
    assert suggestions(KPIS, no_sales) == []
    not_equal = make_set(
        SALES,
        TURNOVER,
        GROWTH,
        suggestions_=[
            {
                "key": "x",
                "severity": "info",
                "when": {"all": [{"metric": "stock_age_days", "op": "!=", "value": 0}]},
                "message": {"zh": "x", "en": "x"},
            }
        ],
    )
    assert suggestions(not_equal, score(not_equal, FULL)) == []
