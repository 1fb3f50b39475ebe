"""Process instances: start, complete tasks, cancel/suspend/resume, incidents and retry,
timers and messages (mission C2, C3).

Each public function is one use case: it loads what it needs, advances the workflow to
its next wait state, writes the new state, the human tasks, the waits and the history,
and commits once. A concurrent change to the same instance or task ends in ``Conflict``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from app.adapters.file_store import check_task_files
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.scope import DataScope
from app.engine import outbox
from app.engine.instance_store import (
    DEALER_SCOPE,
    INSTANCE_COLUMNS,
    TASK_AND_INSTANCE,
    TASK_FIELDS,
    UPDATE_TASK,
    TaskRow,
    commit_keeping_ids,
    insert_instance,
    latest_of,
    load_workflow,
    persistent,
    row_of,
    spec_loader,
    update_instance,
    workflow_of,
)
from app.engine.script_engine import engine_for
from app.engine.serializer import SERIALIZER, dump_state, specs_of
from app.engine.task_forms import task_form
from app.engine.tracking import (
    Before,
    InstanceRow,
    StepRecorder,
    Waits,
    add_event,
    before,
    data_diff,
    expect_one,
    insert_events,
    stamp_end,
    status_of,
    sync_human_tasks,
    sync_waits,
)
from app.formkit.schemas import validate
from app.models import (
    Dealer,
    HumanTask,
    ProcessInstance,
    Region,
)
from app.models.base import utcnow
from app.services.actor import Actor, acting_as, current_actor


@dataclass(frozen=True)
class Caller:
    """Who acts: their user id and name, role names and data scope."""

    id: int | None
    name: str
    roles: frozenset[str]
    scope: DataScope


def use_case(func):
    """One engine use case: run as its caller (history and audit name them); a concurrent
    change of the same instance or task, detected at any flush, becomes ``Conflict``. After it
    committed, the outbox entries its steps queued are run (``outbox.drain``)."""

    @functools.wraps(func)
    def wrapper(session, *args, **kwargs):
        who = kwargs.get("caller") or next((a for a in args if isinstance(a, Caller)), None)
        actor = Actor(who.id, who.name) if who is not None else current_actor()
        try:
            with acting_as(actor):
                result = func(session, *args, **kwargs)
        except StaleDataError as error:
            session.rollback()
            raise Conflict(
                "someone else changed this process at the same time; reload and try again"
            ) from error
        if session.info.get(outbox.PENDING):
            outbox.drain(session)  # what the steps queued: messages, flows to start
        return result

    return wrapper


def advance(
    session: Session,
    row: InstanceRow,
    workflow: BpmnWorkflow,
    step,
    was: Before,
    events: list[dict[str, Any]],
    new: dict[str, Any] | None = None,
) -> None:
    """Run ``step`` then the engine to the next wait state; a failure becomes an incident.

    ``events`` are the history rows of the use case itself, written before the steps' rows;
    ``new`` the columns of an instance not yet inserted (see ``_save``).
    """
    recorder = StepRecorder()
    hooks = {"will_complete_task": recorder.will_complete, "did_complete_task": recorder.did_complete}
    waits = None
    try:
        step(recorder)
        workflow.do_engine_steps(**hooks)
        workflow.refresh_timers()
        workflow.do_engine_steps(**hooks)
        waits = Waits(workflow)
        row.status, row.error = status_of(workflow, waits), None
    except SpiffWorkflowException as error:
        row.status, row.error = "error", str(error).split("\n")[0][:2000]
    events = [*events, *recorder.events]
    if row.status == "error":
        events.append({"kind": "incident", "message": row.error})
    _save(session, row, workflow, was, events, waits, new)


def _save(
    session: Session,
    row: InstanceRow,
    workflow: BpmnWorkflow,
    was: Before,
    events: list[dict[str, Any]],
    waits: Waits | None = None,
    new: dict[str, Any] | None = None,
) -> None:
    """Write the instance (checking its lock version), its history, human tasks and waits.

    With ``new`` (the columns only an insert sets) the instance is inserted, and ``row.id``
    set, instead.
    """
    row.state = dump_state(workflow)
    row.serializer_version = SERIALIZER.VERSION
    stamp_end(row)
    connection = session.connection()
    if new is not None:
        insert_instance(connection, row, new)
    else:
        update_instance(connection, row)
    insert_events(connection, row.id, events)
    waits = waits or Waits(workflow)
    sync_human_tasks(connection, row, workflow, was, waits)
    sync_waits(connection, row, workflow, was, waits)


def _loaded_dealer(session: Session, code: str) -> tuple[str, int] | None:
    """(region path, id) of dealer ``code`` if the session already holds it with its region
    loaded and unexpired (the order being submitted): no query. Never triggers a load."""
    for obj in session.identity_map.values():
        if type(obj) is Dealer:
            state = inspect(obj).dict
            region = state.get("region")
            if state.get("code") == code and region is not None:
                path = inspect(region).dict.get("path")
                if path and state.get("id") is not None:
                    return path, state["id"]
    return None


def _scope_keys(session: Session, data: dict[str, Any]) -> tuple[str | None, int | None]:
    """Region path and dealer id from the start data's ``region`` / ``dealer`` codes."""
    dealer_code, region_code = data.get("dealer"), data.get("region")
    if dealer_code is not None:
        found = _loaded_dealer(session, str(dealer_code))
        if found is None:
            found = session.connection().execute(DEALER_SCOPE, {"code": str(dealer_code)}).first()
        if found is None:
            raise ValidationFailed(f"unknown dealer {dealer_code!r}", {"data.dealer": "unknown dealer"})
        return found[0], found[1]
    if region_code is not None:
        path = session.scalar(select(Region.path).where(Region.code == str(region_code)))
        if path is None:
            raise ValidationFailed(f"unknown region {region_code!r}", {"data.region": "unknown region"})
        return path, None
    return None, None


