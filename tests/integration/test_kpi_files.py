"""KPI set files: the shipped sets validate; a bad file is refused naming the file, the KPI and the field."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from app.adapters.kpi_files import (
    KPI_DIR,
    SCHEMA,
    check_document,
    load_kpi_file,
    load_kpi_sets,
    load_kpi_text,
)
from app.domain.kpi_metrics import METRICS
from app.domain.kpi_sets import KpiSetRefused
from app.domain.scorecards import score, suggestions

DEFAULT = (KPI_DIR / "default.yaml").read_text(encoding="utf-8")


def refused(text: str, tmp_path: Path, name: str = "bad.yaml") -> list[dict]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KpiSetRefused) as caught:
        load_kpi_file(path)
    assert str(caught.value).startswith(str(path))  # the message names the file
    return caught.value.problems


def edited(old: str, new: str) -> str:
    assert DEFAULT.count(old) == 1, old
    return DEFAULT.replace(old, new)


def test_the_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(SCHEMA)


def test_every_shipped_set_validates_and_its_weights_add_up_to_100():
    sets = load_kpi_sets()
    assert {"default", "quarterly"} <= set(sets)
    assert sets["default"].period == "month" and sets["quarterly"].period == "quarter"
    for kpi_set in sets.values():
        assert sum(k.weight for k in kpi_set.kpis) == 100
        assert set(kpi_set.metrics_needed()) <= set(METRICS)
        assert kpi_set.source == f"rules/kpi/{kpi_set.key}.yaml"


def test_the_default_set_scores_a_realistic_dealer_and_suggests_a_promotion_and_a_credit_review():
    kpi_set = load_kpi_sets()["default"]
    values = {
        "target_attainment": Decimal("0.55"),
        "sales_growth_yoy": Decimal("-0.02"),
        "order_on_time_rate": Decimal("0.92"),
        "stock_turnover_days": 52,
        "price_compliance_rate": Decimal("0.99"),
        "receipt_confirmation_days": Decimal("1.5"),
        "qualification_status": Decimal(1),
        "credit_utilisation": Decimal("0.93"),
        "stock_age_days": 104,
    }
    card = score(kpi_set, values)
    # attainment 0 × 30, growth 40 × 15, timeliness 88 × 10, turnover 60 × 15, price 100 × 15,
    # receipt 100 × 5, qualification 100 × 10
    assert card.total == Decimal("53.80")
    assert [s.key for s in suggestions(kpi_set, card)] == ["review_credit", "promote_aged_stock"]


def test_a_shipped_set_edited_to_break_its_weights_is_refused(tmp_path):
    text = edited(
        "    metric: target_attainment\n    weight: 30", "    metric: target_attainment\n    weight: 25"
    )
    [problem] = refused(text, tmp_path)
    assert problem["field"] == "kpis[*].weight" and "95 %, not 100 %" in problem["message"]


@pytest.mark.parametrize(
    ("old", "new", "kpi", "field", "words"),
    [
        (
            "metric: stock_turnover_days",
            "metric: stock_days",
            "turnover",
            "metric",
            "unknown metric 'stock_days'",
        ),
        ("- key: growth_yoy", "- key: attainment", "attainment", "key", "used more than once"),
        (
            "{from: 0.8, to: 0.9, points: 60}",
            "{from: 0.85, to: 0.9, points: 60}",
            "attainment",
            "scoring.bands[2]",
            "gap",
        ),
        (
            "{from: 30, to: 45, points: 80}",
            "{from: 25, to: 45, points: 80}",
            "turnover",
            "scoring.bands[1]",
            "overlap",
        ),
        ("floor: -0.10", "floor: 0.2", "growth_yoy", "scoring.floor", "must be below the target"),
        ("    weight: 5\n", "    weight: five\n", "receipt_speed", "weight", "must be a number"),
        (
            "    direction: lower\n    missing: exclude",
            "    direction: down\n    missing: exclude",
            "receipt_speed",
            "direction",
            "'down' is not one of",
        ),
        ("    weight: 10\n    target: 1\n", "    target: 1\n", "qualification", "weight", "is required"),
        (
            "    target: 0.95\n",
            "    target: 0.95\n    goal: 1\n",
            "timeliness",
            "goal",
            "is not a field here",
        ),
        (
            "      method: linear\n      basis: value\n      floor: 7",
            "      method: linear\n      basis: value",
            "receipt_speed",
            "scoring.floor",
            "is required",
        ),
    ],
)
def test_a_bad_kpi_is_refused_naming_the_file_the_kpi_and_the_field(tmp_path, old, new, kpi, field, words):
    problems = refused(edited(old, new), tmp_path)
    assert any(p["kpi"] == kpi and p["field"] == field and words in p["message"] for p in problems), problems


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        (
            "{metric: credit_utilisation, op",
            "{metric: credit_use, op",
            "when.all[1].metric",
            "unknown metric 'credit_use'",
        ),
        ("{kpi: price_compliance, op", "{kpi: pricing, op", "when.all[0].kpi", "unknown KPI 'pricing'"),
        (
            "{kpi: price_compliance, op",
            "{kpi: price_compliance, metric: stock_age_days, op",
            "when.all[0]",
            "not both",
        ),
        (
            '{kpi: price_compliance, op: "<"',
            '{kpi: price_compliance, op: "=<"',
            "when.all[0].op",
            "is not one of",
        ),
    ],
)
def test_a_bad_suggestion_is_refused_naming_the_suggestion_and_the_condition(
    tmp_path, old, new, field, words
):
    problems = refused(edited(old, new), tmp_path)
    suggestion = "review_credit" if "credit" in old else "price_discipline"
    assert any(
        p["suggestion"] == suggestion and p["field"] == field and words in p["message"] for p in problems
    ), problems


def test_an_unsupported_schema_version_is_refused(tmp_path):
    [problem] = refused(edited("schema_version: 1", "schema_version: 2"), tmp_path)
    assert problem["field"] == "schema_version" and "unsupported schema version 2" in problem["message"]


def test_a_period_kind_other_than_month_quarter_or_year_is_refused(tmp_path):
    [problem] = refused(edited("period: month", "period: week"), tmp_path)
    assert (problem["kpi"], problem["field"]) == (None, "period")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("key: [unclosed\n", "not valid YAML"),
        ("schema_version: 1\nkey: a\nkey: b\n", "the key 'key' is given twice"),
        ("schema_version: 1\nname: &n {zh: a, en: b}\nalias: *n\n", "aliases"),
        ("- just\n- a list\n", "mapping"),
    ],
)
def test_unreadable_yaml_is_refused_with_the_reason(tmp_path, text, words):
    [problem] = refused(text, tmp_path)
    assert words in problem["message"]


def test_a_repeated_key_inside_a_kpi_names_its_line(tmp_path):
    [problem] = refused(
        edited("    weight: 15\n    target: 0.10", "    weight: 15\n    weight: 20\n    target: 0.10"),
        tmp_path,
    )
    assert "line " in problem["message"] and "'weight' is given twice" in problem["message"]


def test_content_that_is_not_utf8_or_too_large_is_refused():
    with pytest.raises(KpiSetRefused, match="UTF-8"):
        load_kpi_text(b"key: \xff\xfe", "x.yaml")
    with pytest.raises(KpiSetRefused, match="larger than"):
        load_kpi_text(b"#" * (256 * 1024 + 1), "x.yaml")


def test_an_already_loaded_document_is_checked_like_a_file():
    with pytest.raises(KpiSetRefused) as caught:
        check_document({"schema_version": 1, "key": "x"}, "editor")
    assert {p["field"] for p in caught.value.problems} == {"name", "period", "kpis"}


def test_two_files_with_one_key_are_refused_and_every_bad_file_is_reported(tmp_path):
    (tmp_path / "a.yaml").write_text(DEFAULT, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(DEFAULT, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(
        DEFAULT.replace("schema_version: 1", "schema_version: 3"), encoding="utf-8"
    )
    with pytest.raises(KpiSetRefused) as caught:
        load_kpi_sets(tmp_path)
    problems = caught.value.problems
    assert [(Path(p["file"]).name, p["field"]) for p in problems] == [
        ("b.yaml", "key"),
        ("c.yaml", "schema_version"),
    ]
    assert "already used by" in problems[0]["message"] and problems[0]["message"].endswith("a.yaml")


def test_groups_nested_deeper_than_two_levels_are_refused_with_one_plain_message(tmp_path):
    old = '        - all:\n            - {metric: stock_age_days, op: ">", value: 60}'
    new = '        - all:\n            - {any: [{metric: stock_age_days, op: ">", value: 60}]}'
    [problem] = refused(edited(old, new), tmp_path)
    assert (problem["suggestion"], problem["field"]) == ("promote_aged_stock", "when.any[1].all[0]")
    assert "groups nest 2 levels at most" in problem["message"]
