"""The service tasks of ``workflows/order_approval.bpmn`` (they run inside the engine's step, on
``db.session``) and the hooks that tie orders to the price review and the dealer figures.

- ``order.review`` / ``order.approve`` / ``order.reject`` / ``order.return_to_dealer`` move the
  order through its lifecycle (the domain's state machine) and tell whom it concerns;
- ``order.take`` records a reviewer's decision on the timeline; ``order.collect`` sums up the
  decisions of the current round: ``reject`` if anyone rejected, ``revise`` if anyone sent it
  back, ``executive`` while an executive still has to decide, else ``approve``;
- ``order.remind`` / ``order.escalate`` for the time limits;
- ``order.resubmit`` runs the checks again on the dealer's revision (or cancels);
- ``order.price_settled`` gives the flow the checks with the price review's outcome.
Approving reserves what is available at the serving warehouse (the rest waits as backorder).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters import dealer_figures, order_checks, orders, price_review, receivables
from app.adapters.clock import business_today, day_start
from app.adapters.notifications import notify
from app.adapters.stock_ledger import apply_movements
from app.domain import orders as od
from app.domain.stock import Movement
from app.engine import outbox, runtime
from app.engine.registry import service_task
from app.extensions import db
from app.models import Dealer, OrderEvent, PriceException, SalesOrder
from app.services.actor import current_actor

MESSAGE = "price_exception_decided"
STEP_ROLES = {
    "rm_approve": "RegionalManager",
    "sd_approve": "SalesDirector",
    "finance_approve": "Finance",
    "exec_approve": "Executive",
}
TITLES = {
    "review": "订单待审批 Order to approve",
    "approved": "订单已确认 Order confirmed",
    "rejected": "订单被拒绝 Order rejected",
    "returned": "订单被退回修改 Order returned for revision",
    "reminder": "提醒：订单待审批 Reminder: order to approve",
    "escalated": "订单审批超时升级 Order approval escalated",
    "deposit_paid": "定金已付，可以发货 Deposit paid: ready to ship",
}


def _actor() -> str:
    actor = current_actor()
    return actor.name if actor is not None else "system"


def _order(session: Session, business_key: str) -> SalesOrder:
    """The order numbered ``business_key``: the one in this session if it is loaded (an order being
    submitted: no query, and nothing flushed for one), else read."""
    key = str(business_key)
    for obj in session.identity_map.values():
        if type(obj) is SalesOrder and obj.__dict__.get("number") == key:  # loaded, not expired
            return obj
    order = session.scalar(select(SalesOrder).where(SalesOrder.number == key))
    if order is None:
        raise ValueError(f"no order {business_key!r}")
    return order


def _title(order: SalesOrder, key: str) -> str:
    return f"{TITLES[key]}: {order.number} {order.dealer.name} ¥{order.amount}"


def _tell_dealer(session: Session, order: SalesOrder, key: str, body: str | None = None) -> None:
    link = f"/orders/{order.id}"
    notify(
        session,
        kind="order",
        title=_title(order, key),
        body=body,
        link=link,
        role="Dealer",
        dealer_id=order.dealer_id,
    )
    if order.created_by_id is not None and not _is_dealer_user(session, order.created_by_id):
        notify(
            session, kind="order", title=_title(order, key), body=body, link=link, user_id=order.created_by_id
        )


def _is_dealer_user(session: Session, user_id: int) -> bool:
    """A dealer's own user already sees the notification to its dealer's role (no second one)."""
    user = session.get(User, user_id)
    return user is not None and any(role.name == "Dealer" for role in user.roles)


def _tell_role(session: Session, order: SalesOrder, role: str, key: str) -> None:
    notify(
        session, kind="order", title=_title(order, key), link="/inbox/", role=role, dealer_id=order.dealer_id
    )


@service_task("order.review")
def review(business_key: str, route: str, reason: str | None = None) -> dict[str, Any]:
    """The order goes into review on ``route``; the reviewers of the first step are told."""
    session = db.session
    order = _order(session, business_key)
    order.route = str(route)[:30]
    orders.move(order, "review", _actor(), note=reason, route=order.route)
    _tell_role(session, order, "RegionalManager", "review")
    if route in ("rm_finance", "rm_finance_exec"):
        _tell_role(session, order, "Finance", "review")
    return {"status": order.status, "route": order.route}


def _reserve(session: Session, order: SalesOrder, actor: str) -> dict[str, int]:
    """Reserve what is available now for each line (at most its quantity)."""
    if order.warehouse is None:
        return {}
    available = order_checks.available_at(session, order.warehouse, [line.product_id for line in order.lines])
    movements, reserved = [], {}
    for line in order.lines:
        qty = min(int(line.qty) - int(line.reserved_qty), max(available.get(line.product_id, 0), 0))
        if qty > 0:
            movements.append(
                Movement(
                    kind="reserve",
                    warehouse=order.warehouse.code,
                    sku=line.product.code,
                    qty=qty,
                    reference=order.number,
                    reason="order confirmed",
                )
            )
            line.reserved_qty = int(line.reserved_qty) + qty
            reserved[line.product.code] = qty
    if movements:
        apply_movements(session, movements, actor)
    return reserved


@service_task("order.approve")
def approve(business_key: str, route: str | None = None, deposit_pct: Any = 0) -> dict[str, Any]:
    """Confirm the order, reserve its stock, set the deposit the approval table asks for (shipping
    waits until it is paid), tell the dealer."""
    session = db.session
    order = _order(session, business_key)
    if route is not None:
        order.route = str(route)[:30]
    actor = _actor()
    pct = Decimal(str(deposit_pct or 0))
    order.deposit_amount = od.money(Decimal(order.amount) * pct / 100) if pct > 0 else None
    orders.move(
        order,
        "approve",
        actor,
        route=order.route,
        **({"deposit": str(order.deposit_amount)} if pct > 0 else {}),
    )
    order.promised_on = business_today() + timedelta(days=int(current_app.config.get("DMS_PROMISE_DAYS", 3)))
    reserved = _reserve(session, order, actor)
    receivables.raise_invoices_for(session, order=order)  # per order, if so set
    _tell_dealer(session, order, "approved", _deposit_note(order))
    return {
        "status": order.status,
        "reserved": reserved,
        "deposit": order.deposit_amount is not None,
        "deposit_amount": str(order.deposit_amount) if order.deposit_amount is not None else None,
    }


def _deposit_note(order: SalesOrder) -> str | None:
    if order.deposit_amount is None:
        return None
    amount, number = order.deposit_amount, order.number
    return (
        f"请先支付定金 ¥{amount}（付款备注订单号 {number}）后发货 / "
        f"Pay the deposit of ¥{amount} (reference {number}) before shipping"
    )


@service_task("order.deposit_received")
def deposit_received(business_key: str) -> dict[str, Any]:
    """The deposit is paid: the warehouse may ship."""
    session = db.session
    order = _order(session, business_key)
    _tell_role(session, order, "Warehouse", "deposit_paid")
    return {"deposit_paid": True}


@service_task("order.reject")
def reject(business_key: str, reason: str | None = None) -> dict[str, Any]:
    session = db.session
    order = _order(session, business_key)
    orders.move(order, "reject", _actor(), note=reason)
    _tell_dealer(session, order, "rejected", reason)
    return {"status": order.status}


@service_task("order.take")
def take(business_key: str, step: str, decision: dict[str, Any]) -> dict[str, Any]:
    """Record a reviewer's decision (approve / reject / revise with a comment) for this round."""
    session = db.session
    order = _order(session, business_key)
    value = str(decision.get("decision") or "")
    comment = str(decision.get("comment") or "")[:1000] or None
    orders.add_event(
        order,
        _actor(),
        "decision",
        before=order.status,
        note=comment,
        data={"step": step, "decision": value, "round": order.review_round},
    )
    return {"step": step, "decision": value}


