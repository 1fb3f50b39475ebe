"""Order pages (订单): the list, a new order from the dealer's own catalogue (its prices and what
is available; works on a phone), the order page with its checks, lines, shipments, tracking and
timeline and the actions the user may take (edit and submit a draft or returned order, cancel,
ship, confirm receipt). Permission classes ``Order`` and ``Shipment``, as the APIs."""

from __future__ import annotations

from io import BytesIO

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import get_locale, gettext, lazy_gettext
from sqlalchemy import select

from app.adapters import order_changes, order_portal, order_views, orders, shipments
from app.domain import orders as od
from app.domain.errors import DomainError, NotFound
from app.extensions import db
from app.formkit.fields import build_form
from app.formkit.parse import parse_object
from app.formkit.schemas import load_schema, load_uischema
from app.models import Dealer
from app.web.caller import caller
from app.web.i18n import field_errors
from app.web.permissions import READ, RECEIVE, WRITE
from app.web.views.excel import ExcelView

FORM = "order_entry"


def _entry_schema(dealer: Dealer) -> dict:
    """The order form with the dealer's addresses as the ship-to choices."""
    schema = load_schema(FORM)
    choices = [
        {"const": a.label, "title": f"{a.label} · {a.address}"}
        for a in order_portal.addresses(db.session, dealer)
    ]
    if not choices:
        properties = {k: v for k, v in schema["properties"].items() if k != "ship_to"}
        return {**schema, "properties": properties}
    return {
        **schema,
        "properties": {
            **schema["properties"],
            "ship_to": {**schema["properties"]["ship_to"], "oneOf": choices},
        },
    }


def _lines_from(form) -> list[dict]:
    """``qty_<SKU>`` inputs with a quantity → order lines (blank and 0 are left out)."""
    lines = []
    for key, value in form.items():
        if key.startswith("qty_") and str(value).strip() not in ("", "0"):
            lines.append({"sku": key[4:], "qty": str(value).strip()})
    return lines


