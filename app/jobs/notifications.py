"""Jobs that carry business events and notifications out of the system after the commit:
webhook deliveries (``webhooks.deliver``)."""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def deliver_webhooks(app: Flask):
    """POST due webhook deliveries (runs inside an app context)."""
    from app.adapters.webhook_delivery import deliver_due
    from app.extensions import db

    result = deliver_due(db.session, allow_private=bool(app.config["DMS_WEBHOOK_ALLOW_PRIVATE"]))
    if result.delivered or result.retried or result.failed:
        log.info("webhooks: %s", result)
    return result

