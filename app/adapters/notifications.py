"""Write notifications: to one user, or to every holder of a role within a dealer's or
region's data scope. ``dedupe_key`` makes an alert about one fact appear once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Notification


def notify(
    session: Session,
    *,
    kind: str,
    title: str,
    body: str | None = None,
    link: str | None = None,
    user_id: int | None = None,
    role: str | None = None,
    dealer_id: int | None = None,
    region_path: str | None = None,
    dedupe_key: str | None = None,
) -> Notification | None:
    """Add a notification (no commit); None when one with ``dedupe_key`` already exists."""
    if user_id is None and role is None:
        raise ValueError("a notification needs a user or a role")
    if dedupe_key is not None:
        found = session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key))
        if found is not None:
            return None
    note = Notification(
        kind=kind,
        title=title[:200],
        body=body,
        link=link,
        user_id=user_id,
        role=role,
        dealer_id=dealer_id,
        region_path=region_path,
        dedupe_key=dedupe_key,
    )
    session.add(note)
    return note
