"""One active scheduler: a second waits on standby and takes over when the first dies."""

import threading
import time
from datetime import timedelta

from sqlalchemy import text, update

from app.adapters.scheduler_lock import PostgresAdvisoryLock, SqliteRowLock, lock_for
from app.extensions import db
from app.jobs import scheduler as scheduler_module
from app.models import SchedulerLock
from app.models.base import utcnow


def _locks(app):
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        return engine, PostgresAdvisoryLock(engine), PostgresAdvisoryLock(engine)
    return (
        engine,
        SqliteRowLock(engine, ttl_seconds=30, holder="a"),
        SqliteRowLock(engine, ttl_seconds=30, holder="b"),
    )


def _die(engine, lock):
    """Simulate the holder dying without releasing: its connection/heartbeat goes away."""
    if isinstance(lock, PostgresAdvisoryLock):
        pid = lock._conn.execute(text("SELECT pg_backend_pid()")).scalar()
        lock._conn.invalidate()
        lock._conn = None
        # The server ends the dead session (and frees its locks) a moment after the socket closes.
        deadline = time.time() + 10
        with engine.connect() as conn:
            while time.time() < deadline:
                gone = not conn.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
                ).scalar()
                conn.commit()
                if gone:
                    break
                time.sleep(0.05)
    else:
        with engine.begin() as conn:
            conn.execute(update(SchedulerLock).values(heartbeat_at=utcnow() - timedelta(minutes=5)))


def test_second_scheduler_stands_by_then_takes_over(app):
    engine, first, second = _locks(app)
    try:
        assert first.acquire()
        assert not second.acquire()
        assert first.heartbeat()
        assert not second.acquire()
        _die(engine, first)
        assert second.acquire()
        assert not first.acquire()
    finally:
        second.release()
        first.release()


def test_release_lets_the_standby_in_at_once(app):
    engine, first, second = _locks(app)
    try:
        assert first.acquire()
        first.release()
        assert second.acquire()
    finally:
        second.release()


def test_lock_for_picks_the_database_kind(app):
    with app.app_context():
        lock = lock_for(db.engine)
        expected = PostgresAdvisoryLock if db.engine.dialect.name == "postgresql" else SqliteRowLock
    assert isinstance(lock, expected)


def test_run_scheduler_runs_jobs_only_while_leading(app, monkeypatch):
    runs = []
    monkeypatch.setattr(
        scheduler_module,
        "JOBS",
        [("probe", lambda a: runs.append(time.time()), {"trigger": "interval", "seconds": 0.2})],
    )
    app.config["DMS_SCHEDULER_LOCK_TTL"] = 3
    stop = threading.Event()
    thread = threading.Thread(target=scheduler_module.run_scheduler, args=(app, "test-holder", stop))
    thread.start()
    try:
        deadline = time.time() + 10
        while len(runs) < 2 and time.time() < deadline:
            time.sleep(0.1)
        assert len(runs) >= 2
        _, other, _ = _locks(app)
        assert not other.acquire()  # the running scheduler holds the lock
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    _, after, _ = _locks(app)
    assert after.acquire()  # released on stop
    after.release()
