"""Orders (订单): create (portal, API, Excel), edit while a draft or returned, submit (checks,
price-exception review, the approval flow), cancel; finding and listing them in the caller's
data scope; the timeline. The flow's service tasks are in ``order_flow.py``.

    order = create_order(session, {"dealer": "D-SH-001", "lines": [{"sku": "BEV-W-550", "qty": 10}]},
                         caller, source="api")          # submitted: checks ran, the flow started
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, joinedload, object_session, selectinload

from app.adapters import order_checks, order_events, order_lines, price_review
from app.adapters.clock import business_today
from app.adapters.scope_sql import dealer_clause
from app.adapters.stock_ledger import apply_movements
from app.domain import orders as od
from app.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.domain.stock import Movement
from app.engine import runtime
from app.models import (
    Dealer,
    DealerAddress,
    OrderEvent,
    PriceException,
    ProcessInstance,
    Region,
    SalesOrder,
)
from app.models.base import utcnow

PROCESS_KEY = "order_approval"
DEALER_ROLE = "Dealer"


def is_dealer_user(caller: runtime.Caller) -> bool:
    """A dealer's own user (scope: its company), not back office."""
    return DEALER_ROLE in caller.roles and not caller.scope.unrestricted and not caller.scope.region_paths


def add_event(
    order: SalesOrder,
    actor: str,
    action: str,
    *,
    before: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """One line of the order's timeline (status before → now); the order's earlier events are
    not loaded for it."""
    event = OrderEvent(
        order=order,
        actor=actor[:100],
        action=action,
        from_status=before,
        to_status=order.status,
        note=note,
        data=data,
    )
    session = object_session(order)
    if session is not None:
        session.add(event)


def session_of(order: SalesOrder) -> Session:
    session = object_session(order)
    if session is None:
        raise ValueError("the order is not in a session")
    return session


def move(order: SalesOrder, action: str, actor: str, note: str | None = None, **data: Any) -> None:
    """Apply a lifecycle action (the domain's state machine) and record it on the timeline."""
    before = order.status
    order.status = od.transition(before, action)
    now = utcnow()
    if action == "approve":
        order.confirmed_at = now
    if order.status in od.FINAL:
        order.closed_at = now
    add_event(order, actor, action, before=before, note=note, data=data or None)
    if order.status != before and f"order.{order.status}" in order_events.ORDER_EVENTS:
        event = f"order.{order.status}"
        order_events.emit(session_of(order), event, lambda: order_events.order_payload(order))


DEALER_BY_CODE = (
    select(Dealer)
    .where(Dealer.code == bindparam("code"))
    .options(joinedload(Dealer.region), joinedload(Dealer.tier))  # pricing and the checks read both
)  # built once: building a statement costs more than running it
ADDRESSES = (
    select(DealerAddress).where(DealerAddress.dealer_id == bindparam("dealer_id")).order_by(DealerAddress.id)
)


def _dealer(session: Session, code: str, caller: runtime.Caller) -> Dealer:
    dealer = session.scalar(DEALER_BY_CODE, {"code": code})
    if dealer is None or not caller.scope.allows_dealer(dealer.id, dealer.region.path):
        raise NotFound("no such dealer in your data scope", {"dealer": "not found"})
    if dealer.status != "active":
        raise ValidationFailed(
            f"dealer {code} is {dealer.status}: it cannot order", {"dealer": f"is {dealer.status}"}
        )
    return dealer


def default_dealer(caller: runtime.Caller) -> int | None:
    """The one dealer a dealer user orders for (its company)."""
    ids = caller.scope.dealer_ids
    return next(iter(ids)) if is_dealer_user(caller) and len(ids) == 1 else None


def _ship_to(session: Session, dealer: Dealer, ship_to: str | None) -> str | None:
    addresses = session.scalars(ADDRESSES, {"dealer_id": dealer.id}).all()
    if ship_to is None:
        found = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
    else:
        found = next((a for a in addresses if a.label == ship_to or str(a.id) == ship_to), None)
        if found is None:
            raise ValidationFailed(
                f"the dealer has no address {ship_to!r}",
                {"ship_to": "the label or id of one of the dealer's addresses"},
            )
    if found is None:
        return None
    parts = [found.label, found.address, found.receiver, found.phone]
    return " ".join(p for p in parts if p)[:400]


def _region(session: Session, code: str | None, dealer: Dealer) -> Region:
    if code is None:
        return dealer.region
    region = session.scalar(select(Region).where(Region.code == code))
    if region is None:
        raise ValidationFailed(f"unknown region {code!r}", {"ship_to_region": "unknown region"})
    return region


@dataclass
class _New:
    """A new order's values, read and priced before anything is written."""

    order: SalesOrder
    rows: list[order_lines.Row]


def _new_order(session: Session, raw: Any, caller: runtime.Caller, source: str, on: date | None) -> _New:
    """Parse and price ``raw`` into an order not yet in the session. Refusals name the field."""
    if isinstance(raw, dict) and "dealer" not in raw:
        own = default_dealer(caller)
        if own is not None:
            code = session.scalar(select(Dealer.code).where(Dealer.id == own))
            raw = {**raw, "dealer": code}
    raw = dict(raw) if isinstance(raw, dict) else raw
    extra = raw.pop("ship_to_region", None) if isinstance(raw, dict) else None
    request = od.parse_request(raw)
    dealer = _dealer(session, request.dealer, caller)
    order = SalesOrder(
        number=f"TMP-{uuid.uuid4().hex[:24]}",
        dealer=dealer,
        region=dealer.region,
        ship_to_region=_region(session, str(extra) if extra is not None else None, dealer),
        warehouse=order_checks.serving_warehouse(session, dealer),
        status="draft",
        source=source if source in od.SOURCES else "api",
        ship_to=_ship_to(session, dealer, request.ship_to),
        note=request.note,
        created_by=caller.name,
        created_by_id=caller.id,
    )
    rows, order.amount = order_lines.priced(session, dealer, request.lines, on)
    return _New(order, rows)


def _write(session: Session, new: _New, caller: runtime.Caller, on: date | None) -> SalesOrder:
    """Insert the new order and its lines; it gets its number. Flushed, not committed."""
    order = new.order
    session.add(order)
    session.flush()
    order_lines.store(session, order, new.rows)
    order.number = f"SO{(on or business_today()):%Y%m%d}{order.id:06d}"
    add_event(order, caller.name, "created", data={"source": order.source})
    return order


def draft_order(
    session: Session, raw: Any, caller: runtime.Caller, *, source: str = "api", on: date | None = None
) -> SalesOrder:
    """A new draft from ``raw`` (dealer, lines, ship_to?, ship_to_region?, note?), priced and
    flushed, not committed. Refusals name the field."""
    return _write(session, _new_order(session, raw, caller, source, on), caller, on)


def create_order(
    session: Session,
    raw: Any,
    caller: runtime.Caller,
    *,
    source: str = "api",
    submit: bool = True,
    on: date | None = None,
) -> SalesOrder:
    """A new order from ``raw``; submitted at once unless ``submit`` is false (a draft). Commits.

    A submitted order is priced and checked before anything is written, so the transaction
    writes only at its end (on SQLite the database is locked for writing only then)."""
    if not submit:
        order = draft_order(session, raw, caller, source=source, on=on)
        session.commit()
        return order
    new = _new_order(session, raw, caller, source, on)
    facts = [
        order_checks.LineFacts(
            product, int(row["qty"]), row["unit_price"], row["policy_price"], row["promotion"]
        )
        for row, product in new.rows
    ]
    checks = order_checks.evaluate(
        session,
        new.order.dealer,
        new.order.warehouse,
        new.order.ship_to_region,
        facts,
        new.order.amount,
        on=on,
    )
    for (row, _product), shortage in zip(new.rows, checks.shortages, strict=True):
        row["shortage"] = shortage
    order = _write(session, new, caller, on)
    move(order, "submit", caller.name)
    _new_round(order)
    order_checks.store(session, order, checks)
    _checked(session, order, checks, caller)
    return _start_flow(session, order, checks.flow, caller)


def review_key(order: SalesOrder) -> str:
    """Business key of the order's price-exception review in this round (the number; later rounds
    add ``-R2`` …, as each review is its own record)."""
    return order.number if order.review_round <= 1 else f"{order.number}-R{order.review_round}"


def order_of_review(session: Session, business_key: str) -> SalesOrder | None:
    number = business_key.rsplit("-R", 1)[0]
    return session.scalar(select(SalesOrder).where(SalesOrder.number == number))


def _new_round(order: SalesOrder) -> None:
    order.review_round += 1
    order.submitted_at = utcnow()


def _checked(
    session: Session, order: SalesOrder, checks: order_checks.Checks, caller: runtime.Caller
) -> None:
    """After a round of checks was stored: a price needing review starts the price-exception
    review once this commits; the timeline says what the checks found."""
    if checks.price.outcome == "review":
        price_review.queue_review(
            session,
            kind="order",
            business_key=review_key(order),
            check=checks.price,
            request=price_review.Request(
                requested_by=order.created_by,
                requested_by_id=order.created_by_id,
                reason=order.note,
                ship_to_region=order.ship_to_region.code,
            ),
            caller=price_review.SYSTEM,
        )
    add_event(order, caller.name, "checked", data={k: v for k, v in checks.flow.items() if k != "amount"})


def recheck(session: Session, order: SalesOrder, caller: runtime.Caller, on: date | None = None) -> dict:
    """A new round of checks on a stored order; a price needing review starts the
    price-exception review once this commits. Returns the flow's ``checks``. No commit."""
    _new_round(order)
    checks = order_checks.run_checks(session, order, on)
    _checked(session, order, checks, caller)
    return checks.flow


def _start_flow(session: Session, order: SalesOrder, flow_checks: dict, caller: runtime.Caller) -> SalesOrder:
    data = {
        "dealer": order.dealer.code,
        "region": order.dealer.region.code,
        "business_key": order.number,
        "order_id": order.id,
        "checks": flow_checks,
    }
    runtime.start_instance(session, PROCESS_KEY, data, caller, on_started=runtime.linker(order))
    return order


def submit_order(
    session: Session, order: SalesOrder, caller: runtime.Caller, on: date | None = None
) -> SalesOrder:
    """Submit a draft: run the checks, start the approval flow (which may confirm or block it at
    once). Commits."""
    move(order, "submit", caller.name)
    return _start_flow(session, order, recheck(session, order, caller, on), caller)


def find(session: Session, order_id: int, caller: runtime.Caller) -> SalesOrder:
    """The order if the caller's data scope covers its dealer (``NotFound`` otherwise)."""
    order = session.scalar(
        select(SalesOrder)
        .join(Dealer, SalesOrder.dealer_id == Dealer.id)
        .where(SalesOrder.id == order_id, dealer_clause(caller.scope))
        .options(selectinload(SalesOrder.lines), selectinload(SalesOrder.checks))
    )
    if order is None:
        raise NotFound("no such order in your data scope")
    return order


def edit_lines(session: Session, order_id: int, raw: Any, caller: runtime.Caller) -> SalesOrder:
    """Replace the lines of a draft or returned order (re-priced). Commits."""
    order = find(session, order_id, caller)
    if order.status not in od.EDITABLE:
        raise Conflict(f"an order that is {order.status} cannot be changed", {"status": f"is {order.status}"})
    body = raw if isinstance(raw, dict) else {}
    request = od.parse_request({"dealer": order.dealer.code, "lines": body.get("lines")})
    order_lines.price_lines(session, order, request.lines)
    add_event(
        order, caller.name, "edited", note=body.get("note") if isinstance(body.get("note"), str) else None
    )
    session.commit()
    return order


def release_reservations(session: Session, order: SalesOrder, actor: str) -> None:
    """Give back what the order holds at its warehouse (cancel before shipping)."""
    movements = [
        Movement(
            kind="release",
            warehouse=order.warehouse.code,
            sku=line.product.code,
            qty=int(line.reserved_qty),
            reference=order.number,
            reason="order cancelled",
        )
        for line in order.lines
        if line.reserved_qty > 0 and order.warehouse is not None
    ]
    if movements:
        apply_movements(session, movements, actor)
    for line in order.lines:
        line.reserved_qty = 0


def cancel_order(
    session: Session, order_id: int, caller: runtime.Caller, reason: str | None = None
) -> SalesOrder:
    """Cancel: a dealer before confirmation, back office until shipping. Releases reserved stock,
    stops the approval flow and a pending price review. Commits."""
    order = find(session, order_id, caller)
    if is_dealer_user(caller) and order.status not in od.DEALER_CANCELLABLE:
        raise Forbidden(
            "a dealer can cancel an order only before it is confirmed; ask your sales contact",
            {"status": f"is {order.status}"},
        )
    was = order.status
    move(order, "cancel", caller.name, note=(reason or "")[:500] or None)
    if was == "confirmed":
        release_reservations(session, order, caller.name)
    running = [order.instance_id] if order.instance_id else []
    for exception in session.scalars(
        select(PriceException).where(
            PriceException.kind == "order",
            PriceException.status == "pending",
            or_(
                PriceException.business_key == order.number,
                PriceException.business_key.like(f"{order.number}-R%"),
            ),
        )
    ):
        exception.status = "cancelled"
        if exception.instance_id:
            running.append(exception.instance_id)
    session.flush()
    active = [
        i
        for i in running
        if session.scalar(select(ProcessInstance.status).where(ProcessInstance.id == i))
        not in ("completed", "cancelled", None)
    ]
    for instance_id in active:
        runtime.cancel_instance(session, instance_id)
    session.commit()
    return session.get(SalesOrder, order.id)