def _check_start_data(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationFailed("data must be an object", {"data": "an object"})
    bad = [k for k in data if not isinstance(k, str) or not k.isidentifier() or k.startswith("_")]
    if bad:
        raise ValidationFailed(
            f"invalid variable name {bad[0]!r}", {f"data.{bad[0]}": "letters, digits, '_'"}
        )
    return data


def linker(record: Any) -> Callable[[int], None]:
    """An ``on_started`` for ``start_instance`` that sets ``record.instance_id``."""

    def link(instance_id: int) -> None:
        record.instance_id = instance_id

    return link


@use_case
def start_instance(
    session: Session,
    key: str,
    data: Any,
    caller: Caller,
    on_started: Callable[[int], None] | None = None,
) -> ProcessInstance:
    """Start the latest version of process ``key`` with ``data`` as its variables. ``on_started``
    gets the new instance's id before the commit (to point the caller's own record at it in the
    same transaction)."""
    version = latest_of(session, key)
    if version is None:
        raise NotFound(f"no process named {key!r}", {"process_key": "unknown process"})
    data = _check_start_data(data)
    region_path, dealer_id = _scope_keys(session, data)
    if (region_path or dealer_id) and not caller.scope.allows_dealer(dealer_id, region_path):
        raise NotFound("dealer or region outside your data scope", {"data": "not found"})
    now = utcnow()
    row = InstanceRow(
        id=0,  # set when inserted, after the first step
        version_id=version.id,
        content_hash=version.content_hash,
        trusted=version.trusted,
        status="running",
        error=None,
        state={},
        serializer_version=SERIALIZER.VERSION,
        business_key=str(data["business_key"])[:100] if "business_key" in data else None,
        region_path=region_path,
        dealer_id=dealer_id,
        ended_at=None,
        lock_version=1,
    )
    workflow = BpmnWorkflow(*specs_of(version.id, version.content_hash, spec_loader(session, version.id)))
    workflow.script_engine = engine_for(version.trusted)

    def step(recorder):
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)

    started = {"kind": "started", "data_after": data_diff({}, data)[1] or None}
    new = {"started_by": caller.name, "started_at": now}
    advance(session, row, workflow, step, Before(), [started], new)
    instance: ProcessInstance = persistent(session, ProcessInstance, row.id)
    if on_started is not None:
        on_started(row.id)
    commit_keeping_ids(session, instance)
    return instance


def task_variables(task: HumanTask) -> dict[str, Any]:
    """The process data a waiting task sees (for showing it next to the form)."""
    workflow = workflow_of(task.instance)
    spiff_task = next((t for t in workflow.get_tasks() if str(t.id) == task.spiff_task_id), None)
    return data_diff({}, dict(spiff_task.data))[1] if spiff_task is not None else {}


