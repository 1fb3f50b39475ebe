"""Amendments after confirmation (变更申请): a dealer or the back office asks to change the
quantities of a confirmed (or partially shipped) order, or to add SKUs; the regional manager
reviews it in ``workflows/order_change.bpmn``; an approved change is applied: quantities and
amounts follow (existing lines keep their price, new lines take the quote), reservations grow
with what is available or are released, and the order's timeline says what changed.

    change = {"lines": [{"sku": "W-550", "qty": 80}], "reason": "客户加量"}
    request = request_change(session, order_id, change, caller)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters import order_checks, orders
from app.adapters.notifications import notify
from app.adapters.pricing import quote
from app.adapters.stock_ledger import apply_movements
from app.domain import orders as od
from app.domain.errors import Conflict, ValidationFailed
from app.domain.stock import Movement
from app.engine import runtime
from app.engine.registry import service_task
from app.extensions import db
from app.models import OrderChangeRequest, OrderLine, Product, SalesOrder
from app.models.base import utcnow
from app.services.actor import current_actor

PROCESS_KEY = "order_change"
CHANGEABLE = ("confirmed", "partially_shipped")


def _key(order: SalesOrder, request: OrderChangeRequest) -> str:
    return f"{order.number}-C{request.id}"


def _parse(order: SalesOrder, raw: Any) -> tuple[list[dict[str, Any]], str | None]:
    if not isinstance(raw, dict):
        raise ValidationFailed("the change must be a JSON object", {"body": "a JSON object"})
    unknown = set(raw) - {"lines", "reason"}
    if unknown:
        name = sorted(unknown)[0]
        raise ValidationFailed(f"{name}: unknown field", {name: "unknown field"})
    reason = raw.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 1000):
        raise ValidationFailed(
            "reason: at most 1000 characters", {"reason": "text of at most 1000 characters"}
        )
    items = raw.get("lines")
    if not isinstance(items, list) or not items:
        raise ValidationFailed("lines: at least one line", {"lines": "a list of {sku, qty}"})
    # qty 0 is allowed here (drop an unshipped line): parse with a placeholder quantity
    zeros = {i for i, item in enumerate(items) if isinstance(item, dict) and item.get("qty") in (0, "0")}
    probe = [dict(item, qty=1) if i in zeros else item for i, item in enumerate(items)]
    parsed = od.parse_request({"dealer": order.dealer.code, "lines": probe}).lines
    shipped = {line.product.code: int(line.shipped_qty) for line in order.lines}
    errors, changes = {}, []
    for index, line in enumerate(parsed):
        qty = 0 if index in zeros else line.qty
        if qty < shipped.get(line.sku, 0):
            errors[f"lines/{index}/qty"] = f"at least {shipped[line.sku]} (already shipped)"
        changes.append({"sku": line.sku, "qty": qty})
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first]}", errors)
    return changes, reason


def request_change(session: Session, order_id: int, raw: Any, caller: runtime.Caller) -> OrderChangeRequest:
    """File a change of a confirmed order and start its review. Commits."""
    order = orders.find(session, order_id, caller)
    if order.status not in CHANGEABLE:
        raise Conflict(
            f"an order that is {order.status} is changed by editing it, or not at all",
            {"status": f"is {order.status}"},
        )
    pending = session.scalar(
        select(func.count(OrderChangeRequest.id)).where(
            OrderChangeRequest.order_id == order.id, OrderChangeRequest.status == "pending"
        )
    )
    if pending:
        raise Conflict("a change of this order is already under review", {"order": "change pending"})
    changes, reason = _parse(order, raw)
    current = {line.product.code: int(line.qty) for line in order.lines}
    if all(current.get(c["sku"], 0) == c["qty"] for c in changes):
        raise ValidationFailed("nothing would change", {"lines": "the same quantities as now"})
    unknown = {c["sku"] for c in changes if c["sku"] not in current}
    if unknown:
        found = set(
            session.scalars(select(Product.code).where(Product.code.in_(unknown), Product.status == "active"))
        )
        missing = [i for i, c in enumerate(changes) if c["sku"] in unknown - found]
        if missing:
            raise ValidationFailed("unknown SKU", {f"lines/{i}/sku": "unknown SKU" for i in missing})
        added = [(i, c) for i, c in enumerate(changes) if c["sku"] in unknown and c["qty"] > 0]
        try:
            quote(session, order.dealer, [(c["sku"], c["qty"]) for _, c in added])
        except ValidationFailed as error:  # name the line of the request, not of the quote
            where = next(iter(error.errors), "lines/0/sku").split("/")
            index = added[int(where[1])][0] if len(where) > 1 and where[1].isdigit() else 0
            raise ValidationFailed(
                error.message, {f"lines/{index}/sku": "no price for this dealer"}
            ) from None
    request = OrderChangeRequest(order=order, lines=changes, reason=reason, requested_by=caller.name)
    session.add(request)
    session.flush()
    orders.add_event(
        order, caller.name, "change_requested", before=order.status, note=reason, data={"lines": changes}
    )
    data = {
        "dealer": order.dealer.code,
        "region": order.dealer.region.code,
        "business_key": _key(order, request),
    }
    runtime.start_instance(session, PROCESS_KEY, data, caller, on_started=runtime.linker(request))
    return request


def _request(session: Session, business_key: str) -> OrderChangeRequest:
    request_id = int(str(business_key).rsplit("-C", 1)[1])
    found = session.get(OrderChangeRequest, request_id)
    if found is None:
        raise ValueError(f"no change request {business_key!r}")
    return found


def _reserve(session: Session, order: SalesOrder, line: OrderLine, actor: str) -> None:
    """Bring the line's reservation to what it still needs (at most what is available)."""
    if order.warehouse is None:
        return
    need = max(int(line.qty) - int(line.shipped_qty), 0)
    held = int(line.reserved_qty)
    if held > need:
        apply_movements(
            session,
            [Movement("release", order.warehouse.code, line.product.code, held - need, reference=order.number,
                      reason="order change")],
            actor,
        )  # fmt: skip
        line.reserved_qty = need
    elif held < need:
        available = order_checks.available_at(session, order.warehouse, [line.product_id]).get(
            line.product_id, 0
        )
        more = min(need - held, max(available, 0))
        if more > 0:
            apply_movements(
                session,
                [Movement("reserve", order.warehouse.code, line.product.code, more, reference=order.number,
                          reason="order change")],
                actor,
            )  # fmt: skip
            line.reserved_qty = held + more


