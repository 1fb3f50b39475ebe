"""Temporary credit-limit increases (临时额度): a sales rep or the dealer asks for more credit for
a while; finance approves or rejects it in ``workflows/credit_increase.bpmn``; an approved
increase counts in the dealer's limit from ``valid_from`` to ``valid_to``
(``receivables.increases_in_force``).

The API and the page call ``request_increase``; the flow's service tasks (they run inside the
engine's step, on ``db.session``): ``credit_increase.notify`` tells finance (again as a reminder
after a day), ``credit_increase.record`` sets the outcome and tells the requester.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.adapters.notifications import notify
from app.adapters.scope_sql import dealer_clause
from app.domain import receivables as rd
from app.domain.errors import NotFound
from app.domain.scope import DataScope
from app.engine import runtime
from app.engine.registry import service_task
from app.extensions import db
from app.formkit.schemas import load_schema
from app.models import CreditIncrease, Dealer, HumanTask, InstanceEvent
from app.services.actor import current_actor

PROCESS_KEY = "credit_increase"
FORM = "credit_increase_request"
REVIEW_STEP = "finance_review"
TITLES = {
    "review": "临时额度申请待审批 Temporary credit increase to review",
    "reminder": "提醒：临时额度申请待审批 Reminder: temporary credit increase to review",
    "approved": "临时额度已批准 Temporary credit increase approved",
    "rejected": "临时额度被拒绝 Temporary credit increase rejected",
}


def request_form(session: Session, scope: DataScope) -> dict[str, Any]:
    """The request form's schema with the dealers the user may ask for as choices."""
    schema = load_schema(FORM)
    dealers = session.execute(
        select(Dealer.code, Dealer.name).where(dealer_clause(scope)).order_by(Dealer.code)
    ).all()
    if not dealers:
        return schema
    choices = [{"const": code, "title": f"{name} ({code})"} for code, name in dealers]
    properties = {**schema["properties"], "dealer": {**schema["properties"]["dealer"], "oneOf": choices}}
    return {**schema, "properties": properties}


def request_increase(
    session: Session, raw: Any, caller: runtime.Caller, today: date | None = None
) -> CreditIncrease:
    """Record a request and start its review by finance (commits). The caller must see the
    dealer (``NotFound`` otherwise); refusals name the field."""
    today = today or business_today()
    request = rd.parse_credit_increase(raw, today)
    dealer = session.scalar(select(Dealer).where(Dealer.code == request.dealer, dealer_clause(caller.scope)))
    if dealer is None:
        raise NotFound("no such dealer in your data scope", {"dealer": "not found"})
    increase = CreditIncrease(
        number=f"TMP-{uuid.uuid4().hex[:24]}",
        dealer_id=dealer.id,
        amount=request.amount,
        valid_from=request.valid_from,
        valid_to=request.valid_to,
        status="pending",
        reason=request.reason,
        requested_by=caller.name[:100],
    )
    session.add(increase)
    session.flush()
    increase.number = f"CI{today:%Y%m%d}{increase.id:06d}"
    data = {
        "dealer": dealer.code,
        "region": dealer.region.code,
        "business_key": increase.number,
        "amount": str(request.amount),
        "valid_from": request.valid_from.isoformat(),
        "valid_to": request.valid_to.isoformat(),
        "reason": request.reason,
        "requested_by": caller.name,
        "requested_by_id": caller.id,
    }
    runtime.start_instance(session, PROCESS_KEY, data, caller, on_started=runtime.linker(increase))
    return increase


def visible(scope: DataScope, dealer: str | None = None):
    """Increases of the dealers in ``scope`` (of one dealer, by code), newest first."""
    dealers = select(Dealer.id).where(dealer_clause(scope))
    if dealer:
        dealers = dealers.where(Dealer.code == (rd.clean_code(dealer) or ""))
    return (
        select(CreditIncrease).where(CreditIncrease.dealer_id.in_(dealers)).order_by(CreditIncrease.id.desc())
    )


def find(session: Session, increase_id: int, scope: DataScope) -> CreditIncrease:
    found = session.scalar(visible(scope).where(CreditIncrease.id == increase_id))
    if found is None:
        raise NotFound("no such credit increase in your data scope")
    return found


def decision_comment(session: Session, increase: CreditIncrease) -> str | None:
    """Finance's comment, from the review step's history."""
    if increase.instance_id is None:
        return None
    after = session.scalar(
        select(InstanceEvent.data_after)
        .where(InstanceEvent.instance_id == increase.instance_id, InstanceEvent.element_id == REVIEW_STEP)
        .order_by(InstanceEvent.id.desc())
        .limit(1)
    )
    review = (after or {}).get(REVIEW_STEP) if isinstance(after, dict) else None
    return review.get("comment") if isinstance(review, dict) else None


def as_json(session: Session, increase: CreditIncrease) -> dict[str, Any]:
    return {
        "id": increase.id,
        "number": increase.number,
        "dealer": {"code": increase.dealer.code, "name": increase.dealer.name},
        "amount": str(increase.amount),
        "valid_from": increase.valid_from.isoformat(),
        "valid_to": increase.valid_to.isoformat(),
        "status": increase.status,
        "reason": increase.reason,
        "requested_by": increase.requested_by,
        "decided_by": increase.decided_by,
        "decision_comment": decision_comment(session, increase),
        "instance_id": increase.instance_id,
        "created_at": increase.created_at.isoformat() if increase.created_at else None,
    }


def _increase(session: Session, business_key: str) -> CreditIncrease:
    found = session.scalar(select(CreditIncrease).where(CreditIncrease.number == str(business_key)))
    if found is None:
        raise ValueError(f"no credit increase {business_key!r}")
    return found


def _title(increase: CreditIncrease, key: str) -> str:
    return f"{TITLES[key]}: {increase.number} {increase.dealer.name} ¥{increase.amount}"


@service_task("credit_increase.notify")
def notify_finance(business_key: str, reminder: bool = False) -> dict[str, Any]:
    """Tell finance (within the dealer's scope) that a request waits; again as a reminder."""
    session = db.session
    increase = _increase(session, business_key)
    key = "reminder" if reminder else "review"
    notify(
        session,
        kind="credit_increase",
        title=_title(increase, key),
        body=increase.reason,
        link="/inbox/",
        role="Finance",
        dealer_id=increase.dealer_id,
    )
    return {"role": "Finance", "reminder": bool(reminder)}


@service_task("credit_increase.record")
def record(business_key: str, decision: dict[str, Any], requested_by_id: int | None = None) -> dict[str, Any]:
    """Set the outcome (approved / rejected) and who decided; tell the requester."""
    session = db.session
    increase = _increase(session, business_key)
    status = "approved" if decision.get("decision") == "approve" else "rejected"
    decided_by = session.scalar(
        select(HumanTask.completed_by)
        .where(
            HumanTask.instance_id == increase.instance_id,
            HumanTask.element_id == REVIEW_STEP,
            HumanTask.state == "completed",
        )
        .order_by(HumanTask.completed_at.desc())
        .limit(1)
    )
    actor = current_actor()
    increase.status = status
    increase.decided_by = (decided_by or (actor.name if actor is not None else "system"))[:100]
    comment = str(decision.get("comment") or "")[:1000] or None
    target = (
        {"user_id": requested_by_id}
        if requested_by_id
        else {"role": "Dealer", "dealer_id": increase.dealer_id}
    )
    notify(
        session,
        kind="credit_increase",
        title=_title(increase, status),
        body=comment,
        link=f"/receivables/credit_increases/{increase.id}",
        **target,
    )
    session.flush()
    return {"status": status, "decided_by": increase.decided_by}
