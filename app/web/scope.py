"""Data scope in the web layer: the current user's DataScope, a FAB filter using it,
and mixins that close FAB's known row-scope gaps for views and APIs.

FAB applies ``base_filters`` to list/show/edit/delete, but not to actions, custom
``@expose`` endpoints or the related record posted on create/update. The mixins here
re-check all three, so every scoped view/API gets the same rules from one place.
"""

from __future__ import annotations

from flask import abort, current_app, g, request
from flask_appbuilder import expose
from flask_appbuilder.models.filters import BaseFilter
from flask_login import current_user

from app.adapters.scope_sql import scope_clause
from app.adapters.unit_of_work import SqlUnitOfWork
from app.domain.errors import ValidationFailed
from app.domain.scope import NOTHING, DataScope
from app.extensions import db
from app.services.scope import scope_of_user


def _user_id() -> int | None:
    user = getattr(g, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id
    if current_user and getattr(current_user, "is_authenticated", False):
        return current_user.id
    return None


def current_scope() -> DataScope:
    """The DataScope of the logged-in (session or JWT) user, cached per request."""
    user_id = _user_id()
    if user_id is None:
        return NOTHING
    cached = g.get("_dms_scope")
    if cached is not None and cached[0] == user_id:
        return cached[1]
    scope = scope_of_user(SqlUnitOfWork(db.session, current_app.extensions["dms_roles"]), user_id)
    g._dms_scope = (user_id, scope)
    return scope


class DataScopeFilter(BaseFilter):
    """FAB base filter: keep only rows of ``self.model`` inside the current scope."""

    name = "Data scope"
    arg_name = "scope"

    def apply(self, query, value):
        return query.filter(scope_clause(self.model, current_scope()))


SCOPE_FILTERS = [["id", DataScopeFilter, lambda: None]]


def check_related_in_scope(related: object | None, field: str) -> None:
    """Refuse a posted related record (e.g. region, dealer) outside the caller's scope."""
    if related is None:
        return
    model = type(related)
    found = (
        db.session.query(model.id)
        .filter(model.id == related.id, scope_clause(model, current_scope()))
        .first()
    )
    if found is None:
        raise ValidationFailed(f"{field}: no such record in your data scope", {field: "not found"})


class ScopedViewMixin:
    """For ModelView subclasses: scope the list, the related pickers and the actions."""

    base_filters = SCOPE_FILTERS

    def _scoped_get(self, pk):
        item = self.datamodel.get(self._deserialize_pk_if_composite(pk), self._base_filters)
        if item is None:
            abort(404)
        return item

    @expose("/action/<string:name>/<pk>", methods=["GET", "POST"])
    def action(self, name, pk):  # FAB fetches the row without base_filters
        self._scoped_get(pk)
        return super().action(name, pk)

    @expose("/action_post", methods=["POST"])
    def action_post(self):  # FAB fetches the rows without base_filters
        for pk in request.form.getlist("rowid"):
            self._scoped_get(pk)
        return super().action_post()
