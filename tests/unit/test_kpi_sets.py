"""KPI sets: the domain checks a schema cannot express, each refusal naming file, KPI and field."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from app.domain.kpi_metrics import METRICS, metric, qualification_value
from app.domain.kpi_sets import Band, KpiSetRefused, describe, parse_kpi_set

FILE = "rules/kpi/test.yaml"


def bands(*ranges):
    """(from, to, points) triples → band mappings (None leaves a bound open)."""
    out = []
    for low, high, points in ranges:
        band = {"points": points}
        if low is not None:
            band["from"] = low
        if high is not None:
            band["to"] = high
        out.append(band)
    return out


def kpi(key, metric_key, weight, target=1, direction="higher", **scoring):
    scoring = scoring or {"method": "bands", "basis": "value", "bands": bands((None, 1, 0), (1, None, 100))}
    return {
        "key": key,
        "name": {"zh": key, "en": key},
        "metric": metric_key,
        "weight": weight,
        "target": target,
        "direction": direction,
        "scoring": scoring,
    }


BASE = {
    "schema_version": 1,
    "key": "test",
    "name": {"zh": "测试", "en": "Test"},
    "period": "month",
    "kpis": [
        kpi("attainment", "target_attainment", 60),
        kpi("turnover", "stock_turnover_days", 40, 30, "lower", method="linear", basis="value", floor=90),
    ],
    "suggestions": [
        {
            "key": "review_credit",
            "severity": "critical",
            "when": {
                "all": [
                    {"kpi": "attainment", "op": "<", "value": 60},
                    {"any": [{"metric": "credit_utilisation", "op": ">=", "value": 0.9}]},
                ]
            },
            "message": {"zh": "复核信用", "en": "Review credit"},
        }
    ],
}


def doc(**changes):
    result = copy.deepcopy(BASE)
    result.update(changes)
    return result


def refusal(document) -> list[dict]:
    with pytest.raises(KpiSetRefused) as caught:
        parse_kpi_set(document, FILE)
    return caught.value.problems


def test_a_valid_document_becomes_a_set_with_decimal_figures_and_the_metrics_it_needs():
    kpi_set = parse_kpi_set(doc(), FILE)
    assert [k.key for k in kpi_set.kpis] == ["attainment", "turnover"]
    assert kpi_set.kpi("turnover").floor == Decimal(90)
    assert kpi_set.kpi("attainment").bands[1] == Band(Decimal(1), None, Decimal(100))
    assert kpi_set.metrics_needed() == ("target_attainment", "stock_turnover_days", "credit_utilisation")
    assert kpi_set.suggestions[0].when.items[1].items[0].value == Decimal("0.9")


def test_float_figures_from_yaml_keep_their_written_value():
    line = kpi("attainment", "target_attainment", 100, target=0.1, method="linear", floor=0.05)
    document = doc(kpis=[line])
    assert parse_kpi_set(document, FILE).kpi("attainment").target == Decimal("0.1")


def test_weights_not_adding_up_to_100_are_refused_with_each_weight_listed():
    document = doc()
    document["kpis"][1]["weight"] = 35
    [problem] = refusal(document)
    assert problem["file"] == FILE and problem["field"] == "kpis[*].weight"
    assert "95 %, not 100 %" in problem["message"] and "turnover 35" in problem["message"]


def test_weights_may_be_fractions_that_add_up_exactly():
    document = doc()
    document["kpis"][0]["weight"] = 33.3
    document["kpis"][1]["weight"] = 66.7
    assert parse_kpi_set(document, FILE).kpi("attainment").weight == Decimal("33.3")


def test_an_unknown_metric_is_refused_naming_the_kpi_and_listing_the_known_ones():
    document = doc()
    document["kpis"][0]["metric"] = "sales_volume"
    [problem] = refusal(document)
    assert (problem["kpi"], problem["field"]) == ("attainment", "metric")
    assert "unknown metric 'sales_volume'" in problem["message"] and "target_attainment" in problem["message"]


def test_a_kpi_key_used_twice_is_refused():
    document = doc()
    document["kpis"][1]["key"] = "attainment"
    problems = refusal(document)
    [problem] = [p for p in problems if p["field"] == "key"]
    assert problem["kpi"] == "attainment" and "kpis[0] and kpis[1]" in problem["message"]


@pytest.mark.parametrize(
    ("ranges", "field", "words"),
    [
        (((None, 0.9, 0), (0.8, None, 100)), "scoring.bands[1]", "overlap"),
        (((None, 0.8, 0), (0.9, None, 100)), "scoring.bands[1]", "gap between 0.8 and 0.9"),
        (((None, 0.8, 0), (None, None, 100)), "scoring.bands[1]", "overlap"),
        (((0.5, None, 0), (0.9, None, 100)), "scoring.bands[1]", "overlap"),
        (((0.9, 0.8, 0),), "scoring.bands[0]", "must be below"),
    ],
)
def test_overlapping_gapped_or_reversed_bands_are_refused(ranges, field, words):
    document = doc()
    document["kpis"][0]["scoring"]["bands"] = bands(*ranges)
    [problem] = refusal(document)
    assert (problem["kpi"], problem["field"]) == ("attainment", field)
    assert words in problem["message"]


def test_bands_given_in_any_order_are_accepted_when_they_tile_the_line():
    document = doc()
    document["kpis"][0]["scoring"]["bands"] = bands((1, None, 100), (None, 0.8, 0), (0.8, 1, 60))
    assert len(parse_kpi_set(document, FILE).kpi("attainment").bands) == 3


@pytest.mark.parametrize(
    ("direction", "basis", "target", "floor", "words"),
    [
        ("higher", "value", 0.95, 0.99, "must be below the target 0.95"),
        ("lower", "value", 30, 10, "must be above the target 30"),
        ("lower", "attainment", 30, 1.5, "must be below the target 1"),  # attainment: higher is better
    ],
)
def test_a_floor_on_the_wrong_side_of_the_target_is_refused(direction, basis, target, floor, words):
    document = doc()
    document["kpis"][1] = kpi(
        "turnover", "stock_turnover_days", 40, target, direction, method="linear", basis=basis, floor=floor
    )
    [problem] = refusal(document)
    assert (problem["kpi"], problem["field"]) == ("turnover", "scoring.floor")
    assert words in problem["message"]


def test_attainment_is_the_default_basis_and_needs_a_positive_target():
    document = doc()
    document["kpis"][1]["scoring"] = {"method": "linear", "floor": 0.5}
    assert parse_kpi_set(document, FILE).kpi("turnover").basis == "attainment"
    document["kpis"][1]["target"] = 0
    [problem] = refusal(document)
    assert (problem["kpi"], problem["field"]) == ("turnover", "target")
    assert "above 0" in problem["message"]


def test_a_floor_on_band_scoring_is_refused_rather_than_ignored():
    document = doc()
    document["kpis"][0]["scoring"]["floor"] = 0.5
    [problem] = refusal(document)
    assert (problem["kpi"], problem["field"]) == ("attainment", "scoring.floor")


def test_a_non_finite_number_is_refused():
    document = doc()
    document["kpis"][1]["target"] = float("nan")
    problems = refusal(document)
    assert any(p["field"] == "target" and "finite" in p["message"] for p in problems)


def test_a_suggestion_naming_an_unknown_metric_or_kpi_is_refused_with_the_condition_path():
    document = doc()
    conditions = document["suggestions"][0]["when"]["all"]
    conditions[0]["kpi"] = "growth"
    conditions[1]["any"][0]["metric"] = "credit_use"
    problems = refusal(document)
    assert [(p["suggestion"], p["field"]) for p in problems] == [
        ("review_credit", "when.all[0].kpi"),
        ("review_credit", "when.all[1].any[0].metric"),
    ]
    assert "unknown KPI 'growth' (this set has: attainment, turnover)" in problems[0]["message"]
    assert "unknown metric 'credit_use'" in problems[1]["message"]


def test_a_suggestion_may_test_a_metric_that_no_kpi_scores():
    document = doc()
    document["suggestions"][0]["when"] = {"all": [{"metric": "stock_age_days", "op": ">", "value": 90}]}
    assert parse_kpi_set(document, FILE).metrics_needed()[-1] == "stock_age_days"


def test_a_suggestion_key_used_twice_is_refused():
    document = doc()
    document["suggestions"].append(copy.deepcopy(document["suggestions"][0]))
    [problem] = refusal(document)
    assert (problem["suggestion"], problem["field"]) == ("review_credit", "key")


@pytest.mark.parametrize("version", [2, None, "1", True])
def test_an_unsupported_schema_version_is_refused_before_anything_else(version):
    document = doc(schema_version=version, kpis="not even a list")
    [problem] = refusal(document)
    assert problem["field"] == "schema_version" and "unsupported schema version" in problem["message"]


def test_every_problem_is_reported_and_the_message_names_file_kpi_and_field():
    document = doc()
    document["kpis"][0]["metric"] = "nope"
    document["kpis"][1]["weight"] = 10
    with pytest.raises(KpiSetRefused) as caught:
        parse_kpi_set(document, FILE)
    assert len(caught.value.problems) == 2
    assert str(caught.value).startswith(f"{FILE}: KPI 'attainment', metric: unknown metric 'nope'")
    assert "(and 1 more)" in str(caught.value)
    assert caught.value.errors[f"{FILE}: KPI 'attainment', metric"].startswith("unknown metric")


def test_describe_without_a_kpi_or_field_names_the_file_only():
    assert describe({"file": "a.yaml", "message": "broken"}) == "a.yaml: broken"
    assert describe({"file": "a.yaml", "field": "period", "message": "bad"}) == "a.yaml: period: bad"


def test_the_metric_library_covers_the_issue_list_with_units_and_directions():
    assert {
        "sales_amount",
        "sales_growth_yoy",
        "sales_growth_mom",
        "target_attainment",
        "order_on_time_rate",
        "stock_turnover_days",
        "price_compliance_rate",
        "receipt_confirmation_days",
        "credit_utilisation",
        "stock_age_days",
        "qualification_status",
    } <= set(METRICS)
    assert metric("stock_turnover_days").unit == "days" and metric("stock_turnover_days").better == "lower"
    assert all(m.name_zh and m.name_en and m.meaning for m in METRICS.values())
    with pytest.raises(KeyError, match="unknown metric 'x'"):
        metric("x")


def test_qualification_value_is_the_worst_licence_state():
    assert qualification_value(["valid", "valid"]) == 1
    assert qualification_value(["valid", "expiring"]) == Decimal("0.5")
    assert qualification_value(["expiring", "expired"]) == 0
    assert qualification_value([]) == 0
