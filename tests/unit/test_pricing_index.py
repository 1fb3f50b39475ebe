"""The price index's precomputation and memos give the same answers as working everything out afresh:
records kept in tie order whatever order they are added in, promotions per day, later additions."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal as D

from app.domain.pricing import Buyer, Condition, Item, PriceIndex

DAY = date(2026, 6, 15)
WATER = Item("W-1", "BEV", ("DRINK", "WATER"))
BUYER = Buyer("D1", "A", ("SH", "EAST"))
BASE = Condition(1, "base", sku="W-1", price=D("10"))


def tie_rule(records: list[Condition], qty: int, day: date) -> Condition | None:
    """The record the docs' tie rule chooses: highest min_qty, then latest start, then lowest id."""
    eligible = [r for r in records if r.min_qty <= qty and r.valid_on(day)]
    eligible.sort(key=lambda r: (-r.min_qty, -(r.valid_from or date.min).toordinal(), r.id))
    return eligible[0] if eligible else None


def test_records_of_one_access_follow_the_tie_rule_whatever_order_they_are_added_in():
    records = [
        Condition(11, "dealer", dealer="D1", sku="W-1", price=D("9"), min_qty=1),
        Condition(12, "dealer", dealer="D1", sku="W-1", price=D("8"), min_qty=10),
        Condition(13, "dealer", dealer="D1", sku="W-1", price=D("7"), min_qty=10, valid_from=DAY),
        Condition(10, "dealer", dealer="D1", sku="W-1", price=D("6"), min_qty=10, valid_from=DAY),
        Condition(14, "dealer", dealer="D1", sku="W-1", price=D("5"), min_qty=1, valid_to=DAY),
    ]
    for order in itertools.permutations(records):
        index = PriceIndex.build([BASE, *order], [WATER])
        for qty, day in itertools.product((1, 9, 10, 50), (DAY - timedelta(days=1), DAY, DAY + timedelta(1))):
            line = index.price_line(BUYER, WATER, qty, day)
            expected = tie_rule(records, qty, day)
            assert line.steps[0]["record"] == expected.id, (order, qty, day)


def test_a_volume_ladder_added_top_down_still_takes_the_highest_break_not_above_qty():
    ladder = [Condition(20 + k, "volume", sku="W-1", min_qty=m, price=p) for k, (m, p) in enumerate(
        [(500, D("8")), (100, D("9")), (24, D("9.5"))]
    )]  # fmt: skip
    index = PriceIndex.build([*ladder, BASE], [WATER])
    assert [index.price_line(BUYER, WATER, q, DAY).unit_price for q in (1, 24, 99, 100, 500)] == [
        D("10"), D("9.5"), D("9.5"), D("9"), D("8"),
    ]  # fmt: skip


def test_several_special_prices_of_a_sku_follow_the_tie_rule_too():
    older = Condition(90, "special", dealer="D1", sku="W-1", price=D("8"), valid_from=date(2026, 1, 1))
    newer = Condition(91, "special", dealer="D1", sku="W-1", price=D("7.5"), valid_from=date(2026, 6, 1))
    index = PriceIndex.build([BASE], [WATER])
    for specials in ([older, newer], [newer, older]):
        line = index.price_line(BUYER, WATER, 1, DAY, {"W-1": specials})
        assert line.unit_price == D("7.5") and line.steps[0]["record"] == 91
    assert specials == [newer, older]  # the caller's list is left as it was


def test_promotions_are_worked_out_again_for_another_day_and_for_each_buyer():
    june = Condition(30, "promo", sku="W-1", discount_pct=D("10"), valid_from=date(2026, 6, 1),
                     valid_to=date(2026, 6, 30))  # fmt: skip
    for_d2 = Condition(31, "promo", category="WATER", dealer="D2", discount_pct=D("20"))
    index = PriceIndex.build([BASE, june, for_d2], [WATER])
    july, d2 = date(2026, 7, 1), Buyer("D2", "B", ("GD",))
    assert index.price_line(BUYER, WATER, 1, DAY).unit_price == D("9")
    assert index.price_line(BUYER, WATER, 1, july).unit_price == D("10")
    assert index.price_line(d2, WATER, 1, july).unit_price == D("8")
    assert index.price_line(BUYER, WATER, 1, DAY).unit_price == D("9")
    line = index.price_line(d2, WATER, 1, DAY)
    assert line.unit_price == D("8") and f"on {DAY}" not in line.steps[1]["why"]
    assert line.steps[1]["overrode"][1] == {"record": 30, "type": "promo", "value": "not applied"}
    assert index.price_line(BUYER, WATER, 1, july).steps[-1]["type"] == "base"
    assert f"valid 2026-06-01..2026-06-30 on {DAY}" in index.price_line(BUYER, WATER, 1, DAY).steps[1]["why"]


def test_records_added_after_a_quote_count_in_the_next_one():
    index = PriceIndex.build([BASE], [WATER])
    assert index.price_line(BUYER, WATER, 1, DAY).unit_price == D("10")
    index.add(Condition(40, "promo", product_line="BEV", discount_pct=D("5")))
    assert index.price_line(BUYER, WATER, 1, DAY).unit_price == D("9.5")
    index.add(Condition(41, "region", region="EAST", sku="W-1", price=D("9.2")))
    line = index.price_line(BUYER, WATER, 1, DAY)
    assert [s["record"] for s in line.steps] == [41, 40] and line.unit_price == D("8.74")
    index.add(Condition(42, "tier", tier="A", product_line="BEV", discount_pct=D("12")))
    assert index.price_line(BUYER, WATER, 1, DAY).steps[0]["record"] == 42
