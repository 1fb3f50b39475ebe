"""Process instances: start, complete tasks, cancel/suspend/resume, incidents and retry,
timers and messages (mission C2, C3).

Each public function is one use case: it loads what it needs, advances the workflow to
its next wait state, writes the new state, the human tasks, the waits and the history,
and commits once. A concurrent change to the same instance or task ends in ``Conflict``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from app.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.domain.scope import DataScope
from app.engine.definitions import latest_version
from app.engine.script_engine import engine_for
from app.engine.serializer import SERIALIZER, dump_state, load_state, specs_of
from app.engine.tracking import (
    Before,
    StepRecorder,
    add_event,
    before,
    data_diff,
    insert_events,
    stamp_end,
    status_of,
    sync_human_tasks,
    sync_waits,
)
from app.formkit.schemas import load_schema, validate
from app.models import Dealer, HumanTask, InstanceTimer, MessageWait, ProcessInstance, Region
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
    change of the same instance or task, detected at any flush, becomes ``Conflict``."""

    @functools.wraps(func)
    def wrapper(session, *args, **kwargs):
        who = kwargs.get("caller") or next((a for a in args if isinstance(a, Caller)), None)
        actor = Actor(who.id, who.name) if who is not None else current_actor()
        try:
            with acting_as(actor):
                return func(session, *args, **kwargs)
        except StaleDataError as error:
            session.rollback()
            raise Conflict(
                "someone else changed this process at the same time; reload and try again"
            ) from error

    return wrapper


def _commit(session: Session) -> None:
    session.commit()


def _workflow(instance: ProcessInstance) -> BpmnWorkflow:
    version = instance.version
    specs = specs_of(version.id, version.content_hash, lambda: version.spec)
    spec_json = version.spec if instance.serializer_version != SERIALIZER.VERSION else None
    workflow = load_state(instance.state, specs, instance.serializer_version, spec_json)
    workflow.script_engine = engine_for(version.trusted)
    return workflow


def _advance(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, step, was: Before) -> None:
    """Run ``step`` then the engine to the next wait state; a failure becomes an incident."""
    recorder = StepRecorder()
    hooks = {"will_complete_task": recorder.will_complete, "did_complete_task": recorder.did_complete}
    try:
        step(recorder)
        workflow.do_engine_steps(**hooks)
        workflow.refresh_timers()
        workflow.do_engine_steps(**hooks)
        instance.status, instance.error = status_of(workflow), None
    except SpiffWorkflowException as error:
        instance.status, instance.error = "error", str(error).split("\n")[0][:2000]
    events = recorder.events
    if instance.status == "error":
        events = [*events, {"kind": "incident", "message": instance.error}]
    _save(session, instance, workflow, was, events)


def _save(
    session: Session,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    was: Before,
    events: list[dict[str, Any]] = (),
) -> None:
    instance.state = dump_state(workflow)
    instance.serializer_version = SERIALIZER.VERSION
    stamp_end(instance)
    session.flush()
    insert_events(session, instance, list(events))
    sync_human_tasks(session, instance, workflow, was)
    sync_waits(session, instance, workflow, was)


def _scope_keys(session: Session, data: dict[str, Any]) -> tuple[str | None, int | None]:
    """Region path and dealer id from the start data's ``region`` / ``dealer`` codes."""
    dealer_code, region_code = data.get("dealer"), data.get("region")
    if dealer_code is not None:
        dealer = session.scalar(select(Dealer).where(Dealer.code == str(dealer_code)))
        if dealer is None:
            raise ValidationFailed(f"unknown dealer {dealer_code!r}", {"data.dealer": "unknown dealer"})
        return dealer.region.path, dealer.id
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


@use_case
def start_instance(session: Session, key: str, data: Any, caller: Caller) -> ProcessInstance:
    """Start the latest version of process ``key`` with ``data`` as its variables."""
    version = latest_version(session, key)
    if version is None:
        raise NotFound(f"no process named {key!r}", {"process_key": "unknown process"})
    data = _check_start_data(data)
    region_path, dealer_id = _scope_keys(session, data)
    if (region_path or dealer_id) and not caller.scope.allows_dealer(dealer_id, region_path):
        raise NotFound("dealer or region outside your data scope", {"data": "not found"})
    instance = ProcessInstance(
        version=version,
        status="running",
        business_key=str(data["business_key"])[:100] if "business_key" in data else None,
        region_path=region_path,
        dealer_id=dealer_id,
        state={},
        serializer_version=SERIALIZER.VERSION,
        started_by=caller.name,
    )
    session.add(instance)
    workflow = BpmnWorkflow(*specs_of(version.id, version.content_hash, lambda: version.spec))
    workflow.script_engine = engine_for(version.trusted)
    session.flush()
    add_event(session, instance, "started", data_after=data_diff({}, data)[1] or None)

    def step(recorder):
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data)

    _advance(session, instance, workflow, step, Before())
    _commit(session)
    return instance


