"""Base class for our model APIs: scope filter, read/write permissions, error mapping,
and the input checks FAB leaves out (ids in range, related records by id only)."""

from __future__ import annotations

import re

from flask import request
from flask_appbuilder.api import BaseApi, ModelRestApi
from marshmallow import RAISE
from marshmallow_sqlalchemy.fields import Related, RelatedList

from app.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.web.permissions import RW_METHOD_PERMISSIONS
from app.web.scope import SCOPE_FILTERS

STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409}
MAX_ID = 2**63 - 1


def status_for(error: DomainError) -> int:
    """HTTP status for a domain error (422 for validation and anything unlisted)."""
    for cls, status in STATUS.items():
        if isinstance(error, cls):
            return status
    return 422


def is_id(value: object) -> bool:
    """A database id: a non-negative integer that fits a BIGINT (booleans are not ids)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID


def pk_in_range(pk: object) -> bool:
    """A path id that the database can look up (anything else simply does not exist)."""
    try:
        return 0 <= int(str(pk)) <= MAX_ID
    except ValueError:
        return False


class JsonApi(BaseApi):
    """Base of our hand-written JSON APIs: JWT only (APIs are exempt from CSRF, so no browser
    session), a domain error becomes its status with the message and the fields, and ``body()``
    refuses anything but a JSON object."""

    allow_browser_login = False

    def fail(self, error: DomainError):
        db.session.rollback()
        return self.response(status_for(error), message=error.message, errors=error.errors)

    def body(self) -> dict:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValidationFailed("the body must be a JSON object", {"body": "a JSON object"})
        return body


class DmsModelApi(ModelRestApi):
    allow_browser_login = False
    method_permission_name = RW_METHOD_PERMISSIONS
    base_filters = SCOPE_FILTERS

    def __init__(self) -> None:
        super().__init__()
        for schema in (self.add_model_schema, self.edit_model_schema):
            if schema is not None:
                schema.unknown = RAISE

    def _domain_error(self, error: DomainError):
        self.datamodel.session.rollback()
        return self.response(status_for(error), message=error.message, errors=error.errors)

    def _related_errors(self, schema) -> dict[str, str]:
        """Related records are referenced by id only: FAB would create one from a nested object."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return {}
        errors = {}
        for name, field in schema.fields.items():
            if name not in body or body[name] is None:
                continue
            value = body[name]
            if isinstance(field, RelatedList):
                if not (isinstance(value, list) and all(is_id(v) for v in value)):
                    errors[name] = "a list of record ids"
            elif isinstance(field, Related) and not is_id(value):
                errors[name] = "a record id"
        return errors

    def _guarded(self, schema, call):
        errors = self._related_errors(schema)
        if errors:
            return self.response(422, message="invalid reference", errors=errors)
        try:
            return call()
        except DomainError as error:
            return self._domain_error(error)

    def get_headless(self, pk, **kwargs):
        if not pk_in_range(pk):
            return self.response_404()
        return super().get_headless(pk, **kwargs)

    def post_headless(self):
        return self._guarded(self.add_model_schema, super().post_headless)

    def put_headless(self, pk):
        if not pk_in_range(pk):
            return self.response_404()
        return self._guarded(self.edit_model_schema, lambda: super(DmsModelApi, self).put_headless(pk))

    def delete_headless(self, pk):
        if not pk_in_range(pk):
            return self.response_404()
        try:
            return super().delete_headless(pk)
        except DomainError as error:
            return self._domain_error(error)

    def response_422(self, message=None, **kwargs):
        """FAB reports a database refusal with the SQL; say in plain words what it means."""
        text = str(message or "")
        if text.startswith("Database exception occurred"):
            if "FOREIGN KEY" in text or "foreign key" in text:
                return self.response(
                    422,
                    message="the record is still used by other records: remove or move those first",
                    errors={"id": "still in use"},
                )
            missing = re.search(
                r"NOT NULL constraint failed: \w+\.(\w+)|null value in column \"(\w+)\"", text
            )
            if missing:
                column = missing.group(1) or missing.group(2)
                return self.response(422, message=f"{column} is required", errors={column: "required"})
            return self.response(422, message="the database refused the change", errors={"body": "refused"})
        return super().response_422(message=message, **kwargs)
