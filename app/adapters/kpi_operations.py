"""The operational metrics of scorecards, batched over dealers (``kpi_values.py`` calls them):
order timeliness, receipt-confirmation speed, price-policy compliance, credit utilisation, stock
age and turnover days of the dealer's own warehouses, qualification status.

Each function takes ``(session, dealer ids, period, context)`` and returns ``{dealer id: value}``
for the dealers that have data; a dealer left out has no value. "At the period's end" means the
end of its last day, or of today while the period is still running.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.domain import receivables as rd
from app.domain.dealers import qualification_state
from app.domain.kpi_metrics import qualification_value
from app.domain.scorecards import Period
from app.models import (
    CreditIncrease,
    Dealer,
    DealerQualification,
    Invoice,
    SalesOrder,
    Shipment,
    StockEntry,
    Warehouse,
)

if TYPE_CHECKING:
    from app.adapters.kpi_values import Context

SOLD = ("confirmed", "partially_shipped", "shipped", "received")
SHIPPED = ("shipped", "received")
RATIO, DAYS = Decimal("0.0001"), Decimal("0.01")


def _utc(day: date, ctx: Context) -> datetime:
    """The local midnight starting ``day``, in UTC."""
    return datetime.combine(day, time(), tzinfo=ctx.zone).astimezone(UTC)


def last_day(period: Period, ctx: Context) -> date:
    """The day whose end is "the period's end": its last day, or today while it runs."""
    return min(period.end - timedelta(days=1), ctx.today)


def _ratio(part: int, whole: int) -> Decimal:
    return (Decimal(part) / Decimal(whole)).quantize(RATIO, ROUND_HALF_UP)


def on_time_rate(session: Session, dealer_ids: list[int], period: Period, ctx: Context) -> dict:
    """Orders promised for a day of the period (not cancelled): the share shipped in full by the
    promised day. An order promised for today or later that is not yet shipped is not counted."""
    last = func.max(Shipment.shipped_at)
    rows = session.execute(
        select(SalesOrder.dealer_id, SalesOrder.status, SalesOrder.promised_on, last)
        .outerjoin(Shipment, Shipment.order_id == SalesOrder.id)
        .where(
            SalesOrder.dealer_id.in_(dealer_ids),
            SalesOrder.status.in_(SOLD),
            SalesOrder.promised_on >= period.start,
            SalesOrder.promised_on < period.end,
        )
        .group_by(SalesOrder.id, SalesOrder.dealer_id, SalesOrder.status, SalesOrder.promised_on)
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for dealer_id, status, promised, shipped_at in rows:
        on_time = status in SHIPPED and shipped_at is not None
        on_time = on_time and shipped_at.astimezone(ctx.zone).date() <= promised
        if on_time or promised < ctx.today:
            counts[dealer_id][0] += int(on_time)
            counts[dealer_id][1] += 1
    return {d: _ratio(ok, n) for d, (ok, n) in counts.items() if n}


def receipt_days(session: Session, dealer_ids: list[int], period: Period, ctx: Context) -> dict:
    """Shipments delivered in the period: the average days from delivery to the dealer's receipt
    confirmation; one not yet confirmed counts the days until now (withholding does not help)."""
    now = datetime.now(UTC)
    rows = session.execute(
        select(SalesOrder.dealer_id, Shipment.delivered_at, Shipment.received_at)
        .join(SalesOrder, SalesOrder.id == Shipment.order_id)
        .where(
            SalesOrder.dealer_id.in_(dealer_ids),
            Shipment.delivered_at >= _utc(period.start, ctx),
            Shipment.delivered_at < _utc(period.end, ctx),
        )
    )
    spans: dict[int, list[float]] = defaultdict(list)
    for dealer_id, delivered, received in rows:
        spans[dealer_id].append(max(((received or now) - delivered).total_seconds(), 0) / 86400)
    return {d: Decimal(str(sum(s) / len(s))).quantize(DAYS, ROUND_HALF_UP) for d, s in spans.items()}


def price_compliance(session: Session, dealer_ids: list[int], period: Period, ctx: Context) -> dict:
    """Orders confirmed in the period (the analytics store's sales): the share whose price check
    was ``ok`` (an approved price exception is still a deviation)."""
    ok = func.sum(case((SalesOrder.price_outcome == "ok", 1), else_=0))
    rows = session.execute(
        select(SalesOrder.dealer_id, ok, func.count())
        .where(
            SalesOrder.dealer_id.in_(dealer_ids),
            SalesOrder.status.in_(SOLD),
            SalesOrder.price_outcome.is_not(None),
            SalesOrder.confirmed_at >= _utc(period.start, ctx),
            SalesOrder.confirmed_at < _utc(period.end, ctx),
        )
        .group_by(SalesOrder.dealer_id)
    )
    return {d: _ratio(int(good or 0), n) for d, good, n in rows if n}


def credit_utilisation(session: Session, dealer_ids: list[int], period: Period, ctx: Context) -> dict:
    """Exposure / limit (as ``order_checks.exposure``: unpaid invoices + uninvoiced sold orders,
    against the limit plus temporary increases in force). The receivables keep no history, so only
    the running period has a value."""
    if not period.start <= ctx.today < period.end:
        return {}
    unpaid = dict(
        session.execute(
            select(Invoice.dealer_id, func.sum(Invoice.amount - Invoice.paid_amount))
            .where(Invoice.dealer_id.in_(dealer_ids), Invoice.status.in_(rd.UNPAID))
            .group_by(Invoice.dealer_id)
        ).all()
    )
    invoiced = (
        select(func.coalesce(func.sum(Invoice.amount), 0))
        .where(Invoice.order_id == SalesOrder.id, Invoice.status != "cancelled")
        .correlate(SalesOrder)
        .scalar_subquery()
    )
    left = SalesOrder.amount - invoiced
    open_orders = dict(
        session.execute(
            select(SalesOrder.dealer_id, func.sum(case((left > 0, left), else_=0)))
            .where(SalesOrder.dealer_id.in_(dealer_ids), SalesOrder.status.in_(SOLD))
            .group_by(SalesOrder.dealer_id)
        ).all()
    )
    increases: dict[int, list] = defaultdict(list)
    for dealer_id, amount, start, end in session.execute(
        select(
            CreditIncrease.dealer_id,
            CreditIncrease.amount,
            CreditIncrease.valid_from,
            CreditIncrease.valid_to,
        )
        .where(CreditIncrease.dealer_id.in_(dealer_ids), CreditIncrease.status == "approved")
        .where(CreditIncrease.valid_from <= ctx.today, CreditIncrease.valid_to >= ctx.today)
    ):
        increases[dealer_id].append((Decimal(amount), start, end))
    out = {}
    for dealer_id, limit in session.execute(
        select(Dealer.id, Dealer.credit_limit).where(Dealer.id.in_(dealer_ids))
    ):
        total = rd.limit_in_force(Decimal(limit or 0), increases[dealer_id], ctx.today)
        if total > 0:
            used = Decimal(unpaid.get(dealer_id) or 0) + Decimal(open_orders.get(dealer_id) or 0)
            out[dealer_id] = (used / total).quantize(RATIO, ROUND_HALF_UP)
    return out


def _stock_on(session: Session, dealer_ids: list[int], before: datetime) -> dict:
    """{dealer id: on hand} in the dealer's own warehouses before a moment, from the ledger."""
    return dict(
        session.execute(
            select(Warehouse.dealer_id, func.sum(StockEntry.on_hand))
            .join(Warehouse, Warehouse.id == StockEntry.warehouse_id)
            .where(Warehouse.dealer_id.in_(dealer_ids), StockEntry.at < before)
            .group_by(Warehouse.dealer_id)
        ).all()
    )


def stock_age(session: Session, dealer_ids: list[int], period: Period, ctx: Context) -> dict:
    """Quantity-weighted average age (days since the batch was received) of the stock in the
    dealer's own warehouses at the period's end, from the ledger (batches without a receipt day
    are left out)."""
    day = last_day(period, ctx)
    rows = session.execute(
        select(Warehouse.dealer_id, func.sum(StockEntry.on_hand), func.min(StockEntry.received_on))
        .join(Warehouse, Warehouse.id == StockEntry.warehouse_id)
        .where(Warehouse.dealer_id.in_(dealer_ids), StockEntry.at < _utc(day + timedelta(days=1), ctx))
        .group_by(Warehouse.dealer_id, StockEntry.warehouse_id, StockEntry.product_id, StockEntry.batch)
    )
    acc: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for dealer_id, qty, received in rows:
        if qty and qty > 0 and received is not None:
            acc[dealer_id][0] += int(qty) * max((day - received).days, 0)
            acc[dealer_id][1] += int(qty)
    return {d: (Decimal(w) / q).quantize(DAYS, ROUND_HALF_UP) for d, (w, q) in acc.items() if q}


def turnover_days(session: Session, dealer_ids: list[int], period: Period, ctx: Context) -> dict:
    """(stock at the start + stock at the end) / 2 / (sell-out of the period / its days so far),
    in the dealer's own warehouses; no value without sell-out."""
    day = last_day(period, ctx)
    if day < period.start:
        return {}
    start, end = _utc(period.start, ctx), _utc(day + timedelta(days=1), ctx)
    opening, closing = _stock_on(session, dealer_ids, start), _stock_on(session, dealer_ids, end)
    sold = session.execute(
        select(Warehouse.dealer_id, -func.sum(StockEntry.on_hand))
        .join(Warehouse, Warehouse.id == StockEntry.warehouse_id)
        .where(Warehouse.dealer_id.in_(dealer_ids), StockEntry.kind == "sell_out")
        .where(StockEntry.at >= start, StockEntry.at < end)
        .group_by(Warehouse.dealer_id)
    )
    days = Decimal((day - period.start).days + 1)
    out = {}
    for dealer_id, qty in sold:
        if qty and qty > 0:
            average = Decimal(int(opening.get(dealer_id) or 0) + int(closing.get(dealer_id) or 0)) / 2
            out[dealer_id] = (average * days / Decimal(int(qty))).quantize(DAYS, ROUND_HALF_UP)
    return out


def qualification(session: Session, dealer_ids: list[int], period: Period, ctx: Context) -> dict:
    """The worst state of the dealer's licences in force at the period's end (valid 1, expiring
    0.5, expired or none 0)."""
    day = last_day(period, ctx)
    states: dict[int, list[str]] = {d: [] for d in dealer_ids}
    for dealer_id, valid_from, valid_to in session.execute(
        select(
            DealerQualification.dealer_id, DealerQualification.valid_from, DealerQualification.valid_to
        ).where(DealerQualification.dealer_id.in_(dealer_ids))
    ):
        if valid_from is None or valid_from <= day:
            states[dealer_id].append(qualification_state(valid_to, day, ctx.warn_days))
    return {d: qualification_value(s) for d, s in states.items()}


OPERATIONAL = {
    "order_on_time_rate": on_time_rate,
    "receipt_confirmation_days": receipt_days,
    "price_compliance_rate": price_compliance,
    "credit_utilisation": credit_utilisation,
    "stock_age_days": stock_age,
    "stock_turnover_days": turnover_days,
    "qualification_status": qualification,
}
