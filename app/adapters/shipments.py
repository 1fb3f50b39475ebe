"""Shipments (C17): the warehouse ships a confirmed order in one or more shipments (stock leaves
the ledger, reserved first), carriers and the WMS push tracking events, the dealer confirms
receipt (签收) and a shortfall becomes a claim. The order follows: partially shipped → shipped →
received. See docs/orders.md."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters import logistics, order_events, orders, receivables
from app.adapters.scope_sql import dealer_clause
from app.adapters.stock_ledger import apply_movements
from app.domain import orders as od
from app.domain import shipments as sd
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.stock import Movement
from app.engine import runtime
from app.models import Claim, Dealer, SalesOrder, Shipment, ShipmentEvent, ShipmentLine
from app.models.base import utcnow

SHIPPABLE = ("confirmed", "partially_shipped")
RECEIVABLE = ("shipped", "in_transit", "delivered")


def _payload(shipment: Shipment) -> dict[str, Any]:
    return {
        "shipment": shipment.number,
        "order": shipment.order.number,
        "dealer": shipment.order.dealer.code,
        "status": shipment.status,
        "carrier": shipment.carrier,
        "waybill": shipment.waybill,
        "lines": [{"sku": line.order_line.product.code, "qty": int(line.qty)} for line in shipment.lines],
    }


def _stock_movements(order: SalesOrder, shipment_number: str, picks: list[tuple[Any, int]]) -> list[Movement]:
    movements = []
    for line, qty in picks:
        held = min(qty, int(line.reserved_qty))
        for amount, from_reserved in ((held, True), (qty - held, False)):
            if amount > 0:
                movements.append(
                    Movement(
                        kind="ship",
                        warehouse=order.warehouse.code,
                        sku=line.product.code,
                        qty=amount,
                        reference=shipment_number,
                        reason=f"order {order.number}",
                        from_reserved=from_reserved,
                    )
                )
    return movements


def _cut_partial_lines(session: Session, order: SalesOrder, actor: str) -> list[dict[str, Any]]:
    """Lines whose shortage rule is ``partial`` keep only what has shipped: the rest is dropped
    (its reservation released) and the order's amount follows."""
    cut, releases = [], []
    for line in order.lines:
        if line.shortage == "partial" and line.shipped_qty < line.qty:
            dropped = int(line.qty) - int(line.shipped_qty)
            if line.reserved_qty:
                releases.append(
                    Movement(
                        kind="release",
                        warehouse=order.warehouse.code,
                        sku=line.product.code,
                        qty=int(line.reserved_qty),
                        reference=order.number,
                        reason="partial delivery: rest dropped",
                    )
                )
                line.reserved_qty = 0
            line.qty = int(line.shipped_qty)
            line.amount = od.money(Decimal(line.unit_price) * line.qty)
            cut.append({"sku": line.product.code, "dropped": dropped})
    if releases:
        apply_movements(session, releases, actor)
    if cut:
        order.amount = od.money(sum((Decimal(line.amount) for line in order.lines), Decimal(0)))
    return cut


