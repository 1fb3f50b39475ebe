"""Draft validation (conflicts named), the diff with the live version, and reading numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from app.domain.errors import ValidationFailed
from app.domain.pricing import Condition
from app.domain.pricing_rules import check, diff, problems
from app.domain.pricing_values import parse_money, parse_pct, parse_qty


def c(rid: int, ctype: str, **kw) -> Condition:
    return Condition(rid, ctype, **kw)


BASE = c(1, "base", sku="W-1", price=D("10"))


def messages(conditions, starts=None):
    return [(p.records, p.message) for p in problems(conditions, starts)]


def test_a_clean_draft_has_no_problems():
    good = [
        BASE,
        c(2, "volume", sku="W-1", min_qty=10, price=D("9")),
        c(3, "volume", sku="W-1", min_qty=50, price=D("8")),
    ]
    assert problems(good) == []
    check(good)


def test_overlapping_records_of_equal_precedence_are_named():
    a = c(
        10,
        "dealer",
        dealer="D1",
        sku="W-1",
        price=D("9"),
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 6, 30),
    )
    b = c(11, "dealer", dealer="D1", sku="W-1", price=D("8"), valid_from=date(2026, 6, 1))
    after = c(12, "dealer", dealer="D1", sku="W-1", price=D("8"), valid_from=date(2026, 7, 1))
    found = messages([BASE, a, b])
    assert found == [((10, 11), "records 10 and 11: same dealer key, dates overlap")]
    assert messages([BASE, a, after]) == []
    with pytest.raises(ValidationFailed) as caught:
        check([BASE, a, b])
    assert set(caught.value.errors) == {"records/10", "records/11"}


def test_negative_prices_bad_percentages_and_shapes():
    found = messages(
        [
            c(20, "base", sku="W-1", price=D("-1")),
            c(21, "tier", tier="A", sku="X", discount_pct=D("120")),
            c(22, "region", sku="W-1", price=D("1")),
            c(23, "dealer", dealer="D1", sku="W-2", price=D("1"), discount_pct=D("5")),
            c(24, "base", sku="W-3", dealer="D1", price=D("1")),
        ]
    )
    text = " | ".join(m for _, m in found)
    assert "record 20: negative price -1" in text
    assert "record 21: discount 120% outside (0, 100]" in text
    assert "record 22: region needs region" in text
    assert "record 23: give exactly one of price" in text
    assert "record 24: base cannot have dealer" in text


def test_tier_breaks_with_a_gap_or_a_rising_price():
    rising = [
        BASE,
        c(30, "volume", sku="W-1", min_qty=10, price=D("9")),
        c(31, "volume", sku="W-1", min_qty=50, price=D("9.5")),
    ]
    assert messages(rising) == [((30, 31), "tier break 31 (W-1 from 50: 9.5) is dearer than record 30 (9)")]
    gap = [c(32, "volume", sku="W-2", min_qty=10, price=D("9"))]
    assert messages(gap) == [((32,), "tier breaks of W-2: gap below 10, no list price")]
    above_list = [BASE, c(33, "volume", sku="W-1", min_qty=10, price=D("11"))]
    assert messages(above_list)[0][0] == (1, 33)


def test_promotions_ending_before_they_start_or_before_the_version():
    backwards = c(
        40, "promo", sku="W-1", discount_pct=D("5"), valid_from=date(2026, 6, 10), valid_to=date(2026, 6, 1)
    )
    assert messages([BASE, backwards]) == [((40,), "record 40: ends 2026-06-01 before it starts 2026-06-10")]
    stale = c(41, "promo", sku="W-1", discount_pct=D("5"), valid_to=date(2026, 1, 31))
    assert messages([BASE, stale], starts=date(2026, 2, 1))[0][1].startswith(
        "record 41: promotion ends 2026-01-31"
    )
    overlapping = [
        c(42, "promo", sku="W-1", discount_pct=D("5")),
        c(43, "promo", sku="W-1", discount_pct=D("6")),
    ]
    assert messages([BASE, *overlapping]) == []  # promotions combine by rule
    assert "buy X get Y" in messages([c(44, "promo", sku="W-1", buy_x=0, get_y=1)])[0][1]


def test_diff_matches_records_by_natural_key():
    live = [BASE, c(2, "dealer", dealer="D1", sku="W-1", price=D("9")), c(3, "base", sku="W-2", price=D("5"))]
    draft = [c(11, "base", sku="W-1", price=D("10")), c(12, "dealer", dealer="D1", sku="W-1", price=D("8.5"))]
    draft.append(c(14, "base", sku="W-4", price=D("3")))
    result = diff(draft, live)
    assert [x.id for x in result.added] == [14]
    assert [x.id for x in result.removed] == [3]
    assert [(a.id, b.id) for a, b in result.changed] == [(2, 12)]


@pytest.mark.parametrize("raw", [0.1, "0.1", 1, "1.2345", D("7.5")])
def test_money_accepts_up_to_four_decimals(raw):
    assert parse_money(raw, "price") == D(str(raw))


@pytest.mark.parametrize("raw", [0.12345, "1.00001", "-1", "abc", "NaN", True, None, "Infinity"])
def test_money_refuses_bad_numbers(raw):
    with pytest.raises(ValidationFailed) as caught:
        parse_money(raw, "price")
    assert "price" in caught.value.errors


def test_quantities_and_percentages():
    assert parse_qty("12", "qty") == 12 and parse_qty(3.0, "qty") == 3
    for bad in (0, -1, 1.5, "x"):
        with pytest.raises(ValidationFailed):
            parse_qty(bad, "qty")
    assert parse_pct("12.5", "pct") == D("12.5")
    with pytest.raises(ValidationFailed):
        parse_pct(0, "pct")
