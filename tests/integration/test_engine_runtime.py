"""The engine on a real database: versions, instances, inbox scope, forms, incidents,
timers, messages, cancel/suspend/resume, concurrent completion."""

from datetime import timedelta
from pathlib import Path

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.adapters.unit_of_work import SqlUnitOfWork
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.engine import definitions, registry, runtime, waits
from app.engine.inbox import inbox
from app.extensions import db
from app.formkit.schemas import form_exists
from app.models import HumanTask, InstanceEvent, InstanceTimer, ProcessInstance
from app.models.base import utcnow
from app.services.scope import scope_of_user

DATA = Path(__file__).parent.parent / "data" / "engine"
ROLES = {"Admin", "Consultant", "Executive", "RegionalManager", "SalesRep", "Finance", "Warehouse", "Dealer"}


def _deploy(name: str, replace: tuple[str, str] | None = None):
    content = (DATA / name).read_bytes()
    if replace:
        content = content.replace(replace[0].encode(), replace[1].encode())
    deployed = definitions.deploy(
        db.session, {name: content}, actor="test", form_exists=form_exists, known_roles=ROLES
    )
    db.session.commit()
    return deployed


def caller(app, username: str) -> runtime.Caller:
    user = db.session.scalar(select(User).where(User.username == username))
    scope = scope_of_user(SqlUnitOfWork(db.session, app.extensions["dms_roles"]), user.id)
    return runtime.Caller(user.id, username, frozenset(r.name for r in user.roles), scope)


def _open_tasks(instance_id: int) -> list[HumanTask]:
    return list(
        db.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id, HumanTask.state.in_(("open", "claimed"))
            )
        )
    )


@pytest.fixture
def travel(monkeypatch):
    """Move SpiffWorkflow's clock forward by ``delta`` (timers compare against it)."""
    from datetime import datetime as real_datetime

    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    def go(delta: timedelta):
        class Shifted(real_datetime):
            @classmethod
            def now(cls, tz=None):
                return real_datetime.now(tz) + delta

        monkeypatch.setattr(timer, "datetime", Shifted)
        return utcnow() + delta

    return go


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield app
        db.session.rollback()


def test_identical_content_is_one_version_changed_content_the_next(ctx):
    first = _deploy("two_step.bpmn")
    again = _deploy("two_step.bpmn")
    assert again.version == first.version and not again.created
    changed = _deploy("two_step.bpmn", ("Finance review", "Finance check"))
    assert changed.created and changed.version == first.version + 1


def test_two_step_approval_with_scope_forms_and_history(ctx):
    _deploy("two_step.bpmn")
    exec_ = caller(ctx, "exec")
    instance = runtime.start_instance(db.session, "two_step", {"amount": 20000, "dealer": "D-SH-1"}, exec_)
    assert instance.status == "waiting"
    (task,) = _open_tasks(instance.id)
    assert task.element_id == "review" and task.candidate_roles == "RegionalManager"

    def visible(user):
        who = caller(ctx, user)
        return task.id in {t.id for t in inbox(db.session, who.id, who.roles, who.scope)[1]}

    assert visible("rm_sh") and visible("rm_east")
    assert not visible("finance") and not visible("dealer_sh1") and not visible("exec")
    with pytest.raises(NotFound):
        runtime.complete_task(db.session, task.id, caller(ctx, "finance"), {"decision": "approve"})

    rm = caller(ctx, "rm_sh")
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(db.session, task.id, rm, {"decision": "approve", "amount": 1})
    assert err.value.errors == {"amount": "unknown field"}
    with pytest.raises(ValidationFailed) as err:
        runtime.complete_task(db.session, task.id, rm, {"decision": "maybe"})
    assert "decision" in err.value.errors
    assert db.session.get(HumanTask, task.id).state == "open"

    runtime.complete_task(db.session, task.id, rm, {"decision": "approve", "comment": "ok"})
    with pytest.raises(Conflict):
        runtime.complete_task(db.session, task.id, rm, {"decision": "approve"})
    (finance_task,) = _open_tasks(instance.id)
    assert finance_task.element_id == "finance_review"
    runtime.complete_task(db.session, finance_task.id, caller(ctx, "finance"), {"decision": "approve"})
    instance = db.session.get(ProcessInstance, instance.id)
    assert instance.status == "completed" and instance.ended_at is not None
    events = db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance.id)).all()
    review = next(e for e in events if e.element_id == "review" and e.kind == "step")
    assert review.data_after == {"review": {"decision": "approve", "comment": "ok"}}
    assert review.actor == "rm_sh"
    assert {"started", "step"} <= {e.kind for e in events}


