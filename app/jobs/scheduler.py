"""The one active scheduler (mission C25).

``run_scheduler`` loops: try to take the database lock; while holding it, run an
APScheduler ``BackgroundScheduler`` with every registered job and renew the lock; if
the lock is lost, stop the jobs and go back to standby. Tests call jobs directly.
"""

from __future__ import annotations

import logging
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from app.adapters.scheduler_lock import lock_for
from app.jobs.alerts import qualification_alerts
from app.jobs.analytics import analytics_update
from app.jobs.engine import drain_outbox, fire_timers
from app.jobs.forecast import forecast_factors, forecast_run
from app.jobs.maintenance import sqlite_checkpoint
from app.jobs.notifications import deliver_webhooks, mail_notifications
from app.jobs.order_alerts import order_alerts
from app.jobs.replenishment import replenishment

log = logging.getLogger(__name__)

# (job id, function taking the app, trigger kwargs or a function of the app returning them).
JOBS: list[tuple[str, object, object]] = [
    (
        "engine.fire_timers",
        fire_timers,
        lambda app: {"trigger": "interval", "seconds": app.config["DMS_TIMER_INTERVAL"]},
    ),
    (
        "engine.outbox",
        drain_outbox,
        lambda app: {"trigger": "interval", "seconds": app.config["DMS_TIMER_INTERVAL"]},
    ),
    ("alerts.qualifications", qualification_alerts, {"trigger": "cron", "hour": 17}),  # 01:00 Beijing
    ("inventory.replenishment", replenishment, {"trigger": "cron", "hour": 18}),  # 02:00 Beijing
    (
        "webhooks.deliver",
        deliver_webhooks,
        lambda app: {"trigger": "interval", "seconds": app.config["DMS_TIMER_INTERVAL"]},
    ),
    (
        "mail.notifications",
        mail_notifications,
        lambda app: {"trigger": "interval", "seconds": app.config["DMS_TIMER_INTERVAL"]},
    ),
    ("orders.alerts", order_alerts, {"trigger": "interval", "hours": 1}),
    ("analytics.update", analytics_update, {"trigger": "interval", "seconds": 60}),  # docs/analytics.md
    (
        "sqlite.checkpoint",  # the WAL into the database file, off the request path (SQLite only)
        sqlite_checkpoint,
        lambda app: {"trigger": "interval", "seconds": app.config["DMS_TIMER_INTERVAL"]},
    ),
    ("forecast.run", forecast_run, {"trigger": "cron", "day": "last", "hour": 19}),  # the 1st, 03:00 Beijing
    ("forecast.factors", forecast_factors, {"trigger": "cron", "hour": 17, "minute": 50}),  # 01:50 Beijing
]


def build_scheduler(app: Flask) -> BackgroundScheduler:
    """A scheduler with every job in JOBS, each wrapped in an app context."""
    scheduler = BackgroundScheduler(timezone="UTC")
    for job_id, func, trigger in JOBS:

        def run(func=func):
            with app.app_context():
                func(app)

        options = trigger(app) if callable(trigger) else trigger
        scheduler.add_job(run, id=job_id, coalesce=True, max_instances=1, **options)
    return scheduler


def run_scheduler(app: Flask, holder: str, stop: threading.Event | None = None) -> None:
    """Lead or stand by until ``stop`` is set (or SIGTERM/SIGINT arrives)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    with app.app_context():
        from app.extensions import db

        engine = db.engine
    ttl = app.config["DMS_SCHEDULER_LOCK_TTL"]
    lock = lock_for(engine, ttl_seconds=ttl)
    if hasattr(lock, "holder"):
        lock.holder = holder
    scheduler = None
    standby_logged = False
    interval = max(1.0, ttl / 3)
    try:
        while not stop.is_set():
            leading = lock.heartbeat() if scheduler else lock.acquire()
            if leading and scheduler is None:
                log.info("scheduler %s: active", holder)
                scheduler = build_scheduler(app)
                scheduler.start()
            elif not leading and scheduler is not None:
                log.warning("scheduler %s: lost the lock, standing by", holder)
                scheduler.shutdown(wait=False)
                scheduler = None
            elif not leading and not standby_logged:
                log.info("scheduler %s: standby, another scheduler is active", holder)
            standby_logged = not leading
            stop.wait(interval)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        lock.release()
