"""Price monitoring pages (价格): special-price requests (list, new request with its form, one
request with its lines and outcome) and the price-exceptions report with its xlsx export.
Permission class ``PriceMonitoring``, the same as ``/api/v1/price/`` check/request/report."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import get_locale, gettext

from app.adapters import price_report, special_requests
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.formkit.fields import build_form
from app.formkit.parse import parse_object
from app.formkit.schemas import load_uischema
from app.web.caller import caller
from app.web.i18n import field_errors
from app.web.permissions import READ, WRITE

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PriceMonitoringView(BaseView):
    route_base = "/price"
    class_permission_name = "PriceMonitoring"
    method_permission_name = {
        "requests": READ,
        "new_request": WRITE,
        "submit_request": WRITE,
        "show_request": READ,
        "exceptions": READ,
    }
    default_view = "requests"

    @expose("/requests/")
    @has_access
    def requests(self):
        rows = db.session.scalars(special_requests.visible(db.session, caller().scope).limit(PAGE_SIZE)).all()
        return self.render_template("price/requests.html", rows=rows)

    def _form_page(self, values=None, errors=None, status=200):
        schema = special_requests.request_form(db.session, caller().scope)
        uischema = load_uischema(special_requests.FORM)
        fields = build_form(schema, uischema, values, errors, str(get_locale() or "zh_CN"), gettext)
        return self.render_template("price/request_form.html", fields=fields, errors=errors or {}), status

    @expose("/requests/new", methods=["GET"])
    @has_access
    def new_request(self):
        return self._form_page()

    @expose("/requests/new", methods=["POST"])
    @has_access
    def submit_request(self):
        schema = special_requests.request_form(db.session, caller().scope)
        data = parse_object(schema, request.form)
        try:
            exception = special_requests.file_request(db.session, data, caller())
        except DomainError as error:
            db.session.rollback()
            if not isinstance(error, ValidationFailed):
                flash(error.message, "danger")
            return self._form_page(data, field_errors(error), 422)
        flash(gettext("Special-price request %(key)s filed.", key=exception.business_key), "success")
        return redirect(url_for("PriceMonitoringView.show_request", pk=exception.id))

    @expose("/requests/<int:pk>")
    @has_access
    def show_request(self, pk: int):
        try:
            found = special_requests.find(db.session, pk, caller().scope)
        except DomainError:
            abort(404)
        return self.render_template("price/request.html", item=found)

    @expose("/exceptions/")
    @has_access
    def exceptions(self):
        group_by = request.args.get("group_by", "dealer")
        if group_by not in price_report.GROUPS:
            group_by = "dealer"
        try:
            start, end = price_report.period(request.args.get("from"), request.args.get("to"))
        except ValidationFailed as error:
            flash(error.message, "danger")
            start = end = None
        rows = price_report.report(db.session, caller().scope, group_by, start, end)
        if request.args.get("format") == "xlsx":
            titles = {
                "code": gettext("Code"),
                "name": gettext("Name"),
                "exceptions": gettext("Exceptions"),
                "approved": gettext("Approved"),
                "rejected": gettext("Rejected"),
                "pending": gettext("Pending"),
                "lines": gettext("Lines"),
                "deviation_amount": gettext("Amount below policy"),
            }
            return Response(
                price_report.xlsx(rows, group_by, titles),
                mimetype=XLSX,
                headers={"Content-Disposition": f"attachment; filename=price_exceptions_by_{group_by}.xlsx"},
            )
        return self.render_template(
            "price/exceptions.html",
            rows=rows,
            group_by=group_by,
            date_from=start.isoformat() if start else "",
            date_to=end.isoformat() if end else "",
        )
