"""What the database keeps in step with a workflow after every step: human tasks,
the next timer, message waits and the instance events (history)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from app.engine.lint import ISO_DURATION
from app.models import HumanTask, InstanceEvent, InstanceTimer, MessageWait, ProcessInstance
from app.models.base import utcnow
from app.services.actor import current_actor


def _plain(value: Any) -> Any:
    """JSON-safe copy of task data (Decimal, dates → strings)."""
    return json.loads(json.dumps(value, default=str))


def data_diff(before: dict, after: dict) -> tuple[dict, dict]:
    """The keys whose values changed, with their old and new values."""
    keys = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    return _plain({k: before.get(k) for k in keys if k in before}), _plain(
        {k: after[k] for k in keys if k in after}
    )


class StepRecorder:
    """Collects one instance event per BPMN element the engine completes."""

    def __init__(self) -> None:
        self._before: dict[Any, dict] = {}
        self.events: list[dict] = []

    def will_complete(self, task) -> None:
        self._before[task.id] = dict(task.data)

    def did_complete(self, task) -> None:
        spec = task.task_spec
        if not getattr(spec, "bpmn_id", None):
            return
        before, after = data_diff(self._before.pop(task.id, {}), dict(task.data))
        self.events.append(
            {
                "kind": "step",
                "element_id": spec.bpmn_id,
                "element_type": type(spec).__name__,
                "data_before": before or None,
                "data_after": after or None,
            }
        )


def add_event(session: Session, instance: ProcessInstance, kind: str, **fields: Any) -> None:
    """Write one history row for ``instance`` as the current actor."""
    actor = current_actor()
    session.add(
        InstanceEvent(instance_id=instance.id, kind=kind, actor=actor.name, actor_id=actor.id, **fields)
    )


def insert_events(session: Session, instance: ProcessInstance, events: list[dict[str, Any]]) -> None:
    """Write several history rows at once (after the session's pending rows, keeping their order)."""
    if not events:
        return
    actor, now = current_actor(), utcnow()
    rows = [
        {
            "instance_id": instance.id,
            "at": now,
            "actor": actor.name,
            "actor_id": actor.id,
            "element_id": None,
            "element_type": None,
            "data_before": None,
            "data_after": None,
            "message": None,
            **event,
        }
        for event in events
    ]
    session.execute(insert(InstanceEvent), rows)


def _properties(spec) -> dict[str, str]:
    return dict((getattr(spec, "extensions", None) or {}).get("properties") or {})


def candidate_roles(spec) -> list[str]:
    """A user task's candidate roles: its ``candidateRoles`` property, else its lane."""
    listed = _properties(spec).get("candidateRoles")
    if listed:
        return [r.strip() for r in listed.split(",") if r.strip()]
    return [spec.lane] if getattr(spec, "lane", None) else []


@dataclass(frozen=True)
class Before:
    """What a workflow waited for when it was loaded: skip bookkeeping that cannot have changed."""

    user_tasks: bool = False
    events: bool = False


def before(workflow: BpmnWorkflow) -> Before:
    """Snapshot of ``workflow``'s waits, taken right after loading it."""
    return Before(
        bool(workflow.get_tasks(state=TaskState.READY, manual=True)), bool(workflow.waiting_events())
    )


def sync_human_tasks(
    session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, was: Before = Before(True, True)
) -> list[HumanTask]:
    """Open a row for each ready user task; cancel rows whose task is no longer ready."""
    ready = {str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    if not ready and not was.user_tasks:
        return []
    rows = []
    if was.user_tasks:
        rows = session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.state.in_(("open", "claimed"))
            )
        ).all()
    known = {row.spiff_task_id for row in rows}
    for row in rows:
        if row.spiff_task_id not in ready:
            row.state = "cancelled"
    opened = []
    for task_id, task in ready.items():
        if task_id in known:
            continue
        spec = task.task_spec
        props = _properties(spec)
        row = HumanTask(
            instance_id=instance.id,
            spiff_task_id=task_id,
            element_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            candidate_roles=",".join(candidate_roles(spec)),
            region_path=instance.region_path,
            dealer_id=instance.dealer_id,
            form=props.get("formJsonSchemaFilename"),
            instructions=(spec.extensions or {}).get("instructionsForEndUser"),
            due_at=due_time(props.get("dueIn")),
            state="open",
        )
        session.add(row)
        opened.append(row)
    return opened


def due_time(due_in: str | None) -> datetime | None:
    """Now plus a task's ``dueIn`` property (an ISO-8601 duration such as ``P2D``), if it has one."""
    value = (due_in or "").strip().strip('"')
    if not ISO_DURATION.match(value):
        return None
    parsed = TimerEventDefinition.parse_iso_duration(value)
    return utcnow() + TimerEventDefinition.get_timedelta_from_start(parsed, utcnow())


def _fire_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def sync_waits(
    session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, was: Before = Before(True, True)
) -> None:
    """Store the next timer and the awaited messages of ``instance``."""
    if was.events:
        session.execute(delete(InstanceTimer).where(InstanceTimer.instance_id == instance.id))
        session.execute(delete(MessageWait).where(MessageWait.instance_id == instance.id))
    if instance.status in ("completed", "cancelled"):
        return
    times, messages = [], set()
    for event in workflow.waiting_events():
        if event.event_type.endswith("TimerEventDefinition"):
            fire_at = _fire_time(event.value)
            if fire_at is not None:
                times.append(fire_at)
        elif event.event_type.endswith("MessageEventDefinition"):
            messages.add(event.name)
    if times:
        session.add(InstanceTimer(instance_id=instance.id, fire_at=min(times)))
    for name in sorted(messages):
        session.add(MessageWait(instance_id=instance.id, message=name, business_key=instance.business_key))


def status_of(workflow: BpmnWorkflow) -> str:
    """running / waiting / completed from the workflow's own state."""
    if workflow.completed:
        return "completed"
    if workflow.get_tasks(state=TaskState.READY, manual=True) or workflow.waiting_events():
        return "waiting"
    return "running"


def stamp_end(instance: ProcessInstance) -> None:
    """Set ``ended_at`` once an instance completes or is cancelled."""
    if instance.status in ("completed", "cancelled") and instance.ended_at is None:
        instance.ended_at = utcnow()