def task_variables(task: HumanTask) -> dict[str, Any]:
    """The process data a waiting task sees (for showing it next to the form)."""
    workflow = _workflow(task.instance)
    spiff_task = next((t for t in workflow.get_tasks() if str(t.id) == task.spiff_task_id), None)
    return data_diff({}, dict(spiff_task.data))[1] if spiff_task is not None else {}


def may_act(task: HumanTask, caller: Caller) -> bool:
    """Does ``caller`` hold a candidate role and see the task's dealer/region?"""
    if not set(task.candidate_roles.split(",")) & caller.roles:
        return False
    if task.dealer_id is None and task.region_path is None:
        return True
    return caller.scope.allows_dealer(task.dealer_id, task.region_path)


def _task_for(session: Session, task_id: int, caller: Caller) -> HumanTask:
    task = session.get(
        HumanTask, task_id, options=[joinedload(HumanTask.instance).joinedload(ProcessInstance.version)]
    )
    if task is None or not may_act(task, caller):
        raise NotFound("no such task in your inbox")
    return task


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
    _commit(session)
    return task


@use_case
def complete_task(
    session: Session, task_id: int, caller: Caller, data: Any, lock_version: int | None = None
) -> HumanTask:
    """Validate ``data`` against the task's form, store it under the task's id, move on."""
    task = _task_for(session, task_id, caller)
    if task.state not in ("open", "claimed"):
        raise Conflict(f"the task is already {task.state}")
    if task.state == "claimed" and task.claimed_by_id != caller.id:
        raise Conflict("the task is claimed by someone else")
    if lock_version is not None and lock_version != task.lock_version:
        raise Conflict("the task changed since you loaded it; reload and try again")
    instance = task.instance
    if instance.status in ("suspended", "cancelled", "error"):
        raise Conflict(f"the process is {instance.status}")
    validate(load_schema(task.form), data)
    workflow = _workflow(instance)
    was = before(workflow)
    spiff_task = next(
        (
            t
            for t in workflow.get_tasks(state=TaskState.READY, manual=True)
            if str(t.id) == task.spiff_task_id
        ),
        None,
    )
    if spiff_task is None:
        raise Conflict("the task is no longer waiting")
    task.state, task.completed_by_id, task.completed_by, task.completed_at = (
        "completed",
        caller.id,
        caller.name,
        utcnow(),
    )

    def step(recorder):
        recorder.will_complete(spiff_task)
        spiff_task.data[task.element_id] = data
        spiff_task.run()
        recorder.did_complete(spiff_task)

    _advance(session, instance, workflow, step, was)
    _commit(session)
    return task


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
    workflow = _workflow(instance)
    was = before(workflow)
    workflow.cancel()
    instance.status = "cancelled"
    add_event(session, instance, "cancelled")
    _save(session, instance, workflow, was)
    _commit(session)
    return instance


@use_case
def suspend_instance(session: Session, instance_id: int, suspend: bool = True) -> ProcessInstance:
    """Suspend (no task can be completed, no timer fires) or resume an instance."""
    instance = _instance(session, instance_id)
    if suspend and instance.status not in ("running", "waiting"):
        raise Conflict(f"a {instance.status} process cannot be suspended")
    if not suspend and instance.status != "suspended":
        raise Conflict("the process is not suspended")
    instance.status = "suspended" if suspend else status_of(_workflow(instance))
    add_event(session, instance, "suspended" if suspend else "resumed")
    _commit(session)
    return instance


@use_case
def retry_instance(session: Session, instance_id: int) -> ProcessInstance:
    """Run the failed step of an instance in ``error`` again."""
    instance = _instance(session, instance_id)
    if instance.status != "error":
        raise Conflict("only a process with an incident can be retried")
    workflow = _workflow(instance)
    was = before(workflow)
    add_event(session, instance, "retried", message=instance.error)

    def step(recorder):
        for task in workflow.get_tasks(state=TaskState.ERROR):
            task._set_state(TaskState.READY)

    _advance(session, instance, workflow, step, was)
    _commit(session)
    return instance


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
    for instance_id in ids:
        instance = session.get(ProcessInstance, instance_id)
        if instance is None or instance.status not in ("waiting", "running"):
            continue
        try:
            workflow = _workflow(instance)
            was = before(workflow)
            add_event(session, instance, "timer")
            _advance(session, instance, workflow, lambda recorder, wf=workflow: wf.refresh_timers(), was)
            _commit(session)
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
    instances = [
        i for i in (session.get(ProcessInstance, x) for x in ids) if i and i.status in ("waiting", "running")
    ]
    if not instances:
        raise NotFound(f"no process waits for message {name!r} with key {business_key!r}")
    for instance in instances:
        workflow = _workflow(instance)
        was = before(workflow)
        add_event(session, instance, "message", element_id=name, data_after=data_diff({}, payload)[1] or None)
        event = BpmnEvent(MessageEventDefinition(name), payload)
        _advance(session, instance, workflow, lambda recorder, wf=workflow, ev=event: wf.catch(ev), was)
    _commit(session)
    return [i.id for i in instances]


def forbid_unless(condition: bool, message: str) -> None:
    """Raise Forbidden with ``message`` unless ``condition`` holds."""
    if not condition:
        raise Forbidden(message)
