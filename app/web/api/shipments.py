"""``/api/v1/shipment/``: ship an order (warehouse), show shipments, confirm receipt (dealer), the
logistics cost report, and tracking events pushed by carriers and the WMS (HMAC-signed, no login:
``X-DMS-Source`` names the sender, ``X-DMS-Signature: sha256=<hex>`` signs the raw body with that
sender's secret from ``DMS_TRACKING_SECRETS``). Permission class ``Shipment`` (``read``;
``write``: ship; ``receive``: confirm receipt)."""

from __future__ import annotations

from flask import Response, current_app, request
from flask_appbuilder.api import expose, protect, safe

from app.adapters import logistics, order_views, shipments
from app.domain import shipments as sd
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.web.api.base import JsonApi, pk_in_range, status_for
from app.web.caller import caller
from app.web.permissions import READ, RECEIVE, WRITE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BODY = 1024 * 1024


def tracking_secrets(raw: str | None) -> dict[str, str]:
    """``"SF=secret1,WMS=secret2"`` → {"SF": "secret1", "WMS": "secret2"}."""
    pairs = (item.split("=", 1) for item in (raw or "").split(",") if "=" in item)
    return {name.strip(): secret.strip() for name, secret in pairs if name.strip() and secret.strip()}


class ShipmentApi(JsonApi):
    resource_name = "shipment"
    class_permission_name = "Shipment"
    method_permission_name = {"ship": WRITE, "show": READ, "receipt": RECEIVE, "costs": READ}
    openapi_spec_tag = "Shipments"

    @expose("/order/<pk>", methods=["POST"])
    @protect()
    @safe
    def ship(self, pk):
        """Ship lines of a confirmed order from its warehouse (stock leaves the ledger).
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}, description: the order id}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    lines:
                      type: array
                      items: {type: object, properties: {sku: {type: string}, qty: {type: integer}}}
                    waybill: {type: string}
                    carrier: {type: string}
                    service: {type: string}
                    parcels: {type: integer}
                    weight_kg: {type: number}
                    volume_m3: {type: number}
                    cost: {type: number}
          responses:
            201: {description: "The shipment; the order moves to partially_shipped or shipped"}
            404: {description: Order not found or outside your data scope}
            409: {description: The order cannot ship (status, deposit), not enough stock, waybill used}
            422: {description: Invalid input, naming the field}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            shipment = shipments.create_shipment(db.session, int(pk), request.get_json(silent=True), caller())
            return self.response(201, **shipments.as_json(shipment))
        except DomainError as error:
            return self.fail(error)

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    def show(self, pk):
        """One shipment with its lines and tracking (404 outside your data scope).
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: The shipment}
            404: {description: Not found or outside your data scope}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            return self.response(200, **shipments.as_json(shipments.find(db.session, int(pk), caller())))
        except DomainError as error:
            return self.fail(error)

    @expose("/<pk>/receipt", methods=["POST"])
    @protect()
    @safe
    def receipt(self, pk):
        """Confirm receipt (签收) with the quantities that arrived; a shortfall opens a claim.
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
                    lines: {type: array, items: {type: object, properties: {sku: {type: string},
                      received_qty: {type: integer}}}}
                    note: {type: string}
          responses:
            200: {description: The shipment (received) and its order}
            404: {description: Not found or outside your data scope}
            409: {description: Already received}
            422: {description: A quantity above what was sent, naming the line}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            body = request.get_json(silent=True)
            if body is not None and not isinstance(body, dict):
                raise ValidationFailed("the body must be a JSON object", {"body": "a JSON object"})
            who = caller()
            shipment = shipments.confirm_receipt(db.session, int(pk), body, who)
            order = order_views.as_json(db.session, shipment.order)
            return self.response(200, **shipments.as_json(shipment), order_status=order["status"])
        except DomainError as error:
            return self.fail(error)

    @expose("/costs", methods=["GET"])
    @protect()
    @safe
    def costs(self):
        """Logistics cost by carrier, region or month (scoped); ``format=xlsx`` for a workbook.
        ---
        get:
          parameters:
          - {in: query, name: group_by, schema: {type: string, enum: [carrier, region, month]}}
          - {in: query, name: from, schema: {type: string, format: date}}
          - {in: query, name: to, schema: {type: string, format: date}}
          - {in: query, name: format, schema: {type: string, enum: [json, xlsx]}}
          responses:
            200: {description: "{group_by, result: [{key, shipments, parcels, weight_kg, cost}]}"}
            422: {description: A bad group_by or date}
        """
        try:
            filters = order_views.parse_filters(
                {"from": request.args.get("from"), "to": request.args.get("to")}
            )
            group_by = request.args.get("group_by", "carrier")
            rows = logistics.cost_report(db.session, caller().scope, group_by, filters.start, filters.end)
        except DomainError as error:
            return self.fail(error)
        if request.args.get("format") == "xlsx":
            return Response(
                logistics.cost_xlsx(rows, group_by),
                mimetype=XLSX,
                headers={"Content-Disposition": f"attachment; filename=logistics_cost_by_{group_by}.xlsx"},
            )
        return self.response(200, group_by=group_by, result=[row.as_dict() for row in rows])

    @expose("/events", methods=["POST"])
    @safe
    def events(self):
        """Push tracking events (idempotent by event id; all or none).
        ---
        post:
          parameters:
          - {in: header, name: X-DMS-Source, required: true, schema: {type: string}}
          - {in: header, name: X-DMS-Signature, required: true, schema: {type: string}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    events: {type: array, items: {type: object, properties: {id: {type: string},
                      waybill: {type: string}, carrier: {type: string}, code: {type: string},
                      at: {type: string, format: date-time}, location: {type: string},
                      description: {type: string}}}}
          responses:
            200: {description: "{results: [{id, duplicate, shipment}]}"}
            401: {description: Unknown source or a bad signature}
            422: {description: Invalid events or an unknown waybill, naming the event}
        """
        body = request.get_data(cache=True)
        source = (request.headers.get("X-DMS-Source") or "").strip()
        secret = tracking_secrets(current_app.config.get("DMS_TRACKING_SECRETS")).get(source)
        if (
            secret is None
            or len(body) > MAX_BODY
            or not sd.signature_ok(secret, body, request.headers.get("X-DMS-Signature"))
        ):
            return self.response(401, message="unknown source or bad signature")
        try:
            events = sd.parse_events(request.get_json(silent=True))
            results = shipments.record_events(db.session, source, events)
        except DomainError as error:
            db.session.rollback()
            return self.response(status_for(error), message=error.message, errors=error.errors)
        return self.response(200, results=results)
