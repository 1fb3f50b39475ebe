"""Write notifications: to one user, or to every holder of a role within a dealer's or
region's data scope. ``dedupe_key`` makes an alert about one fact appear once. A role
notification has one read mark, shared by the holders of the role who see it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from app.adapters.scope_sql import dealer_clause
from app.domain.scope import DataScope
from app.models import Dealer, Notification
from app.models.base import utcnow


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


def visible_clause(user_id: int, roles: Iterable[str], scope: DataScope) -> ColumnElement[bool]:
    """Notifications a user may see: their own, and those to a role they hold whose dealer or
    region lies in their data scope (a role notification without either reaches every holder)."""
    roles = sorted(set(roles))
    own = Notification.user_id == user_id
    if not roles:
        return own
    if scope.unrestricted:
        in_scope: ColumnElement[bool] = true()
    else:
        by_dealer = Notification.dealer_id.in_(select(Dealer.id).where(dealer_clause(scope)))
        by_region = and_(
            Notification.dealer_id.is_(None),
            or_(false(), *[Notification.region_path.startswith(p) for p in scope.region_paths]),
        )
        unscoped = and_(Notification.dealer_id.is_(None), Notification.region_path.is_(None))
        in_scope = or_(by_dealer, by_region, unscoped)
    return or_(own, and_(Notification.user_id.is_(None), Notification.role.in_(roles), in_scope))


def notifications_for(
    session: Session, user_id: int, roles: Iterable[str], scope: DataScope, limit: int = 100
) -> list[Notification]:
    """The newest notifications the user may see."""
    query = select(Notification).where(visible_clause(user_id, roles, scope))
    return list(session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def unread_count(session: Session, user_id: int, roles: Iterable[str], scope: DataScope) -> int:
    clause = and_(visible_clause(user_id, roles, scope), Notification.read_at.is_(None))
    return session.scalar(select(func.count(Notification.id)).where(clause)) or 0


def mark_read(session: Session, user_id: int, roles: Iterable[str], scope: DataScope, ids=None) -> int:
    """Mark the given (or all) visible unread notifications read (no commit); how many."""
    clause = and_(visible_clause(user_id, roles, scope), Notification.read_at.is_(None))
    if ids is not None:
        clause = and_(clause, Notification.id.in_(list(ids)))
    rows = list(session.scalars(select(Notification).where(clause)))
    for note in rows:
        note.read_at = utcnow()
    return len(rows)