def create_shipment(session: Session, order_id: int, raw: Any, caller: runtime.Caller) -> Shipment:
    """Ship lines of a confirmed order from its warehouse. Commits; refusals name the field."""
    order = orders.find(session, order_id, caller)
    if order.status not in SHIPPABLE:
        raise Conflict(f"an order that is {order.status} cannot be shipped", {"status": f"is {order.status}"})
    if order.deposit_amount and order.deposit_paid_at is None:
        raise Conflict("the order waits for its deposit", {"deposit": "not paid yet"})
    if order.warehouse is None:
        raise ValidationFailed("no warehouse serves this dealer", {"warehouse": "none serves the dealer"})
    request = sd.parse_shipment(raw)
    by_sku = {line.product.code: line for line in order.lines}
    errors, picks = {}, []
    for index, item in enumerate(request.lines):
        line = by_sku.get(item.sku)
        if line is None:
            errors[f"lines/{index}/sku"] = "not on this order"
            continue
        left = int(line.qty) - int(line.shipped_qty)
        if item.qty > left:
            errors[f"lines/{index}/qty"] = f"at most {left} left to ship"
            continue
        picks.append((line, item.qty))
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first]}", errors)
    carrier, service = request.carrier, request.service
    if carrier is None:
        carrier, service = logistics.choose_carrier(session, order, picks, request.weight_kg)
    taken = session.scalar(
        select(Shipment.id).where(Shipment.carrier == carrier, Shipment.waybill == request.waybill)
    )
    if taken is not None:
        raise Conflict(f"waybill {request.waybill} of {carrier} is already used", {"waybill": "already used"})
    count = session.scalar(select(func.count(Shipment.id)).where(Shipment.order_id == order.id)) or 0
    shipment = Shipment(
        number=f"SH{order.number[2:]}-{count + 1}",
        order=order,
        warehouse=order.warehouse,
        carrier=carrier,
        service=service,
        waybill=request.waybill,
        parcels=request.parcels,
        weight_kg=request.weight_kg,
        volume_m3=request.volume_m3,
        cost=request.cost,
        created_by=caller.name,
    )
    session.add(shipment)
    apply_movements(session, _stock_movements(order, shipment.number, picks), caller.name)
    for line, qty in picks:
        shipment.lines.append(ShipmentLine(order_line=line, qty=qty))
        held = min(qty, int(line.reserved_qty))
        line.reserved_qty = int(line.reserved_qty) - held
        line.shipped_qty = int(line.shipped_qty) + qty
    cut = _cut_partial_lines(session, order, caller.name)
    complete = all(line.shipped_qty >= line.qty for line in order.lines)
    orders.move(
        order,
        "ship_all" if complete else "ship",
        caller.name,
        shipment=shipment.number,
        waybill=f"{carrier} {request.waybill}",
        **({"dropped": cut} if cut else {}),
    )
    session.flush()
    receivables.raise_invoices_for(session, shipment=shipment)  # per shipment, if so set
    order_events.emit(session, "shipment.created", _payload(shipment))
    session.commit()
    return shipment


def find(session: Session, shipment_id: int, caller: runtime.Caller) -> Shipment:
    shipment = session.scalar(
        select(Shipment)
        .join(SalesOrder, Shipment.order_id == SalesOrder.id)
        .join(Dealer, SalesOrder.dealer_id == Dealer.id)
        .where(Shipment.id == shipment_id, dealer_clause(caller.scope))
    )
    if shipment is None:
        raise NotFound("no such shipment in your data scope")
    return shipment


def record_events(session: Session, source: str, events: list[sd.TrackingEvent]) -> list[dict[str, Any]]:
    """Apply tracking events (all or none); an event id seen before counts once. Commits."""
    known = set(
        session.scalars(
            select(ShipmentEvent.external_id).where(
                ShipmentEvent.external_id.in_([e.external_id for e in events])
            )
        )
    )
    waybills = {e.waybill for e in events}
    found: dict[str, list[Shipment]] = {}
    for shipment in session.scalars(select(Shipment).where(Shipment.waybill.in_(waybills))):
        found.setdefault(shipment.waybill, []).append(shipment)
    errors = {}
    for index, event in enumerate(events):
        candidates = [s for s in found.get(event.waybill, []) if event.carrier in (None, s.carrier)]
        if len(candidates) != 1:
            errors[f"events/{index}/waybill"] = (
                "unknown waybill" if not candidates else "name the carrier too"
            )
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first]}", errors)
    results, seen = [], set(known)
    for event in events:
        if event.external_id in seen:
            results.append({"id": event.external_id, "duplicate": True})
            continue
        seen.add(event.external_id)
        shipment = next(s for s in found[event.waybill] if event.carrier in (None, s.carrier))
        shipment.events.append(
            ShipmentEvent(
                external_id=event.external_id,
                at=event.at,
                code=event.code,
                location=event.location,
                description=event.description,
                source=source[:60],
            )
        )
        status = sd.STATUS_OF_CODE.get(event.code)
        if shipment.status in ("shipped", "in_transit") and status is not None and status != shipment.status:
            shipment.status = status
            if status == "delivered":
                shipment.delivered_at = event.at
                order_events.emit(session, "shipment.delivered", _payload(shipment))
        order_events.emit(session, "shipment.tracking", {**_payload(shipment), "code": event.code})
        results.append({"id": event.external_id, "duplicate": False, "shipment": shipment.number})
    session.commit()
    return results


