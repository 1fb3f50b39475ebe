"""``/api/v1/statement/``: a dealer's statement (对账单) for a period as JSON or xlsx, its
confirmation by the dealer, and the dealer's credit position; ``/api/v1/credit_increase/``:
temporary credit-limit increases (request, list, show).

Permissions: ``Receivable`` ``read`` for the statement and the credit position, ``can_confirm``
for confirming a statement (dealer users); ``CreditIncrease`` ``read`` / ``write`` (request).
A dealer outside the caller's data scope is a 404.
"""

from __future__ import annotations

from flask import Response, request
from flask_appbuilder.api import expose, protect, safe

from app.adapters import credit_increases, receivable_views, statements
from app.adapters.clock import business_today
from app.domain import receivables as rd
from app.domain.errors import DomainError
from app.extensions import db
from app.web.api.base import pk_in_range
from app.web.api.receivables import ReceivableApiBase, json_body
from app.web.caller import caller
from app.web.permissions import READ, WRITE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONFIRM = "confirm"


class StatementApi(ReceivableApiBase):
    resource_name = "statement"
    method_permission_name = {"show": READ, "confirm": CONFIRM, "credit": READ}
    openapi_spec_tag = "Receivables"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def show(self):
        """A dealer's statement: opening balance, invoices and payments with the running balance,
        closing balance (a dealer user may leave out ``dealer``).
        ---
        get:
          parameters:
          - {in: query, name: dealer, schema: {type: string}}
          - {in: query, name: from, schema: {type: string, format: date}, description: default 1st of month}
          - {in: query, name: to, schema: {type: string, format: date}, description: default today}
          - {in: query, name: format, schema: {type: string, enum: [json, xlsx]}}
          responses:
            200: {description: "{dealer, from, to, opening_balance, lines, closing_balance, confirmations}"}
            404: {description: The dealer lies outside your data scope}
            422: {description: A bad date or period}
        """
        try:
            who = caller()
            dealer = statements.dealer_of(db.session, request.args.get("dealer"), who)
            start, end = rd.statement_period(
                request.args.get("from"), request.args.get("to"), business_today()
            )
            found = statements.statement_for(db.session, dealer, start, end)
        except DomainError as error:
            return self.fail(error)
        if request.args.get("format") == "xlsx":
            name = f"statement-{dealer.code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
            return Response(
                statements.xlsx(dealer, start, end, found),
                mimetype=XLSX,
                headers={"Content-Disposition": f"attachment; filename={name}"},
            )
        return self.response(200, **statements.as_json(db.session, dealer, start, end, found))

    @expose("/confirm", methods=["POST"])
    @protect()
    @safe
    def confirm(self):
        """Confirm (or dispute, with a comment) the statement of a period; the balance shown is kept.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [from, to, status]
                  properties:
                    dealer: {type: string}
                    from: {type: string, format: date}
                    to: {type: string, format: date}
                    status: {type: string, enum: [confirmed, disputed]}
                    comment: {type: string, maxLength: 1000}
          responses:
            201: {description: "{dealer, id, from, to, balance, status, comment, confirmed_by, confirmed_at}"}
            404: {description: The dealer lies outside your data scope}
            422: {description: Invalid input, naming the field}
        """
        try:
            dealer, found = statements.confirm(db.session, json_body(), caller())
        except DomainError as error:
            return self.fail(error)
        return self.response(201, dealer=dealer.code, **statements.confirmation_json(found))

    @expose("/credit", methods=["GET"])
    @protect()
    @safe
    def credit(self):
        """The dealer's credit position now: limit (with temporary increases in force), unpaid
        invoices, open orders not invoiced, exposure, available, overdue days.
        ---
        get:
          parameters:
          - {in: query, name: dealer, schema: {type: string}}
          responses:
            200: {description: The credit figures (money as strings)}
            404: {description: The dealer lies outside your data scope}
        """
        try:
            dealer = statements.dealer_of(db.session, request.args.get("dealer"), caller())
        except DomainError as error:
            return self.fail(error)
        return self.response(200, **receivable_views.credit_json(db.session, dealer))


class CreditIncreaseApi(ReceivableApiBase):
    resource_name = "credit_increase"
    class_permission_name = "CreditIncrease"
    method_permission_name = {"create": WRITE, "list_increases": READ, "show": READ}
    openapi_spec_tag = "Receivables"

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def create(self):
        """Ask for a temporary credit-limit increase; finance reviews it (flow ``credit_increase``).
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [dealer, amount, valid_from, valid_to, reason]
                  properties:
                    dealer: {type: string}
                    amount: {type: string, description: "above 0, at most 2 decimals"}
                    valid_from: {type: string, format: date}
                    valid_to: {type: string, format: date}
                    reason: {type: string, maxLength: 1000}
          responses:
            201: {description: "The request: {id, number, status: pending, instance_id, ...}"}
            404: {description: The dealer lies outside your data scope}
            422: {description: Invalid input, naming the field}
        """
        try:
            found = credit_increases.request_increase(db.session, json_body(), caller())
        except DomainError as error:
            return self.fail(error)
        return self.response(201, **credit_increases.as_json(db.session, found))

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def list_increases(self):
        """Temporary credit increases in your data scope, newest first.
        ---
        get:
          parameters:
          - {in: query, name: dealer, schema: {type: string}}
          responses:
            200: {description: "{count, result: [...]}"}
        """
        query = credit_increases.visible(caller().scope, request.args.get("dealer"))
        rows = db.session.scalars(query.limit(200)).all()
        return self.response(
            200, count=len(rows), result=[credit_increases.as_json(db.session, r) for r in rows]
        )

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    def show(self, pk):
        """One temporary credit increase (404 outside your data scope).
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: The request with its outcome and finance's comment}
            404: {description: Not found or outside your data scope}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            found = credit_increases.find(db.session, int(pk), caller().scope)
        except DomainError as error:
            return self.fail(error)
        return self.response(200, **credit_increases.as_json(db.session, found))
