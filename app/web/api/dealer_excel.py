"""Dealer Excel endpoints, mixed into ``DealerApi``: template, import, import progress, export.

Permissions: template, progress and export need Dealer read; import needs Dealer write.
Rows are scoped like everything else: the export holds only dealers the caller may see, and
an imported row may only create, move or update a dealer inside the caller's data scope.
"""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect, safe

from app.domain.errors import DomainError
from app.extensions import db
from app.web.api.base import status_for
from app.web.excel_imports import export_response, job_payload, submit_import, template_response, visible_job


class DealerExcelApi:
    @expose("/import-template", methods=["GET"])
    @protect()
    @safe
    def excel_template(self):
        """The dealer import template (.xlsx: headers in zh/en, drop-down lists, instructions).
        ---
        get:
          responses:
            200: {description: The template, as an attachment}
        """
        return template_response("dealer")

    @expose("/import", methods=["POST"])
    @protect()
    @safe
    def excel_import(self):
        """Import dealers from an .xlsx file; answers with the job (poll its progress).
        ---
        post:
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
                    mode: {type: string, enum: [insert, update, upsert], default: insert}
                    all_or_nothing: {type: boolean, default: true}
                  required: [file]
          responses:
            202: {description: "The job: {job: id, status, ...}; small files are already done"}
            422: {description: "Refused: not .xlsx, damaged, encrypted, macros, too large, columns missing"}
        """
        try:
            job = submit_import("dealer", request.files.get("file"), request.form)
        except DomainError as error:
            db.session.rollback()
            return self.response(status_for(error), message=error.message, errors=error.errors)
        return self.response(202, job=job.id, **job_payload(job))

    @expose("/import/<int:job_id>", methods=["GET"])
    @protect()
    @safe
    def excel_job(self, job_id: int):
        """Progress and report of an import job (row, column and reason of each problem).
        ---
        get:
          parameters:
          - {in: path, name: job_id, required: true, schema: {type: integer}}
          responses:
            200: {description: "The job: status, processed_rows, counts, report, error_file_url"}
            404: {description: No such job of yours}
        """
        job = visible_job("dealer", job_id)
        if job is None:
            return self.response_404()
        return self.response(200, **job_payload(job))

    @expose("/export", methods=["GET"])
    @protect()
    @safe
    def excel_export(self):
        """The dealers you may see as .xlsx, in the template's columns (re-imports unchanged).
        ---
        get:
          responses:
            200: {description: The workbook, as an attachment}
        """
        return export_response("dealer")
