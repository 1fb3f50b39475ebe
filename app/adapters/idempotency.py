"""``Idempotency-Key`` for POSTs that create things: the first answer is stored with a digest of
the body; a retry with the same key and body gets that answer again and creates nothing; the same
key with another body is a conflict. Keys are per user and endpoint, at most 200 characters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.errors import Conflict, ValidationFailed
from app.domain.orders import request_digest
from app.models import IdempotencyKey

MAX_KEY = 200
IN_PROGRESS = 0


def _stored(session: Session, user_id: int, endpoint: str, key: str) -> IdempotencyKey | None:
    return session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id, IdempotencyKey.endpoint == endpoint, IdempotencyKey.key == key
        )
    )


def _replay(found: IdempotencyKey, digest: str) -> tuple[int, dict[str, Any]]:
    if found.digest != digest:
        raise Conflict(
            "this Idempotency-Key was used with a different request body",
            {"Idempotency-Key": "already used for another request"},
        )
    if found.status_code == IN_PROGRESS:
        raise Conflict(
            "a request with this Idempotency-Key is still being processed (or failed); check before retrying",
            {"Idempotency-Key": "in progress"},
        )
    return found.status_code, dict(found.response)


def run_once(
    session: Session,
    *,
    user_id: int,
    endpoint: str,
    key: str | None,
    body: Any,
    action: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any], bool]:
    """Run ``action`` (returns status and JSON body) once per key; returns (status, body,
    replayed). Without a key it simply runs. Successful answers and refusals (4xx) are kept."""
    if key is None:
        status, answer = action()
        return status, answer, False
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise ValidationFailed(
            "Idempotency-Key must be 1 to 200 characters", {"Idempotency-Key": "1-200 chars"}
        )
    digest = request_digest(body)
    found = _stored(session, user_id, endpoint, key)
    if found is not None:
        return (*_replay(found, digest), True)
    try:
        session.add(
            IdempotencyKey(
                user_id=user_id,
                endpoint=endpoint,
                key=key,
                digest=digest,
                status_code=IN_PROGRESS,
                response={},
            )
        )
        session.flush()
    except IntegrityError:  # the same key arrived at the same moment: answer as the first did
        session.rollback()
        found = _stored(session, user_id, endpoint, key)
        if found is None:
            raise
        return (*_replay(found, digest), True)
    status, answer = action()
    found = _stored(session, user_id, endpoint, key)
    if found is None:  # the action rolled back (a refusal): keep the refusal under the key
        found = IdempotencyKey(user_id=user_id, endpoint=endpoint, key=key, digest=digest, status_code=status)
        session.add(found)
    found.status_code, found.response = status, answer
    session.commit()
    return status, answer, False