def _decisions(session: Session, order: SalesOrder) -> dict[str, str]:
    rows = session.scalars(
        select(OrderEvent)
        .where(OrderEvent.order_id == order.id, OrderEvent.action == "decision")
        .order_by(OrderEvent.id)
    ).all()
    found = {}
    for event in rows:
        data = event.data or {}
        if data.get("round") == order.review_round:
            found[data.get("step")] = data.get("decision")
    return found


@service_task("order.collect")
def collect(business_key: str, route: str) -> str:
    """What the decisions of this round add up to: reject, revise, executive (still to decide)
    or approve."""
    session = db.session
    order = _order(session, business_key)
    found = _decisions(session, order)
    values = set(found.values())
    if "reject" in values:
        return "reject"
    if "revise" in values:
        return "revise"
    if route == "rm_finance_exec" and "exec_approve" not in found:
        return "executive"
    return "approve"


@service_task("order.return_to_dealer")
def return_to_dealer(business_key: str) -> dict[str, Any]:
    session = db.session
    order = _order(session, business_key)
    comments = [
        e.note for e in order.events if e.action == "decision" and (e.data or {}).get("decision") == "revise"
    ]
    orders.move(order, "return", _actor(), note=comments[-1] if comments else None)
    _tell_dealer(session, order, "returned", comments[-1] if comments else None)
    return {"status": order.status}


