"""Demo history, part 4: the stock movements of the history, through the stock ledger
(``apply_movements``), so balances, batches and the ledger agree (``run.py inventory check``).

Each month the serving warehouses receive what they will ship that month (plus 5 %), in one batch
per SKU dated the first of the month, before that month's shipments go out FIFO; the first month
also brings the opening stock. The headquarters and the dealers' own warehouses receive their
stock once. Partially shipped orders reserve what is left to ship.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import groupby

from sqlalchemy.orm import Session

from app.adapters.demo_history_orders import Order, history_months
from app.adapters.demo_history_plan import HistoryParams
from app.adapters.demo_history_write import ACTOR
from app.adapters.stock_ledger import apply_movements
from app.domain.stock import Movement


def _month(day: date) -> date:
    return day.replace(day=1)


def book_stock(
    session: Session,
    params: HistoryParams,
    orders: list[Order],
    today: date,
    hq: str,
    dealer_warehouses: list[str],
) -> int:
    """Apply every receipt, shipment and reservation of the history; how many movements."""
    months = history_months(today, params.months)
    demand: dict[tuple[date, str, str], int] = defaultdict(int)
    for order in orders:
        if order.shipped_at is None:
            continue
        for line in order.lines:
            key = (_month(order.shipped_at.date()), order.dealer.warehouse, line.product.code)
            demand[key] += line.qty if order.status == "partially_shipped" else line.shipped
    days = params.get("stock", {})
    average: dict[tuple[str, str], float] = defaultdict(float)
    for (_, warehouse, sku), qty in demand.items():
        average[(warehouse, sku)] += qty / (30 * params.months)
    count = 0
    shipping_months = sorted({m for m, _, _ in demand} | set(months))
    for index, month in enumerate(shipping_months):
        moves = []
        for (m, warehouse, sku), qty in sorted(demand.items()):
            if m != month:
                continue
            opening = average[(warehouse, sku)] * float(days.get("regional_days", 30)) if index == 0 else 0
            moves.append(_receipt(warehouse, sku, math.ceil(qty * 1.05 + opening), month))
        if index == 0:
            skus = sorted({sku for _, sku in average})
            totals = {sku: sum(v for (_, s), v in average.items() if s == sku) for sku in skus}
            for sku in skus:
                moves.append(
                    _receipt(hq, sku, math.ceil(totals[sku] * float(days.get("hq_days", 20))) + 1, month)
                )
            for number, warehouse in enumerate(dealer_warehouses):
                for sku in skus[number % 7 :: 9][:5]:
                    qty = math.ceil(totals[sku] * float(days.get("dealer_days", 10)) / 10) + 5
                    moves.append(_receipt(warehouse, sku, qty, month + timedelta(days=number % 20)))
        timed = [(_stamp(m.received_on or month, 1), m) for m in moves] + _outbound(orders, month)
        count += _apply_by_time(session, timed)
    return count


def _stamp(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _apply_by_time(session: Session, timed: list[tuple[datetime, Movement]]) -> int:
    """Apply the movements in time order, one ledger call per time stamp (lines dated then)."""
    timed.sort(key=lambda item: item[0])
    for at, group in groupby(timed, key=lambda item: item[0]):
        apply_movements(session, [m for _, m in group], ACTOR, at=at)
    return len(timed)


def _receipt(warehouse: str, sku: str, qty: int, on: date) -> Movement:
    return Movement(
        kind="receipt",
        warehouse=warehouse,
        sku=sku,
        qty=qty,
        batch=f"H{on:%Y%m}",
        received_on=on,
        reference="demo history",
        external_id=f"dh-{warehouse}-{sku}-{on:%Y%m%d}",
    )


def _outbound(orders: list[Order], month: date) -> list[tuple[datetime, Movement]]:
    """The month's shipments (one movement per line, FIFO) and the reservations of partial ones,
    dated on the shipping day (10:00 UTC); the month's receipts cover both."""
    moves: list[tuple[datetime, Movement]] = []
    for order in orders:
        if order.shipped_at is None or _month(order.shipped_at.date()) != month:
            continue
        at = _stamp(order.shipped_at.date(), 10)
        warehouse, shipment = order.dealer.warehouse, f"SH{order.number[2:]}-1"
        for line in order.lines:
            sku = line.product.code
            ship = Movement(
                "ship", warehouse, sku, line.shipped, reference=shipment, reason=f"order {order.number}"
            )
            moves.append((at, ship))
            if order.status == "partially_shipped" and line.qty > line.shipped:
                moves.append(
                    (at, Movement("reserve", warehouse, sku, line.qty - line.shipped, reference=order.number))
                )
    return moves
