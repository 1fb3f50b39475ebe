"""``/api/v1/stock/``: balances (scoped), movements in batches, snapshot sync from an ERP/WMS.

Every change goes through the ledger (``apply_movements``) in one transaction: all of a
request is applied or none of it. Permissions (class ``Stock``): ``read`` for balances,
``move`` to post movements, ``write`` for snapshots and for any movement other than a
dealer's sell-out report — a role with ``move`` but not ``write`` (Dealer) may only post
``sell_out`` from warehouses inside its data scope (its own).
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_appbuilder.api import expose, protect, safe

from app.adapters.stock_api import balance_page, check_movements_in_scope, sync_snapshot, visible_warehouse
from app.adapters.stock_ledger import apply_movements
from app.domain.errors import DomainError, Forbidden, ValidationFailed
from app.domain.stock import parse_movements
from app.domain.stock_snapshot import parse_snapshot
from app.domain.uscc import normalise_code
from app.extensions import db
from app.web.api.base import JsonApi
from app.web.permissions import MOVE, READ, WRITE
from app.web.scope import current_scope

MAX_PAGE_SIZE = 1000


def _whole(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValidationFailed(f"invalid {name}", {name: f"a whole number from {low} to {high}"})
    return value


class StockApi(JsonApi):
    resource_name = "stock"
    class_permission_name = "Stock"
    method_permission_name = {"balances": READ, "post_movements": MOVE, "put_balances": WRITE}
    openapi_spec_tag = "Stock"

    @expose("/balances", methods=["GET"])
    @protect()
    @safe
    def balances(self):
        """Stock per warehouse × SKU inside your data scope.
        ---
        get:
          parameters:
          - {in: query, name: warehouse, schema: {type: string}, description: a warehouse code}
          - {in: query, name: sku, schema: {type: string}, description: a product code}
          - {in: query, name: page, schema: {type: integer, minimum: 0, default: 0}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 1000, default: 100}}
          responses:
            200:
              description: "{count, page, page_size, result: [{warehouse, warehouse_name, sku,
                product_name, on_hand, reserved, available, in_transit}]}"
            404: {description: The warehouse does not exist or lies outside your data scope}
            422: {description: A bad page or page size}
        """
        try:
            page = _whole("page", 0, 0, 10**9)
            page_size = _whole("page_size", 100, 1, MAX_PAGE_SIZE)
        except DomainError as error:
            return self.fail(error)
        scope = current_scope()
        warehouse = normalise_code(request.args.get("warehouse", "")) or None
        sku = normalise_code(request.args.get("sku", "")) or None
        if warehouse and visible_warehouse(db.session, warehouse, scope) is None:
            return self.response(
                404, message=f"unknown warehouse {warehouse}", errors={"warehouse": "unknown"}
            )
        count, result = balance_page(db.session, scope, warehouse, sku, page, page_size)
        return self.response(200, count=count, page=page, page_size=page_size, result=result)

    @expose("/movements", methods=["POST"])
    @protect()
    @safe
    def post_movements(self):
        """Apply a batch of movements in one transaction: all of them or none.
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [movements]
                  properties:
                    movements:
                      type: array
                      maxItems: 1000
                      items:
                        type: object
                        required: [kind, warehouse, sku, qty]
                        properties:
                          kind:
                            type: string
                            enum: [receipt, transfer_out, transfer_in, reserve, release, ship, sell_out,
                                   adjust]
                          warehouse: {type: string}
                          to_warehouse: {type: string, description: the destination of a transfer_out}
                          sku: {type: string}
                          qty: {type: integer, description: "> 0; signed for adjust"}
                          batch: {type: string}
                          received_on: {type: string, format: date}
                          reference: {type: string, description: order or transfer number}
                          reason: {type: string, description: required for adjust}
                          external_id: {type: string, description: a retry with the same id applies once}
                          from_reserved: {type: boolean}
          responses:
            200: {description: "{results: [{movement_id, duplicate}]} in request order"}
            403: {description: "Your role may only report sell_out"}
            404: {description: "An unknown batch"}
            409: {description: "Not enough stock, or an external id reused for a different movement"}
            422: {description: "Invalid movements; errors name movements/<i>/<field>"}
        """
        try:
            movements = parse_movements(self.body().get("movements"))
            if not self.appbuilder.sm.has_access(f"can_{WRITE}", "Stock"):
                refused = {
                    f"movements/{i}/kind": "only sell_out"
                    for i, m in enumerate(movements)
                    if m.kind != "sell_out"
                }
                if refused:
                    raise Forbidden("your role may only report sell-out", refused)
            check_movements_in_scope(db.session, movements, current_scope())
            applied = apply_movements(db.session, movements, g.user.username)
            db.session.commit()
        except DomainError as error:
            return self.fail(error)
        results = [{"movement_id": a.movement_id, "duplicate": a.duplicate} for a in applied]
        return self.response(200, results=results)

    @expose("/balances", methods=["PUT"])
    @protect()
    @safe
    def put_balances(self):
        """Snapshot sync: make a warehouse's on-hand levels the counted ones (ERP/WMS).
        Each difference becomes an ``adjust`` movement (reason "snapshot sync"); with a
        ``snapshot_id`` a retried snapshot applies once (SKUs already adjusted come back as duplicates).
        ---
        put:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [warehouse, balances]
                  properties:
                    warehouse: {type: string}
                    snapshot_id: {type: string, maxLength: 60}
                    balances:
                      type: array
                      maxItems: 1000
                      items:
                        type: object
                        required: [sku, on_hand]
                        properties:
                          sku: {type: string}
                          on_hand: {type: integer, minimum: 0}
          responses:
            200:
              description: "{warehouse, adjustments: [{sku, movement_id, duplicate, before, on_hand,
                adjustment}]}"
            404: {description: The warehouse does not exist or lies outside your data scope}
            409: {description: "A count below what is reserved (errors name balances/<i>/on_hand)"}
            422: {description: "Invalid snapshot or unknown SKU (errors name balances/<i>/sku)"}
        """
        try:
            snapshot = parse_snapshot(self.body())
            results = sync_snapshot(db.session, snapshot, current_scope(), g.user.username)
            db.session.commit()
        except DomainError as error:
            return self.fail(error)
        current_app.logger.info(
            "snapshot %s of %s: %d adjustments", snapshot.snapshot_id, snapshot.warehouse, len(results)
        )
        return self.response(200, warehouse=snapshot.warehouse, adjustments=results)