def may_act(task: HumanTask, caller: Caller) -> bool:
    """Does ``caller`` hold a candidate role and see the task's dealer/region?"""
    return _may_act(task.candidate_roles, task.dealer_id, task.region_path, caller)


def _may_act(candidate_roles: str, dealer_id: int | None, region_path: str | None, caller: Caller) -> bool:
    if not set(candidate_roles.split(",")) & caller.roles:
        return False
    if dealer_id is None and region_path is None:
        return True
    return caller.scope.allows_dealer(dealer_id, region_path)


def _task_for(session: Session, task_id: int, caller: Caller) -> HumanTask:
    task = session.get(
        HumanTask, task_id, options=[joinedload(HumanTask.instance).joinedload(ProcessInstance.version)]
    )
    if task is None or not may_act(task, caller):
        raise NotFound("no such task in your inbox")
    return task


def _task_row_for(session: Session, task_id: int, caller: Caller) -> tuple[TaskRow, InstanceRow]:
    """The task and its instance as plain values (one query), if ``caller`` may act on it."""
    found = session.connection().execute(TASK_AND_INSTANCE, {"task_id": task_id}).first()
    if found is not None:
        values = found._mapping
        task = TaskRow(**{name: values[f"task_{name}"] for name in TASK_FIELDS})
        if _may_act(task.candidate_roles, task.dealer_id, task.region_path, caller):
            return task, InstanceRow(**{column.name: values[column] for column in INSTANCE_COLUMNS})
    raise NotFound("no such task in your inbox")


@use_case
def claim_task(session: Session, task_id: int, caller: Caller, claim: bool = True) -> HumanTask:
    """Claim (or release) a task so others see it is being handled."""
    task = _task_for(session, task_id, caller)
    if task.state not in ("open", "claimed"):
        raise Conflict(f"the task is already {task.state}")
    if task.state == "claimed" and task.claimed_by_id != caller.id:
        raise Conflict("the task is claimed by someone else")
    task.state, task.claimed_by_id = ("claimed", caller.id) if claim else ("open", None)
    add_event(session, task.instance, "claimed" if claim else "released", element_id=task.element_id)
    commit_keeping_ids(session)
    return task


@use_case
def complete_task(
    session: Session, task_id: int, caller: Caller, data: Any, lock_version: int | None = None
) -> HumanTask:
    """Validate ``data`` against the task's form, store it under the task's id, move on."""
    task, row = _task_row_for(session, task_id, caller)
    if task.state not in ("open", "claimed"):
        raise Conflict(f"the task is already {task.state}")
    if task.state == "claimed" and task.claimed_by_id != caller.id:
        raise Conflict("the task is claimed by someone else")
    if lock_version is not None and lock_version != task.lock_version:
        raise Conflict("the task changed since you loaded it; reload and try again")
    if row.status in ("suspended", "cancelled", "error"):
        raise Conflict(f"the process is {row.status}")
    schema, uischema = task_form(session, row.version_id, task.form)
    validate(schema, data)
    check_task_files(
        session, schema, uischema, data, caller.id, caller.scope, task.dealer_id, task.region_path
    )
    workflow = load_workflow(session, row)
    loaded = Waits(workflow)
    was = before(workflow, loaded)
    spiff_task = next((t for t in loaded.ready() if str(t.id) == task.spiff_task_id), None)
    if spiff_task is None:
        raise Conflict("the task is no longer waiting")
    done = session.connection().execute(
        UPDATE_TASK,
        {
            "b_id": task.id,
            "b_lock": task.lock_version,
            "state": "completed",
            "completed_by_id": caller.id,
            "completed_by": caller.name,
            "completed_at": utcnow(),
            "lock_version": task.lock_version + 1,
        },
    )
    expect_one(done, f"human task {task.id}")

    def step(recorder):
        recorder.will_complete(spiff_task)
        spiff_task.data[task.element_id] = data
        spiff_task.run()
        recorder.did_complete(spiff_task)

    advance(session, row, workflow, step, was, [])
    completed: HumanTask = persistent(session, HumanTask, task.id)
    commit_keeping_ids(session, completed)
    return completed


def _instance(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id, options=[joinedload(ProcessInstance.version)])
    if instance is None:
        raise NotFound("no such process instance")
    return instance


