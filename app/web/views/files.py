"""Downloads of stored files for logged-in browser users (the links next to file fields)."""

from __future__ import annotations

from flask import abort
from flask_appbuilder import BaseView, expose, has_access

from app.domain.errors import DomainError
from app.web.uploads import send_stored, visible


class FileView(BaseView):
    route_base = "/files"
    class_permission_name = "File"
    method_permission_name = {"download": "read"}

    @expose("/<string:token>")
    @has_access
    def download(self, token: str):
        stored = visible(token)
        if stored is None:
            abort(404)
        try:
            return send_stored(stored)
        except DomainError:
            abort(404)
