"""Work to do once a transaction has committed: deliver a BPMN message, or run a registered
handler (e.g. start a review flow for a change just made inside another flow's step).

A service task cannot start another flow or deliver a message itself: it runs inside its own
instance's step, and those use cases commit. It queues the work instead, in the same
transaction; ``drain`` runs it right after the use case commits (``runtime.use_case`` does this)
and the scheduler's engine job retries what failed (e.g. a message that arrived before its
receiver waits), up to ``MAX_ATTEMPTS``.

    queue_message(session, "price_exception_decided", "SO2026112700001", {"checks": {...}})
    register("price_review.start", start_review_handler)   # handler(session, payload), commits
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.base import utcnow
from app.models.outbox import OutboxEntry

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
PENDING = "outbox_pending"
DRAINING = "outbox_draining"
MESSAGE = "message"

Handler = Callable[[Session, dict[str, Any]], Any]
_handlers: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    """Install the handler of ``kind``: called with a session and the payload; it commits."""
    _handlers[kind] = handler


def queue(session: Session, kind: str, payload: dict[str, Any]) -> None:
    """Queue ``kind`` with ``payload`` in the current transaction (nothing runs before commit)."""
    if kind != MESSAGE and kind not in _handlers:
        raise ValueError(f"no outbox handler for {kind!r}")
    session.add(OutboxEntry(kind=kind, payload=payload))
    session.info[PENDING] = True


def queue_message(session: Session, name: str, business_key: str, payload: dict[str, Any]) -> None:
    """Deliver message ``name`` to the instances with ``business_key`` once this commits."""
    queue(session, MESSAGE, {"name": name, "business_key": business_key, "payload": payload})


def _run(session: Session, entry: OutboxEntry) -> None:
    if entry.kind == MESSAGE:
        from app.engine.waits import deliver_message  # waits imports runtime, which imports us

        payload = entry.payload
        deliver_message(session, payload["name"], payload["business_key"], payload.get("payload") or {})
        return
    handler = _handlers.get(entry.kind)
    if handler is None:
        raise LookupError(f"no outbox handler for {entry.kind!r}")
    handler(session, dict(entry.payload))


def drain(session: Session, limit: int = 200) -> int:
    """Run pending entries in order; each success is marked done, each failure counted with its
    error (rolled back, retried by the next drain). Returns how many succeeded."""
    if session.info.get(DRAINING):
        return 0  # the outer drain picks up what nested use cases queue
    session.info[DRAINING] = True
    done = 0
    try:
        seen: set[int] = set()
        while True:
            session.info.pop(PENDING, None)
            ids = session.scalars(
                select(OutboxEntry.id)
                .where(OutboxEntry.done_at.is_(None), OutboxEntry.attempts < MAX_ATTEMPTS)
                .order_by(OutboxEntry.id)
                .limit(limit)
            ).all()
            ids = [i for i in ids if i not in seen]
            if not ids:
                return done
            for entry_id in ids:
                seen.add(entry_id)
                done += _run_one(session, entry_id)
    finally:
        session.info.pop(DRAINING, None)


def _run_one(session: Session, entry_id: int) -> int:
    entry = session.get(OutboxEntry, entry_id)
    if entry is None or entry.done_at is not None:
        return 0
    try:
        _run(session, entry)
    except Exception as error:  # noqa: BLE001 - any failure is recorded and retried later
        session.rollback()
        entry = session.get(OutboxEntry, entry_id)
        entry.attempts += 1
        entry.error = f"{type(error).__name__}: {error}"[:2000]
        session.commit()
        log.warning("outbox entry %s (%s) failed: %s", entry_id, entry.kind, entry.error)
        return 0
    entry = session.get(OutboxEntry, entry_id)
    entry.attempts += 1
    entry.done_at, entry.error = utcnow(), None
    session.commit()
    return 1


def pending(session: Session) -> list[OutboxEntry]:
    """Entries not done yet (including those that gave up), oldest first."""
    return list(
        session.scalars(select(OutboxEntry).where(OutboxEntry.done_at.is_(None)).order_by(OutboxEntry.id))
    )
