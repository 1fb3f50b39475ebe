"""REST APIs for regions, dealers and the parts of a dealer's file (same rules as the pages)."""

from __future__ import annotations

from flask_appbuilder import expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from marshmallow import validate

from app.adapters.dealer_figures import as_json, dealer_figures
from app.extensions import db
from app.models import (
    Dealer,
    DealerAddress,
    DealerAuthorization,
    DealerContact,
    DealerQualification,
    Region,
)
from app.web.api.base import DmsModelApi, pk_in_range
from app.web.api.dealer_excel import DealerExcelApi
from app.web.api.dealer_schema import COLUMNS, DealerListSchema, DealerSchema, DealerShowSchema
from app.web.hooks import DealerHooks, DealerPartHooks, QualificationHooks, RegionHooks
from app.web.permissions import RW_METHOD_PERMISSIONS
from app.web.scope import SCOPE_FILTERS


class RegionApi(RegionHooks, DmsModelApi):
    resource_name = "region"
    datamodel = SQLAInterface(Region)
    class_permission_name = "Region"
    base_filters = []
    list_columns = ["id", "code", "name", "name_en", "parent_id", "parent.code", "path"]
    show_columns = [
        "id",
        "code",
        "name",
        "name_en",
        "parent_id",
        "parent.code",
        "path",
        "created_at",
        "updated_at",
    ]
    add_columns = edit_columns = ["code", "name", "name_en", "parent"]
    search_columns = ["code", "name", "path"]
    order_columns = ["code", "name", "path"]
    base_order = ("path", "asc")
    validators_columns = {"code": validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")}


class NamedErrorsMixin:
    """A marshmallow refusal also lists ``errors`` as {field: message}, like a domain refusal."""

    def response_422(self, message=None):
        if isinstance(message, dict):
            errors = {
                k: "; ".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in message.items()
            }
            return self.response(422, message=message, errors=errors)
        return super().response_422(message=message)


class DealerApi(DealerExcelApi, NamedErrorsMixin, DealerHooks, DmsModelApi):
    """``/api/v1/dealer/``: region, tier and parent by code, sales rep by user name, credit as a
    decimal string, custom fields as an object; ``/<id>/figures`` the computed figures."""

    resource_name = "dealer"
    datamodel = SQLAInterface(Dealer)
    class_permission_name = "Dealer"
    method_permission_name = {**RW_METHOD_PERMISSIONS, "figures": "read"}
    list_columns = ["id", *COLUMNS, "created_at", "updated_at"]
    show_columns = list_columns
    add_columns = edit_columns = COLUMNS
    add_model_schema = DealerSchema()
    edit_model_schema = DealerSchema()
    list_model_schema = DealerListSchema()
    show_model_schema = DealerShowSchema()
    search_columns = ["code", "name", "uscc", "region", "tier", "status", "sales_rep", "parent"]
    order_columns = ["code", "name", "status", "credit_limit", "created_at"]
    base_order = ("code", "asc")

    @expose("/<pk>/figures", methods=["GET"])
    @protect()
    @safe
    def figures(self, pk):
        """Computed figures of one dealer in scope (404 outside it)
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: sales, orders, inventory and credit figures
            404:
              $ref: '#/components/responses/404'
        """
        if not pk_in_range(pk):
            return self.response_404()
        dealer = self.datamodel.get(int(pk), self._base_filters)
        if dealer is None:
            return self.response_404()
        figures = as_json(dealer_figures(db.session, dealer))
        return self.response(200, id=dealer.id, dealer=dealer.code, result=figures)


class _PartApi(NamedErrorsMixin, DealerPartHooks, DmsModelApi):
    """A part of a dealer's file, scoped through its dealer; shares the Dealer permission."""

    class_permission_name = "Dealer"
    add_query_rel_fields = edit_query_rel_fields = {"dealer": SCOPE_FILTERS}
    base_order = ("id", "asc")
    search_columns = ["dealer"]


class DealerContactApi(_PartApi):
    resource_name = "dealer_contact"
    datamodel = SQLAInterface(DealerContact)
    own = ["name", "title", "phone", "email", "is_primary"]
    list_columns = ["id", "dealer_id", "dealer.code", *own]
    show_columns = [*list_columns, "created_at", "updated_at"]
    add_columns = edit_columns = ["dealer", *own]


class DealerAddressApi(_PartApi):
    resource_name = "dealer_address"
    datamodel = SQLAInterface(DealerAddress)
    own = ["label", "address", "receiver", "phone", "is_default"]
    list_columns = ["id", "dealer_id", "dealer.code", *own]
    show_columns = [*list_columns, "created_at", "updated_at"]
    add_columns = edit_columns = ["dealer", *own]


class DealerAuthorizationApi(_PartApi):
    resource_name = "dealer_authorization"
    datamodel = SQLAInterface(DealerAuthorization)
    list_columns = [
        "id",
        "dealer_id",
        "dealer.code",
        "product_line",
        "region_id",
        "region.code",
        "valid_from",
        "valid_to",
    ]
    show_columns = [*list_columns, "created_at", "updated_at"]
    add_columns = edit_columns = ["dealer", "product_line", "region", "valid_from", "valid_to"]
    validators_columns = {"product_line": validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")}


class DealerQualificationApi(QualificationHooks, _PartApi):
    resource_name = "dealer_qualification"
    datamodel = SQLAInterface(DealerQualification)
    own = ["kind", "number", "file_token", "valid_from", "valid_to"]
    list_columns = ["id", "dealer_id", "dealer.code", *own]
    show_columns = [*list_columns, "created_at", "updated_at"]
    add_columns = edit_columns = ["dealer", *own]
