"""REST APIs of the catalogue (product lines, categories, products) and of warehouses.

Same hooks as the pages. Related records (parent, product line, category, region, dealer)
are posted by id; lists also show their codes. The catalogue is reference data every role
reads; warehouses are scoped (a dealer's warehouse by its dealer, the others by region).
"""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.models import Category, Product, ProductLine, Warehouse
from app.web.api.base import DmsModelApi
from app.web.api.excel_api import ExcelApiMixin
from app.web.api.master_data import NamedErrorsMixin
from app.web.catalog_hooks import CategoryHooks, ProductHooks, ProductLineHooks, WarehouseHooks
from app.web.scope import SCOPE_FILTERS

STAMPS = ["created_at", "updated_at"]


class ProductLineApi(NamedErrorsMixin, ProductLineHooks, DmsModelApi):
    resource_name = "product_line"
    datamodel = SQLAInterface(ProductLine)
    class_permission_name = "ProductLine"
    base_filters = []  # reference data
    list_columns = ["id", "code", "name", "name_en"]
    show_columns = [*list_columns, *STAMPS]
    add_columns = edit_columns = ["code", "name", "name_en"]
    search_columns = ["code", "name", "name_en"]
    order_columns = ["code", "name"]
    base_order = ("code", "asc")


class CategoryApi(NamedErrorsMixin, CategoryHooks, DmsModelApi):
    resource_name = "category"
    datamodel = SQLAInterface(Category)
    class_permission_name = "Category"
    base_filters = []
    list_columns = ["id", "code", "name", "name_en", "parent_id", "parent.code", "path", "slow_moving_days"]
    show_columns = [*list_columns, *STAMPS]
    add_columns = edit_columns = ["code", "name", "name_en", "parent", "slow_moving_days"]
    search_columns = ["code", "name", "path"]
    order_columns = ["code", "name", "path"]
    base_order = ("path", "asc")


class ProductApi(ExcelApiMixin, NamedErrorsMixin, ProductHooks, DmsModelApi):
    """``/api/v1/product/``, with ``/import-template``, ``/import``, ``/import/<job>``, ``/export``."""

    resource_name = "product"
    excel_kind = "product"
    datamodel = SQLAInterface(Product)
    class_permission_name = "Product"
    base_filters = []
    own = [
        "code",
        "name",
        "name_en",
        "brand",
        "unit",
        "pack_size",
        "shelf_life_days",
        "status",
        "standard_cost",
    ]
    list_columns = ["id", *own, "product_line_id", "product_line.code", "category_id", "category.code"]
    show_columns = [*list_columns, *STAMPS]
    add_columns = edit_columns = [*own, "product_line", "category"]
    search_columns = ["code", "name", "name_en", "brand", "status", "product_line", "category"]
    order_columns = ["code", "name", "brand", "status"]
    base_order = ("code", "asc")


class WarehouseApi(NamedErrorsMixin, WarehouseHooks, DmsModelApi):
    """``/api/v1/warehouse/``: scoped; kind hq/regional/dealer; region and dealer inside your scope."""

    resource_name = "warehouse"
    datamodel = SQLAInterface(Warehouse)
    class_permission_name = "Warehouse"
    own = ["code", "name", "kind", "allow_negative", "active"]
    list_columns = [
        "id",
        *own,
        "parent_id",
        "parent.code",
        "path",
        "region_id",
        "region.code",
        "dealer_id",
        "dealer.code",
    ]
    show_columns = [*list_columns, *STAMPS]
    add_columns = edit_columns = [*own, "parent", "region", "dealer"]
    add_query_rel_fields = edit_query_rel_fields = {
        "parent": SCOPE_FILTERS,
        "region": SCOPE_FILTERS,
        "dealer": SCOPE_FILTERS,
    }
    search_columns = ["code", "name", "kind", "region", "dealer", "path", "active"]
    order_columns = ["code", "name", "kind", "path"]
    base_order = ("path", "asc")
