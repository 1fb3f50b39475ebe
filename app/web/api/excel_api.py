"""Excel endpoints for any kind of ``app.web.excel_imports.KINDS``, mixed into its ModelRestApi:
``/import-template``, ``/import`` (202 with the job), ``/import/<job>`` (progress), ``/export``.

Permissions: template, progress and export need the API's read; import needs its write.
Rows are scoped like everything else (see each kind's handler and export).
"""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect, safe

from app.domain.errors import DomainError
from app.extensions import db
from app.web.api.base import status_for
from app.web.excel_imports import export_response, job_payload, submit_import, template_response, visible_job


class ExcelApiMixin:
    excel_kind: str  # a key of KINDS

    @expose("/import-template", methods=["GET"])
    @protect()
    @safe
    def excel_template(self):
        """The import template (.xlsx: headers in zh/en, drop-down lists, instructions).
        ---
        get:
          responses:
            200: {description: The template, as an attachment}
        """
        return template_response(self.excel_kind)

    @expose("/import", methods=["POST"])
    @protect()
    @safe
    def excel_import(self):
        """Import records from an .xlsx file; answers with the job (poll its progress).
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
            job = submit_import(self.excel_kind, request.files.get("file"), request.form)
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
        job = visible_job(self.excel_kind, job_id)
        if job is None:
            return self.response_404()
        return self.response(200, **job_payload(job))

    @expose("/export", methods=["GET"])
    @protect()
    @safe
    def excel_export(self):
        """The records you may see as .xlsx, in the template's columns (re-imports unchanged).
        ---
        get:
          responses:
            200: {description: The workbook, as an attachment}
        """
        return export_response(self.excel_kind)
