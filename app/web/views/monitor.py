"""Process monitoring pages (系统管理 → 流程监控, ``/monitor/``): processes with instances per
status; one process with the p90 time per step as a bar chart, the step table and throughput;
stuck instances and overdue tasks; incidents. Administrators retry or skip from the lists.
Permission ``ProcessMonitor`` as the API (read; manage for retry/skip)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.domain.errors import DomainError, Forbidden, NotFound
from app.engine import monitor, monitor_actions
from app.extensions import db
from app.web.api.monitor import check_scope, problems, process_detail
from app.web.permissions import MANAGE, READ

STATUS_LABELS = {
    "running": _l("Running"),
    "completed": _l("Completed"),
    "error": _l("In error"),
    "suspended": _l("Suspended"),
    "cancelled": _l("Cancelled"),
}


class ProcessMonitorView(BaseView):
    route_base = "/monitor"
    class_permission_name = "ProcessMonitor"
    method_permission_name = {
        "index": READ,
        "process": READ,
        "stuck": READ,
        "incidents": READ,
        "retry": MANAGE,
        "skip": MANAGE,
    }
    default_view = "index"

    def _guard(self, build):
        try:
            check_scope()
            return build()
        except Forbidden:
            abort(403)
        except NotFound:
            abort(404)
        except DomainError as error:
            flash(f"{_('Invalid filter')}: {error.message}", "danger")
            return None

    def _labels(self) -> dict[str, str]:
        return {k: str(v) for k, v in STATUS_LABELS.items()}

    @expose("/")
    @has_access
    def index(self):
        processes = self._guard(lambda: monitor.overview(db.session)) or []
        return self.render_template(
            "monitor/index.html", processes=processes, labels=self._labels(), title=_("Process monitoring")
        )

    @expose("/process/<string:key>")
    @has_access
    def process(self, key: str):
        report = self._guard(lambda: process_detail(key, request.args.to_dict()))
        if report is None:
            report = self._guard(lambda: process_detail(key, {}))
        chart = {
            "names": [s["name"] for s in report["steps"]],
            "p90": [round(s["p90_seconds"] / 3600, 2) for s in report["steps"]],
            "avg": [round(s["avg_seconds"] / 3600, 2) for s in report["steps"]],
            "labels": {"p90": _("p90 (hours)"), "avg": _("Average (hours)")},
        }
        return self.render_template(
            "monitor/process.html",
            report=report,
            chart=chart,
            labels=self._labels(),
            title=f"{_('Process monitoring')}: {report['name']}",
        )

    def _problems_page(self, template: str, title: str):
        found = self._guard(lambda: problems(request.args.to_dict()))
        if found is None:
            found = problems({})
        processes = [p["key"] for p in monitor.overview(db.session)]
        return self.render_template(
            template,
            found=found,
            processes=processes,
            args=request.args.to_dict(),
            may_manage=self.appbuilder.sm.has_access("can_manage", "ProcessMonitor"),
            title=title,
        )

    @expose("/stuck")
    @has_access
    def stuck(self):
        return self._problems_page("monitor/stuck.html", _("Stuck instances"))

    @expose("/incidents")
    @has_access
    def incidents(self):
        return self._problems_page("monitor/incidents.html", _("Incidents"))

    def _act(self, instance_id: int, action, done: str):
        try:
            check_scope()
            action(instance_id)
            flash(done, "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        back = request.form.get("back", "")
        return redirect(back if back.startswith("/monitor/") else url_for("ProcessMonitorView.incidents"))

    @expose("/instance/<int:instance_id>/retry", methods=["POST"])
    @has_access
    def retry(self, instance_id: int):
        return self._act(
            instance_id, lambda i: monitor_actions.retry(db.session, i), _("The failed step was run again.")
        )

    @expose("/instance/<int:instance_id>/skip", methods=["POST"])
    @has_access
    def skip(self, instance_id: int):
        body = {
            "element_id": request.form.get("element_id", ""),
            "reason": request.form.get("reason") or None,
        }
        return self._act(
            instance_id, lambda i: monitor_actions.skip(db.session, i, body), _("The step was skipped.")
        )
