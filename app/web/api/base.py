"""Base class for our model APIs: scope filter, read/write permissions, error mapping."""

from __future__ import annotations

from flask_appbuilder.api import ModelRestApi

from app.domain.errors import Conflict, DomainError, Forbidden, NotFound
from app.web.permissions import RW_METHOD_PERMISSIONS
from app.web.scope import SCOPE_FILTERS

STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409}


def status_for(error: DomainError) -> int:
    """HTTP status for a domain error (422 for validation and anything unlisted)."""
    for cls, status in STATUS.items():
        if isinstance(error, cls):
            return status
    return 422


class DmsModelApi(ModelRestApi):
    allow_browser_login = False
    method_permission_name = RW_METHOD_PERMISSIONS
    base_filters = SCOPE_FILTERS

    def _domain_error(self, error: DomainError):
        self.datamodel.session.rollback()
        return self.response(status_for(error), message=error.message, errors=error.errors)

    def post_headless(self):
        try:
            return super().post_headless()
        except DomainError as error:
            return self._domain_error(error)

    def put_headless(self, pk):
        try:
            return super().put_headless(pk)
        except DomainError as error:
            return self._domain_error(error)

    def delete_headless(self, pk):
        try:
            return super().delete_headless(pk)
        except DomainError as error:
            return self._domain_error(error)
