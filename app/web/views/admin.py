"""Admin pages: user data scopes and the (read-only) audit log."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.models import AuditLog, UserScope
from app.web.hooks import UserScopeHooks
from app.web.labels import LABELS
from app.web.views.base import DmsModelView


class UserScopeView(UserScopeHooks, DmsModelView):
    datamodel = SQLAInterface(UserScope)
    class_permission_name = "UserScope"
    list_title, show_title = _l("User scopes"), _l("User scope")
    add_title, edit_title = _l("Add user scope"), _l("Edit user scope")
    base_filters = []
    list_columns = ["user", "company", "regions", "dealers", "locale"]
    add_columns = edit_columns = show_columns = ["user", "company", "regions", "dealers", "locale"]
    label_columns = LABELS


class AuditLogView(DmsModelView):
    """Browse and filter the audit log; it cannot be edited or deleted from anywhere."""

    datamodel = SQLAInterface(AuditLog)
    class_permission_name = "AuditLog"
    list_title, show_title = _l("Audit log"), _l("Audit entry")
    base_filters = []
    include_route_methods = {"list", "show"}
    list_columns = ["at", "actor", "action", "entity", "entity_id", "ip"]
    show_columns = ["at", "actor", "action", "entity", "entity_id", "before", "after", "ip"]
    search_columns = ["at", "actor", "action", "entity", "entity_id", "ip"]
    order_columns = ["at", "actor", "action", "entity"]
    base_order = ("at", "desc")
    label_columns = LABELS
