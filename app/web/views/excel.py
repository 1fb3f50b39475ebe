"""Excel pages for any kind of ``app.web.excel_imports.KINDS``: download the template, import
(form → progress page), export. The progress page polls ``…/status`` (JSON) and shows the report.

A kind gets its pages by subclassing ``ExcelView`` (route, permission, titles) and its list page
gets the three buttons from ``excel_buttons(view name, permission)``.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import has_access_api
from flask_babel import gettext

from app.domain.errors import DomainError
from app.extensions import db
from app.web.excel_imports import export_response, job_payload, submit_import, template_response, visible_job

PERMISSIONS = {
    "excel_template": "read",
    "excel_export": "read",
    "excel_import": "write",
    "excel_job_page": "read",
    "excel_job": "read",
}


def excel_buttons(view_name: str, permission: str) -> type:
    """Mixin for a list page: "Download template", "Import", "Export" above the list."""
    return type(
        f"{view_name}Buttons",
        (),
        {
            "list_template": "excel/list.html",
            "extra_args": {"excel_view": view_name, "excel_permission": permission},
        },
    )


class ExcelView(BaseView):
    """Subclasses set ``route_base``, ``class_permission_name``, ``excel_kind``, ``list_endpoint``
    and the page titles."""

    method_permission_name = PERMISSIONS
    default_view = "excel_import"
    excel_kind = ""
    list_endpoint = ""
    import_title = ""
    insert_label = ""
    back_label = ""

    def _page(self, template: str, **kwargs):
        return self.render_template(
            template,
            excel_view=type(self).__name__,
            import_title=self.import_title,
            insert_label=self.insert_label,
            back_label=self.back_label,
            list_endpoint=self.list_endpoint,
            **kwargs,
        )

    @expose("/template")
    @has_access
    def excel_template(self):
        return template_response(self.excel_kind)

    @expose("/export")
    @has_access
    def excel_export(self):
        return export_response(self.excel_kind)

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def excel_import(self):
        form = {"mode": "insert", "all_or_nothing": "true"}
        if request.method == "POST":
            form = {
                "mode": request.form.get("mode", "insert"),
                "all_or_nothing": request.form.get("all_or_nothing", "false"),
            }
            try:
                job = submit_import(self.excel_kind, request.files.get("file"), form)
            except DomainError as error:
                db.session.rollback()
                problems = error.errors or {"file": error.message}
                for field, reason in problems.items():
                    flash(f"{gettext('Import refused')}: {field}: {reason}", "danger")
                return self._page("excel/import.html", form=form), 422
            return redirect(url_for(f"{type(self).__name__}.excel_job_page", job_id=job.id))
        return self._page("excel/import.html", form=form)

    @expose("/import/<int:job_id>")
    @has_access
    def excel_job_page(self, job_id: int):
        job = visible_job(self.excel_kind, job_id)
        if job is None:
            abort(404)
        return self._page("excel/progress.html", job=job_payload(job, "FileView.download"))

    @expose("/import/<int:job_id>/status")
    @has_access_api
    def excel_job(self, job_id: int):
        job = visible_job(self.excel_kind, job_id)
        if job is None:
            return jsonify(message="no such import job"), 404
        return jsonify(job_payload(job, "FileView.download"))
