"""Price monitoring: deviation arithmetic, review levels, the tolerance table's routing with its
example cases, diversion rules, and the shipped forms' test copies."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain import price_monitoring as pm

ROOT = Path(__file__).resolve().parents[2]
D = Decimal


@pytest.mark.parametrize(
    ("price", "policy", "expected"),
    [
        ("40", "40", "0.00"),
        ("38.8", "40", "-3.00"),
        ("41", "40", "2.50"),
        ("37.64", "38.8", "-2.99"),
        ("0.005", "3", "-99.83"),
        ("0", "0", "0.00"),
        ("5", "0", "100.00"),
    ],
)
def test_deviation_is_signed_percent_with_two_decimals(price, policy, expected):
    assert pm.deviation_pct(D(price), D(policy)) == D(expected)


def test_deviation_amount_counts_only_what_is_below_policy():
    assert pm.deviation_amount(D("38.8"), D("40"), 100) == D("120.0000")
    assert pm.deviation_amount(D("41"), D("40"), 100) == D("0")
    assert pm.deviation_amount(D("19.9999"), D("20"), D("3")) == D("0.0003")


def test_levels_order_and_countersign_is_deepest():
    assert pm.level_of("executive", True) == "countersign"
    assert pm.level_of("sales_director", False) == "sales_director"
    assert pm.deepest(["none", "sales_director", "regional_manager"]) == "sales_director"
    assert pm.deepest(["executive", "countersign"]) == "countersign"
    assert pm.deepest([]) == "none"
    with pytest.raises(ValueError):
        pm.level_of("boss", False)


def test_reason_codes():
    assert pm.check_reason(" volume ") == "VOLUME"
    with pytest.raises(ValueError):
        pm.check_reason("BECAUSE")


def _table():
    return (ROOT / "rules" / "price_tolerance.dmn").read_bytes()


def test_the_tolerance_tables_example_cases_pass():
    from app.engine.decision_cases import run_cases

    cases = json.loads((ROOT / "rules" / "price_tolerance.cases.json").read_text())
    results = run_cases(_table(), "price_tolerance.dmn", cases)
    assert len(results) >= 10
    assert [r.summary() for r in results if not r.passed] == []


@pytest.mark.parametrize(
    ("tier", "line", "deviation", "level"),
    [
        ("A", "BEV", "0", "none"),
        ("A", "BEV", "-0.99", "none"),
        ("A", "BEV", "-1.01", "regional_manager"),
        ("KA", "BEV", "-3.00", "none"),
        ("KA", "BEV", "-3.01", "regional_manager"),
        ("B", "HPC", "-2", "none"),
        ("B", "SNK", "-5.00", "regional_manager"),
        ("B", "SNK", "-5.01", "sales_director"),
        ("B", "SNK", "-15.00", "sales_director"),
        ("B", "SNK", "-15.01", "executive"),
        ("B", "SNK", "-30.00", "executive"),
        ("B", "SNK", "-30.01", "countersign"),
        (None, None, "-100", "countersign"),
    ],
)
def test_routing_by_depth_through_the_sandboxed_table(tier, line, deviation, level):
    from app.adapters.price_check import evaluate

    result = evaluate(_table(), {"tier": tier, "product_line": line, "deviation": D(deviation)})
    assert pm.level_of(result["review_level"], result["countersign"]) == level
    assert result["outcome"] == ("ok" if level == "none" else "review")


EAST, SH, GD = "/1/", "/1/2/", "/3/4/"
AUTH = [
    pm.Authorization("BEV", EAST, date(2026, 1, 1), date(2026, 12, 31)),
    pm.Authorization("SNK", SH, date(2026, 6, 1)),
]


@pytest.mark.parametrize(
    ("lines", "path", "on", "flagged"),
    [
        ([("W", "BEV")], SH, date(2026, 3, 1), []),  # sub-region of an authorised region
        ([("W", "BEV")], GD, date(2026, 3, 1), ["W"]),  # another region
        ([("W", "BEV")], SH, date(2027, 1, 1), ["W"]),  # authorisation expired
        ([("B", "SNK")], SH, date(2026, 5, 31), ["B"]),  # not yet valid
        ([("B", "SNK")], SH, date(2030, 1, 1), []),  # open-ended
        ([("B", "SNK")], EAST, date(2026, 7, 1), ["B"]),  # parent of the authorised region
        ([("H", "HPC"), ("W", "BEV")], SH, date(2026, 7, 1), ["H"]),  # product line not authorised
        ([("X", None)], SH, date(2026, 7, 1), []),  # no line: any authorisation of the region covers it
        ([("X", None)], GD, date(2026, 7, 1), ["X"]),
    ],
)
def test_region_diversion(lines, path, on, flagged):
    flags = pm.region_flags(lines, path, AUTH, on)
    assert [f.sku for f in flags] == flagged
    assert all(f.kind == "region" for f in flags)


def test_no_authorisation_at_all_flags_every_line():
    assert [f.sku for f in pm.region_flags([("W", "BEV"), ("B", "SNK")], SH, [], date(2026, 7, 1))] == [
        "W",
        "B",
    ]


def test_volume_flag_needs_a_promotion_price_and_history():
    history = [D(10), D(20), D(30)]  # usual: 20
    assert pm.volume_flag("W", D(61), history, promotion=True).kind == "volume"
    assert pm.volume_flag("W", D(60), history, promotion=True) is None
    assert pm.volume_flag("W", D(500), history, promotion=False) is None
    assert pm.volume_flag("W", D(500), [], promotion=True) is None


def test_test_copies_of_the_price_forms_equal_the_shipped_forms():
    for name in ("price_review", "special_price_request"):
        for suffix in (".schema.json", ".uischema.json"):
            shipped = (ROOT / "forms" / f"{name}{suffix}").read_text(encoding="utf-8")
            assert (ROOT / "tests" / "data" / "forms" / f"{name}{suffix}").read_text(
                encoding="utf-8"
            ) == shipped