def confirm_receipt(session: Session, shipment_id: int, raw: Any, caller: runtime.Caller) -> Shipment:
    """The dealer confirms what arrived; less than sent opens a claim. Commits."""
    shipment = find(session, shipment_id, caller)
    if shipment.status not in RECEIVABLE:
        raise Conflict(
            f"a shipment that is {shipment.status} cannot be received", {"status": shipment.status}
        )
    body = raw if isinstance(raw, dict) else {}
    unknown = set(body) - {"lines", "note"}
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationFailed(f"{name}: unknown field", {name: "unknown field"})
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 1000):
        raise ValidationFailed("note: at most 1000 characters", {"note": "text of at most 1000 characters"})
    shipped = {line.order_line.product.code: int(line.qty) for line in shipment.lines}
    received = sd.receipt_lines(body.get("lines"), shipped)
    missing = []
    for line in shipment.lines:
        got = received[line.order_line.product.code]
        line.received_qty = got
        line.order_line.received_qty = int(line.order_line.received_qty) + got
        if got < line.qty:
            missing.append(
                {
                    "sku": line.order_line.product.code,
                    "shipped": int(line.qty),
                    "received": got,
                    "missing": int(line.qty) - got,
                }
            )
    shipment.status, shipment.received_at, shipment.received_by = "received", utcnow(), caller.name
    order = shipment.order
    claim = None
    if missing:
        count = session.scalar(select(func.count(Claim.id)).where(Claim.order_id == order.id)) or 0
        claim = Claim(
            number=f"CL{order.number[2:]}-{count + 1}",
            shipment=shipment,
            order=order,
            lines=missing,
            note=note,
            created_by=caller.name,
        )
        session.add(claim)
    orders.add_event(
        order,
        caller.name,
        "receipt",
        before=order.status,
        note=note,
        data={"shipment": shipment.number, **({"claim": claim.number, "missing": missing} if claim else {})},
    )
    session.flush()
    everything_received = all(s.status == "received" for s in order.shipments)
    if order.status == "shipped" and everything_received:
        orders.move(order, "receive", caller.name)
    order_events.emit(session, "shipment.received", {**_payload(shipment), "missing": missing})
    session.commit()
    return shipment


def as_json(shipment: Shipment) -> dict[str, Any]:
    return {
        "id": shipment.id,
        "number": shipment.number,
        "order": shipment.order.number,
        "order_id": shipment.order_id,
        "status": shipment.status,
        "warehouse": shipment.warehouse.code,
        "carrier": shipment.carrier,
        "service": shipment.service,
        "waybill": shipment.waybill,
        "parcels": shipment.parcels,
        "weight_kg": str(shipment.weight_kg) if shipment.weight_kg is not None else None,
        "volume_m3": str(shipment.volume_m3) if shipment.volume_m3 is not None else None,
        "cost": str(shipment.cost),
        "shipped_at": shipment.shipped_at.isoformat(),
        "delivered_at": shipment.delivered_at.isoformat() if shipment.delivered_at else None,
        "received_at": shipment.received_at.isoformat() if shipment.received_at else None,
        "received_by": shipment.received_by,
        "lines": [
            {
                "sku": line.order_line.product.code,
                "name": line.order_line.product.name,
                "qty": int(line.qty),
                "received_qty": int(line.received_qty) if line.received_qty is not None else None,
            }
            for line in shipment.lines
        ],
        "tracking": [
            {"at": e.at.isoformat(), "code": e.code, "location": e.location, "description": e.description}
            for e in sorted(shipment.events, key=lambda e: e.at)
        ],
    }
