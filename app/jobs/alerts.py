"""Alert jobs: qualifications expiring soon or expired (docs/dealers.md)."""

from __future__ import annotations

import logging
from datetime import date

from flask import Flask

from app.adapters.clock import business_today

log = logging.getLogger(__name__)


def qualification_alerts(app: Flask, today: date | None = None):
    """Notify about expiring/expired qualifications; suspend when configured (app context)."""
    from app.adapters.qualification_alerts import run_qualification_alerts
    from app.extensions import db
    from app.services.actor import Actor, acting_as

    with acting_as(Actor(None, "scheduler")):
        result = run_qualification_alerts(
            db.session,
            today or business_today(),
            app.config["DMS_QUALIFICATION_WARN_DAYS"],
            app.config["DMS_SUSPEND_ON_EXPIRED"],
        )
    if result.notifications or result.suspended:
        log.info("qualification alerts: %s", result)
    return result
