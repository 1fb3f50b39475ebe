"""Price-exception reviews (``workflows/price_exception_review.bpmn``): start one for an order or
a special-price request (特价申请), and the flow's service tasks.

``start_review`` writes the ``PriceException`` row with its checked lines and starts the flow with
``dealer`` (its data scope), ``region``, ``business_key`` and the tolerance table's inputs of the
deciding line. The service tasks run inside the engine's step (``db.session``):
``price_review.notify`` tells the next reviewers (the role within the dealer's scope),
``price_review.record`` sets the outcome on the row (what a waiting order reads) and tells the
requester, ``price_review.apply_special_prices`` turns an approved request into special prices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.adapters.notifications import notify
from app.adapters.price_check import PROCESS_KEY, PriceCheck
from app.adapters.pricing import add_special_price
from app.domain.errors import NotFound
from app.domain.scope import UNRESTRICTED
from app.engine import outbox, runtime
from app.engine.registry import service_task
from app.extensions import db
from app.models import Dealer, HumanTask, PriceException, PriceExceptionLine, Product
from app.models.base import utcnow
from app.services.actor import current_actor

STEP_ROLES = {
    "rm_review": "RegionalManager",
    "sd_review": "SalesDirector",
    "exec_review": "Executive",
    "exec_countersign": "Executive",
}
TITLES = {
    "rm_review": "价格例外待区域经理审批 Price exception: regional manager review",
    "sd_review": "价格例外待销售总监审批 Price exception: sales director review",
    "exec_review": "价格例外待高管审批 Price exception: executive review",
    "exec_countersign": "价格例外待高管会签 Price exception: executives countersign",
    "escalated": "（超时升级 escalated）",
    "approved": "价格例外已批准 Price exception approved",
    "rejected": "价格例外被拒绝 Price exception rejected",
}
SPECIAL_PREFIX = "SPR-"


def _session() -> Session:
    return db.session


@dataclass(frozen=True)
class Request:
    """Who asks and why: the requester, the reason (code and text), the validity of a special
    price, and for orders the ship-to region."""

    requested_by: str
    requested_by_id: int | None = None
    reason_code: str | None = None
    reason: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    ship_to_region: str | None = None


def next_request_key(session: Session) -> str:
    """``SPR-000001``, … — the business key of the next special-price request."""
    last = session.scalar(
        select(func.max(PriceException.id)).where(PriceException.business_key.like(f"{SPECIAL_PREFIX}%"))
    )
    number = 1 if last is None else last + 1
    key = f"{SPECIAL_PREFIX}{number:06d}"
    while session.scalar(select(PriceException.id).where(PriceException.business_key == key)):
        number += 1
        key = f"{SPECIAL_PREFIX}{number:06d}"
    return key


def _record_exception(
    session: Session, *, kind: str, business_key: str, check: PriceCheck, request: Request, scope
) -> tuple[PriceException, dict[str, Any]]:
    """Write the exception with its lines; returns it and the review flow's start data."""
    dealer = session.scalar(select(Dealer).where(Dealer.code == check.dealer))
    if dealer is None or not scope.allows_dealer(dealer.id, dealer.region.path):
        raise NotFound("no such dealer in your data scope", {"dealer": "not found"})
    exception = PriceException(
        business_key=business_key,
        kind=kind,
        dealer=dealer,
        status="pending",
        level=check.level,
        ship_to_region=request.ship_to_region,
        requested_by=request.requested_by,
        requested_by_id=request.requested_by_id,
        reason_code=request.reason_code,
        reason=request.reason,
        valid_from=request.valid_from,
        valid_to=request.valid_to,
    )
    products = dict(
        session.execute(
            select(Product.code, Product.id).where(Product.code.in_([line.sku for line in check.lines]))
        ).all()
    )
    for line in check.lines:
        exception.lines.append(
            PriceExceptionLine(
                product_id=products[line.sku],
                qty=line.qty,
                unit_price=line.unit_price,
                policy_price=line.policy_price,
                deviation_pct=line.deviation_pct,
                deviation_amount=line.deviation_amount,
                level=line.level,
            )
        )
    session.add(exception)
    session.flush()
    data = {
        "dealer": dealer.code,
        "region": dealer.region.code,
        "business_key": business_key,
        "kind": kind,
        "requested_by": request.requested_by,
        "check": check.as_dict(),
        **check.flow_inputs(),
    }
    return exception, data


def start_review(
    session: Session,
    *,
    kind: str,
    business_key: str,
    check: PriceCheck,
    request: Request,
    caller: runtime.Caller,
) -> PriceException:
    """Record the exception and start the review flow in one transaction (commits).

    The caller must see the dealer (``NotFound`` otherwise): a dealer user files only for itself,
    a sales rep only for its dealers. Within tolerance the flow approves at once."""
    exception, data = _record_exception(
        session, kind=kind, business_key=business_key, check=check, request=request, scope=caller.scope
    )
    runtime.start_instance(session, PROCESS_KEY, data, caller, on_started=runtime.linker(exception))
    return exception


