"""The vocabulary of sales analytics, free of the database: what a sale is, the dimensions and
measures a query may name, how a query is read from request arguments, time buckets and their
labels, and the rollup arithmetic (what a booked line adds to each rollup). Unit-tested alone."""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from app.domain.errors import ValidationFailed

# An order's lines are a sale from its confirmation on, while it is in one of these statuses.
SOLD_STATUSES = ("confirmed", "partially_shipped", "shipped", "received")
TIME_DIMENSIONS = ("day", "week", "month", "quarter", "year")
DIMENSIONS = ("dealer", "tier", "region", "warehouse", "product_line", "category", "sku", *TIME_DIMENSIONS)
PRODUCT_DIMENSIONS = ("product_line", "category", "sku")
DEALER_DIMENSIONS = ("dealer", "tier", "region")
MEASURES = ("amount", "quantity", "order_count", "average_order")
FILTERS = ("dealer", "tier", "region", "warehouse", "product_line", "category", "sku")
MAX_GROUP_BY = 3
MAX_YEARS = 10
EARLIEST, LATEST = date(2000, 1, 1), date(2200, 12, 31)
CENT, ONE = Decimal("0.01"), Decimal(1)
CODE = re.compile(r"[A-Z0-9._/\-]{1,40}")  # dealer, region, SKU … codes as the catalogue cleans them


@dataclass(frozen=True)
class SalesQuery:
    """A validated request: grouping, measures, the period (both ends included), filters (codes)."""

    group_by: tuple[str, ...]
    measures: tuple[str, ...]
    start: date
    end: date
    filters: Mapping[str, str] = field(default_factory=dict)
    descending: bool = True
    limit: int = 1000

    @property
    def time_dimension(self) -> str | None:
        return next((d for d in self.group_by if d in TIME_DIMENSIONS), None)

    def needs_product(self) -> bool:
        return any(d in PRODUCT_DIMENSIONS for d in self.group_by) or any(
            k in PRODUCT_DIMENSIONS for k in self.filters
        )

    def needs_dealer(self) -> bool:
        return any(d in DEALER_DIMENSIONS for d in self.group_by) or any(
            k in DEALER_DIMENSIONS for k in self.filters
        )

    def whole_months(self, today: date) -> bool:
        """Does the period consist of whole months (the last one may end today or later)?"""
        last = calendar.monthrange(self.end.year, self.end.month)[1]
        return self.start.day == 1 and (self.end.day == last or self.end >= today)