@service_task("order.remind")
def remind(business_key: str, step: str) -> dict[str, Any]:
    session = db.session
    order = _order(session, business_key)
    _tell_role(session, order, STEP_ROLES[step], "reminder")
    orders.add_event(order, "system", "reminded", before=order.status, data={"step": step})
    return {"step": step}


@service_task("order.escalate")
def escalate(business_key: str, step: str) -> dict[str, Any]:
    session = db.session
    order = _order(session, business_key)
    _tell_role(session, order, STEP_ROLES[step], "escalated")
    orders.add_event(order, "system", "escalated", before=order.status, data={"to": step})
    return {"step": step}


@service_task("order.resubmit")
def resubmit(business_key: str, revision: dict[str, Any]) -> dict[str, Any]:
    """The dealer's answer to a return: cancel, or check the revised order again."""
    session = db.session
    order = _order(session, business_key)
    actor = current_actor()
    name = actor.name if actor is not None else "system"
    comment = str(revision.get("comment") or "")[:1000] or None
    if revision.get("action") == "cancel":
        orders.move(order, "cancel", name, note=comment)
        return {"status": "cancelled"}
    orders.move(order, "resubmit", name, note=comment)
    caller = runtime.Caller(actor.id if actor else None, name, frozenset(), price_review.SYSTEM.scope)
    return {**orders.recheck(session, order, caller), "status": order.status}


@service_task("order.price_settled")
def price_settled(business_key: str) -> dict[str, Any]:
    """The checks with the price review's outcome (approved / rejected) as the price check."""
    session = db.session
    order = _order(session, business_key)
    return {**order_checks.flow_checks(order), "status": order.status}


def _price_decided(session: Session, exception: PriceException) -> None:
    """A price review of an order ended: note it on the order, wake its approval flow."""
    if exception.kind != "order":
        return
    order = orders.order_of_review(session, exception.business_key)
    if order is None or order.status not in ("submitted", "in_review"):
        return
    order.price_outcome = exception.status
    orders.add_event(
        order,
        exception.decided_by or "system",
        "price_review",
        before=order.status,
        note=exception.decision_comment,
        data={"outcome": exception.status, "review": exception.business_key},
    )
    outbox.queue_message(session, MESSAGE, order.number, {"price_review": exception.status})


price_review.on_decided(_price_decided)


def _order_figures(session: Session, dealer: Dealer, today: date) -> dict[str, Any]:
    """Sales (confirmed orders by confirmation day), order counts, open orders, credit used."""

    def since(days: int) -> datetime:
        return day_start(today - timedelta(days=days))

    def sales(days: int) -> Decimal:
        total = session.scalar(
            select(func.coalesce(func.sum(SalesOrder.amount), 0)).where(
                SalesOrder.dealer_id == dealer.id,
                SalesOrder.status.in_(order_checks.EXPOSED),
                SalesOrder.confirmed_at >= since(days),
            )
        )
        return od.money(Decimal(total or 0))

    count = session.scalar(
        select(func.count(SalesOrder.id)).where(
            SalesOrder.dealer_id == dealer.id,
            SalesOrder.status.in_(order_checks.EXPOSED),
            SalesOrder.confirmed_at >= since(365),
        )
    )
    open_count = session.scalar(
        select(func.count(SalesOrder.id)).where(
            SalesOrder.dealer_id == dealer.id, SalesOrder.status.in_(od.OPEN_STATUSES)
        )
    )
    credit = order_checks.exposure(session, dealer, Decimal(0))
    return {
        "sales_30d": sales(30),
        "sales_90d": sales(90),
        "sales_365d": sales(365),
        "order_count_365d": int(count or 0),
        "open_orders": int(open_count or 0),
        "credit_used": od.money(credit.unpaid_invoices + credit.open_orders),
        "credit_limit": credit.limit,  # with temporary increases in force
    }


dealer_figures.register_figure_source("orders", _order_figures)
