"""Pages for regions and dealers (the dealer page with tabs, custom fields on the forms)."""

from __future__ import annotations

from flask import g, request
from flask_appbuilder import expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.widgets import FormWidget
from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, IntegerField, SelectField
from wtforms.validators import Optional

from app.adapters.dealer_custom import custom_form
from app.domain.errors import DomainError
from app.extensions import db
from app.models import Dealer, Region
from app.web.dealer_page import custom_fields, figures, history, posted_custom, qualification_rows
from app.web.hooks import DealerHooks, RegionHooks
from app.web.labels import (
    DEALER_LABELS,
    DEALER_STATUS,
    LABELS,
    REVENUE_BANDS,
    dealer_status,
    qualification_kind,
)
from app.web.scope import SCOPE_FILTERS
from app.web.views.base import DmsModelView
from app.web.views.dealer_excel import DealerExcelButtons
from app.web.views.scorecards import dealer_scorecard


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


class DealerFormWidget(FormWidget):
    """FAB's form plus the administrator's custom fields (form ``dealer_custom``)."""

    template = "dealers/form.html"


class DealerView(DealerExcelButtons, DealerHooks, DmsModelView):
    datamodel = SQLAInterface(Dealer)
    class_permission_name = "Dealer"
    list_title, show_title = _l("Dealers"), _l("Dealer")
    add_title, edit_title = _l("Add dealer"), _l("Edit dealer")
    list_columns = ["code", "name", "region", "tier", "status", "sales_rep", "credit_limit"]
    show_columns = ["code", "name", "region", "status", "created_at", "updated_at"]
    add_columns = edit_columns = [
        "code",
        "name",
        "uscc",
        "region",
        "tier",
        "parent",
        "sales_rep",
        "status",
        "credit_limit",
        "payment_terms_days",
        "staff_count",
        "warehouse_area",
        "revenue_band",
        "invoice_title",
        "invoice_address",
        "invoice_phone",
        "bank_name",
        "bank_account",
    ]
    search_columns = ["code", "name", "uscc", "region", "tier", "status", "sales_rep"]
    order_columns = ["code", "name", "status", "credit_limit"]
    base_order = ("code", "asc")
    label_columns = DEALER_LABELS
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "region": SCOPE_FILTERS,
        "parent": SCOPE_FILTERS,
        "sales_rep": [["active", FilterEqual, True]],
    }
    formatters_columns = {"status": dealer_status}
    add_form_extra_fields = edit_form_extra_fields = {
        "status": SelectField(
            _l("Status"), choices=list(DEALER_STATUS.items()), default="active", widget=Select2Widget()
        ),
        "revenue_band": SelectField(
            _l("Annual revenue band"),
            choices=[("", "")] + list(REVENUE_BANDS.items()),
            default="",
            widget=Select2Widget(),
        ),
        # optional on the form: an empty value means 0 (the domain rule fills it in)
        "credit_limit": DecimalField(
            _l("Credit limit"), validators=[Optional()], places=2, widget=BS3TextFieldWidget()
        ),
        "payment_terms_days": IntegerField(
            _l("Payment terms (days)"), validators=[Optional()], widget=BS3TextFieldWidget()
        ),
    }
    add_widget = edit_widget = DealerFormWidget

    def _custom_widget_args(self, key: str, widgets: dict, item: Dealer | None) -> dict:
        if request.method == "POST":
            values, errors = posted_custom(), g.get("dms_custom_errors")
        else:
            values, errors = (item.custom if item is not None else None), None
        widgets[key].template_args["custom_fields"] = custom_fields(values, False, errors)
        return widgets

    def _get_add_widget(self, form, exclude_cols=None, widgets=None):
        widgets = super()._get_add_widget(form, exclude_cols, widgets)
        return self._custom_widget_args("add", widgets, None)

    def _get_edit_widget(self, form, exclude_cols=None, widgets=None):
        widgets = super()._get_edit_widget(form, exclude_cols, widgets)
        pk = (request.view_args or {}).get("pk")
        item = self.datamodel.get(pk, self._base_filters) if pk is not None else None
        return self._custom_widget_args("edit", widgets, item)

    def _take_custom(self, item: Dealer) -> None:
        if custom_form(db.session) is not None:
            item.custom = posted_custom()

    def pre_add(self, item):
        self._take_custom(item)
        self._remember_errors(super().pre_add, item)

    def pre_update(self, item):
        self._take_custom(item)
        self._remember_errors(super().pre_update, item)

    @staticmethod
    def _remember_errors(hook, item):
        try:
            hook(item)
        except DomainError as error:
            g.dms_custom_errors = error.errors
            raise

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        """The dealer page: profile, qualifications, contacts and addresses, figures, history."""
        dealer = self._scoped_get(pk)
        return self.render_template(
            "dealers/show.html",
            dealer=dealer,
            title=self.show_title,
            custom=custom_fields(dealer.custom, True),
            qualifications=qualification_rows(dealer),
            figures=figures(dealer),
            history=history(dealer),
            scorecard=dealer_scorecard(dealer.code, self.appbuilder.sm),
            status_label=dealer_status,
            kind_label=qualification_kind,
            may_edit=self.appbuilder.sm.has_access("can_write", "Dealer"),
        )
