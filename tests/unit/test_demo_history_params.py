"""The demo history's parameters check (docs/demo_data.md): every shipped file passes; a file the
generator cannot use is refused with the file and the key named (no database)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from app.adapters.demo_history_orders import DealerInfo, ProductInfo, draw_orders
from app.adapters.demo_history_params import check
from app.adapters.demo_history_plan import read_params
from app.domain.errors import ValidationFailed

ROOT = Path(__file__).parents[2] / "seed_templates"
FILES = sorted(ROOT.glob("*/demo_history.yaml"))
FMCG = yaml.safe_load((ROOT / "fmcg" / "demo_history.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_shipped_files_pass(path):
    check(path.name, yaml.safe_load(path.read_text(encoding="utf-8")))


def _refused(change) -> str:
    raw = copy.deepcopy(FMCG)
    change(raw)
    with pytest.raises(ValidationFailed) as error:
        check("demo_history.yaml", raw)
    return str(error.value.message)


def test_a_category_without_an_item_is_named():
    message = _refused(lambda r: r["items"].pop("TEA"))
    assert message == "demo_history.yaml: product_lines.BEV.categories: TEA has no entry in `items`"


def test_a_tier_without_credit_terms_is_named():
    message = _refused(lambda r: r["dealer_credit"].pop("KA"))
    assert message == "demo_history.yaml: dealer_credit: has no entry for tier KA (of `tiers`)"


def test_unknown_pattern_fields_and_missing_units_are_named():
    assert "dealer_names.pattern: unknown field {city}" in _refused(
        lambda r: r["dealer_names"].update(pattern="{city}{kind}")
    )
    assert "items.WATER.unit: is missing" in _refused(lambda r: r.pop("unit"))
    assert "product_lines.SNK.price: low must not exceed high" in _refused(
        lambda r: r["product_lines"]["SNK"].update(price=[400, 60])
    )


def test_open_orders_need_lines_or_an_amount_and_known_decisions():
    def no_lines(raw):
        raw["open_orders"][0].pop("lines")

    assert "open_orders[1]: needs either `amount`" in _refused(no_lines)

    def bad_decision(raw):
        raw["open_orders"][2]["decisions"][0]["decision"] = "maybe"

    assert "open_orders[3].decisions: decision must be one of" in _refused(bad_decision)


def test_orders_per_dealer_month_is_followed_above_four():
    params = read_params(ROOT / "fmcg" / "demo_history.yaml", "small", 3)
    params = replace(params, raw={**params.raw, "orders_per_dealer_month": 6, "month_to_date": False})
    dealers = [DealerInfo(i, f"D-{i:03d}", "B", 1, "WH-EAST", 1, 30) for i in range(1, 21)]
    products = [ProductInfo(i, f"BEV-{i:03d}", "BEV", Decimal("40.00")) for i in range(1, 11)]
    orders = draw_orders(params, dealers, products, {}, date(2026, 11, 27))
    per_dealer_month = len(orders) / (len(dealers) * params.months)
    assert 5.4 < per_dealer_month < 6.6