def apply_change(session: Session, request: OrderChangeRequest, actor: str) -> dict[str, Any]:
    """Apply an approved change to its order (no commit)."""
    order = request.order
    if order.status not in CHANGEABLE:
        raise Conflict(f"the order is {order.status} now: the change cannot be applied")
    by_sku = {line.product.code: line for line in order.lines}
    new = [c for c in request.lines if c["sku"] not in by_sku and c["qty"] > 0]
    priced = {}
    if new:
        for line in quote(session, order.dealer, [(c["sku"], c["qty"]) for c in new]).lines:
            priced[line.sku] = line
    before = {sku: int(line.qty) for sku, line in by_sku.items()}
    for change in request.lines:
        line = by_sku.get(change["sku"])
        if line is None:
            if change["qty"] <= 0:
                continue
            product = session.scalar(select(Product).where(Product.code == change["sku"]))
            quoted = priced[change["sku"]]
            line = OrderLine(
                line_no=max((x.line_no for x in order.lines), default=0) + 1,
                product=product,
                qty=change["qty"],
                unit_price=quoted.unit_price,
                policy_price=quoted.unit_price,
                amount=od.money(quoted.amount),
                steps=list(quoted.steps),
            )
            order.lines.append(line)
            session.flush()
        elif change["qty"] == 0 and line.shipped_qty == 0:
            line.qty = 0
            _reserve(session, order, line, actor)
            order.lines.remove(line)
            continue
        else:
            line.qty = change["qty"]
            line.amount = od.money(Decimal(line.unit_price) * line.qty)
        _reserve(session, order, line, actor)
    order.amount = od.money(sum((Decimal(line.amount) for line in order.lines), Decimal(0)))
    after = {line.product.code: int(line.qty) for line in order.lines}
    diff = {sku: [before.get(sku, 0), after.get(sku, 0)] for sku in set(before) | set(after)
            if before.get(sku, 0) != after.get(sku, 0)}  # fmt: skip
    orders.add_event(
        order, actor, "changed", before=order.status, data={"lines": diff, "amount": str(order.amount)}
    )
    if order.status == "partially_shipped" and all(line.shipped_qty >= line.qty for line in order.lines):
        orders.move(order, "ship_all", actor)
    return diff


@service_task("order_change.notify")
def notify_reviewers(business_key: str) -> dict[str, Any]:
    session = db.session
    request = _request(session, business_key)
    order = request.order
    title = f"订单变更待审批 Order change to review: {order.number} {order.dealer.name}"
    notify(
        session, kind="order", title=title, link="/inbox/", role="RegionalManager", dealer_id=order.dealer_id
    )
    return {"notified": True}


@service_task("order_change.decide")
def decide(business_key: str, decision: dict[str, Any]) -> dict[str, Any]:
    """Apply an approved change, or record the refusal; the requester's order shows either."""
    session = db.session
    request = _request(session, business_key)
    actor = current_actor()
    name = actor.name if actor is not None else "system"
    comment = str(decision.get("comment") or "")[:1000] or None
    request.decided_by, request.decided_at = name, utcnow()
    order = request.order
    if decision.get("decision") == "approve":
        diff = apply_change(session, request, name)
        request.status = "applied"
    else:
        diff = {}
        request.status = "rejected"
        orders.add_event(order, name, "change_rejected", before=order.status, note=comment)
    link = f"/orders/{order.id}"
    title = (
        "订单变更已执行 Order change applied"
        if request.status == "applied"
        else "订单变更被拒绝 Order change rejected"
    )
    notify(session, kind="order", title=f"{title}: {order.number}", body=comment, link=link, role="Dealer",
           dealer_id=order.dealer_id)  # fmt: skip
    return {"status": request.status, "lines": diff}


def as_json(request: OrderChangeRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "status": request.status,
        "lines": request.lines,
        "reason": request.reason,
        "requested_by": request.requested_by,
        "decided_by": request.decided_by,
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "instance_id": request.instance_id,
    }
