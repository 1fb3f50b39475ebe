"""Industry templates page (系统管理 → 行业模板, ``/templates/``, docs/templates.md): the shipped
templates with their latest application; the plan of one (problems first, then the changes by
action); apply with the choice on conflicts; the export of the running configuration as a .zip
bundle. Permission ``Template`` as the API (read; write to apply)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.adapters.template_plan import TemplateRefused
from app.domain.errors import DomainError, Forbidden, NotFound
from app.domain.templates import Plan
from app.web.api.templates_admin import (
    ConflictsUnchosen,
    check_scope,
    export_zip,
    folder_of,
    parse_conflicts,
    send_zip,
    template_apply,
    template_list,
    template_plan,
)
from app.web.permissions import READ, WRITE

ACTION_LABELS = {
    "create": _l("To create"),
    "update": _l("To update"),
    "conflict": _l("Changed locally (conflict)"),
    "unchanged": _l("Unchanged"),
}
APPLIED_LABELS = {
    "create": _l("Newly created"),
    "update": _l("Updated"),
    "conflict": _l("Changed locally (conflict)"),
    "unchanged": _l("Unchanged"),
}
ORDER = ("create", "update", "conflict", "unchanged")  # every one of domain.templates.ACTIONS


def grouped(plan: Plan) -> list[tuple[str, list]]:
    """The plan's changes by action, leaving out empty groups."""
    return [(a, [c for c in plan.changes if c.action == a]) for a in ORDER if plan.summary()[a]]


class TemplatesAdminView(BaseView):
    route_base = "/templates"
    class_permission_name = "Template"
    method_permission_name = {"index": READ, "plan": READ, "export": READ, "apply": WRITE}
    default_view = "index"

    def _zh(self) -> bool:
        return str(get_locale() or "zh").startswith("zh")

    def _check(self, key: str | None = None) -> None:
        try:
            check_scope()
            if key is not None:
                folder_of(key)
        except Forbidden:
            abort(403)
        except NotFound:
            abort(404)

    def _plan_page(self, plan: Plan, status: int = 200, applied: bool = False, refusal: str | None = None):
        labels = APPLIED_LABELS if applied else ACTION_LABELS
        page = self.render_template(
            "templates_admin/plan.html",
            plan=plan,
            groups=grouped(plan),
            summary=plan.summary(),
            labels={k: str(v) for k, v in labels.items()},
            applied=applied,
            refusal=refusal,
            may_apply=self.appbuilder.sm.has_access("can_write", "Template"),
            title=f"{_('Industry templates')}: {plan.template}",
        )
        return page, status

    @expose("/")
    @has_access
    def index(self):
        self._check()
        zone = ZoneInfo(current_app.config["DMS_TIMEZONE"])
        templates = template_list()
        for entry in templates:
            applied = entry["latest_application"]
            if applied:
                when = datetime.fromisoformat(applied["applied_at"])
                when = when.replace(tzinfo=when.tzinfo or UTC).astimezone(zone)
                applied["when"] = when.strftime("%Y-%m-%d %H:%M")
        return self.render_template(
            "templates_admin/index.html",
            templates=templates,
            zh=self._zh(),
            labels={a: str(APPLIED_LABELS[a]) for a in ORDER},
            conflict_labels={"keep": _("keep local changes"), "overwrite": _("overwritten")},
            title=_("Industry templates"),
        )

    @expose("/<string:key>/plan")
    @has_access
    def plan(self, key: str):
        self._check(key)
        return self._plan_page(template_plan(key))

    @expose("/<string:key>/apply", methods=["POST"])
    @has_access
    def apply(self, key: str):
        self._check(key)
        try:
            result = template_apply(key, parse_conflicts(request.form.get("conflicts")))
        except ConflictsUnchosen as refused:
            message = _(
                "%(count)d object(s) were changed locally since the last apply: choose whether to keep "
                "the local changes or overwrite them. Nothing was applied.",
                count=len(refused.plan.conflicts),
            )
            flash(message, "danger")
            return self._plan_page(refused.plan, 422, refusal=message)
        except TemplateRefused as refused:
            message = _(
                "The template has %(count)d problem(s). Nothing was applied.",
                count=len(refused.plan.problems),
            )
            flash(message, "danger")
            return self._plan_page(refused.plan, 422, refusal=message)
        except DomainError as error:
            message = _("Nothing was applied: %(reason)s", reason=error.message)
            flash(message, "danger")
            return self._plan_page(template_plan(key), 422, refusal=message)
        summary = result.summary()
        flash(
            _(
                "Template %(key)s %(version)s applied: %(create)d created, %(update)d updated, "
                "%(unchanged)d unchanged, %(conflict)d conflict(s).",
                key=result.template,
                version=result.version,
                **summary,
            ),
            "success",
        )
        return self._plan_page(result, applied=True)

    @expose("/export")
    @has_access
    def export(self):
        self._check()
        return send_zip(export_zip())
