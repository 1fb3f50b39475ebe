"""``/api/v1/order/``: create orders (``Idempotency-Key`` honoured), list and show them in the
caller's data scope, edit a draft or returned order's lines, submit, cancel. Permission class
``Order`` (``read``: list, show; ``write``: create, edit, submit, cancel)."""

from __future__ import annotations

from flask import g, request
from flask_appbuilder.api import expose, protect, safe

from app.adapters import idempotency, order_changes, order_views, orders
from app.domain.errors import DomainError
from app.extensions import db
from app.web.api.base import JsonApi, pk_in_range, status_for
from app.web.api.excel_api import ExcelApiMixin
from app.web.caller import caller
from app.web.permissions import READ, WRITE


class OrderApi(ExcelApiMixin, JsonApi):
    resource_name = "order"
    excel_kind = "order"
    class_permission_name = "Order"
    method_permission_name = {
        "create": WRITE,
        "list_orders": READ,
        "show": READ,
        "edit_lines": WRITE,
        "submit": WRITE,
        "cancel": WRITE,
        "change_request": WRITE,
        "excel_template": READ,
        "excel_export": READ,
        "excel_job": READ,
        "excel_import": WRITE,
    }
    openapi_spec_tag = "Orders"

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def create(self):
        """Create an order; it is submitted at once (checks, approval flow) unless ``submit`` is false.
        ---
        post:
          parameters:
          - {in: header, name: Idempotency-Key, schema: {type: string, maxLength: 200}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    dealer: {type: string}
                    lines: {type: array, items: {type: object, properties: {sku: {type: string},
                      qty: {type: integer}, unit_price: {type: number}}}}
                    ship_to: {type: string}
                    ship_to_region: {type: string}
                    note: {type: string}
                    submit: {type: boolean}
          responses:
            201: {description: "{id, number, status, checks: [...], lines, ...}"}
            404: {description: The dealer lies outside your data scope}
            409: {description: The Idempotency-Key was used for another body}
            422: {description: Invalid input, naming the field (lines/0/qty …)}
        """
        try:
            body = self.body()
            who = caller()

            def action():
                raw = dict(body)
                submit = raw.pop("submit", True)
                if not isinstance(submit, bool):
                    return 422, {"message": "submit must be true or false", "errors": {"submit": "a boolean"}}
                try:
                    order = orders.create_order(db.session, raw, who, source="api", submit=submit)
                except DomainError as error:
                    db.session.rollback()
                    return status_for(error), {"message": error.message, "errors": error.errors}
                return 201, order_views.as_json(db.session, order)

            status, answer, replayed = idempotency.run_once(
                db.session,
                user_id=g.user.id,
                endpoint="order.create",
                key=request.headers.get("Idempotency-Key"),
                body=body,
                action=action,
            )
        except DomainError as error:
            return self.fail(error)
        response = self.response(status, **answer)
        if replayed:
            response.headers["Idempotent-Replayed"] = "true"
        return response

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def list_orders(self):
        """Orders in your data scope, newest first, with filters.
        ---
        get:
          parameters:
          - {in: query, name: status, schema: {type: string}}
          - {in: query, name: dealer, schema: {type: string}}
          - {in: query, name: q, schema: {type: string}, description: part of the order number}
          - {in: query, name: from, schema: {type: string, format: date}}
          - {in: query, name: to, schema: {type: string, format: date}}
          - {in: query, name: page, schema: {type: integer, minimum: 0}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 200}}
          responses:
            200: {description: "{count, result: [...]}"}
            422: {description: A bad filter}
        """
        try:
            filters = order_views.parse_filters(request.args)
            count, rows = order_views.page(db.session, caller().scope, filters)
        except DomainError as error:
            return self.fail(error)
        return self.response(200, count=count, result=rows)

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    def show(self, pk):
        """One order with lines, checks, timeline (404 outside your data scope).
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: The order}
            404: {description: Not found or outside your data scope}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            order = orders.find(db.session, int(pk), caller())
            return self.response(200, **order_views.as_json(db.session, order))
        except DomainError as error:
            return self.fail(error)

    @expose("/<pk>/lines", methods=["PUT"])
    @protect()
    @safe
    def edit_lines(self, pk):
        """Replace the lines of a draft or returned order (priced again).
        ---
        put:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties: {lines: {type: array, items: {type: object}}, note: {type: string}}
          responses:
            200: {description: The order}
            404: {description: Not found or outside your data scope}
            409: {description: The order is not a draft or returned}
            422: {description: Invalid lines, naming the field}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            order = orders.edit_lines(db.session, int(pk), self.body(), caller())
            return self.response(200, **order_views.as_json(db.session, order))
        except DomainError as error:
            return self.fail(error)

    @expose("/<pk>/submit", methods=["POST"])
    @protect()
    @safe
    def submit(self, pk):
        """Submit a draft: checks run, the approval flow starts.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: The order with its checks}
            404: {description: Not found or outside your data scope}
            409: {description: The order is not a draft}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            who = caller()
            order = orders.find(db.session, int(pk), who)
            order = orders.submit_order(db.session, order, who)
            return self.response(200, **order_views.as_json(db.session, order))
        except DomainError as error:
            return self.fail(error)

    @expose("/<pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel(self, pk):
        """Cancel an order (a dealer only before confirmation); reserved stock is released.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {reason: {type: string}}}
          responses:
            200: {description: The order}
            403: {description: A dealer cancelling a confirmed order}
            404: {description: Not found or outside your data scope}
            409: {description: The order can no longer be cancelled}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            body = request.get_json(silent=True) or {}
            reason = body.get("reason") if isinstance(body, dict) else None
            order = orders.cancel_order(
                db.session, int(pk), caller(), reason if isinstance(reason, str) else None
            )
            return self.response(200, **order_views.as_json(db.session, order))
        except DomainError as error:
            return self.fail(error)

    @expose("/<pk>/change_request", methods=["POST"])
    @protect()
    @safe
    def change_request(self, pk):
        """Ask to change a confirmed order (quantities, added SKUs); the regional manager reviews it.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    lines:
                      type: array
                      items: {type: object, properties: {sku: {type: string}, qty: {type: integer}}}
                    reason: {type: string}
          responses:
            201: {description: "The change request {id, status, lines, ...}"}
            404: {description: Not found or outside your data scope}
            409: {description: The order is not confirmed, or a change is already under review}
            422: {description: A quantity below what was shipped, an unknown SKU, nothing to change}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            request_ = order_changes.request_change(
                db.session, int(pk), request.get_json(silent=True), caller()
            )
            return self.response(201, **order_changes.as_json(request_))
        except DomainError as error:
            return self.fail(error)
