"""What earlier steps of a process entered, shown read-only on a task page with the forms they
were entered with (labels in the user's language, scans as download links), so a reviewer reads
an application as a form, not as raw data. A process variable is shown as a step when its name is
a user task of the flow (what that task's form submits is stored under the task's id) — also when
it came in as start data, like an application from the public sign-up page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext
from sqlalchemy import select

from app.engine.task_forms import task_form, user_task_forms
from app.extensions import db
from app.formkit.fields import Field, build_form
from app.models import HumanTask
from app.web.uploads import describe_file


@dataclass
class EarlierStep:
    name: str
    completed_by: str | None
    completed_at: Any
    fields: list[Field]


def earlier_steps(task: HumanTask, variables: dict[str, Any], locale: str) -> tuple[list[EarlierStep], dict]:
    """The data of the flow's user tasks as read-only forms (start data first, then in the order
    the tasks were completed), and the variables left over."""
    version_id = task.instance.version_id
    tasks = user_task_forms(db.session, version_id)
    last_done: dict[str, HumanTask] = {}
    for done in db.session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == task.instance_id, HumanTask.state == "completed")
        .order_by(HumanTask.completed_at, HumanTask.id)
    ):
        last_done[done.element_id] = done
    keys = [k for k, v in variables.items() if k in tasks and k != task.element_id and isinstance(v, dict)]
    keys.sort(key=lambda k: (k in last_done, last_done[k].completed_at if k in last_done else None, k))
    steps = []
    for key in keys:
        name, form = tasks[key]
        schema, uischema = task_form(db.session, version_id, form)
        fields = build_form(
            schema,
            uischema,
            variables[key],
            None,
            locale,
            gettext,
            describe_file,
            readonly=True,
            prefix=f"step-{key}",
        )
        done = last_done.get(key)
        steps.append(
            EarlierStep(
                name, done.completed_by if done else None, done.completed_at if done else None, fields
            )
        )
    shown = set(keys)
    return steps, {k: v for k, v in variables.items() if k not in shown}