@use_case
def cancel_instance(session: Session, instance_id: int) -> ProcessInstance:
    """Cancel a running instance; its open tasks leave every inbox."""
    instance = _instance(session, instance_id)
    if instance.status in ("completed", "cancelled"):
        raise Conflict(f"the process is already {instance.status}")
    row = row_of(instance)
    workflow = load_workflow(session, row)
    was = before(workflow)
    workflow.cancel()
    row.status = "cancelled"
    _save(session, row, workflow, was, [{"kind": "cancelled"}])
    commit_keeping_ids(session)
    return instance


@use_case
def suspend_instance(session: Session, instance_id: int, suspend: bool = True) -> ProcessInstance:
    """Suspend (no task can be completed, no timer fires) or resume an instance."""
    instance = _instance(session, instance_id)
    if suspend and instance.status not in ("running", "waiting"):
        raise Conflict(f"a {instance.status} process cannot be suspended")
    if not suspend and instance.status != "suspended":
        raise Conflict("the process is not suspended")
    instance.status = "suspended" if suspend else status_of(workflow_of(instance))
    add_event(session, instance, "suspended" if suspend else "resumed")
    commit_keeping_ids(session)
    return instance


@use_case
def retry_instance(session: Session, instance_id: int) -> ProcessInstance:
    """Run the failed step of an instance in ``error`` again."""
    instance = _instance(session, instance_id)
    if instance.status != "error":
        raise Conflict("only a process with an incident can be retried")
    row = row_of(instance)
    workflow = load_workflow(session, row)
    was = before(workflow)

    def step(recorder):
        for task in workflow.get_tasks(state=TaskState.ERROR):
            task._set_state(TaskState.READY)

    advance(session, row, workflow, step, was, [{"kind": "retried", "message": instance.error}])
    commit_keeping_ids(session)
    return instance


# Steps an administrator may skip (docs/monitoring.md): a task that failed (an incident) and ran
# no user-facing decision, or an intermediate catch event / receive task still waiting.
SKIPPABLE_FAILED = ("ServiceTask", "BusinessRuleTask", "ScriptTask", "SendTask", "NoneTask")
SKIPPABLE_WAITING = ("IntermediateCatchEvent", "ReceiveTask")


@use_case
def skip_step(
    session: Session, instance_id: int, element_id: str, data: Any = None, reason: str | None = None
) -> ProcessInstance:
    """Complete the failed or waiting step ``element_id`` without running it, so the flow moves on;
    ``data`` (variables, checked as start data) is set on it first, e.g. the result a failed
    service task would have given. Other steps (human tasks, gateways, boundary events, sub-
    processes) are refused with ``Conflict`` naming why."""
    instance = _instance(session, instance_id)
    if instance.status not in ("error", "running", "waiting"):
        raise Conflict(f"a {instance.status} process has no step to skip")
    data = _check_start_data(data or {})
    row = row_of(instance)
    workflow = load_workflow(session, row)
    was = before(workflow)
    found = [t for t in workflow.get_tasks(state=TaskState.ERROR | TaskState.WAITING | TaskState.READY)
             if getattr(t.task_spec, "bpmn_id", None) == element_id]  # fmt: skip
    if not found:
        raise Conflict(f"step {element_id!r} is not failed or waiting in this process")
    task, kind = found[0], type(found[0].task_spec).__name__
    failed = task.state == TaskState.ERROR and kind in SKIPPABLE_FAILED
    waiting = task.state == TaskState.WAITING and kind in SKIPPABLE_WAITING
    if not (failed or waiting):
        raise Conflict(
            f"step {element_id!r} ({kind}) cannot be skipped: only a failed service, business rule, "
            "script or send task, or a waiting catch event or receive task; complete a human task "
            "from its task page, fix the data behind a gateway and retry"
        )

    def step(recorder):
        task.data.update(data)
        if waiting:  # as if its event had arrived: the engine runs it and moves on
            task._set_internal_data(event_fired=True)
            task._ready()
        else:
            task.complete()

    skipped = {"kind": "skipped", "element_id": element_id, "element_type": kind, "message": reason}
    if data:
        skipped["data_after"] = data_diff({}, data)[1]
    advance(session, row, workflow, step, was, [skipped])
    commit_keeping_ids(session)
    return instance
