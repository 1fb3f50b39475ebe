"""``/api/v1/inventory/``: stock figures with drill-down, alerts, replenishment suggestions and
their decisions; ``/api/v1/stock_rule/``: the stock rules (CRUD and Excel). All scoped.

Permissions: ``Inventory`` ``read`` for figures and alerts; ``Replenishment`` ``read`` to list
suggestions and rules, ``write`` to decide on suggestions and edit rules.
"""

from __future__ import annotations

from datetime import date

from flask import current_app, request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.adapters.clock import business_today
from app.adapters.replenishment import decide
from app.adapters.stock_alerts import ALERT_KINDS, alerts
from app.adapters.stock_figures import figures, parse_query
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models import StockRule
from app.web.api.base import DmsModelApi, JsonApi, pk_in_range, status_for
from app.web.api.excel_api import ExcelApiMixin
from app.web.caller import caller
from app.web.inventory_data import suggestion_page
from app.web.permissions import READ, WRITE
from app.web.scope import current_scope
from app.web.stock_rule_hooks import RULE_COLUMNS, StockRuleHooks


def slow_days() -> int:
    return int(current_app.config["DMS_SLOW_MOVING_DAYS"])


class InventoryApi(JsonApi):
    resource_name = "inventory"
    class_permission_name = "Inventory"
    method_permission_name = {"get_figures": READ, "get_alerts": READ}
    openapi_spec_tag = "Inventory"

    @expose("/figures", methods=["GET"])
    @protect()
    @safe
    def get_figures(self):
        """Stock figures of one drill-down level inside your data scope.
        ---
        get:
          parameters:
          - {in: query, name: level, schema: {type: string, enum: [network, region, warehouse, sku, batch]}}
          - {in: query, name: region, schema: {type: string}, description: a region code (its subtree)}
          - {in: query, name: warehouse, schema: {type: string}, description: a warehouse code}
          - {in: query, name: sku, schema: {type: string}, description: a product code}
          - {in: query, name: as_of, schema: {type: string, format: date}, description: age at this date}
          - {in: query, name: from, schema: {type: string, format: date}, description: turnover period start}
          - {in: query, name: to, schema: {type: string, format: date}, description: turnover period end}
          responses:
            200:
              description: "{level, totals, rows: [{code, name, on_hand, reserved, available, in_transit,
                age {0_30, 31_90, 91_180, over_180}, age_share, over_90_share, slow_on_hand, slow_rate,
                outbound, avg_inventory, turnover_rate, days_of_inventory, drill}]}"
            404: {description: An unknown code, or a warehouse outside your data scope}
            422: {description: A bad level or date}
        """
        try:
            query = parse_query(request.args, slow_days())
            return self.response(200, **figures(db.session, current_scope(), query))
        except DomainError as error:
            return self.fail(error)

    @expose("/alerts", methods=["GET"])
    @protect()
    @safe
    def get_alerts(self):
        """Below safety stock, slow-moving stock and batches expiring soon, inside your data scope.
        ---
        get:
          parameters:
          - {in: query, name: kind, schema: {type: string, enum: [below_safety, slow_moving, expiring]}}
          - {in: query, name: as_of, schema: {type: string, format: date}}
          responses:
            200: {description: "{count, result: [{kind, warehouse, sku, ...figures}]}"}
            422: {description: A bad kind or date}
        """
        try:
            as_of, kinds = alert_args(request.args)
        except DomainError as error:
            return self.fail(error)
        warn = int(current_app.config["DMS_EXPIRY_WARN_DAYS"])
        found = alerts(db.session, current_scope(), as_of, slow_days(), warn, kinds)
        return self.response(200, count=len(found), result=found)


def alert_args(args) -> tuple[date, tuple[str, ...]]:
    """(as_of, kinds) from request arguments; ValidationFailed naming the bad one."""
    kind = (args.get("kind") or "").strip()
    if kind and kind not in ALERT_KINDS:
        raise ValidationFailed("invalid alert kind", {"kind": f"one of {', '.join(ALERT_KINDS)}"})
    try:
        as_of = date.fromisoformat(args["as_of"]) if args.get("as_of") else business_today()
        if not date(1990, 1, 1) <= as_of <= date(2200, 12, 31):
            raise ValueError(as_of)
    except ValueError:
        raise ValidationFailed("invalid date", {"as_of": "a date like 2026-01-31"}) from None
    return as_of, (kind,) if kind else ALERT_KINDS


class ReplenishmentApi(JsonApi):
    resource_name = "replenishment"
    class_permission_name = "Replenishment"
    method_permission_name = {"list_suggestions": READ, "decide_suggestion": WRITE}
    openapi_spec_tag = "Inventory"

    @expose("/suggestions", methods=["GET"])
    @protect()
    @safe
    def list_suggestions(self):
        """Replenishment suggestions of the warehouses in your data scope, newest first.
        ---
        get:
          parameters:
          - {in: query, name: status, schema: {type: string, enum: [open, accepted, rejected, all]}}
          - {in: query, name: page, schema: {type: integer, minimum: 0}}
          responses:
            200:
              description: "{count, result: [{id, kind, warehouse, source, sku, qty, suggested_qty,
                reason, figures, status, decided_by, decided_at, created_at}]}"
        """
        page = request.args.get("page", "0")
        page = int(page) if page.isdigit() and int(page) < 10**6 else 0
        count, rows = suggestion_page(db.session, current_scope(), request.args.get("status") or "open", page)
        return self.response(200, count=count, result=rows)

    @expose("/suggestions/<int:suggestion_id>/<string:action>", methods=["POST"])
    @protect()
    @safe
    def decide_suggestion(self, suggestion_id: int, action: str):
        """Accept (a transfer is booked out of the source warehouse now), edit the quantity, or reject.
        ---
        post:
          parameters:
          - {in: path, name: suggestion_id, required: true, schema: {type: integer}}
          - {in: path, name: action, required: true, schema: {type: string, enum: [accept, edit, reject]}}
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {qty: {type: integer, minimum: 1}}}
          responses:
            200: {description: The suggestion after the decision}
            404: {description: No such suggestion in your data scope}
            409: {description: Already decided, or not enough stock at the source}
            422: {description: A bad quantity or action}
        """
        if not pk_in_range(suggestion_id):
            return self.response_404()
        body = request.get_json(silent=True) or {}
        if not isinstance(body, dict):
            return self.response(
                422, message="the body must be a JSON object", errors={"body": "a JSON object"}
            )
        try:
            who = caller()
            found = decide(db.session, who.scope, suggestion_id, action, who.name, body.get("qty"))
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            return self.response(status_for(error), message=error.message, errors=error.errors)
        return self.response(200, id=found.id, status=found.status, qty=found.qty, reference=found.reference)


class StockRuleApi(ExcelApiMixin, StockRuleHooks, DmsModelApi):
    """``/api/v1/stock_rule/``: warehouse and source warehouse and product by id."""

    resource_name = "stock_rule"
    datamodel = SQLAInterface(StockRule)
    class_permission_name = "Replenishment"
    excel_kind = "stock_rule"
    openapi_spec_tag = "Inventory"
    list_columns = ["id", "warehouse.code", "product.code", *RULE_COLUMNS, "source_warehouse_id",
                    "last_reviewed_at"]  # fmt: skip
    show_columns = list_columns
    add_columns = edit_columns = ["warehouse", "product", *RULE_COLUMNS, "source_warehouse"]
    search_columns = ["warehouse", "product"]
    order_columns = ["id", *RULE_COLUMNS]
    list_title = _l("Stock rules")
