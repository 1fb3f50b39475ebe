"""A decision table's example cases, run by SpiffWorkflow's DMN engine in our sandbox."""

import json
from decimal import Decimal
from pathlib import Path

import pytest

from app.engine.decision_cases import (
    CasesRefused,
    blank_case,
    cases_filename,
    load_cases,
    run_cases,
    same,
)
from app.engine.xml_safety import parse_xml

ROUTE = (Path(__file__).parent.parent / "data" / "engine" / "route.dmn").read_bytes()

TABLE = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs" name="Tier" namespace="t">
  <decision id="tier_decision" name="Discount">
    <decisionTable id="tier_table" hitPolicy="{policy}">
      <input id="in_tier" label="Tier">
        <inputExpression id="in_tier_expr" typeRef="string"><text>tier</text></inputExpression>
      </input>
      <input id="in_qty" label="Quantity">
        <inputExpression id="in_qty_expr" typeRef="number"><text>qty</text></inputExpression>
      </input>
      <output id="out_discount" label="Discount" name="discount" typeRef="number"/>
      <rule id="r_gold">
        <inputEntry id="r_gold_t"><text>"GOLD"</text></inputEntry>
        <inputEntry id="r_gold_q"><text>{qty_cell}</text></inputEntry>
        <outputEntry id="r_gold_o"><text>Decimal("0.10")</text></outputEntry>
      </rule>
      <rule id="r_bulk">
        <inputEntry id="r_bulk_t"><text>-</text></inputEntry>
        <inputEntry id="r_bulk_q"><text>&gt;= 100</text></inputEntry>
        <outputEntry id="r_bulk_o"><text>0.05</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def table(policy: str = "FIRST", qty_cell: str = "-") -> bytes:
    return TABLE.format(policy=policy, qty_cell=qty_cell).encode()


def doc(*cases, decision: str = "route_decision") -> dict:
    return {"decision": decision, "cases": list(cases)}


def case(name, inputs, expect):
    return {"name": name, "inputs": inputs, "expect": expect}


def test_passing_and_failing_cases_show_the_actual_outputs_and_matched_rules():
    small, big = (
        case("small", {"amount": 500}, {"level": "single"}),
        case("big", {"amount": 20000}, {"level": "single"}),
    )
    passed, failed = run_cases(ROUTE, "route.dmn", doc(small, big))
    assert passed.passed and passed.actual == {"level": "single"} and passed.error is None
    assert passed.matched_rules == [{"id": "r_small", "row": 2}]
    assert not failed.passed and failed.actual == {"level": "countersign"}
    assert failed.matched_rules[0] == {"id": "r_big", "row": 1}  # FIRST: the first match gives the outputs
    assert 'expected {"level": "single"}, got {"level": "countersign"}' in failed.summary()


def test_numbers_compare_by_value():
    gold = case("gold", {"tier": "GOLD", "qty": 1}, {"discount": 0.1})
    bulk = case("bulk", {"tier": "X", "qty": 100.0}, {"discount": Decimal("0.050")})
    assert [r.passed for r in run_cases(table(), "tier.dmn", doc(gold, bulk, decision="tier_decision"))] == [
        True,
        True,
    ]
    assert same(500, 500.0) and same([1, {"a": 2}], [1.0, {"a": Decimal(2)}])
    assert not same(True, 1) and not same("500", 500) and not same({"a": 1}, {"a": 1, "b": 2})


def test_a_case_expecting_no_match():
    nothing = case("nobody", {"tier": "X", "qty": 1}, None)
    wrong = case("bulk", {"tier": "X", "qty": 500}, None)
    results = run_cases(table(), "tier.dmn", doc(nothing, wrong, decision="tier_decision"))
    assert results[0].passed and results[0].actual is None and results[0].matched_rules == []
    assert not results[1].passed and results[1].actual == {"discount": 0.05}
    assert "expected no rule to match, but rule 2 (r_bulk) matched" in results[1].summary()
    missing = run_cases(
        table(),
        "tier.dmn",
        doc(case("x", {"tier": "X", "qty": 1}, {"discount": 0}), decision="tier_decision"),
    )
    assert not missing[0].passed and missing[0].actual is None


