"""File API: upload a file for a form's file field, download a stored file."""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from werkzeug.exceptions import RequestEntityTooLarge

from app.domain.errors import DomainError
from app.extensions import db
from app.web.api.base import status_for
from app.web.uploads import send_stored, store_api_upload, too_large, visible


class FileApi(BaseApi):
    resource_name = "file"
    class_permission_name = "File"
    method_permission_name = {"upload": "write", "download": "read"}
    allow_browser_login = False

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def upload(self):
        """Upload one file; its token is the value of a file field when completing a task.
        ---
        post:
          requestBody:
            content:
              multipart/form-data:
                schema:
                  type: object
                  properties:
                    file: {type: string, format: binary}
                    task_id: {type: integer, description: "the task it is for (gives it the task's scope)"}
                    field: {type: string, description: "the task form's file field (its limits apply)"}
                  required: [file]
          responses:
            201: {description: "Stored: token, name, size, content_type"}
            404: {description: The task is not in your inbox}
            413: {description: The request is too large}
            422: {description: "Refused: empty, too large, a type not accepted, or content unlike its name"}
        """
        try:
            stored = store_api_upload(
                request.files.get("file"), request.form.get("task_id"), request.form.get("field")
            )
        except RequestEntityTooLarge:  # a body without a declared length, found too large while read
            return too_large()
        except DomainError as error:
            db.session.rollback()
            return self.response(status_for(error), message=error.message, errors=error.errors)
        return self.response(
            201,
            token=stored.token,
            name=stored.original_name,
            size=stored.size,
            content_type=stored.content_type,
        )

    @expose("/<string:token>", methods=["GET"])
    @protect()
    @safe
    def download(self, token: str):
        """Download a stored file (its uploader, and users whose data scope covers it).
        ---
        get:
          parameters:
          - {in: path, name: token, required: true, schema: {type: string}}
          responses:
            200: {description: The file, as an attachment}
            404: {description: No such file in your data scope}
        """
        stored = visible(token)
        if stored is None:
            return self.response_404()
        try:
            return send_stored(stored)
        except DomainError:
            return self.response_404()
