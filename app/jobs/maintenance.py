"""Database upkeep: on SQLite, copy the WAL into the database file off the request path
(``app/adapters/sqlite_pragmas.py``); nothing to do on PostgreSQL."""

from __future__ import annotations

import logging

from flask import Flask

log = logging.getLogger(__name__)


def sqlite_checkpoint(app: Flask) -> tuple[int, int, int] | None:
    """A PASSIVE checkpoint: ``(busy, pages in the WAL, pages copied)``, None on PostgreSQL."""
    from app.adapters.sqlite_pragmas import checkpoint
    from app.extensions import db

    result = checkpoint(db.engine)
    if result is not None and result[1] > result[2]:
        busy, pages, copied = result
        log.debug("sqlite checkpoint: %s of %s WAL pages copied (readers hold the rest)", copied, pages)
    return result
