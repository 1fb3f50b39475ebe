"""Demo history, part 3: the drawn orders written in bulk (Core inserts, a few statements per
table) as already-completed records: orders, lines, timeline, shipments with lines, invoices,
payments and their allocations. The audit log gets one summarising row per table (action
``bulk_create``: how many rows, the id range, the seed), not one row per record (docs/demo_data.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.adapters.audit import record_event
from app.adapters.demo_history_orders import Order
from app.models import (
    Invoice,
    OrderEvent,
    OrderLine,
    Payment,
    PaymentAllocation,
    SalesOrder,
    Shipment,
    ShipmentLine,
)

ACTOR = "demo-history"
CHUNK = 2000


def _insert(session: Session, model: type, rows: Sequence[dict[str, Any]], seed: int) -> list[int]:
    """Insert ``rows`` into ``model``'s table in chunks; their ids in order; one audit row."""
    table = model.__table__  # type: ignore[attr-defined]
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        result = session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows[start : start + CHUNK]
        )
        ids.extend(r[0] for r in result)
    if ids:
        record_event(
            session,
            "bulk_create",
            model.__name__,
            f"{ids[0]}-{ids[-1]}",
            {"rows": len(ids), "source": "demo history", "seed": seed},
        )
    return ids


def write_orders(session: Session, orders: list[Order], seed: int) -> dict[str, int]:
    """Write every order with its lines, timeline, shipment, invoice and payment (no commit)."""
    order_ids = _insert(session, SalesOrder, [_order_row(o) for o in orders], seed)
    line_rows, event_rows = [], []
    for order, order_id in zip(orders, order_ids, strict=True):
        for number, line in enumerate(order.lines, start=1):
            line_rows.append(
                {
                    "order_id": order_id,
                    "line_no": number,
                    "product_id": line.product.id,
                    "qty": line.qty,
                    "unit_price": line.unit_price,
                    "policy_price": line.unit_price,
                    "amount": line.amount,
                    "promotion": line.promotion,
                    "reserved_qty": line.qty - line.shipped if order.status == "partially_shipped" else 0,
                    "shipped_qty": line.shipped,
                    "received_qty": line.received,
                }
            )
        for at, action, before, after in order.events:
            event_rows.append(
                {
                    "order_id": order_id,
                    "at": at,
                    "actor": ACTOR,
                    "action": action,
                    "from_status": before,
                    "to_status": after,
                }
            )
    line_ids = _insert(session, OrderLine, line_rows, seed)
    _insert(session, OrderEvent, event_rows, seed)
    shipped = [(o, oid) for o, oid in zip(orders, order_ids, strict=True) if o.shipped_at is not None]
    shipment_ids = _insert(session, Shipment, [_shipment_row(o, oid) for o, oid in shipped], seed)
    by_order: dict[int, list[int]] = {}
    for row, line_id in zip(line_rows, line_ids, strict=True):
        by_order.setdefault(row["order_id"], []).append(line_id)
    ship_lines = [
        {
            "shipment_id": sid,
            "order_line_id": lid,
            "qty": line.shipped,
            "received_qty": line.received if order.received_at else None,
        }
        for (order, oid), sid in zip(shipped, shipment_ids, strict=True)
        for line, lid in zip(order.lines, by_order[oid], strict=True)
    ]
    _insert(session, ShipmentLine, ship_lines, seed)
    invoices = [_invoice_row(o, oid, sid) for (o, oid), sid in zip(shipped, shipment_ids, strict=True)]
    invoice_ids = _insert(session, Invoice, invoices, seed)
    paid = [
        (o, row, iid) for (o, _), row, iid in zip(shipped, invoices, invoice_ids, strict=True) if o.paid_on
    ]
    payment_rows = [
        {
            "external_id": f"DH-PAY-{row['number']}",
            "dealer_id": o.dealer.id,
            "amount": row["amount"],
            "unallocated": Decimal(0),
            "received_on": o.paid_on,
            "method": "bank_transfer",
            "reference": o.number,
            "source": "erp",
            "created_by": ACTOR,
        }
        for o, row, _ in paid
    ]
    payment_ids = _insert(session, Payment, payment_rows, seed)
    _insert(
        session,
        PaymentAllocation,
        [
            {"payment_id": pid, "invoice_id": iid, "amount": row["amount"]}
            for (_, row, iid), pid in zip(paid, payment_ids, strict=True)
        ],
        seed,
    )
    return {
        "orders": len(order_ids),
        "order_lines": len(line_ids),
        "shipments": len(shipment_ids),
        "invoices": len(invoice_ids),
        "payments": len(payment_ids),
    }


def _order_row(order: Order) -> dict[str, Any]:
    confirmed = order.events[2][0]
    closed = order.events[-1][0] if order.status in ("received", "cancelled") else None
    return {
        "number": order.number,
        "dealer_id": order.dealer.id,
        "region_id": order.dealer.region_id,
        "ship_to_region_id": order.dealer.region_id,
        "warehouse_id": order.dealer.warehouse_id,
        "status": order.status,
        "source": "portal",
        "amount": order.amount,
        "stock_outcome": "ok",
        "price_outcome": "ok",
        "credit_outcome": "ok",
        "route": "auto",
        "review_round": 1,
        "promised_on": confirmed.date() + timedelta(days=3),
        "created_by": ACTOR,
        "submitted_at": order.created,
        "confirmed_at": confirmed,
        "closed_at": closed,
        "created_at": order.created,
        "updated_at": order.events[-1][0],
        "lock_version": 1,
    }


def _shipment_row(order: Order, order_id: int) -> dict[str, Any]:
    assert order.shipped_at is not None
    status = (
        "received"
        if order.received_at
        else ("shipped" if order.status == "partially_shipped" else "delivered")
    )
    return {
        "number": f"SH{order.number[2:]}-1",
        "order_id": order_id,
        "warehouse_id": order.dealer.warehouse_id,
        "status": status,
        "carrier": "SF" if order.seq % 3 else "JD",
        "service": "standard",
        "waybill": f"DH{order.seq:010d}",
        "parcels": max(1, sum(ln.shipped for ln in order.lines) // 20),
        "cost": Decimal(18 + order.seq % 40),
        "shipped_at": order.shipped_at,
        "delivered_at": order.received_at,
        "received_at": order.received_at,
        "received_by": order.dealer.code if order.received_at else None,
        "created_by": ACTOR,
        "created_at": order.shipped_at,
        "updated_at": order.received_at or order.shipped_at,
        "lock_version": 1,
    }


def _invoice_row(order: Order, order_id: int, shipment_id: int) -> dict[str, Any]:
    assert order.shipped_at is not None
    issued = order.shipped_at.date()
    amount = order.shipped_value
    return {
        "number": f"INV{issued:%Y%m%d}H{order.seq:06d}",
        "dealer_id": order.dealer.id,
        "order_id": order_id,
        "shipment_id": shipment_id,
        "amount": amount,
        "paid_amount": amount if order.paid_on else Decimal(0),
        "issued_on": issued,
        "due_on": issued + timedelta(days=order.dealer.terms),
        "status": "paid" if order.paid_on else "open",
        "created_at": order.shipped_at,
        "updated_at": order.shipped_at,
    }
