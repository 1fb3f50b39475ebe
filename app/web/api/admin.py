"""Read-only audit log API: GET only; no route exists to change or delete a row."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import AuditLog
from app.web.api.base import DmsModelApi


class AuditLogApi(DmsModelApi):
    resource_name = "audit"
    datamodel = SQLAInterface(AuditLog)
    class_permission_name = "AuditLog"
    base_filters = []
    include_route_methods = {"get", "get_list", "info"}
    list_columns = ["id", "at", "actor", "actor_id", "action", "entity", "entity_id", "ip"]
    show_columns = ["id", "at", "actor", "actor_id", "action", "entity", "entity_id", "before", "after", "ip"]
    search_columns = ["actor", "action", "entity", "entity_id", "at"]
    order_columns = ["at", "actor", "action", "entity"]
    base_order = ("at", "desc")