def _split(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def parse_query(args: Mapping[str, Any], today: date) -> SalesQuery:
    """A SalesQuery from request arguments; ValidationFailed (422) naming each bad one and, for an
    unknown dimension or measure, listing the valid ones. Default period: the last 12 months."""
    errors: dict[str, str] = {}
    group_by = _split(args.get("group_by"))
    unknown = [d for d in group_by if d not in DIMENSIONS]
    if unknown:
        errors["group_by"] = f"unknown {', '.join(unknown)}; valid: {', '.join(DIMENSIONS)}"
    elif len(set(group_by)) != len(group_by) or len(group_by) > MAX_GROUP_BY:
        errors["group_by"] = f"at most {MAX_GROUP_BY} different dimensions"
    elif sum(d in TIME_DIMENSIONS for d in group_by) > 1:
        errors["group_by"] = f"at most one of {', '.join(TIME_DIMENSIONS)}"
    measures = _split(args.get("measure")) or ["amount"]
    bad = [m for m in measures if m not in MEASURES]
    if bad:
        errors["measure"] = f"unknown {', '.join(bad)}; valid: {', '.join(MEASURES)}"
    dates: dict[str, date | None] = {}
    for key in ("from", "to"):
        raw = str(args.get(key) or "").strip()
        try:
            dates[key] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[key] = "a date like 2026-01-31"
            dates[key] = None
        if dates[key] is not None and not EARLIEST <= dates[key] <= LATEST:
            errors[key] = f"between {EARLIEST} and {LATEST}"
    end = dates["to"] or today
    start = dates["from"] or first_of_month(add_months(end, -11))
    if "from" not in errors and "to" not in errors:
        if start > end:
            errors["from"] = "must not be after 'to'"
        elif start < EARLIEST:
            errors["from"] = f"between {EARLIEST} and {LATEST}"
        elif end > add_months(start, 12 * MAX_YEARS):
            errors["to"] = f"the period may span at most {MAX_YEARS} years"
    order = str(args.get("sort") or "desc").strip()
    if order not in ("asc", "desc"):
        errors["sort"] = "asc or desc"
    limit_raw = str(args.get("limit") or "1000").strip()
    limit = int(limit_raw) if limit_raw.isdigit() else 0
    if not 1 <= limit <= 5000:
        errors["limit"] = "a whole number from 1 to 5000"
    filters = {k: str(args[k]).strip().upper() for k in FILTERS if str(args.get(k) or "").strip()}
    for key, code in filters.items():
        if not CODE.fullmatch(code):
            errors[key] = "a code of letters, digits, '.', '_', '/', '-' (at most 40)"
    if errors:
        raise ValidationFailed(
            "invalid analytics query: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
    return SalesQuery(tuple(group_by), tuple(measures), start, end, filters, order == "desc", limit)


def first_of_month(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    """The same day ``months`` later (earlier when negative), clipped to the month's end."""
    index = d.year * 12 + d.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def local_day(at: datetime, zone: ZoneInfo) -> date:
    """The calendar day of a UTC timestamp in the business's time zone."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(zone).date()


def week_key(d: date) -> int:
    """ISO week as a number: 2026-W05 → 202605."""
    year, week, _ = d.isocalendar()
    return year * 100 + week


def month_key(d: date) -> int:
    return d.year * 100 + d.month


def bucket_label(dimension: str, value: Any) -> str:
    """How a time bucket is shown: 2026-03-05, 2026-W10, 2026-03, 2026-Q1, 2026."""
    if dimension == "day":
        return value.isoformat() if isinstance(value, date) else str(value)[:10]
    value = int(value)
    if dimension == "week":
        return f"{value // 100}-W{value % 100:02d}"
    if dimension == "month":
        return f"{value // 100}-{value % 100:02d}"
    if dimension == "quarter":
        return f"{value // 10}-Q{value % 10}"
    return str(value)


def bucket_period(dimension: str, label: str) -> tuple[date, date]:
    """The days a bucket label covers (for drilling into it)."""
    if dimension == "day":
        d = date.fromisoformat(label)
        return d, d
    if dimension == "week":
        year, week = label.split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        return monday, monday + timedelta(days=6)
    if dimension == "month":
        start = date.fromisoformat(label + "-01")
        return start, add_months(start, 1) - timedelta(days=1)
    if dimension == "quarter":
        year, quarter = label.split("-Q")
        start = date(int(year), 3 * int(quarter) - 2, 1)
        return start, add_months(start, 3) - timedelta(days=1)
    return date(int(label), 1, 1), date(int(label), 12, 31)


def cents(amount: Decimal | float | int | str) -> int:
    """Money to integer cents, half up (the store keeps cents: exact sums everywhere)."""
    exact = amount if isinstance(amount, Decimal) else Decimal(str(amount))
    scaled = exact * 100
    whole = int(scaled)
    if whole == scaled:  # whole cents already (an amount column): nothing to round
        return whole
    return int(scaled.quantize(ONE, rounding=ROUND_HALF_UP))


def money(value: int) -> Decimal:
    """Integer cents back to a Decimal amount with two decimals."""
    return Decimal(value).scaleb(-2)


def average(amount_cents: int, orders: int) -> Decimal | None:
    """Amount per order, two decimals half up; None without orders."""
    if not orders:
        return None
    return (Decimal(amount_cents) / orders / 100).quantize(CENT, rounding=ROUND_HALF_UP)


class Booked(NamedTuple):
    """One booked order line (an order × SKU) as the store keeps it (a tuple: the booking path
    builds, hashes and compares thousands of them)."""

    order_id: int
    product_id: int
    day: date
    dealer_id: int
    warehouse_id: int | None
    qty: int
    cents: int

    @property
    def week(self) -> int:
        return week_key(self.day)

    @property
    def month(self) -> int:
        return month_key(self.day)


Delta = dict[tuple, list[int]]  # rollup key → [qty, cents, orders]


def rollup_deltas(old: Iterable[Booked], new: Iterable[Booked]) -> dict[str, Delta]:
    """What replacing the ``old`` booked lines by the ``new`` ones changes in each rollup:
    ``order_day`` (day, dealer, week, month), ``dealer_month`` (month, dealer) — an order counted
    once — and ``product_month`` (month, SKU) — orders containing the SKU. Zero changes are left out."""
    deltas: dict[str, Delta] = {"order_day": {}, "dealer_month": {}, "product_month": {}}

    def add(name: str, key: tuple, qty: int, amount: int, orders: int) -> None:
        row = deltas[name].setdefault(key, [0, 0, 0])
        row[0] += qty
        row[1] += amount
        row[2] += orders

    weeks: dict[date, tuple[int, int]] = {}  # day → (week, month): one ISO week per day
    for sign, lines in ((-1, old), (1, new)):
        orders: dict[int, Booked] = {}
        for line in lines:
            orders.setdefault(line.order_id, line)
            day = line.day
            week, month = weeks.get(day) or weeks.setdefault(day, (week_key(day), month_key(day)))
            qty, amount = sign * line.qty, sign * line.cents
            add("order_day", (day, line.dealer_id, week, month), qty, amount, 0)
            add("dealer_month", (month, line.dealer_id), qty, amount, 0)
            add("product_month", (month, line.product_id), qty, amount, sign)
        for first in orders.values():
            week, month = weeks[first.day]
            add("order_day", (first.day, first.dealer_id, week, month), 0, 0, sign)
            add("dealer_month", (month, first.dealer_id), 0, 0, sign)
    return {name: {k: v for k, v in rows.items() if any(v)} for name, rows in deltas.items()}


def sum_rows(rows: Iterable[Mapping[str, int]], key: str) -> dict[Any, list[int]]:
    """Add up qty, cents and orders by ``key`` (for rolling regions up their tree)."""
    out: dict[Any, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        acc = out[row[key]]
        acc[0] += row["qty"]
        acc[1] += row["cents"]
        acc[2] += row["orders"]
    return out


def measure_values(qty: int, amount_cents: int, orders: int, measures: Iterable[str]) -> dict[str, Any]:
    """The requested measures of one row: amount (Decimal), quantity, order count and average
    order (amount ÷ orders, two decimals; None without orders)."""
    out: dict[str, Any] = {}
    for m in measures:
        if m == "amount":
            out[m] = money(amount_cents)
        elif m == "quantity":
            out[m] = int(qty)
        elif m == "order_count":
            out[m] = int(orders)
        else:
            out[m] = average(amount_cents, orders)
    return out