def test_form_data_can_never_override_a_variable(ctx):
    _deploy("two_step.bpmn")
    instance = runtime.start_instance(
        db.session, "two_step", {"amount": 500, "dealer": "D-SH-1"}, caller(ctx, "exec")
    )
    (task,) = _open_tasks(instance.id)
    runtime.complete_task(db.session, task.id, caller(ctx, "rm_sh"), {"decision": "approve"})
    assert (
        db.session.get(ProcessInstance, instance.id).status == "completed"
    )  # amount 500 ≤ 10000: no finance step


def test_running_instances_keep_their_version(ctx):
    _deploy("two_step.bpmn")
    instance = runtime.start_instance(
        db.session, "two_step", {"amount": 20000, "dealer": "D-SH-1"}, caller(ctx, "exec")
    )
    old_version = instance.version_id
    _deploy("two_step.bpmn", ("amount &gt; 10000", "amount &gt; 50000"))
    (task,) = _open_tasks(instance.id)
    runtime.complete_task(db.session, task.id, caller(ctx, "rm_sh"), {"decision": "approve"})
    instance = db.session.get(ProcessInstance, instance.id)
    assert instance.version_id == old_version
    assert [t.element_id for t in _open_tasks(instance.id)] == ["finance_review"]  # old threshold applied
    newer = runtime.start_instance(
        db.session, "two_step", {"amount": 20000, "dealer": "D-SH-1"}, caller(ctx, "exec")
    )
    assert newer.version_id != old_version


def test_failing_service_task_is_an_incident_that_can_be_retried(ctx, monkeypatch):
    calls = []

    def flaky(amount):
        calls.append(amount)
        if len(calls) == 1:
            raise RuntimeError("credit service unavailable")
        return {"ok": True, "doubled": amount}

    monkeypatch.setitem(registry._HANDLERS, "test.check", flaky)
    _deploy("service_then_review.bpmn")
    instance = runtime.start_instance(db.session, "service_then_review", {"amount": 21}, caller(ctx, "exec"))
    assert instance.status == "error" and "credit service unavailable" in instance.error
    assert _open_tasks(instance.id) == []
    instance = runtime.retry_instance(db.session, instance.id)
    assert instance.status == "waiting" and calls == [42, 42]
    (task,) = _open_tasks(instance.id)
    assert task.element_id == "confirm"
    kinds = [
        e.kind
        for e in db.session.scalars(select(InstanceEvent).where(InstanceEvent.instance_id == instance.id))
    ]
    assert "incident" in kinds and "retried" in kinds


def test_unknown_service_operation_is_refused_at_deploy(ctx):
    with pytest.raises(definitions.DeployRefused) as err:
        _deploy("service_then_review.bpmn", ("test.check", "no.such.operation"))
    assert any(p["element"] == "check" for p in err.value.problems)


def test_timer_then_message(ctx, travel):
    _deploy("wait_timer_message.bpmn")
    instance = runtime.start_instance(
        db.session, "wait_timer_message", {"business_key": "SO-1"}, caller(ctx, "exec")
    )
    timer = db.session.get(InstanceTimer, instance.id)
    assert instance.status == "waiting" and timer is not None
    assert timedelta(hours=1, minutes=59) < timer.fire_at - utcnow() <= timedelta(hours=2)
    assert waits.fire_due_timers(db.session) == 0  # not due yet
    with pytest.raises(NotFound):
        waits.deliver_message(db.session, "payment_received", "SO-1", {"amount": 1})  # not waiting for it yet
    assert waits.fire_due_timers(db.session, now=travel(timedelta(hours=3))) == 1
    assert db.session.get(InstanceTimer, instance.id) is None
    with pytest.raises(NotFound):
        waits.deliver_message(db.session, "payment_received", "SO-404", {})
    assert waits.deliver_message(db.session, "payment_received", "SO-1", {"amount": 99}) == [instance.id]
    assert db.session.get(ProcessInstance, instance.id).status == "completed"


def test_boundary_timer_escalates_and_removes_the_open_task(ctx, travel):
    _deploy("escalation.bpmn")
    instance = runtime.start_instance(db.session, "escalation", {"dealer": "D-GD-1"}, caller(ctx, "exec"))
    (review,) = _open_tasks(instance.id)
    assert waits.fire_due_timers(db.session, now=travel(timedelta(hours=49))) == 1
    assert db.session.get(HumanTask, review.id).state == "cancelled"
    assert [t.element_id for t in _open_tasks(instance.id)] == ["escalated"]


