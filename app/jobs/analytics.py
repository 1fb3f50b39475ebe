"""Sales analytics job: book the orders whose timeline moved since the watermark (docs/analytics.md)."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from flask import Flask

log = logging.getLogger(__name__)


def analytics_update(app: Flask):
    """Bring the analytics store up to date with the order timeline, in one transaction."""
    from app.adapters.analytics_store import update_store
    from app.extensions import db

    try:
        result = update_store(db.session, ZoneInfo(app.config["DMS_TIMEZONE"]))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if result.orders:
        log.info("analytics: %s event(s), %s order(s) booked", result.events, result.orders)
    return result


def analytics_rebuild(app: Flask) -> int:
    """Empty the analytics store and book every sold order line again, in one transaction."""
    from app.adapters.analytics_store import rebuild_store
    from app.extensions import db

    try:
        written = rebuild_store(db.session, ZoneInfo(app.config["DMS_TIMEZONE"]))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.info("analytics: rebuilt, %s line(s) booked", written)
    return written
