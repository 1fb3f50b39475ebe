"""Dealer Excel pages: download the template, import (form → progress page), export.

The progress page polls ``…/status`` (JSON) and shows the report when the job is done.
``DealerExcelButtons`` puts the three buttons on the dealer list page.
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


class DealerExcelButtons:
    """Mixin for the dealer list page: "Download template", "Import", "Export" above the list."""

    list_template = "excel/dealer_list.html"


class DealerExcelView(BaseView):
    route_base = "/dealers/excel"
    class_permission_name = "Dealer"
    method_permission_name = PERMISSIONS
    default_view = "excel_import"

    @expose("/template")
    @has_access
    def excel_template(self):
        return template_response("dealer")

    @expose("/export")
    @has_access
    def excel_export(self):
        return export_response("dealer")

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
                job = submit_import("dealer", request.files.get("file"), form)
            except DomainError as error:
                db.session.rollback()
                problems = error.errors or {"file": error.message}
                for field, reason in problems.items():
                    flash(f"{gettext('Import refused')}: {field}: {reason}", "danger")
                return self.render_template("excel/import.html", form=form), 422
            return redirect(url_for("DealerExcelView.excel_job_page", job_id=job.id))
        return self.render_template("excel/import.html", form=form)

    @expose("/import/<int:job_id>")
    @has_access
    def excel_job_page(self, job_id: int):
        job = visible_job("dealer", job_id)
        if job is None:
            abort(404)
        return self.render_template("excel/progress.html", job=job_payload(job, "FileView.download"))

    @expose("/import/<int:job_id>/status")
    @has_access_api
    def excel_job(self, job_id: int):
        job = visible_job("dealer", job_id)
        if job is None:
            return jsonify(message="no such import job"), 404
        return jsonify(job_payload(job, "FileView.download"))