class OrderView(BaseView):
    route_base = "/orders"
    class_permission_name = "Order"
    method_permission_name = {
        "list": READ,
        "new": WRITE,
        "create": WRITE,
        "show": READ,
        "edit": WRITE,
        "submit": WRITE,
        "cancel": WRITE,
        "change": WRITE,
        "bulk": WRITE,
    }
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        try:
            filters = order_views.parse_filters(request.args)
        except DomainError as error:
            flash(error.message, "danger")
            filters = order_views.Filters()
        count, rows = order_views.page(db.session, caller().scope, filters)
        return self.render_template(
            "orders/list.html", rows=rows, count=count, filters=filters, statuses=od.STATUSES
        )

    def _dealer(self) -> Dealer | None:
        who = caller()
        own = orders.default_dealer(who)
        code = request.values.get("dealer")
        if own is not None:
            return db.session.get(Dealer, own)
        if not code:
            return None
        dealers = dict(order_portal.dealers_for(db.session, who.scope))
        if code not in dealers:
            abort(404)
        return db.session.scalar(select(Dealer).where(Dealer.code == code))

    def _entry_page(self, dealer: Dealer | None, values=None, errors=None, quantities=None, status=200):
        who = caller()
        if dealer is None:
            return self.render_template(
                "orders/choose_dealer.html", dealers=order_portal.dealers_for(db.session, who.scope)
            )
        schema = _entry_schema(dealer)
        fields = build_form(
            schema, load_uischema(FORM), values, errors, str(get_locale() or "zh_CN"), gettext
        )
        page = self.render_template(
            "orders/new.html",
            dealer=dealer,
            items=order_portal.catalogue(db.session, dealer),
            fields=fields,
            errors=errors or {},
            quantities=quantities or {},
            own=orders.default_dealer(who) is not None,
        )
        return page, status

    @expose("/new", methods=["GET"])
    @has_access
    def new(self):
        return self._entry_page(self._dealer())

    @expose("/new", methods=["POST"])
    @has_access
    def create(self):
        dealer = self._dealer()
        if dealer is None:
            abort(404)
        data = parse_object(_entry_schema(dealer), request.form)
        lines = _lines_from(request.form)
        raw = {
            "dealer": dealer.code,
            "lines": lines,
            **{k: v for k, v in data.items() if v not in (None, "")},
        }
        submit = request.form.get("action") != "draft"
        try:
            order = orders.create_order(db.session, raw, caller(), source="portal", submit=submit)
        except DomainError as error:
            db.session.rollback()
            errors = field_errors(error)
            flash(error.message, "danger")
            quantities = {line["sku"]: line["qty"] for line in lines}
            return self._entry_page(dealer, data, errors, quantities, 422)
        flash(
            gettext("Order %(number)s saved as a draft.", number=order.number)
            if order.status == "draft"
            else gettext("Order %(number)s submitted.", number=order.number),
            "success",
        )
        return redirect(url_for("OrderView.show", pk=order.id))

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int):
        try:
            order = orders.find(db.session, pk, caller())
        except NotFound:
            abort(404)
        data = order_views.as_json(db.session, order)
        sm = self.appbuilder.sm
        return self.render_template(
            "orders/show.html",
            order=data,
            can_write=sm.has_access("can_write", "Order"),
            can_ship=sm.has_access("can_write", "Shipment"),
            can_receive=sm.has_access("can_receive", "Shipment"),
            dealer_user=orders.is_dealer_user(caller()),
        )

    def _back(self, pk: int):
        return redirect(url_for("OrderView.show", pk=pk))

    @expose("/<int:pk>/edit", methods=["POST"])
    @has_access
    def edit(self, pk: int):
        try:
            orders.edit_lines(db.session, pk, {"lines": _lines_from(request.form)}, caller())
            flash(gettext("The lines were saved and priced again."), "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        return self._back(pk)

    @expose("/<int:pk>/submit", methods=["POST"])
    @has_access
    def submit(self, pk: int):
        try:
            order = orders.find(db.session, pk, caller())
            orders.submit_order(db.session, order, caller())
            flash(gettext("Order submitted."), "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        return self._back(pk)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @has_access
    def cancel(self, pk: int):
        try:
            orders.cancel_order(db.session, pk, caller(), request.form.get("reason"))
            flash(gettext("Order cancelled."), "success")
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
        return self._back(pk)

    @expose("/<int:pk>/change", methods=["POST"])
    @has_access
    def change(self, pk: int):
        lines = [
            {"sku": key[4:], "qty": str(value).strip()}
            for key, value in request.form.items()
            if key.startswith("qty_") and str(value).strip() != ""
        ]
        reason = request.form.get("reason") or None
        try:
            order_changes.request_change(
                db.session, pk, {"lines": lines, **({"reason": reason} if reason else {})}, caller()
            )
            flash(gettext("Change requested: the regional manager reviews it."), "success")
        except DomainError as error:
            db.session.rollback()
            details = "; ".join(f"{k}: {v}" for k, v in field_errors(error).items())
            flash(f"{error.message} {details}".strip(), "danger")
        return self._back(pk)

    @expose("/bulk", methods=["POST"])
    @has_access
    def bulk(self):
        """An action on the ticked orders; each order is looked up again in the caller's scope, and
        each outcome is reported (one refusal does not stop the others)."""
        ids = [int(x) for x in request.form.getlist("ids") if x.isdigit()][:200]
        action = request.form.get("action")
        if action == "export":
            return _export_selected(ids)
        if action != "cancel" or not ids:
            flash(gettext("Tick at least one order and choose an action."), "warning")
            return redirect(url_for("OrderView.list"))
        done, refused = [], []
        for order_id in ids:
            try:
                order = orders.cancel_order(
                    db.session, order_id, caller(), request.form.get("reason") or None
                )
                done.append(order.number)
            except DomainError as error:
                db.session.rollback()
                refused.append(f"#{order_id}: {error.message}")
        if done:
            flash(gettext("Cancelled: %(numbers)s", numbers=", ".join(done)), "success")
        if refused:
            flash(gettext("Not cancelled: %(reasons)s", reasons="; ".join(refused)), "danger")
        return redirect(url_for("OrderView.list"))


def _export_selected(ids: list[int]):
    """The ticked orders the caller may see, one row per line, as .xlsx."""
    rows = []
    for order_id in ids:
        try:
            order = orders.find(db.session, order_id, caller())
        except NotFound:
            continue
        for line in order.lines:
            rows.append([order.number, order.dealer.code, order.dealer.name, order.status, line.product.code,
                         line.product.name, int(line.qty), line.unit_price, line.amount,
                         int(line.shipped_qty), order.created_at.strftime("%Y-%m-%d %H:%M")])  # fmt: skip
    headers = [gettext("Number"), gettext("Dealer"), gettext("Name"), gettext("Status"), gettext("SKU"),
               gettext("Product"), gettext("Quantity"), gettext("Unit price"), gettext("Amount"),
               gettext("Shipped"), gettext("Created")]  # fmt: skip
    return send_file(
        BytesIO(order_views.xlsx(headers, rows)),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name="orders.xlsx",
    )


class ShipmentView(BaseView):
    route_base = "/shipments"
    class_permission_name = "Shipment"
    method_permission_name = {"ship": WRITE, "receive": RECEIVE}

    @expose("/order/<int:pk>", methods=["POST"])
    @has_access
    def ship(self, pk: int):
        form = request.form
        body = {
            "lines": _lines_from(form),
            "waybill": form.get("waybill", ""),
            **{k: form[k] for k in ("carrier", "parcels", "weight_kg", "cost") if form.get(k, "").strip()},
        }
        try:
            shipment = shipments.create_shipment(db.session, pk, body, caller())
            flash(gettext("Shipment %(number)s recorded.", number=shipment.number), "success")
        except DomainError as error:
            db.session.rollback()
            details = "; ".join(f"{k}: {v}" for k, v in field_errors(error).items())
            flash(f"{error.message} {details}".strip(), "danger")
        return redirect(url_for("OrderView.show", pk=pk))

    @expose("/<int:pk>/receipt", methods=["POST"])
    @has_access
    def receive(self, pk: int):
        form = request.form
        lines = [
            {"sku": key[9:], "received_qty": value.strip()}
            for key, value in form.items()
            if key.startswith("received_") and value.strip() != ""
        ]
        note = form.get("note") or None
        try:
            shipment = shipments.confirm_receipt(
                db.session, pk, {"lines": lines, **({"note": note} if note else {})}, caller()
            )
            flash(gettext("Receipt confirmed."), "success")
            return redirect(url_for("OrderView.show", pk=shipment.order_id))
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "danger")
            order_id = request.form.get("order_id", "")
            return redirect(
                url_for("OrderView.show", pk=int(order_id))
                if order_id.isdigit()
                else url_for("OrderView.list")
            )


class OrderExcelView(ExcelView):
    """Orders from Excel: template, import with progress and report, export (docs/imports.md)."""

    route_base = "/orders/excel"
    class_permission_name = "Order"
    excel_kind = "order"
    list_endpoint = "OrderView.list"
    import_title = lazy_gettext("Import orders")
    insert_label = lazy_gettext("Insert new orders")
    back_label = lazy_gettext("Back to orders")
