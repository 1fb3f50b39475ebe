"""Catalogue, warehouse-tree and snapshot rules (pure domain, no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.catalog import ProductFields, check_no_cycle, check_warehouse_shape, clean_product
from app.domain.errors import ValidationFailed
from app.domain.stock_snapshot import REASON, differences, parse_snapshot


def test_product_values_are_cleaned():
    values = clean_product(ProductFields(code="ｓｋｕ－０１ ", name="  绿茶   500ml ", pack_size="12"))
    assert values["code"] == "SKU-01" and values["name"] == "绿茶 500ml"
    assert (values["pack_size"], values["unit"], values["status"], values["shelf_life_days"]) == (
        12,
        "箱",
        "active",
        None,
    )


def test_product_refusals_name_every_field():
    with pytest.raises(ValidationFailed) as refused:
        clean_product(ProductFields(code="a b!", name=" ", pack_size=0, shelf_life_days="x", status="gone"))
    assert set(refused.value.errors) == {"code", "name", "pack_size", "shelf_life_days", "status"}


@pytest.mark.parametrize(
    ("kind", "parent", "dealer", "region", "dealer_region", "field"),
    [
        ("hq", "hq", False, "/EAST/", None, "parent"),
        ("regional", "regional", False, "/EAST/", None, "parent"),
        ("dealer", "regional", False, "/EAST/SH/", None, "dealer"),
        ("dealer", "regional", True, "/SOUTH/", "/EAST/SH/", "region"),
        ("regional", "dealer", False, "/EAST/", None, "parent"),
        ("hq", None, True, "/EAST/", "/EAST/", "dealer"),
        ("depot", None, False, "/EAST/", None, "kind"),
        ("hq", None, False, None, None, "region"),
    ],
)
def test_warehouse_shape_refusals(kind, parent, dealer, region, dealer_region, field):
    with pytest.raises(ValidationFailed) as refused:
        check_warehouse_shape(kind, parent, dealer, region, dealer_region)
    assert field in refused.value.errors


def test_good_warehouse_shapes():
    check_warehouse_shape("hq", None, False, "/EAST/", None)
    check_warehouse_shape("regional", "hq", False, "/SOUTH/", None)
    check_warehouse_shape("dealer", "regional", True, "/EAST/SH/", "/EAST/SH/")


def test_a_node_cannot_move_below_itself():
    with pytest.raises(ValidationFailed):
        check_no_cycle("/FOOD/SNACK/", "/FOOD/")
    check_no_cycle("/HOME/", "/FOOD/")


def test_snapshot_differences_become_adjustments_with_stable_external_ids():
    snapshot = parse_snapshot(
        {
            "warehouse": "wh-1",
            "snapshot_id": "S1",
            "balances": [
                {"sku": "a", "on_hand": 5},
                {"sku": "B", "on_hand": "0"},
                {"sku": "C", "on_hand": 3},
            ],
        }
    )
    moves = differences(snapshot, {"A": 2, "B": 4, "C": 3}, applied=frozenset())
    assert [(i, m.sku, m.qty, m.kind, m.reason, m.external_id) for i, m in moves] == [
        (0, "A", 3, "adjust", REASON, "snapshot:S1:A"),
        (1, "B", -4, "adjust", REASON, "snapshot:S1:B"),
    ]
    assert [m.sku for _, m in differences(snapshot, {"A": 2, "B": 4}, applied=frozenset({"A"}))] == ["B", "C"]


def test_snapshot_refusals_name_the_rows():
    with pytest.raises(ValidationFailed) as refused:
        parse_snapshot(
            {
                "warehouse": "",
                "snapshot_id": "bad id!",
                "balances": [{"sku": "A", "on_hand": -1}, {"sku": "a", "on_hand": 1}, 7],
            }
        )
    assert set(refused.value.errors) == {
        "warehouse",
        "snapshot_id",
        "balances/0/on_hand",
        "balances/1/sku",
        "balances/2",
    }
    with pytest.raises(ValidationFailed) as empty:
        parse_snapshot({"warehouse": "W", "balances": []})
    assert "balances" in empty.value.errors


@pytest.mark.parametrize(
    ("cost", "expected"),
    [(None, None), ("", None), ("12.5", Decimal("12.5")), (0, Decimal("0")), ("3.1234", Decimal("3.1234"))],
)
def test_standard_cost_is_optional_and_exact(cost, expected):
    assert (
        clean_product(ProductFields(code="S-1", name="商品", standard_cost=cost))["standard_cost"] == expected
    )


@pytest.mark.parametrize("cost", ["-1", "abc", "1.23456", True, "NaN", "1e12"])
def test_bad_standard_cost_is_refused_naming_it(cost):
    with pytest.raises(ValidationFailed) as refused:
        clean_product(ProductFields(code="S-1", name="商品", standard_cost=cost))
    assert "standard_cost" in refused.value.errors