def test_cancel_suspend_resume(ctx):
    _deploy("two_step.bpmn")
    instance = runtime.start_instance(
        db.session, "two_step", {"amount": 1, "dealer": "D-SH-1"}, caller(ctx, "exec")
    )
    (task,) = _open_tasks(instance.id)
    runtime.suspend_instance(db.session, instance.id)
    with pytest.raises(Conflict):
        runtime.complete_task(db.session, task.id, caller(ctx, "rm_sh"), {"decision": "approve"})
    assert runtime.suspend_instance(db.session, instance.id, suspend=False).status == "waiting"
    assert runtime.cancel_instance(db.session, instance.id).status == "cancelled"
    assert db.session.get(HumanTask, task.id).state == "cancelled"
    with pytest.raises(Conflict):
        runtime.cancel_instance(db.session, instance.id)


def test_start_data_is_checked(ctx):
    _deploy("two_step.bpmn")
    exec_ = caller(ctx, "exec")
    with pytest.raises(NotFound):
        runtime.start_instance(db.session, "no_such_process", {}, exec_)
    with pytest.raises(ValidationFailed):
        runtime.start_instance(db.session, "two_step", {"__class__": 1}, exec_)
    with pytest.raises(ValidationFailed):
        runtime.start_instance(db.session, "two_step", {"dealer": "NOPE"}, exec_)
    with pytest.raises(NotFound):  # a regional manager cannot start for a dealer outside the region
        runtime.start_instance(
            db.session, "two_step", {"dealer": "D-GD-1", "amount": 1}, caller(ctx, "rm_sh")
        )


@pytest.fixture
def test_forms(monkeypatch):
    from app.formkit import schemas

    monkeypatch.setattr(schemas, "FORMS_DIR", DATA.parent / "forms")


def _deploy_rules(dmn_replace: tuple[str, str] | None = None):
    files = {
        "rules_flow.bpmn": (DATA / "rules_flow.bpmn").read_bytes(),
        "route.dmn": (DATA / "route.dmn").read_bytes(),
    }
    if dmn_replace:
        files["route.dmn"] = files["route.dmn"].replace(dmn_replace[0].encode(), dmn_replace[1].encode())
    deployed = definitions.deploy(db.session, files, actor="test", form_exists=form_exists, known_roles=ROLES)
    db.session.commit()
    return deployed


def test_decision_table_routes_and_send_back_loops(ctx, test_forms):
    _deploy_rules()
    instance = runtime.start_instance(
        db.session, "rules_flow", {"amount": 500, "dealer": "D-SH-1"}, caller(ctx, "exec")
    )
    (single,) = _open_tasks(instance.id)
    assert single.element_id == "single"
    runtime.complete_task(
        db.session, single.id, caller(ctx, "rm_sh"), {"decision": "reject", "comment": "价格不对"}
    )
    (revise,) = _open_tasks(instance.id)
    assert revise.element_id == "revise" and revise.form == "revision"
    with pytest.raises(ValidationFailed):
        runtime.complete_task(db.session, revise.id, caller(ctx, "dealer_sh1"), {"note": ""})
    runtime.complete_task(db.session, revise.id, caller(ctx, "dealer_sh1"), {"note": "已调整"})
    (again,) = _open_tasks(instance.id)
    assert again.element_id == "single" and again.id != single.id
    runtime.complete_task(db.session, again.id, caller(ctx, "rm_sh"), {"decision": "approve"})
    assert db.session.get(ProcessInstance, instance.id).status == "completed"


def test_countersign_all_must_approve_then_any_one_may(ctx, test_forms):
    _deploy_rules()
    instance = runtime.start_instance(db.session, "rules_flow", {"amount": 20000}, caller(ctx, "exec"))
    counter = _open_tasks(instance.id)
    assert [t.element_id for t in counter] == ["countersign", "countersign"]
    runtime.complete_task(db.session, counter[0].id, caller(ctx, "finance"), {"decision": "approve"})
    assert [t.element_id for t in _open_tasks(instance.id)] == ["countersign"]  # still waiting for the second
    runtime.complete_task(db.session, counter[1].id, caller(ctx, "finance"), {"decision": "approve"})
    anyone = _open_tasks(instance.id)
    assert [t.element_id for t in anyone] == ["anyone"] * 3
    runtime.complete_task(db.session, anyone[1].id, caller(ctx, "finance"), {"decision": "approve"})
    assert _open_tasks(instance.id) == []
    assert db.session.get(ProcessInstance, instance.id).status == "completed"
    assert {db.session.get(HumanTask, t.id).state for t in anyone} == {"completed", "cancelled"}


