"""Receivables pages (应收): the dealer's statement (对账单, phone-friendly) with its confirmation,
invoices and payments of the data scope, the Excel import of payments, and temporary credit
increases (list, request form, one request). Permission classes ``Receivable`` (``read``;
``confirm`` for confirming a statement; ``write`` for importing payments) and ``CreditIncrease``
(``read``; ``write`` to ask), the same as their APIs."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import get_locale, gettext, lazy_gettext
from sqlalchemy import select

from app.adapters import credit_increases, payments, receivable_views, statements
from app.adapters.clock import business_today
from app.adapters.scope_sql import dealer_clause
from app.domain import receivables as rd
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.formkit.fields import build_form
from app.formkit.parse import parse_object
from app.formkit.schemas import load_uischema
from app.models import Dealer
from app.web.caller import caller
from app.web.i18n import field_errors
from app.web.permissions import READ, WRITE
from app.web.views.excel import ExcelView

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_DEALERS = 500


def _dealer_choices() -> list[tuple[str, str]]:
    """Code and name of the dealers the user sees (the statement's dealer choice)."""
    query = select(Dealer.code, Dealer.name).where(dealer_clause(caller().scope)).order_by(Dealer.code)
    return [(code, name) for code, name in db.session.execute(query.limit(MAX_DEALERS))]


def _problems(error: DomainError) -> str:
    """A refusal for a flash message: each field with its problem, else the message."""
    found = field_errors(error)
    return "; ".join(f"{field}: {reason}" for field, reason in found.items()) or error.message


class ReceivableView(BaseView):
    route_base = "/receivables"
    class_permission_name = "Receivable"
    method_permission_name = {
        "statement": READ,
        "confirm_statement": "confirm",
        "invoices": READ,
        "payments": READ,
        "record_payment": WRITE,
    }
    default_view = "statement"

    def _statement_args(self):
        who = caller()
        dealers = _dealer_choices()
        code = request.values.get("dealer") or (dealers[0][0] if len(dealers) == 1 else None)
        dealer = statements.dealer_of(db.session, code, who) if code else None
        start, end = rd.statement_period(
            request.values.get("from"), request.values.get("to"), business_today()
        )
        return dealers, dealer, start, end

    @expose("/statement")
    @has_access
    def statement(self):
        try:
            dealers, dealer, start, end = self._statement_args()
        except DomainError as error:
            flash(error.message, "danger")
            dealers, dealer, start, end = (
                _dealer_choices(),
                None,
                business_today().replace(day=1),
                business_today(),
            )
        found = statements.statement_for(db.session, dealer, start, end) if dealer is not None else None
        if found is not None and request.args.get("format") == "xlsx":
            titles = {
                "date": gettext("Date"),
                "kind": gettext("Kind"),
                "number": gettext("Number"),
                "reference": gettext("Reference"),
                "debit": gettext("Invoiced"),
                "credit": gettext("Paid"),
                "balance": gettext("Balance"),
                "invoice": gettext("Invoice"),
                "payment": gettext("Payment"),
                "opening": gettext("Opening balance"),
                "closing": gettext("Closing balance"),
            }
            return Response(
                statements.xlsx(dealer, start, end, found, titles),
                mimetype=XLSX,
                headers={"Content-Disposition": f"attachment; filename=statement-{dealer.code}.xlsx"},
            )
        return self.render_template(
            "receivables/statement.html",
            dealers=dealers,
            dealer=dealer,
            date_from=start.isoformat(),
            date_to=end.isoformat(),
            statement=found,
            confirmations=statements.confirmations(db.session, dealer, start, end) if dealer else [],
            credit=receivable_views.credit_json(db.session, dealer) if dealer else None,
            can_confirm=self.appbuilder.sm.has_access("can_confirm", "Receivable"),
        )

    @expose("/statement/confirm", methods=["POST"])
    @has_access
    def confirm_statement(self):
        body = {
            "dealer": request.form.get("dealer") or None,
            "from": request.form.get("from"),
            "to": request.form.get("to"),
            "status": request.form.get("status"),
            "comment": request.form.get("comment") or None,
        }
        try:
            _, found = statements.confirm(
                db.session, {k: v for k, v in body.items() if v is not None}, caller()
            )
        except DomainError as error:
            db.session.rollback()
            flash(
                f"{gettext('Not recorded')}: {_problems(error)}",
                "danger",
            )
        else:
            key = "Statement confirmed." if found.status == "confirmed" else "Statement disputed."
            flash(gettext(key), "success")
        args = {k: body[k] for k in ("dealer", "from", "to") if body[k]}
        return redirect(url_for("ReceivableView.statement", **args))

    def _filters(self, statuses):
        try:
            return receivable_views.parse_filters(request.args, statuses)
        except ValidationFailed as error:
            flash(error.message, "danger")
            return receivable_views.Filters()

    @expose("/invoices")
    @has_access
    def invoices(self):
        filters = self._filters(receivable_views.INVOICE_STATUSES)
        count, rows = receivable_views.invoice_page(db.session, caller().scope, filters)
        items = [receivable_views.invoice_json(db.session, i) for i in rows]
        return self.render_template("receivables/invoices.html", items=items, count=count, filters=filters)

    @expose("/payments")
    @has_access
    def payments(self):
        filters = self._filters(receivable_views.PAYMENT_STATUSES)
        count, rows = receivable_views.payment_page(db.session, caller().scope, filters)
        items = [payments.as_json(db.session, p) for p in rows]
        may_write = self.appbuilder.sm.has_access("can_write", "Receivable")
        return self.render_template(
            "receivables/payments.html",
            items=items,
            count=count,
            filters=filters,
            may_write=may_write,
            dealers=_dealer_choices() if may_write else [],
            today=business_today().isoformat(),
        )

    @expose("/payments", methods=["POST"])
    @has_access
    def record_payment(self):
        """Finance records one payment by hand (the same checks as the API)."""
        fields = ("external_id", "dealer", "amount", "received_on", "method", "reference")
        body = {k: request.form.get(k, "").strip() for k in fields}
        try:
            found, created = payments.record_payment(
                db.session, {k: v for k, v in body.items() if v}, caller(), source="finance"
            )
        except DomainError as error:
            db.session.rollback()
            flash(
                f"{gettext('Not recorded')}: {_problems(error)}",
                "danger",
            )
        else:
            key = "Payment %(id)s recorded." if created else "Payment %(id)s was already recorded."
            flash(gettext(key, id=found.external_id), "success")
        return redirect(url_for("ReceivableView.payments"))


class PaymentExcelView(ExcelView):
    route_base = "/receivables/payments/excel"
    class_permission_name = "Receivable"
    excel_kind = "payment"
    list_endpoint = "ReceivableView.payments"
    import_title = lazy_gettext("Import payments")
    insert_label = lazy_gettext("Insert new payments")
    back_label = lazy_gettext("Back to payments")


class CreditIncreaseView(BaseView):
    route_base = "/receivables/credit_increases"
    class_permission_name = "CreditIncrease"
    method_permission_name = {"list": READ, "new": WRITE, "submit": WRITE, "show": READ}
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        rows = db.session.scalars(credit_increases.visible(caller().scope).limit(100)).all()
        may_ask = self.appbuilder.sm.has_access("can_write", "CreditIncrease")
        return self.render_template("receivables/credit_increases.html", rows=rows, may_ask=may_ask)

    def _form_page(self, values=None, errors=None, status=200):
        schema = credit_increases.request_form(db.session, caller().scope)
        uischema = load_uischema(credit_increases.FORM)
        fields = build_form(schema, uischema, values, errors, str(get_locale() or "zh_CN"), gettext)
        page = self.render_template(
            "receivables/credit_increase_form.html", fields=fields, errors=errors or {}
        )
        return page, status

    @expose("/new", methods=["GET"])
    @has_access
    def new(self):
        return self._form_page()

    @expose("/new", methods=["POST"])
    @has_access
    def submit(self):
        schema = credit_increases.request_form(db.session, caller().scope)
        data = parse_object(schema, request.form)
        try:
            found = credit_increases.request_increase(db.session, data, caller())
        except DomainError as error:
            db.session.rollback()
            if not isinstance(error, ValidationFailed):
                flash(error.message, "danger")
            return self._form_page(data, field_errors(error), 422)
        flash(gettext("Credit increase %(number)s requested.", number=found.number), "success")
        return redirect(url_for("CreditIncreaseView.show", pk=found.id))

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int):
        try:
            found = credit_increases.find(db.session, pk, caller().scope)
        except DomainError:
            abort(404)
        return self.render_template(
            "receivables/credit_increase.html",
            item=found,
            comment=credit_increases.decision_comment(db.session, found),
        )
