"""REST APIs for regions and dealers (same rules as the pages)."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface
from marshmallow import validate

from app.domain.dealers import STATUSES
from app.models import Dealer, Region
from app.web.api.base import DmsModelApi
from app.web.hooks import DealerHooks, RegionHooks
from app.web.scope import SCOPE_FILTERS


class RegionApi(RegionHooks, DmsModelApi):
    resource_name = "region"
    datamodel = SQLAInterface(Region)
    class_permission_name = "Region"
    base_filters = []
    list_columns = ["id", "code", "name", "name_en", "parent_id", "path"]
    show_columns = ["id", "code", "name", "name_en", "parent_id", "path", "created_at", "updated_at"]
    add_columns = edit_columns = ["code", "name", "name_en", "parent"]
    search_columns = ["code", "name", "path"]
    order_columns = ["code", "name", "path"]
    base_order = ("path", "asc")
    validators_columns = {"code": validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")}


class DealerApi(DealerHooks, DmsModelApi):
    resource_name = "dealer"
    datamodel = SQLAInterface(Dealer)
    class_permission_name = "Dealer"
    list_columns = ["id", "code", "name", "region_id", "region.code", "status"]
    show_columns = ["id", "code", "name", "region_id", "region.code", "status", "created_at", "updated_at"]
    add_columns = edit_columns = ["code", "name", "region", "status"]
    search_columns = ["code", "name", "region", "status"]
    order_columns = ["code", "name", "status"]
    base_order = ("code", "asc")
    add_query_rel_fields = edit_query_rel_fields = {"region": SCOPE_FILTERS}
    validators_columns = {
        "code": validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$"),
        "name": validate.Length(min=1, max=200),
        "status": validate.OneOf(STATUSES),
    }
