"""Sales analytics without a database: reading a query, time buckets, money in cents, the rollup
arithmetic of booking and reversing, ABC classes and growth × share quadrants."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.adapters.analytics_mix import abc, previous_period, quadrants
from app.adapters.analytics_terms import (
    DIMENSIONS,
    Booked,
    average,
    bucket_label,
    bucket_period,
    cents,
    local_day,
    measure_values,
    money,
    parse_query,
    rollup_deltas,
    week_key,
)
from app.domain.errors import ValidationFailed

TODAY = date(2026, 11, 27)


def test_defaults_are_the_last_twelve_months_by_amount():
    q = parse_query({}, TODAY)
    assert (q.start, q.end, q.measures, q.group_by) == (date(2025, 12, 1), TODAY, ("amount",), ())
    assert q.whole_months(TODAY)


def test_a_query_with_everything():
    q = parse_query(
        {"group_by": "region, month", "measure": "amount,order_count", "from": "2026-01-01",
         "to": "2026-03-31", "sku": " w-550 ", "sort": "asc", "limit": "10"},
        TODAY,
    )  # fmt: skip
    assert q.group_by == ("region", "month") and q.time_dimension == "month"
    assert q.filters == {"sku": "W-550"} and not q.descending and q.limit == 10
    assert q.needs_product() and q.needs_dealer() and q.whole_months(TODAY)
    assert not parse_query({"from": "2026-01-02", "to": "2026-03-31"}, TODAY).whole_months(TODAY)
    assert not parse_query({"from": "2026-01-01", "to": "2026-03-30"}, TODAY).whole_months(TODAY)


@pytest.mark.parametrize(
    ("args", "field", "text"),
    [
        ({"group_by": "colour"}, "group_by", ", ".join(DIMENSIONS)),
        ({"group_by": "dealer,dealer"}, "group_by", "at most 3 different"),
        ({"group_by": "dealer,sku,region,tier"}, "group_by", "at most 3 different"),
        ({"group_by": "day,week"}, "group_by", "at most one of"),
        ({"measure": "margin"}, "measure", "valid: amount, quantity, order_count, average_order"),
        ({"from": "2026-03-01", "to": "2026-02-28"}, "from", "must not be after"),
        ({"from": "2015-01-01", "to": "2025-01-02"}, "to", "at most 10 years"),
        ({"from": "1999-12-31", "to": "2000-01-31"}, "from", "between 2000-01-01 and 2200-12-31"),
        ({"to": "9999-12-31"}, "to", "between 2000-01-01 and 2200-12-31"),
        ({"sku": "W\x00550"}, "sku", "a code of letters"),
        ({"dealer": "x" * 41}, "dealer", "at most 40"),
        ({"to": "31.01.2026"}, "to", "a date like"),
        ({"sort": "up"}, "sort", "asc or desc"),
        ({"limit": "0"}, "limit", "1 to 5000"),
    ],
)
def test_bad_queries_name_the_argument(args, field, text):
    with pytest.raises(ValidationFailed) as refused:
        parse_query(args, TODAY)
    assert text in refused.value.errors[field]


def test_exactly_ten_years_is_allowed():
    assert parse_query({"from": "2016-01-01", "to": "2026-01-01"}, TODAY).end == date(2026, 1, 1)


@pytest.mark.parametrize(
    ("dimension", "value", "label", "period"),
    [
        ("day", date(2026, 3, 5), "2026-03-05", (date(2026, 3, 5), date(2026, 3, 5))),
        ("week", 202601, "2026-W01", (date(2025, 12, 29), date(2026, 1, 4))),
        ("month", 202602, "2026-02", (date(2026, 2, 1), date(2026, 2, 28))),
        ("quarter", 20264, "2026-Q4", (date(2026, 10, 1), date(2026, 12, 31))),
        ("year", 2024, "2024", (date(2024, 1, 1), date(2024, 12, 31))),
    ],
)
def test_time_buckets(dimension, value, label, period):
    assert bucket_label(dimension, value) == label
    assert bucket_period(dimension, label) == period


def test_days_weeks_and_money():
    shanghai = ZoneInfo("Asia/Shanghai")
    assert local_day(datetime(2026, 1, 31, 16, 0, tzinfo=UTC), shanghai) == date(2026, 2, 1)
    assert local_day(datetime(2026, 1, 31, 15, 59), shanghai) == date(2026, 1, 31)  # naive = UTC
    assert week_key(date(2027, 1, 1)) == 202653
    assert week_key(date(2021, 1, 3)) == 202053
    assert cents(Decimal("12.345")) == 1235 and cents("0.1") == 10 and cents(29.99) == 2999
    assert money(123456) == Decimal("1234.56")
    assert average(1000, 3) == Decimal("3.33") and average(500, 0) is None
    assert measure_values(7, 1001, 2, ("amount", "quantity", "order_count", "average_order")) == {
        "amount": Decimal("10.01"),
        "quantity": 7,
        "order_count": 2,
        "average_order": Decimal("5.01"),  # 5.005 rounds half up
    }


def _line(order, product, qty, amount, day=date(2026, 1, 5), dealer=1):
    return Booked(order, product, day, dealer, 9, qty, amount)


def test_booking_counts_an_order_once_per_dealer_and_once_per_sku():
    deltas = rollup_deltas([], [_line(1, 10, 2, 500), _line(1, 11, 1, 300), _line(2, 10, 5, 1000)])
    assert deltas["order_day"] == {(date(2026, 1, 5), 1, 202602, 202601): [8, 1800, 2]}
    assert deltas["dealer_month"] == {(202601, 1): [8, 1800, 2]}
    assert deltas["product_month"] == {(202601, 10): [7, 1500, 2], (202601, 11): [1, 300, 1]}


def test_a_change_books_the_difference_and_a_cancellation_reverses_all():
    old = [_line(1, 10, 2, 500), _line(1, 11, 1, 300)]
    changed = [_line(1, 10, 4, 1000)]
    deltas = rollup_deltas(old, changed)
    assert deltas["dealer_month"] == {(202601, 1): [1, 200, 0]}  # same order: count unchanged
    assert deltas["product_month"] == {(202601, 10): [2, 500, 0], (202601, 11): [-1, -300, -1]}
    reversed_ = rollup_deltas(changed, [])
    assert reversed_["order_day"] == {(date(2026, 1, 5), 1, 202602, 202601): [-4, -1000, -1]}
    assert rollup_deltas(old, old) == {"order_day": {}, "dealer_month": {}, "product_month": {}}


def test_abc_classes_along_the_pareto_curve():
    rows = [
        {"sku": s, "amount": Decimal(v)} for s, v in (("A", 50), ("B", 31), ("C", 10), ("D", 5), ("E", 4))
    ]
    classes = abc(rows)
    assert [(r["sku"], r["abc"]) for r in classes] == [
        ("A", "A"),
        ("B", "A"),
        ("C", "B"),
        ("D", "B"),
        ("E", "C"),
    ]
    assert [r["cumulative"] for r in classes][-1] == Decimal("1.0000")
    assert classes[0]["share"] == Decimal("0.5000")
    assert abc([]) == []


def test_growth_share_quadrants():
    current = [
        {"sku": "A", "amount": 60},
        {"sku": "B", "amount": 30},
        {"sku": "C", "amount": 6},
        {"sku": "D", "amount": 4},
    ]
    previous = [{"sku": "A", "amount": 50}, {"sku": "B", "amount": 40}, {"sku": "D", "amount": 8}]
    found = {r["sku"]: (r["quadrant"], r["growth"]) for r in quadrants(current, previous, "sku")}
    assert found == {
        "A": ("star", Decimal("0.2000")),
        "B": ("cash_cow", Decimal("-0.2500")),
        "C": ("question", None),
        "D": ("dog", Decimal("-0.5000")),
    }
    assert quadrants([], previous, "sku") == []


def test_previous_period():
    assert previous_period(date(2026, 1, 1), date(2026, 3, 31), True) == (
        date(2025, 10, 1),
        date(2025, 12, 31),
    )
    assert previous_period(date(2026, 1, 10), date(2026, 1, 19), False) == (
        date(2025, 12, 31),
        date(2026, 1, 9),
    )


def test_a_period_of_odd_days_reads_its_whole_months_from_the_month_tables():
    from app.adapters.analytics_query import split_period

    parts = split_period(parse_query({"from": "2025-03-04", "to": "2026-06-10"}, TODAY), TODAY)
    assert [(p.start, p.end) for p in parts] == [
        (date(2025, 3, 4), date(2025, 3, 31)),
        (date(2025, 4, 1), date(2026, 5, 31)),
        (date(2026, 6, 1), date(2026, 6, 10)),
    ]
    by_week = parse_query({"from": "2025-03-04", "to": "2026-06-10", "group_by": "week"}, TODAY)
    assert split_period(by_week, TODAY) == [by_week]
    short = parse_query({"from": "2026-03-04", "to": "2026-03-20"}, TODAY)
    assert split_period(short, TODAY) == [short]