def test_instances_keep_the_decision_table_they_started_with(ctx, test_forms):
    _deploy_rules()
    old = runtime.start_instance(db.session, "rules_flow", {"amount": 20000}, caller(ctx, "exec"))
    _deploy_rules(("&gt; 10000", "&gt; 90000"))
    new = runtime.start_instance(db.session, "rules_flow", {"amount": 20000}, caller(ctx, "exec"))
    assert new.version_id != old.version_id
    assert {t.element_id for t in _open_tasks(old.id)} == {"countersign"}
    assert {t.element_id for t in _open_tasks(new.id)} == {"single"}


def test_scheduler_job_fires_due_timers(ctx, travel):
    from app.jobs.engine import fire_timers

    _deploy("escalation.bpmn")
    instance = runtime.start_instance(db.session, "escalation", {"dealer": "D-SH-1"}, caller(ctx, "exec"))
    assert fire_timers(ctx) == 0
    travel(timedelta(hours=49))
    timers = InstanceTimer.__table__
    db.session.execute(timers.update().where(timers.c.instance_id == instance.id).values(fire_at=utcnow()))
    db.session.commit()
    assert fire_timers(ctx) == 1
    assert [t.element_id for t in _open_tasks(instance.id)] == ["escalated"]
    timer_event = db.session.scalars(
        select(InstanceEvent).where(InstanceEvent.instance_id == instance.id, InstanceEvent.kind == "timer")
    ).one()
    assert timer_event.actor == "scheduler"


def test_unknown_element_is_refused_by_the_schema_with_its_line(ctx):
    with pytest.raises(definitions.DeployRefused) as err:
        _deploy(
            "two_step.bpmn",
            ('<bpmn:endEvent id="rejected">', '<bpmn:frobnicate id="x"/><bpmn:endEvent id="rejected">'),
        )
    problem = err.value.problems[0]
    assert problem["file"] == "two_step.bpmn" and problem["line"] and "frobnicate" in problem["message"]


@pytest.mark.parametrize(
    "condition",
    [
        "__import__('os').system('touch /tmp/dms-pwned')",
        "().__class__.__base__.__subclasses__()",
        "10**10**10",
        "'x'*10**10",
        "[x for x in range(10)]",
        "(lambda: 1)()",
    ],
)
def test_hostile_conditions_are_refused_at_deploy_naming_the_flow(ctx, condition):
    escaped = condition.replace("'", "&apos;").replace("<", "&lt;").replace(">", "&gt;")
    with pytest.raises(definitions.DeployRefused) as err:
        _deploy(
            "two_step.bpmn",
            ("amount &lt;= 10000</bpmn:conditionExpression>", f"{escaped}</bpmn:conditionExpression>"),
        )
    assert any(p["element"] == "f_ok" for p in err.value.problems)
    assert not Path("/tmp/dms-pwned").exists()


def test_expression_failing_at_run_time_is_an_incident(ctx):
    _deploy("two_step.bpmn")
    instance = runtime.start_instance(
        db.session, "two_step", {"dealer": "D-SH-1"}, caller(ctx, "exec")
    )  # no amount
    (task,) = _open_tasks(instance.id)
    runtime.complete_task(db.session, task.id, caller(ctx, "rm_sh"), {"decision": "approve"})
    instance = db.session.get(ProcessInstance, instance.id)
    assert instance.status == "error" and "amount" in instance.error


def test_many_loads_of_one_version_in_one_transaction(ctx):
    """Regression: loading must never change the version's stored spec (decision tables broke)."""
    files = {
        "rule_then_message.bpmn": (DATA / "rule_then_message.bpmn").read_bytes(),
        "route.dmn": (DATA / "route.dmn").read_bytes(),
    }
    definitions.deploy(db.session, files, actor="test", form_exists=form_exists, known_roles=ROLES)
    db.session.commit()
    exec_ = caller(ctx, "exec")
    first = runtime.start_instance(
        db.session, "rule_then_message", {"amount": 5, "business_key": "PAY-1"}, exec_
    )
    second = runtime.start_instance(
        db.session, "rule_then_message", {"amount": 50000, "business_key": "PAY-1"}, exec_
    )
    assert waits.deliver_message(db.session, "payment_received", "PAY-1", {}) == [first.id, second.id]
    assert {db.session.get(ProcessInstance, i).status for i in (first.id, second.id)} == {"completed"}
