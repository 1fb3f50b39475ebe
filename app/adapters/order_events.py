"""Business events of orders and shipments (``order.confirmed``, ``shipment.received`` …), emitted
inside the transaction that causes them. Listeners (webhooks, e-mail) subscribe here and must only
add rows to the session (no commit, no network): delivery happens after the commit, by a job.

    subscribe(listener)                       # listener(session, event, payload)
    emit(session, "order.confirmed", {"order": "SO…", "dealer": "D-SH-001", …})
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

Listener = Callable[[Session, str, dict[str, Any]], None]
_listeners: list[Listener] = []

ORDER_EVENTS = (
    "order.submitted",
    "order.in_review",
    "order.returned",
    "order.confirmed",
    "order.rejected",
    "order.cancelled",
    "order.partially_shipped",
    "order.shipped",
    "order.received",
)
SHIPMENT_EVENTS = ("shipment.created", "shipment.tracking", "shipment.delivered", "shipment.received")
EVENTS = ORDER_EVENTS + SHIPMENT_EVENTS


def subscribe(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def emit(session: Session, event: str, payload: dict[str, Any]) -> None:
    """Tell every listener (same transaction)."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    for listener in list(_listeners):
        listener(session, event, payload)


def order_payload(order) -> dict[str, Any]:
    """What an order event carries (no prices of other dealers, nothing secret)."""
    return {
        "order": order.number,
        "id": order.id,
        "dealer": order.dealer.code,
        "status": order.status,
        "amount": str(order.amount),
        "lines": [
            {"sku": line.product.code, "qty": int(line.qty), "shipped_qty": int(line.shipped_qty)}
            for line in order.lines
        ],
    }
