"""Replenishment job: evaluate the due stock rules set-based and write suggestions."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask

log = logging.getLogger(__name__)


def replenishment(app: Flask, now: datetime | None = None):
    """Evaluate every due stock rule in one pass and commit the suggestions (app context)."""
    from app.adapters.replenishment import evaluate
    from app.extensions import db
    from app.services.actor import Actor, acting_as

    with acting_as(Actor(None, "scheduler")):
        try:
            result = evaluate(db.session, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
    log.info("replenishment: %s rules reviewed, %s suggestions", result.reviewed, result.suggested)
    return result
