"""Pages of the catalogue (product lines, categories, products with Excel) and of warehouses."""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.models import Category, Product, ProductLine, Warehouse
from app.web.catalog_hooks import CategoryHooks, ProductHooks, ProductLineHooks, WarehouseHooks
from app.web.labels import LABELS
from app.web.scope import SCOPE_FILTERS
from app.web.views.base import DmsModelView
from app.web.views.excel import ExcelView, excel_buttons

CATALOG_LABELS = {
    **LABELS,
    "parent": _l("Parent"),
    "product_line": _l("Product line"),
    "category": _l("Category"),
    "brand": _l("Brand"),
    "unit": _l("Unit"),
    "pack_size": _l("Pack size"),
    "shelf_life_days": _l("Shelf life (days)"),
    "standard_cost": _l("Standard cost"),
    "slow_moving_days": _l("Slow-moving after (days)"),
    "kind": _l("Kind"),
    "dealer": _l("Dealer"),
    "allow_negative": _l("Allow negative stock"),
    "active": _l("Active"),
}
PRODUCT_STATUS = {"active": _l("Active"), "inactive": _l("Inactive")}
WAREHOUSE_KIND = {
    "hq": _l("HQ warehouse"),
    "regional": _l("Regional warehouse"),
    "dealer": _l("Dealer warehouse"),
}


def _label(labels: dict):
    return lambda value: str(labels.get(value or "", value or ""))


class ProductLineView(ProductLineHooks, DmsModelView):
    datamodel = SQLAInterface(ProductLine)
    class_permission_name = "ProductLine"
    list_title, show_title = _l("Product lines"), _l("Product line")
    add_title, edit_title = _l("Add product line"), _l("Edit product line")
    base_filters = []
    list_columns = ["code", "name", "name_en"]
    show_columns = ["code", "name", "name_en", "created_at", "updated_at"]
    add_columns = edit_columns = ["code", "name", "name_en"]
    search_columns = ["code", "name", "name_en"]
    base_order = ("code", "asc")
    label_columns = CATALOG_LABELS


class CategoryView(CategoryHooks, DmsModelView):
    datamodel = SQLAInterface(Category)
    class_permission_name = "Category"
    list_title, show_title = _l("Categories"), _l("Category")
    add_title, edit_title = _l("Add category"), _l("Edit category")
    base_filters = []
    list_columns = ["code", "name", "name_en", "parent", "path", "slow_moving_days"]
    show_columns = [*list_columns, "created_at", "updated_at"]
    add_columns = edit_columns = ["code", "name", "name_en", "parent", "slow_moving_days"]
    search_columns = ["code", "name", "path"]
    order_columns = ["code", "name", "path"]
    base_order = ("path", "asc")
    label_columns = CATALOG_LABELS


class ProductView(excel_buttons("ProductExcelView", "Product"), ProductHooks, DmsModelView):
    datamodel = SQLAInterface(Product)
    class_permission_name = "Product"
    list_title, show_title = _l("Products"), _l("Product")
    add_title, edit_title = _l("Add product"), _l("Edit product")
    base_filters = []
    own = ["code", "name", "name_en", "product_line", "category", "brand", "unit", "pack_size"]
    list_columns = [*own, "status"]
    show_columns = [*own, "shelf_life_days", "standard_cost", "status", "created_at", "updated_at"]
    add_columns = edit_columns = [*own, "shelf_life_days", "standard_cost", "status"]
    search_columns = ["code", "name", "name_en", "product_line", "category", "brand", "status"]
    order_columns = ["code", "name", "brand", "status"]
    base_order = ("code", "asc")
    label_columns = CATALOG_LABELS
    formatters_columns = {"status": _label(PRODUCT_STATUS)}
    add_form_extra_fields = edit_form_extra_fields = {
        "status": SelectField(
            _l("Status"), choices=list(PRODUCT_STATUS.items()), default="active", widget=Select2Widget()
        )
    }


class ProductExcelView(ExcelView):
    route_base = "/products/excel"
    class_permission_name = "Product"
    excel_kind = "product"
    list_endpoint = "ProductView.list"
    import_title = _l("Import products")
    insert_label = _l("Insert new products")
    back_label = _l("Back to products")


class WarehouseView(WarehouseHooks, DmsModelView):
    datamodel = SQLAInterface(Warehouse)
    class_permission_name = "Warehouse"
    list_title, show_title = _l("Warehouses"), _l("Warehouse")
    add_title, edit_title = _l("Add warehouse"), _l("Edit warehouse")
    list_columns = ["code", "name", "kind", "parent", "region", "dealer", "active"]
    show_columns = [*list_columns, "path", "allow_negative", "created_at", "updated_at"]
    add_columns = edit_columns = [
        "code",
        "name",
        "kind",
        "parent",
        "region",
        "dealer",
        "allow_negative",
        "active",
    ]
    search_columns = ["code", "name", "kind", "region", "dealer", "path", "active"]
    order_columns = ["code", "name", "kind"]
    base_order = ("path", "asc")
    label_columns = CATALOG_LABELS
    formatters_columns = {"kind": _label(WAREHOUSE_KIND)}
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "parent": SCOPE_FILTERS,
        "region": SCOPE_FILTERS,
        "dealer": SCOPE_FILTERS,
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Kind"), choices=list(WAREHOUSE_KIND.items()), widget=Select2Widget())
    }
