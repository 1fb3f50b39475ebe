"""How orders are shown: the JSON of one order (lines, latest checks, timeline) and the scoped,
filtered order list. The API and the pages use the same functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.clock import day_start
from app.adapters.scope_sql import dealer_clause
from app.domain import orders as od
from app.domain.errors import ValidationFailed
from app.domain.scope import DataScope
from app.models import Claim, Dealer, OrderChangeRequest, SalesOrder

MAX_PAGE_SIZE = 200


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def line_json(line) -> dict[str, Any]:
    return {
        "line_no": line.line_no,
        "sku": line.product.code,
        "name": line.product.name,
        "unit": line.product.unit,
        "qty": int(line.qty),
        "unit_price": _text(line.unit_price),
        "policy_price": _text(line.policy_price),
        "requested_price": _text(line.requested_price),
        "amount": _text(line.amount),
        "promotion": bool(line.promotion),
        "shortage": line.shortage,
        "reserved_qty": int(line.reserved_qty),
        "shipped_qty": int(line.shipped_qty),
        "received_qty": int(line.received_qty),
        "steps": line.steps or [],
    }


def latest_checks(order: SalesOrder) -> list[dict[str, Any]]:
    """The checks of the latest submission, in a fixed order."""
    rank = {"stock": 0, "price": 1, "credit": 2, "diversion": 3}
    latest = [c for c in order.checks if c.run == order.review_round]
    return [
        {
            "kind": c.kind,
            "outcome": c.outcome,
            "figures": c.figures,
            "checked_at": _iso(c.checked_at),
            "run": c.run,
        }
        for c in sorted(latest, key=lambda c: rank.get(c.kind, 9))
    ]


def timeline(order: SalesOrder) -> list[dict[str, Any]]:
    return [
        {
            "at": _iso(e.at),
            "actor": e.actor,
            "action": e.action,
            "from": e.from_status,
            "to": e.to_status,
            "note": e.note,
            "data": e.data,
        }
        for e in order.events
    ]


def summary(order: SalesOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "number": order.number,
        "status": order.status,
        "dealer": {"code": order.dealer.code, "name": order.dealer.name},
        "amount": _text(order.amount),
        "source": order.source,
        "route": order.route,
        "stock_outcome": order.stock_outcome,
        "price_outcome": order.price_outcome,
        "credit_outcome": order.credit_outcome,
        "created_at": _iso(order.created_at),
        "submitted_at": _iso(order.submitted_at),
        "confirmed_at": _iso(order.confirmed_at),
    }


def change_json(change) -> dict[str, Any]:
    from app.adapters.order_changes import as_json as change_as_json  # order_changes imports orders

    return change_as_json(change)


def shipment_json(shipment) -> dict[str, Any]:
    from app.adapters.shipments import as_json as shipment_as_json  # shipments imports orders

    return shipment_as_json(shipment)


def as_json(session: Session, order: SalesOrder) -> dict[str, Any]:
    session.refresh(order)
    return {
        **summary(order),
        "region": order.region.code,
        "ship_to_region": order.ship_to_region.code,
        "warehouse": order.warehouse.code if order.warehouse is not None else None,
        "ship_to": order.ship_to,
        "note": order.note,
        "created_by": order.created_by,
        "closed_at": _iso(order.closed_at),
        "instance_id": order.instance_id,
        "review_round": order.review_round,
        "editable": order.status in od.EDITABLE,
        "lines": [line_json(line) for line in order.lines],
        "checks": latest_checks(order),
        "timeline": timeline(order),
        "promised_on": order.promised_on.isoformat() if order.promised_on else None,
        "deposit_amount": _text(order.deposit_amount),
        "shipments": [shipment_json(s) for s in sorted(order.shipments, key=lambda s: s.id)],
        "change_requests": [
            change_json(c)
            for c in session.scalars(
                select(OrderChangeRequest)
                .where(OrderChangeRequest.order_id == order.id)
                .order_by(OrderChangeRequest.id)
            )
        ],
        "claims": [
            {
                "number": c.number,
                "status": c.status,
                "shipment": c.shipment.number,
                "lines": c.lines,
                "note": c.note,
            }
            for c in session.scalars(select(Claim).where(Claim.order_id == order.id).order_by(Claim.id))
        ],
    }


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    dealer: str | None = None
    number: str | None = None
    start: date | None = None
    end: date | None = None
    page: int = 0
    page_size: int = 25


def _day(value: str | None, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(f"{name} is not a date", {name: "YYYY-MM-DD"}) from None
    if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
        raise ValidationFailed(f"{name} is out of range", {name: "between 2000 and 2100"})
    return day


def _whole(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(str(value))
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise ValidationFailed(f"invalid {name}", {name: f"a whole number from {low} to {high}"})
    return number


def parse_filters(args) -> Filters:
    status = args.get("status") or None
    if status is not None and status not in od.STATUSES and status != "open":
        raise ValidationFailed("unknown status", {"status": f"one of open, {', '.join(od.STATUSES)}"})
    start, end = _day(args.get("from"), "from"), _day(args.get("to"), "to")
    if start and end and end < start:
        raise ValidationFailed("the period ends before it starts", {"to": "before from"})
    return Filters(
        status=status,
        dealer=(args.get("dealer") or "").strip().upper()[:32] or None,
        number=(args.get("q") or "").strip()[:32] or None,
        start=start,
        end=end,
        page=_whole(args.get("page"), "page", 0, 0, 100000),
        page_size=_whole(args.get("page_size"), "page_size", 25, 1, MAX_PAGE_SIZE),
    )


def _query(scope: DataScope, f: Filters):
    query = select(SalesOrder).join(Dealer, SalesOrder.dealer_id == Dealer.id).where(dealer_clause(scope))
    if f.status == "open":
        query = query.where(SalesOrder.status.in_(od.OPEN_STATUSES))
    elif f.status:
        query = query.where(SalesOrder.status == f.status)
    if f.dealer:
        query = query.where(Dealer.code == f.dealer)
    if f.number:
        query = query.where(SalesOrder.number.contains(f.number, autoescape=True))
    if f.start:
        query = query.where(SalesOrder.created_at >= day_start(f.start))
    if f.end:
        query = query.where(SalesOrder.created_at < day_start(f.end + timedelta(days=1)))
    return query


def page(session: Session, scope: DataScope, f: Filters) -> tuple[int, list[dict[str, Any]]]:
    """(count, one page of order summaries), newest first, inside ``scope``."""
    query = _query(scope, f)
    count = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(SalesOrder.id.desc()).offset(f.page * f.page_size).limit(f.page_size)
    ).all()
    return count, [summary(order) for order in rows]


def xlsx(headers: list[str], rows: list[list[Any]]) -> bytes:
    """A one-sheet workbook (write-only) of ``rows`` under ``headers``; text cleaned for Excel."""
    import io

    from openpyxl import Workbook

    from app.adapters.excel.template import cell_value

    book = Workbook(write_only=True)
    sheet = book.create_sheet("orders")
    sheet.append(headers)
    for row in rows:
        sheet.append([cell_value(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
