"""The pricing engine: precedence, access sequences, tier breaks, promotions, steps, rounding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from app.domain.errors import ValidationFailed
from app.domain.pricing import Buyer, Condition, Item, PriceIndex, quote_lines

DAY = date(2026, 6, 15)
WATER = Item("W-1", "BEV", ("FOOD", "DRINK", "WATER"))
BUYER = Buyer("D1", "A", ("SH", "EAST"))


def c(rid: int, ctype: str, **kw) -> Condition:
    return Condition(rid, ctype, **kw)


BASE = c(1, "base", sku="W-1", price=D("10"))
VOLUME = c(2, "volume", sku="W-1", min_qty=100, price=D("9.5"))
REGION_PARENT = c(3, "region", region="EAST", sku="W-1", price=D("9.4"))
REGION_OWN = c(4, "region", region="SH", sku="W-1", price=D("9.3"))
TIER_LINE = c(5, "tier", tier="A", product_line="BEV", discount_pct=D("8"))
TIER_SKU = c(6, "tier", tier="A", sku="W-1", price=D("9.1"))
DEALER = c(7, "dealer", dealer="D1", sku="W-1", price=D("9"))
SPECIAL = c(8, "special", dealer="D1", sku="W-1", price=D("8.5"))
ALL = [BASE, VOLUME, REGION_PARENT, REGION_OWN, TIER_LINE, TIER_SKU, DEALER]


def price(conditions, qty=1, buyer=BUYER, item=WATER, day=DAY, specials=None):
    index = PriceIndex.build(conditions, [item])
    return index.price_line(buyer, item, qty, day, specials)


@pytest.mark.parametrize(
    ("drop", "expected", "winner"),
    [
        ((), D("8.5"), 8),  # special beats dealer
        ((8,), D("9"), 7),  # dealer beats tier
        ((8, 7), D("9.1"), 6),  # tier × SKU beats tier × product line
        ((8, 7, 6), D("9.2"), 5),  # tier × product line (8 % off 10) beats regional
        ((8, 7, 6, 5), D("9.3"), 4),  # own region beats the parent region
        ((8, 7, 6, 5, 4), D("9.4"), 3),  # parent region beats the volume break
        ((8, 7, 6, 5, 4, 3), D("9.5"), 2),  # volume break beats the list price
        ((8, 7, 6, 5, 4, 3, 2), D("10"), 1),
    ],
)
def test_each_condition_type_beats_the_next(drop, expected, winner):
    conditions = [x for x in ALL if x.id not in drop]
    specials = {} if 8 in drop else {"W-1": [SPECIAL]}
    line = price(conditions, qty=100, specials=specials)
    assert line.unit_price == expected
    assert line.steps[0]["record"] == winner
    overridden = [o["record"] for o in line.steps[0]["overrode"]]
    assert winner not in overridden and 1 in overridden or winner == 1
    assert line.list_price == D("10")


def test_steps_explain_why_and_what_was_overridden():
    line = price(ALL, qty=100)
    step = line.steps[0]
    assert step["type"] == "dealer" and step["value"] == "9.0000"
    assert "dealer D1" in step["why"] and "sku W-1" in step["why"]
    assert [o["type"] for o in step["overrode"]] == ["tier", "region", "volume", "base"]
    regional = price([BASE, REGION_PARENT]).steps[0]
    assert "region EAST" in regional["why"] and "(dealer's region SH)" in regional["why"]


def test_tier_breaks_take_the_highest_break_not_above_qty():
    breaks = [BASE, VOLUME, c(9, "volume", sku="W-1", min_qty=500, price=D("9"))]
    assert price(breaks, qty=99).unit_price == D("10")
    assert price(breaks, qty=100).unit_price == D("9.5")
    assert price(breaks, qty=499).unit_price == D("9.5")
    assert price(breaks, qty=500).unit_price == D("9")


def test_validity_dates_and_other_dealers():
    dated = c(10, "dealer", dealer="D1", sku="W-1", price=D("7"), valid_from=date(2026, 7, 1))
    assert price([BASE, dated]).unit_price == D("10")
    assert price([BASE, dated], day=date(2026, 7, 1)).unit_price == D("7")
    other = c(11, "dealer", dealer="D2", sku="W-1", price=D("1"))
    assert price([BASE, other]).unit_price == D("10")


def test_tie_rule_highest_min_qty_then_latest_start_then_lowest_id():
    older = c(20, "dealer", dealer="D1", sku="W-1", price=D("8"), valid_from=date(2026, 1, 1))
    newer = c(21, "dealer", dealer="D1", sku="W-1", price=D("7"), valid_from=date(2026, 5, 1))
    twin = c(19, "dealer", dealer="D1", sku="W-1", price=D("6"), valid_from=date(2026, 5, 1))
    assert price([BASE, older, newer]).unit_price == D("7")
    assert price([BASE, older, newer, twin]).unit_price == D("6")


def promo(rid, **kw):
    kw.setdefault("valid_from", date(2026, 6, 1))
    kw.setdefault("valid_to", date(2026, 6, 30))
    return c(rid, "promo", **kw)


def test_promotion_percentage_fixed_and_buy_x_get_y():
    pct = promo(30, sku="W-1", discount_pct=D("10"))
    assert price([BASE, pct]).unit_price == D("9")
    fixed = promo(31, product_line="BEV", price=D("8.8"))
    assert price([BASE, fixed]).unit_price == D("8.8")
    b10g2 = promo(32, category="DRINK", buy_x=10, get_y=2)  # 24 ordered: 4 free
    line = price([BASE, b10g2], qty=24)
    assert line.unit_price == D("8.3333") and line.amount == D("200.00")
    assert price([BASE, b10g2], qty=11).unit_price == D("10")  # no full group yet


def test_promotion_window_min_qty_and_a_higher_fixed_price():
    pct = promo(33, sku="W-1", discount_pct=D("10"), min_qty=5)
    assert price([BASE, pct], qty=4).unit_price == D("10")
    assert price([BASE, pct], qty=5).unit_price == D("9")
    assert price([BASE, pct], day=date(2026, 7, 1)).unit_price == D("10")
    dearer = promo(34, sku="W-1", price=D("12"))
    assert price([BASE, dearer]).steps[-1]["type"] == "base"


def test_non_stackable_takes_the_best_single_promotion():
    a = promo(40, sku="W-1", discount_pct=D("10"))
    b = promo(41, product_line="BEV", discount_pct=D("15"))
    line = price([BASE, a, b])
    assert line.unit_price == D("8.5")
    assert [s["record"] for s in line.steps] == [1, 41]
    assert {"record": 40, "type": "promo", "value": "not applied"} in line.steps[1]["overrode"]


def test_stackable_promotions_apply_in_order():
    fixed = promo(50, sku="W-1", price=D("9"), stackable=True)
    pct = promo(51, category="WATER", discount_pct=D("10"), stackable=True)
    line = price([BASE, pct, fixed])
    assert [s["record"] for s in line.steps] == [1, 50, 51]  # fixed price first, then % off
    assert line.unit_price == D("8.1")
    assert line.steps[2]["overrode"][0] == {"record": 50, "type": "promo", "value": "9.0000"}
    lone = promo(52, sku="W-1", discount_pct=D("20"))  # alone it beats the stack (8.0 < 8.1)
    assert price([BASE, pct, fixed, lone]).unit_price == D("8")


def test_rounding_half_up_four_decimals_for_units_two_for_amounts():
    odd = c(60, "base", sku="W-1", price=D("0.33335"))
    line = price([odd], qty=3)
    assert line.unit_price == D("0.3334") and line.amount == D("1.00")
    pct = c(61, "tier", tier="A", sku="W-1", discount_pct=D("33.3333"))
    assert price([BASE, pct]).unit_price == D("6.6667")


def test_quote_names_bad_lines_and_totals():
    index = PriceIndex.build([BASE], [WATER, Item("NOPRICE")])
    quote = quote_lines(index, BUYER, [("W-1", 3), ("W-1", "2")], DAY)
    assert quote.total == D("50.00") and [line.qty for line in quote.lines] == [3, 2]
    with pytest.raises(ValidationFailed) as caught:
        quote_lines(index, BUYER, [("W-1", 1), ("NOPE", 1), ("W-1", 0), ("W-1", 1.5), ("NOPRICE", 1)], DAY)
    assert set(caught.value.errors) == {"lines/1/sku", "lines/2/qty", "lines/3/qty", "lines/4/sku"}
    with pytest.raises(ValidationFailed) as caught:
        quote_lines(index, BUYER, [("W-1", "1.00001")], DAY)
    assert "4 decimals" in caught.value.errors["lines/0/qty"]
