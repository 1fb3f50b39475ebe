"""The engine's view of the logged-in user (session or JWT)."""

from __future__ import annotations

from flask import g

from app.engine.runtime import Caller
from app.web.scope import current_scope


def caller() -> Caller:
    """The acting user of this request, with role names and data scope."""
    user = g.user
    return Caller(user.id, user.username, frozenset(r.name for r in user.roles), current_scope())
