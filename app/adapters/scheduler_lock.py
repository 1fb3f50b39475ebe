"""Leader election for the scheduler: exactly one active process per database.

PostgreSQL: a session-level advisory lock held on a dedicated connection; it is released
by the server when the holder dies. SQLite: a lock row with a heartbeat; a standby takes
over when the heartbeat is older than the time-to-live.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from sqlalchemy import delete, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from app.models import SchedulerLock
from app.models.base import utcnow

ADVISORY_KEY = 0x0D350001  # arbitrary, fixed: "DMS scheduler"


def holder_name() -> str:
    """host:pid of this process, stored with the lock for people to read."""
    return f"{socket.gethostname()}:{os.getpid()}"


class SqliteRowLock:
    """Lock row with heartbeat; ``acquire`` and ``heartbeat`` return whether we hold it."""

    def __init__(
        self, engine: Engine, name: str = "scheduler", ttl_seconds: int = 30, holder: str | None = None
    ) -> None:
        self.engine, self.name, self.ttl = engine, name, timedelta(seconds=ttl_seconds)
        self.holder = holder or holder_name()

    def acquire(self) -> bool:
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            taken = session.execute(
                update(SchedulerLock)
                .where(SchedulerLock.name == self.name)
                .where((SchedulerLock.holder == self.holder) | (SchedulerLock.heartbeat_at < now - self.ttl))
                .values(holder=self.holder, heartbeat_at=now)
            ).rowcount
            if taken:
                return True
            if session.get(SchedulerLock, self.name) is not None:
                return False
            try:
                with session.begin_nested():
                    session.add(SchedulerLock(name=self.name, holder=self.holder, heartbeat_at=now))
            except IntegrityError:
                return False
            return True

    heartbeat = acquire

    def release(self) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                delete(SchedulerLock).where(
                    SchedulerLock.name == self.name, SchedulerLock.holder == self.holder
                )
            )


class PostgresAdvisoryLock:
    """Session-level ``pg_try_advisory_lock`` on a connection kept open while we lead."""

    def __init__(self, engine: Engine, key: int = ADVISORY_KEY) -> None:
        self.engine, self.key = engine, key
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        if self._conn is not None:
            return self.heartbeat()
        conn = self.engine.connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar()
        conn.commit()
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def heartbeat(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1")).scalar()
            self._conn.commit()
            return True
        except DBAPIError:  # the connection died: so did the lock
            self._conn = None
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None


def lock_for(engine: Engine, ttl_seconds: int = 30):
    """The right lock for this database."""
    if engine.dialect.name == "postgresql":
        return PostgresAdvisoryLock(engine)
    return SqliteRowLock(engine, ttl_seconds=ttl_seconds)
