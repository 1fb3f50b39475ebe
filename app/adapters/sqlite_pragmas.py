"""SQLite settings for every connection: enforce foreign keys, WAL, wait on locks.

SQLite leaves foreign keys off by default; WAL lets readers proceed while a gunicorn
worker or the scheduler writes; ``busy_timeout`` waits instead of failing at once.
``synchronous=NORMAL`` (safe with WAL) keeps every committed transaction when a process is
killed; only an operating-system crash or power loss may lose the last commits.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _on_connect(dbapi_connection, connection_record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def install(engine: Engine) -> None:
    """Apply the pragmas to each new connection of a SQLite ``engine`` (others untouched)."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _on_connect):
        event.listen(engine, "connect", _on_connect)
