"""Use cases driven from outside a user's inbox: due timers (the scheduler) and messages (the API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.domain.errors import NotFound, ValidationFailed
from app.engine.instance_store import TIMER_BATCH, commit_keeping_ids, instance_rows, load_workflow
from app.engine.runtime import advance, use_case
from app.engine.tracking import before, data_diff
from app.models import InstanceTimer, MessageWait
from app.models.base import utcnow


def fire_due_timers(session: Session, now: datetime | None = None, limit: int = 500) -> int:
    """Advance every instance whose timer is due; returns how many were advanced."""
    now = now or utcnow()
    ids = session.scalars(
        select(InstanceTimer.instance_id)
        .where(InstanceTimer.fire_at <= now)
        .order_by(InstanceTimer.fire_at)
        .limit(limit)
    ).all()
    fired = 0
    for first in range(0, len(ids), TIMER_BATCH):
        batch = ids[first : first + TIMER_BATCH]
        rows = instance_rows(session, batch)
        for instance_id in batch:
            row = rows.get(instance_id)
            if row is None or row.status not in ("waiting", "running"):
                continue
            try:
                workflow = load_workflow(session, row)
                was = before(workflow)
                step = lambda recorder, wf=workflow: wf.refresh_timers()  # noqa: E731
                advance(session, row, workflow, step, was, [{"kind": "timer"}])
                commit_keeping_ids(session)
                fired += 1
            except StaleDataError:  # changed by a user meanwhile: the next sweep sees the new state
                session.rollback()
    return fired


@use_case
def deliver_message(session: Session, name: str, business_key: str, payload: Any) -> list[int]:
    """Deliver message ``name`` to the instances with ``business_key`` waiting for it."""
    if not isinstance(payload, dict):
        raise ValidationFailed("payload must be an object", {"payload": "an object"})
    ids = session.scalars(
        select(MessageWait.instance_id).where(
            MessageWait.message == name, MessageWait.business_key == business_key
        )
    ).all()
    rows = instance_rows(session, list(ids)) if ids else {}
    instances = [rows[x] for x in ids if x in rows and rows[x].status in ("waiting", "running")]
    if not instances:
        raise NotFound(f"no process waits for message {name!r} with key {business_key!r}")
    for row in instances:
        workflow = load_workflow(session, row)
        was = before(workflow)
        received = {"kind": "message", "element_id": name, "data_after": data_diff({}, payload)[1] or None}
        event = BpmnEvent(MessageEventDefinition(name), payload)
        step = lambda recorder, wf=workflow, ev=event: wf.catch(ev)  # noqa: E731
        advance(session, row, workflow, step, was, [received])
    commit_keeping_ids(session)
    return [row.id for row in instances]