def test_hit_policies_unique_and_collect():
    both = case("both", {"tier": "GOLD", "qty": 200}, {"discount": 0.1})
    unique = run_cases(table("UNIQUE"), "tier.dmn", doc(both, decision="tier_decision"))[0]
    assert unique.passed and [r["id"] for r in unique.matched_rules] == ["r_gold"]
    collected = case("both", {"tier": "GOLD", "qty": 200}, {"discount": [0.1, 0.05]})
    collect = run_cases(table("COLLECT"), "tier.dmn", doc(collected, decision="tier_decision"))[0]
    assert collect.passed and collect.actual == {"discount": ["0.10", 0.05]}


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('Decimal("0.1")', "0.1"),
        ('Decimal("0.12345678901234567891")', "0.12345678901234567891"),
        ('Decimal("5.00")', 5),
    ],
)
def test_decimal_outputs_are_shown_exactly_as_text_and_integral_ones_as_numbers(cell, shown):
    dmn = table().replace(b'Decimal("0.10")', cell.encode())
    expect = {"discount": Decimal(cell.split('"')[1])}
    result = run_cases(
        dmn, "tier.dmn", doc(case("gold", {"tier": "GOLD", "qty": 1}, expect), decision="tier_decision")
    )[0]
    assert result.passed and result.actual == {"discount": shown}
    assert json.loads(json.dumps(result.actual)) == {"discount": shown}


def test_a_cell_the_sandbox_refuses_at_run_time_is_that_cases_error():
    dmn = table(qty_cell='len("ab" * ?) &gt; 5')
    cases = [
        case("huge", {"tier": "GOLD", "qty": 10**6}, {"discount": 0.1}),
        case("ok", {"tier": "X", "qty": 1}, None),
    ]
    huge, ok = run_cases(dmn, "tier.dmn", doc(*cases, decision="tier_decision"))
    assert not huge.passed and huge.error.startswith("rule 1 (r_gold): ")
    assert "larger than" in huge.error and huge.actual is None
    assert ok.passed  # one failing case does not stop the others
    unknown = run_cases(ROUTE, "route.dmn", doc(case("no amount", {}, {"level": "single"})))[0]
    assert "unknown name 'amount'" in unknown.error


def test_a_table_the_lint_refuses_does_not_run():
    unsafe = ROUTE.replace(b"&gt; 10000", b"__import__('os')")
    with pytest.raises(CasesRefused) as refused:
        run_cases(unsafe, "route.dmn", doc(case("a", {"amount": 1}, None)))
    assert (
        refused.value.problems[0]["file"] == "route.dmn"
        and refused.value.problems[0]["element"] == "r_big_in"
    )
    with pytest.raises(CasesRefused) as broken:
        run_cases(b"<definitions", "route.dmn", doc())
    assert "malformed XML" in broken.value.problems[0]["message"]


def test_malformed_cases_are_refused_naming_the_case_and_field():
    bad = doc(
        case("fine", {"amount": 1}, None),
        {"name": "no expect", "inputs": {"amount": 1}},
        case("bad input name", {"1amount": 1}, None),
        case("empty expect", {}, {}),
    )
    with pytest.raises(CasesRefused) as refused:
        run_cases(ROUTE, "route.dmn", bad)
    found = {p["element"]: p["message"] for p in refused.value.problems}
    assert found["cases[1]"] == "case 2 ('no expect'): 'expect' is a required property"
    assert "not a variable name" in found["cases[2].inputs"] and found["cases[2].inputs"].startswith("case 3")
    assert found["cases[3].expect"].startswith("case 4 ('empty expect'): must name at least one output")
    assert {p["file"] for p in refused.value.problems} == {"route.cases.json"}


def test_cases_file_checks():
    with pytest.raises(CasesRefused) as syntax:
        load_cases(b'{"decision": "d",\n "cases": [}', "t.cases.json")
    assert syntax.value.problems[0]["line"] == 2 and "not valid JSON" in syntax.value.problems[0]["message"]
    with pytest.raises(CasesRefused, match="already used by case 1"):
        load_cases(json.dumps(doc(case("a", {}, None), case("a", {}, None))).encode(), "t.cases.json")
    with pytest.raises(CasesRefused, match="decision 'nope' is not a decision table of route.dmn"):
        run_cases(ROUTE, "route.dmn", doc(decision="nope"))
    with pytest.raises(CasesRefused, match="not valid JSON"):
        load_cases(b'{"decision": "d", "cases": [{"name": "n", "inputs": {"a": NaN}, "expect": null}]}', "t")
    assert load_cases(b'{"decision": "d", "cases": []}', "t.cases.json") == {"decision": "d", "cases": []}
    assert cases_filename("order_approval.dmn") == "order_approval.cases.json"


def test_blank_case_lists_the_tables_inputs_and_outputs():
    assert blank_case(parse_xml(table(), "tier.dmn"), "new") == {
        "name": "new",
        "inputs": {"tier": None, "qty": None},
        "expect": {"discount": None},
    }
