"""A process killed in the middle of a step loses no acknowledged step and leaves no half-written one."""

import subprocess
import sys

from sqlalchemy import func, select

from app.config import ROOT
from app.engine import definitions, registry, runtime
from app.extensions import db
from app.formkit.schemas import form_exists
from app.models import HumanTask, InstanceEvent, ProcessInstance
from tests.integration.test_engine_runtime import DATA, ROLES, caller


def test_kill_during_a_step(app, database_url, monkeypatch):
    monkeypatch.setitem(registry._HANDLERS, "test.check", lambda amount: {"ok": True})
    with app.app_context():
        files = {"service_then_review.bpmn": (DATA / "service_then_review.bpmn").read_bytes()}
        definitions.deploy(db.session, files, actor="test", form_exists=form_exists, known_roles=ROLES)
        db.session.commit()
        acknowledged = runtime.start_instance(
            db.session, "service_then_review", {"amount": 1}, caller(app, "exec")
        )
        before = (
            db.session.scalar(select(func.count(ProcessInstance.id))),
            db.session.scalar(select(func.count(InstanceEvent.id))),
            db.session.scalar(select(func.count(HumanTask.id))),
        )
        state = dict(db.session.get(ProcessInstance, acknowledged.id).state)
        db.session.remove()
        db.engine.dispose()

    child = subprocess.run(
        [sys.executable, "-m", "tests.integration.crash_worker", database_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 137, child.stderr[-2000:]

    with app.app_context():
        after = (
            db.session.scalar(select(func.count(ProcessInstance.id))),
            db.session.scalar(select(func.count(InstanceEvent.id))),
            db.session.scalar(select(func.count(HumanTask.id))),
        )
        assert after == before  # nothing of the killed step was written
        survivor = db.session.get(ProcessInstance, acknowledged.id)
        assert survivor.status == "waiting" and survivor.state == state
        (task,) = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == survivor.id)).all()
        runtime.complete_task(db.session, task.id, caller(app, "finance"), {"decision": "approve"})
        assert db.session.get(ProcessInstance, survivor.id).status == "completed"
