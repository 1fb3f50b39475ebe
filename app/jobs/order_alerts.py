"""Order alerts (docs/orders.md "Webhooks, e-mail and alerts"): orders not reviewed in time,
approvals past due, orders not shipped by the promised date, orders short of stock."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask

log = logging.getLogger(__name__)


def order_alerts(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Notify the roles concerned about every current order alert (runs inside an app context)."""
    from app.adapters.clock import business_day
    from app.adapters.order_alerts import run_order_alerts
    from app.extensions import db
    from app.models.base import utcnow
    from app.services.actor import Actor, acting_as

    now = now or utcnow()
    with acting_as(Actor(None, "scheduler")):
        added = run_order_alerts(
            db.session,
            now,
            business_day(now),
            app.config["DMS_ORDER_REVIEW_HOURS"],
        )
    if any(added.values()):
        log.info("order alerts: %s", added)
    return added
