"""``/api/v1/price/``: price check of lines, special-price requests (特价申请) and the
price-exceptions report. Permission class ``PriceMonitoring`` (``read``: check, show, report;
``write``: file a request). Everything is limited to the caller's data scope."""

from __future__ import annotations

from flask import Response, request
from flask_appbuilder.api import expose, protect, safe

from app.adapters import price_report, special_requests
from app.adapters.price_check import check_lines
from app.adapters.scope_sql import dealer_clause
from app.domain.errors import DomainError, NotFound, ValidationFailed
from app.extensions import db
from app.models import Dealer
from app.web.api.base import JsonApi, pk_in_range
from app.web.caller import caller
from app.web.permissions import READ, WRITE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PriceMonitoringApi(JsonApi):
    resource_name = "price"
    class_permission_name = "PriceMonitoring"
    method_permission_name = {"check": READ, "special_request": WRITE, "show": READ, "exceptions": READ}
    openapi_spec_tag = "Price monitoring"

    @expose("/check", methods=["POST"])
    @protect()
    @safe
    def check(self):
        """Check lines against the policy price and the tolerance table (writes nothing).
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    dealer: {type: string}
                    date: {type: string, format: date}
                    lines: {type: array, items: {type: object}}
          responses:
            200: {description: "{dealer, tier, on, outcome, level, deciding, lines: [...]}"}
            404: {description: The dealer lies outside your data scope}
            422: {description: Unknown SKU, quantity <= 0, more than 4 decimals (naming the field)}
        """
        try:
            body = self.body()
            who = caller()
            code = str(body.get("dealer") or "")
            dealer = db.session.scalar(db.select(Dealer).where(Dealer.code == code, dealer_clause(who.scope)))
            if dealer is None:
                raise NotFound("no such dealer in your data scope", {"dealer": "not found"})
            on, _ = price_report.period(body.get("date"), None)
            lines = body.get("lines")
            if not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
                raise ValidationFailed("lines must be a list of objects", {"lines": "a list of objects"})
            return self.response(200, **check_lines(db.session, dealer, lines, on).as_dict())
        except DomainError as error:
            return self.fail(error)

    @expose("/special_request", methods=["POST"])
    @protect()
    @safe
    def special_request(self):
        """File a special-price request; it starts the price-exception review.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    dealer: {type: string}
                    lines: {type: array, items: {type: object, properties: {sku: {type: string},
                      qty: {type: integer}, requested_price: {type: number}}}}
                    reason_code: {type: string, enum: [COMPETITOR, VOLUME, CLEARANCE, KEY_ACCOUNT, OTHER]}
                    reason: {type: string}
                    valid_from: {type: string, format: date}
                    valid_to: {type: string, format: date}
          responses:
            201: {description: The request with its checked lines, status and level}
            404: {description: The dealer lies outside your data scope}
            422: {description: Invalid input, naming the field}
        """
        try:
            exception = special_requests.file_request(db.session, self.body(), caller())
            return self.response(201, **special_requests.as_json(exception))
        except DomainError as error:
            return self.fail(error)

    @expose("/special_request/<pk>", methods=["GET"])
    @protect()
    @safe
    def show(self, pk):
        """One price exception or special-price request (404 outside your data scope).
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: The request with its lines and outcome}
            404: {description: Not found or outside your data scope}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            found = special_requests.find(db.session, int(pk), caller().scope)
            return self.response(200, **special_requests.as_json(found))
        except DomainError as error:
            return self.fail(error)

    @expose("/exceptions", methods=["GET"])
    @protect()
    @safe
    def exceptions(self):
        """Price exceptions by dealer, region or product: counts and deviation amounts (scoped).
        ---
        get:
          parameters:
          - {in: query, name: group_by, schema: {type: string, enum: [dealer, region, product]}}
          - {in: query, name: from, schema: {type: string, format: date}}
          - {in: query, name: to, schema: {type: string, format: date}}
          - {in: query, name: format, schema: {type: string, enum: [json, xlsx]}}
          responses:
            200: {description: "{group_by, from, to, result: [{code, name, exceptions, approved,
              rejected, pending, lines, deviation_amount}]} or an xlsx file"}
            422: {description: A bad group_by or date}
        """
        try:
            group_by = request.args.get("group_by", "dealer")
            start, end = price_report.period(request.args.get("from"), request.args.get("to"))
            rows = price_report.report(db.session, caller().scope, group_by, start, end)
        except DomainError as error:
            return self.fail(error)
        if request.args.get("format") == "xlsx":
            return Response(
                price_report.xlsx(rows, group_by),
                mimetype=XLSX,
                headers={"Content-Disposition": f"attachment; filename=price_exceptions_by_{group_by}.xlsx"},
            )
        return self.response(
            200,
            group_by=group_by,
            **{"from": start.isoformat() if start else None, "to": end.isoformat() if end else None},
            result=[row.as_dict() for row in rows],
        )
