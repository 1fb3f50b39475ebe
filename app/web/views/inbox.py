"""Task inbox pages (待办): the list, a task with its form, an instance with its history."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import get_locale, gettext
from flask_babel import gettext as _

from app.domain.errors import Conflict, DomainError, ValidationFailed
from app.engine import runtime
from app.engine.inbox import inbox
from app.engine.instance_path import instance_path
from app.engine.task_forms import task_form
from app.extensions import db
from app.formkit.fields import build_form, has_file_field
from app.formkit.parse import parse_object
from app.models import HumanTask, InstanceEvent, ProcessInstance
from app.web.caller import caller
from app.web.earlier_steps import earlier_steps
from app.web.i18n import field_errors
from app.web.uploads import describe_file, store_form_uploads, upload_cap

PAGE_SIZE = 25


def _durations(events: list[InstanceEvent]) -> list[tuple[InstanceEvent, float | None]]:
    """Each event with the seconds since the previous one (the time that step took)."""
    result, previous = [], None
    for event in events:
        result.append((event, (event.at - previous).total_seconds() if previous else None))
        previous = event.at
    return result


class InboxView(BaseView):
    route_base = "/inbox"
    class_permission_name = "Task"
    method_permission_name = {"index": "read", "task": "read", "complete": "write", "instance": "read"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        who = caller()
        page = request.args.get("page", "0")
        page = int(page) if page.isdigit() and int(page) < 10**6 else 0
        total, tasks = inbox(
            db.session, who.id, who.roles, who.scope, limit=PAGE_SIZE, offset=page * PAGE_SIZE
        )
        name = request.args.get("q", "").strip()
        if name:
            tasks = [t for t in tasks if name.lower() in (t.name or "").lower()]
        counts: dict[str, int] = {}
        for task in tasks:
            counts[task.name] = counts.get(task.name, 0) + 1
        return self.render_template(
            "inbox/list.html",
            tasks=tasks,
            total=total,
            page=page,
            page_size=PAGE_SIZE,
            counts=sorted(counts.items()),
            q=name,
        )

    def _task(self, task_id: int) -> HumanTask:
        task = db.session.get(HumanTask, task_id)
        if task is None or not runtime.may_act(task, caller()):
            abort(404)
        return task

    def _render_task(self, task: HumanTask, values: dict | None = None, errors: dict | None = None):
        locale = str(get_locale() or "zh_CN")
        schema, uischema = task_form(db.session, task.instance.version_id, task.form)
        fields = build_form(schema, uischema, values, errors, locale, gettext, describe_file, upload_cap())
        steps, variables = earlier_steps(task, runtime.task_variables(task), locale)
        return self.render_template(
            "inbox/task.html",
            task=task,
            fields=fields,
            errors=errors or {},
            steps=steps,
            variables=variables,
            multipart=has_file_field(fields),
        )

    @expose("/task/<int:task_id>")
    @has_access
    def task(self, task_id: int):
        return self._render_task(self._task(task_id))

    @expose("/task/<int:task_id>/complete", methods=["POST"])
    @has_access
    def complete(self, task_id: int):
        task = self._task(task_id)
        schema, uischema = task_form(db.session, task.instance.version_id, task.form)
        uploaded = store_form_uploads(request.files, schema, uischema, task)
        data = parse_object(schema, uploaded.form(request.form))
        lock = request.form.get("lock_version", "")
        try:
            uploaded.raise_refused(schema, data)
            runtime.complete_task(db.session, task.id, caller(), data, int(lock) if lock.isdigit() else None)
        except DomainError as error:
            db.session.rollback()
            if not isinstance(error, ValidationFailed):  # form errors are shown next to the fields
                flash(error.message, "danger")
            status = 409 if isinstance(error, Conflict) else 422
            return self._render_task(self._task(task_id), values=data, errors=field_errors(error)), status
        flash(_("Task completed"), "success")
        return redirect(url_for("InboxView.index"))

    @expose("/instance/<int:instance_id>")
    @has_access
    def instance(self, instance_id: int):
        who = caller()
        instance = db.session.get(ProcessInstance, instance_id)
        if instance is None:
            abort(404)
        tasks = list(
            db.session.query(HumanTask).filter(HumanTask.instance_id == instance.id).order_by(HumanTask.id)
        )
        scoped = instance.dealer_id is not None or instance.region_path is not None
        visible = who.scope.unrestricted or (
            scoped and who.scope.allows_dealer(instance.dealer_id, instance.region_path)
        )
        if not visible and not any(runtime.may_act(t, who) for t in tasks):
            abort(404)
        events = list(
            db.session.query(InstanceEvent)
            .filter(InstanceEvent.instance_id == instance.id)
            .order_by(InstanceEvent.id)
        )
        return self.render_template(
            "inbox/instance.html",
            instance=instance,
            tasks=tasks,
            history=_durations(events),
            path={**instance_path(instance, events), "locale": str(get_locale() or "zh_CN")},
        )
