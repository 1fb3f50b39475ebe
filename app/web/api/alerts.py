"""``/api/v1/alert/orders``: the current order alerts in the caller's data scope, with counts per
kind (orders not reviewed in time, approvals past due, not shipped by the promised date, short of
stock). Permission class ``Order`` (``read``)."""

from __future__ import annotations

from flask import current_app, request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import lazy_gettext as _l

from app.adapters import order_alerts
from app.adapters.clock import business_day
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.models.base import utcnow
from app.web.api.base import JsonApi, status_for
from app.web.caller import caller
from app.web.permissions import READ

ALERT_TITLES = {
    "review_overdue": _l("Orders waiting for review too long"),
    "approval_overdue": _l("Order approvals overdue"),
    "promise_overdue": _l("Orders past their promised date"),
    "stock_short": _l("Orders short of stock"),
}


def _when() -> tuple:
    now = utcnow()
    today = business_day(now)
    return now, today, current_app.config["DMS_ORDER_REVIEW_HOURS"]


def alert_counts(scope) -> dict[str, int]:
    """Alerts per kind within ``scope`` right now (also for the home page)."""
    return order_alerts.count_alerts(db.session, *_when(), scope)


class AlertApi(JsonApi):
    resource_name = "alert"
    class_permission_name = "Order"
    method_permission_name = {"orders": READ}
    openapi_spec_tag = "Orders"

    @expose("/orders", methods=["GET"])
    @protect()
    @safe
    def orders(self):
        """Current order alerts in your data scope, oldest first, and how many of each kind.
        ---
        get:
          parameters:
          - {in: query, name: kind, schema: {type: string,
              enum: [review_overdue, approval_overdue, promise_overdue, stock_short]}}
          responses:
            200: {description: "{counts: {review_overdue, approval_overdue, promise_overdue, stock_short},
              total, review_hours, result: [{kind, order: {id, number, status}, dealer: {id, code, name},
              since, roles, task?, stock?}]}"}
            422: {description: An unknown kind}
        """
        try:
            kind = request.args.get("kind") or None
            if kind is not None and kind not in order_alerts.KINDS:
                raise ValidationFailed(
                    f"kind must be one of {', '.join(order_alerts.KINDS)}", {"kind": "unknown kind"}
                )
        except DomainError as error:
            return self.response(status_for(error), message=error.message, errors=error.errors)
        scope = caller().scope
        now, today, hours = _when()
        counts = order_alerts.count_alerts(db.session, now, today, hours, scope)
        kinds = (kind,) if kind else order_alerts.KINDS
        found = order_alerts.find_alerts(db.session, now, today, hours, scope, kinds)
        return self.response(
            200,
            counts=counts,
            total=sum(counts.values()),
            review_hours=hours,
            result=[a.as_json() for a in found],
        )
