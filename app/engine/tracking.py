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
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.engine.lint import ISO_DURATION
from app.models import HumanTask, InstanceEvent, InstanceTimer, MessageWait, ProcessInstance
from app.models.base import utcnow
from app.services.actor import current_actor

_EVENT, _TASK = InstanceEvent.__table__, HumanTask.__table__
_TIMER, _WAIT = InstanceTimer.__table__, MessageWait.__table__

# Statements built once (their SQL is compiled once and cached by SQLAlchemy).
_INSERT_EVENTS, _INSERT_TASKS = insert(_EVENT), insert(_TASK)
_INSERT_TIMER, _INSERT_WAITS = insert(_TIMER), insert(_WAIT)
_DELETE_TIMER = delete(_TIMER).where(_TIMER.c.instance_id == bindparam("instance_id"))
_DELETE_WAITS = delete(_WAIT).where(_WAIT.c.instance_id == bindparam("instance_id"))
_OPEN_TASKS = select(_TASK.c.id, _TASK.c.spiff_task_id, _TASK.c.lock_version).where(
    _TASK.c.instance_id == bindparam("instance_id"), _TASK.c.state.in_(("open", "claimed"))
)
_CANCEL_TASK = (
    update(_TASK)
    .where(_TASK.c.id == bindparam("task_id"), _TASK.c.lock_version == bindparam("old_lock"))
    .values(state="cancelled", lock_version=bindparam("new_lock"))
)


def expect_one(result, what: str) -> None:
    """An UPDATE guarded by ``lock_version`` must change exactly one row; otherwise someone
    changed that row meanwhile (``StaleDataError``, a 409 for the caller)."""
    if result.rowcount != 1:
        raise StaleDataError(f"{what} was changed meanwhile")


@dataclass
class InstanceRow:
    """What the engine's use cases read and write of one instance, as plain values.

    The use cases write instances, human tasks, waits and history with SQL statements (no ORM
    unit of work); ``lock_version`` is the optimistic lock the instance update checks.
    """

    id: int
    version_id: int
    content_hash: str
    trusted: bool
    status: str
    error: str | None
    state: dict[str, Any]
    serializer_version: str
    business_key: str | None
    region_path: str | None
    dealer_id: int | None
    ended_at: datetime | None
    lock_version: int


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


