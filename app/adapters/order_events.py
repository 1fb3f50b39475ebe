"""Business events of orders and shipments (``order.confirmed``, ``shipment.received`` …), emitted
inside the transaction that causes them. Listeners (webhooks, e-mail) subscribe here and must only
add rows to the session (no commit, no network): delivery happens after the commit, by a job.

    subscribe(listener)                       # listener(session, event, payload)
    emit(session, "order.confirmed", {"order": "SO…", "dealer": "D-SH-001", …})
    emit(session, "order.submitted", lambda: order_payload(order))   # built only if a listener asks

A listener gets ``payload`` as a function returning the event's data (built on the first call and
kept): most events have no subscriber, and an order's data reads all its lines.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy.orm import Session

Payload = Callable[[], dict[str, Any]]
Listener = Callable[[Session, str, Payload], None]
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


def emit(session: Session, event: str, payload: dict[str, Any] | Payload) -> None:
    """Tell every listener (same transaction); ``payload`` is the data or a function making it."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event!r}")
    data = cache(payload) if callable(payload) else (lambda: payload)
    for listener in list(_listeners):
        listener(session, event, data)


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
