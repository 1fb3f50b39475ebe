"""Pages to add and edit a dealer's contacts, ship-to addresses, authorisations and
qualifications (with the licence scan), opened from the dealer page's tabs. Same hooks as
the part APIs: the dealer must be in the editor's scope; a scan is checked like any upload."""

from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectField

from app.adapters.file_store import store_files
from app.domain.errors import ValidationFailed
from app.extensions import db
from app.formkit.uploads import FileRule, check_file
from app.models import DealerAddress, DealerAuthorization, DealerContact, DealerQualification
from app.web.caller import caller
from app.web.hooks import DealerPartHooks, QualificationHooks
from app.web.labels import DEALER_LABELS, LABELS, QUALIFICATION_KINDS
from app.web.scope import SCOPE_FILTERS
from app.web.views.base import DmsModelView

PART_LABELS = {
    **LABELS,
    **DEALER_LABELS,
    "dealer": _l("Dealer"),
    "title": _l("Title"),
    "phone": _l("Phone"),
    "email": _l("E-mail"),
    "is_primary": _l("Primary"),
    "label": _l("Label"),
    "address": _l("Address"),
    "receiver": _l("Receiver"),
    "is_default": _l("Default"),
    "product_line": _l("Product line"),
    "valid_from": _l("Valid from"),
    "valid_to": _l("Valid to"),
    "kind": _l("Kind"),
    "number": _l("Number"),
    "scan": _l("Scan"),
}


class _PartView(DmsModelView):
    """Shared: the Dealer permission, the dealer chosen within scope, back to the dealer page."""

    class_permission_name = "Dealer"
    label_columns = PART_LABELS
    add_form_query_rel_fields = edit_form_query_rel_fields = {"dealer": SCOPE_FILTERS}
    base_order = ("id", "asc")

    def _back(self, item):
        return redirect(url_for("DealerView.show", pk=item.dealer_id) + "#tab-contacts")

    def post_add_redirect(self):
        dealer = request.args.get("_flt_0_dealer") or request.form.get("dealer")
        if dealer and str(dealer).isdigit():
            return redirect(url_for("DealerView.show", pk=int(dealer)))
        return super().post_add_redirect()


class DealerContactView(DealerPartHooks, _PartView):
    datamodel = SQLAInterface(DealerContact)
    list_title, add_title, edit_title = _l("Contacts"), _l("Add contact"), _l("Edit contact")
    list_columns = ["dealer", "name", "title", "phone", "email", "is_primary"]
    add_columns = edit_columns = show_columns = ["dealer", "name", "title", "phone", "email", "is_primary"]
    add_form_extra_fields = edit_form_extra_fields = {"is_primary": BooleanField(_l("Primary"))}


class DealerAddressView(DealerPartHooks, _PartView):
    datamodel = SQLAInterface(DealerAddress)
    list_title, add_title, edit_title = _l("Ship-to addresses"), _l("Add address"), _l("Edit address")
    list_columns = ["dealer", "label", "address", "receiver", "phone", "is_default"]
    add_columns = edit_columns = show_columns = list_columns
    add_form_extra_fields = edit_form_extra_fields = {"is_default": BooleanField(_l("Default"))}


class DealerAuthorizationView(DealerPartHooks, _PartView):
    datamodel = SQLAInterface(DealerAuthorization)
    list_title, add_title, edit_title = (
        _l("Authorisations"),
        _l("Add authorisation"),
        _l("Edit authorisation"),
    )
    list_columns = ["dealer", "product_line", "region", "valid_from", "valid_to"]
    add_columns = edit_columns = show_columns = list_columns
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "dealer": SCOPE_FILTERS,
        "region": SCOPE_FILTERS,
    }


class DealerQualificationView(QualificationHooks, _PartView):
    """A licence with its scan: the uploaded file is checked (type by content, size) and stored
    in the dealer's scope; the qualification keeps its token."""

    datamodel = SQLAInterface(DealerQualification)
    list_title, add_title, edit_title = (
        _l("Qualifications"),
        _l("Add qualification"),
        _l("Edit qualification"),
    )
    list_columns = ["dealer", "kind", "number", "valid_from", "valid_to"]
    add_columns = edit_columns = ["dealer", "kind", "number", "valid_from", "valid_to", "scan"]
    show_columns = ["dealer", "kind", "number", "valid_from", "valid_to", "file_token"]
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Kind"), choices=list(QUALIFICATION_KINDS.items()), widget=Select2Widget()),
        "scan": FileField(_l("Scan (PDF, JPG or PNG)")),
    }

    def _attach_scan(self, item) -> None:
        storage = request.files.get("scan")
        if storage is None or not storage.filename:
            return
        limit = int(current_app.config["DMS_UPLOAD_MAX_BYTES"])
        content = storage.stream.read(limit + 1)
        checked = check_file(storage.filename, content, FileRule(max_bytes=limit), "scan")
        who = caller()
        stored = store_files(
            db.session,
            current_app.config["DMS_UPLOAD_DIR"],
            [checked],
            who.name,
            who.id,
            item.dealer.id,
            None,
        )[0]
        item.file_token = stored.token

    def pre_add(self, item):
        if item.dealer is None:
            raise ValidationFailed("the dealer is required", {"dealer": "required"})
        self._attach_scan(item)
        super().pre_add(item)

    def pre_update(self, item):
        self._attach_scan(item)
        super().pre_update(item)