def insert_events(connection: Connection, instance_id: int, events: list[dict[str, Any]]) -> None:
    """Write several history rows at once, in order (a statement of its own: nothing pending
    in the session is flushed first)."""
    if not events:
        return
    actor, now = current_actor(), utcnow()
    rows = [
        {
            "instance_id": instance_id,
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
    connection.execute(_INSERT_EVENTS, rows)


def _properties(spec) -> dict[str, str]:
    return dict((getattr(spec, "extensions", None) or {}).get("properties") or {})


def candidate_roles(spec) -> list[str]:
    """A user task's candidate roles: its ``candidateRoles`` property, else its lane."""
    listed = _properties(spec).get("candidateRoles")
    if listed:
        return [r.strip() for r in listed.split(",") if r.strip()]
    return [spec.lane] if getattr(spec, "lane", None) else []


class Waits:
    """The ready user tasks and the waiting events of a workflow that no longer moves, each
    looked up once (a lookup that raises is not remembered: the next one raises again)."""

    def __init__(self, workflow: BpmnWorkflow) -> None:
        self.workflow = workflow
        self._ready: list[Any] | None = None
        self._events: list[Any] | None = None

    def ready(self) -> list[Any]:
        if self._ready is None:
            self._ready = self.workflow.get_tasks(state=TaskState.READY, manual=True)
        return self._ready

    def events(self) -> list[Any]:
        if self._events is None:
            self._events = self.workflow.waiting_events()
        return self._events


@dataclass(frozen=True)
class Before:
    """What a workflow waited for when it was loaded: skip bookkeeping that cannot have changed."""

    user_tasks: bool = False
    events: bool = False


def before(workflow: BpmnWorkflow, waits: Waits | None = None) -> Before:
    """Snapshot of ``workflow``'s waits, taken right after loading it (``waits``: its lookups)."""
    waits = waits or Waits(workflow)
    return Before(bool(waits.ready()), bool(waits.events()))


def sync_human_tasks(
    connection: Connection,
    instance: InstanceRow,
    workflow: BpmnWorkflow,
    was: Before = Before(True, True),
    waits: Waits | None = None,
) -> list[str]:
    """Open a row for each ready user task; cancel rows whose task is no longer ready.

    Returns the Spiff task ids of the opened rows. A row changed meanwhile (its lock version
    moved) raises ``StaleDataError``, as the ORM's version check would.
    """
    ready = {str(t.id): t for t in (waits or Waits(workflow)).ready()}
    if not ready and not was.user_tasks:
        return []
    rows: list[Any] = []
    if was.user_tasks:
        rows = list(connection.execute(_OPEN_TASKS, {"instance_id": instance.id}))
    known = {row.spiff_task_id for row in rows}
    for row in rows:
        if row.spiff_task_id not in ready:
            expect_one(
                connection.execute(
                    _CANCEL_TASK,
                    {"task_id": row.id, "old_lock": row.lock_version, "new_lock": row.lock_version + 1},
                ),
                f"human task {row.id}",
            )
    opened = []
    for task_id, task in ready.items():
        if task_id in known:
            continue
        spec = task.task_spec
        props = _properties(spec)
        opened.append(
            {
                "instance_id": instance.id,
                "spiff_task_id": task_id,
                "element_id": spec.bpmn_id,
                "name": spec.bpmn_name or spec.bpmn_id,
                "candidate_roles": ",".join(candidate_roles(spec)),
                "region_path": instance.region_path,
                "dealer_id": instance.dealer_id,
                "form": props.get("formJsonSchemaFilename"),
                "instructions": (spec.extensions or {}).get("instructionsForEndUser"),
                "due_at": due_time(props.get("dueIn")),
                "state": "open",
                "created_at": utcnow(),
                "lock_version": 1,
            }
        )
    if opened:
        connection.execute(_INSERT_TASKS, opened)
    return [row["spiff_task_id"] for row in opened]


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
    connection: Connection,
    instance: InstanceRow,
    workflow: BpmnWorkflow,
    was: Before = Before(True, True),
    waits: Waits | None = None,
) -> None:
    """Store the next timer and the awaited messages of ``instance``."""
    if was.events:
        connection.execute(_DELETE_TIMER, {"instance_id": instance.id})
        connection.execute(_DELETE_WAITS, {"instance_id": instance.id})
    if instance.status in ("completed", "cancelled"):
        return
    times, messages = [], set()
    for event in (waits or Waits(workflow)).events():
        if event.event_type.endswith("TimerEventDefinition"):
            fire_at = _fire_time(event.value)
            if fire_at is not None:
                times.append(fire_at)
        elif event.event_type.endswith("MessageEventDefinition"):
            messages.add(event.name)
    if times:
        connection.execute(_INSERT_TIMER, [{"instance_id": instance.id, "fire_at": min(times)}])
    if messages:
        connection.execute(
            _INSERT_WAITS,
            [
                {"instance_id": instance.id, "message": name, "business_key": instance.business_key}
                for name in sorted(messages)
            ],
        )


def status_of(workflow: BpmnWorkflow, waits: Waits | None = None) -> str:
    """running / waiting / completed from the workflow's own state."""
    if workflow.completed:
        return "completed"
    waits = waits or Waits(workflow)
    if waits.ready() or waits.events():
        return "waiting"
    return "running"


def stamp_end(instance: InstanceRow) -> None:
    """Set ``ended_at`` once an instance completes or is cancelled."""
    if instance.status in ("completed", "cancelled") and instance.ended_at is None:
        instance.ended_at = utcnow()
