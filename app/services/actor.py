"""Who is acting: set by the web layer per request and by the CLI, read by the audit log."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """A person or process that changes data."""

    id: int | None
    name: str
    ip: str | None = None


SYSTEM = Actor(None, "system")

_actor: ContextVar[Actor | None] = ContextVar("dms_actor", default=None)
_resolver: list[Callable[[], Actor | None]] = []


def set_resolver(resolver: Callable[[], Actor | None]) -> None:
    """Install the fallback that finds the actor (the web layer: the logged-in user)."""
    _resolver[:] = [resolver]


def current_actor() -> Actor:
    """The explicit actor if one is set, else the resolver's, else SYSTEM."""
    actor = _actor.get()
    if actor is not None:
        return actor
    for resolve in _resolver:
        found = resolve()
        if found is not None:
            return found
    return SYSTEM


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Run a block as ``actor`` (CLI commands, jobs, tests)."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)
