"""Jobs that carry business events and notifications out of the system after the commit:
webhook deliveries (``webhooks.deliver``) and e-mail of notifications (``mail.notifications``)."""

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


def mail_notifications(app: Flask):
    """E-mail new notifications to their recipients; nothing when SMTP is not configured."""
    from app.adapters.mailer import send_pending, settings_from
    from app.extensions import db

    settings = settings_from(app.config)
    if settings is None:
        return None
    result = send_pending(
        db.session,
        settings,
        app.extensions["dms_roles"],
        app.config["BABEL_DEFAULT_LOCALE"],
        app.config.get("DMS_PUBLIC_URL") or None,
    )
    if result.notifications or result.error:
        log.info("mail: %s", result)
    return result