def queue_review(
    session: Session, *, kind: str, business_key: str, check: PriceCheck, request: Request, caller
) -> PriceException:
    """Record the exception now and start its review once the current transaction commits
    (the engine's outbox): for callers inside another use case or a flow's step. No commit."""
    exception, data = _record_exception(
        session, kind=kind, business_key=business_key, check=check, request=request, scope=caller.scope
    )
    outbox.queue(session, START_HANDLER, {"exception_id": exception.id, "data": _plain_data(data)})
    return exception


def _plain_data(data: dict[str, Any]) -> dict[str, Any]:
    deviation = data.get("deviation")
    return {**data, "deviation": str(deviation) if deviation is not None else None}


def _start_queued(session: Session, payload: dict[str, Any]) -> None:
    """Outbox handler: start the review of a queued exception (as the system, all scope)."""
    exception = session.get(PriceException, int(payload["exception_id"]))
    if exception is None or exception.instance_id is not None:
        return
    data = dict(payload["data"])
    if data.get("deviation") is not None:
        data["deviation"] = Decimal(data["deviation"])
    runtime.start_instance(session, PROCESS_KEY, data, SYSTEM, on_started=runtime.linker(exception))


START_HANDLER = "price_review.start"
SYSTEM = runtime.Caller(None, "system", frozenset({"Admin"}), UNRESTRICTED)
outbox.register(START_HANDLER, _start_queued)

# Called with (session, exception) when a review ends (inside its step): orders waiting on it.
DecidedListener = Callable[[Session, PriceException], None]
_listeners: list[DecidedListener] = []


def on_decided(listener: DecidedListener) -> None:
    """Call ``listener`` whenever a review records its outcome (same transaction)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _exception(session: Session, business_key: str) -> PriceException:
    found = session.scalar(select(PriceException).where(PriceException.business_key == str(business_key)))
    if found is None:
        raise ValueError(f"no price exception {business_key!r}")
    return found


def _title(exception: PriceException, key: str) -> str:
    return f"{TITLES[key]}: {exception.business_key} {exception.dealer.name}"


@service_task("price_review.notify")
def notify_step(step: str, business_key: str, escalated: bool = False) -> dict[str, Any]:
    """Tell the holders of the step's role who see the dealer (escalation marks the exception)."""
    session = _session()
    exception = _exception(session, business_key)
    role = STEP_ROLES[step]
    title = _title(exception, step) + (TITLES["escalated"] if escalated else "")
    if escalated:
        exception.escalated = True
    notify(
        session, kind="price_exception", title=title, link="/inbox/", role=role, dealer_id=exception.dealer_id
    )
    return {"step": step, "role": role, "escalated": bool(escalated)}


def _deciders(session: Session, exception: PriceException, step: str) -> str:
    """Who decided: the completers of the step's task(s) (both executives of a countersign)."""
    if step == "auto":
        return "system"
    names = session.scalars(
        select(HumanTask.completed_by)
        .where(
            HumanTask.instance_id == exception.instance_id,
            HumanTask.element_id == step,
            HumanTask.state == "completed",
        )
        .order_by(HumanTask.completed_at)
    ).all()
    found = list(dict.fromkeys(n for n in names if n))
    actor = current_actor()
    if not found and actor is not None:
        found = [actor.name]
    return ", ".join(found)[:200]


@service_task("price_review.record")
def record(business_key: str, decision: dict[str, Any]) -> dict[str, Any]:
    """Set the outcome (approved / rejected), who decided, the reason code and comment; tell the
    requester. Orders waiting on ``business_key`` read the row's ``status``."""
    session = _session()
    exception = _exception(session, business_key)
    status = "approved" if decision.get("decision") == "approve" else "rejected"
    exception.status = status
    exception.decided_by = _deciders(session, exception, str(decision.get("step") or ""))
    exception.decided_at = utcnow()
    exception.decision_reason_code = decision.get("reason_code") or None
    exception.decision_comment = decision.get("comment") or None
    if exception.requested_by_id is not None:
        notify(
            session,
            kind="price_exception",
            title=_title(exception, status),
            body=exception.decision_comment,
            link=f"/price/requests/{exception.id}",
            user_id=exception.requested_by_id,
        )
    session.flush()
    for listener in _listeners:
        listener(session, exception)
    return {"status": status, "decided_by": exception.decided_by}


@service_task("price_review.apply_special_prices")
def apply_special_prices(business_key: str) -> dict[str, Any]:
    """An approved special-price request becomes one dealer special price per line, for its validity."""
    session = _session()
    exception = _exception(session, business_key)
    created = []
    for line in exception.lines:
        special = add_special_price(
            session,
            dealer=exception.dealer,
            product=line.product,
            price=Decimal(line.unit_price),
            valid_from=exception.valid_from or business_today(),
            valid_to=exception.valid_to,
            reference=exception.business_key,
            actor=exception.decided_by or "system",
        )
        session.flush()
        created.append(special.id)
    return {"ids": created}
