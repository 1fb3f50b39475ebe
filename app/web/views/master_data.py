"""Pages for regions and dealers."""

from __future__ import annotations

from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.models import Dealer, Region
from app.web.hooks import DealerHooks, RegionHooks
from app.web.labels import DEALER_STATUS, LABELS, dealer_status
from app.web.scope import SCOPE_FILTERS
from app.web.views.base import DmsModelView
from app.web.views.dealer_excel import DealerExcelButtons


class RegionView(RegionHooks, DmsModelView):
    datamodel = SQLAInterface(Region)
    class_permission_name = "Region"
    list_title, show_title = _l("Regions"), _l("Region")
    add_title, edit_title = _l("Add region"), _l("Edit region")
    base_filters = []  # the region tree is reference data every role may read
    list_columns = ["code", "name", "name_en", "parent", "path"]
    show_columns = ["code", "name", "name_en", "parent", "path", "created_at", "updated_at"]
    add_columns = edit_columns = ["code", "name", "name_en", "parent"]
    search_columns = ["code", "name", "name_en", "path"]
    order_columns = ["code", "name", "path"]
    base_order = ("path", "asc")
    label_columns = LABELS


class DealerView(DealerExcelButtons, DealerHooks, DmsModelView):
    datamodel = SQLAInterface(Dealer)
    class_permission_name = "Dealer"
    list_title, show_title = _l("Dealers"), _l("Dealer")
    add_title, edit_title = _l("Add dealer"), _l("Edit dealer")
    list_columns = ["code", "name", "region", "status"]
    show_columns = ["code", "name", "region", "status", "created_at", "updated_at"]
    add_columns = edit_columns = ["code", "name", "region", "status"]
    search_columns = ["code", "name", "region", "status"]
    order_columns = ["code", "name", "status"]
    base_order = ("code", "asc")
    label_columns = LABELS
    add_form_query_rel_fields = edit_form_query_rel_fields = {"region": SCOPE_FILTERS}
    formatters_columns = {"status": dealer_status}
    add_form_extra_fields = edit_form_extra_fields = {
        "status": SelectField(
            _l("Status"), choices=list(DEALER_STATUS.items()), default="active", widget=Select2Widget()
        )
    }
