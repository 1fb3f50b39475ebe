"""Engine jobs: fire due BPMN timers (SLA escalations, reminders, waits)."""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def fire_timers(app: Flask) -> int:
    """Advance every instance whose timer is due (runs inside an app context)."""
    from app.engine.waits import fire_due_timers
    from app.extensions import db
    from app.services.actor import Actor, acting_as

    with acting_as(Actor(None, "scheduler")):
        fired = fire_due_timers(db.session)
    if fired:
        log.info("fired timers of %d process instance(s)", fired)
    return fired


def drain_outbox(app: Flask) -> int:
    """Run outbox entries that failed or were left behind (a message that came too early …)."""
    from app.engine.outbox import drain
    from app.extensions import db
    from app.services.actor import Actor, acting_as

    with acting_as(Actor(None, "scheduler")):
        done = drain(db.session)
    if done:
        log.info("ran %d outbox entr(ies)", done)
    return done
