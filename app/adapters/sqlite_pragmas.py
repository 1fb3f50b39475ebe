"""SQLite settings for every connection: enforce foreign keys, WAL, wait on locks, and who
copies the WAL back into the database file.

SQLite leaves foreign keys off by default; WAL lets readers proceed while a gunicorn
worker or the scheduler writes; ``busy_timeout`` waits instead of failing at once.
``synchronous=NORMAL`` (safe with WAL) keeps every committed transaction when a process is
killed; only an operating-system crash or power loss may lose the last commits.

Checkpoints: by default SQLite makes the commit that takes the WAL past 1,000 pages copy it
into the database file and sync it (7–12 ms here), so a request or a job pays it every few
orders. The scheduler's job ``sqlite.checkpoint`` does it instead (``checkpoint``, every
``DMS_TIMER_INTERVAL`` seconds, PASSIVE: it never waits for a reader or writer), and the commits
only do it past ``DMS_SQLITE_AUTOCHECKPOINT`` pages (default 10,000, about 40 MiB), the safety
net when no scheduler runs.
"""

from __future__ import annotations

import weakref
from functools import partial

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

AUTOCHECKPOINT = 10_000  # pages
_INSTALLED: weakref.WeakSet[Engine] = weakref.WeakSet()


def _on_connect(dbapi_connection, connection_record, autocheckpoint: int = AUTOCHECKPOINT) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA wal_autocheckpoint={int(autocheckpoint)}")
    cursor.close()


def install(engine: Engine, autocheckpoint: int = AUTOCHECKPOINT) -> None:
    """Apply the pragmas to each new connection of a SQLite ``engine`` (others untouched)."""
    if engine.dialect.name == "sqlite" and engine not in _INSTALLED:
        event.listen(engine, "connect", partial(_on_connect, autocheckpoint=autocheckpoint))
        _INSTALLED.add(engine)


def checkpoint(engine: Engine) -> tuple[int, int, int] | None:
    """Copy what the WAL holds into the database file without waiting for anyone (PASSIVE):
    ``(busy, pages in the WAL, pages copied)``; None when ``engine`` is not SQLite."""
    if engine.dialect.name != "sqlite":
        return None
    with engine.connect() as conn:
        busy, log, copied = conn.execute(text("PRAGMA wal_checkpoint(PASSIVE)")).one()
        conn.commit()
    return int(busy), int(log), int(copied)
