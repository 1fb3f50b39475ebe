"""The task inbox (待办, mission C3): the human tasks a caller may act on."""

from __future__ import annotations

from sqlalchemy import Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from app.adapters.scope_sql import dealer_clause
from app.domain.scope import DataScope
from app.models import Dealer, HumanTask


def _role_clause(roles: frozenset[str]):
    padded = literal(",") + HumanTask.candidate_roles + literal(",")
    return or_(*[padded.like(f"%,{role},%") for role in sorted(roles)]) if roles else literal(False)


def _scope_clause(scope: DataScope):
    if scope.unrestricted:
        return literal(True)
    unscoped = and_(HumanTask.dealer_id.is_(None), HumanTask.region_path.is_(None))
    parts = [unscoped, HumanTask.dealer_id.in_(select(Dealer.id).where(dealer_clause(scope)))]
    parts += [
        and_(HumanTask.dealer_id.is_(None), HumanTask.region_path.startswith(p)) for p in scope.region_paths
    ]
    return or_(*parts)


def inbox_query(user_id: int | None, roles: frozenset[str], scope: DataScope) -> Select:
    """Open tasks for the caller's roles inside their scope, plus tasks they claimed."""
    mine_or_open = or_(
        HumanTask.state == "open", and_(HumanTask.state == "claimed", HumanTask.claimed_by_id == user_id)
    )
    return (
        select(HumanTask)
        .where(mine_or_open, _role_clause(roles), _scope_clause(scope))
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    )


def inbox(
    session: Session,
    user_id: int | None,
    roles: frozenset[str],
    scope: DataScope,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[HumanTask]]:
    """(total count, one page) of the caller's inbox."""
    query = inbox_query(user_id, roles, scope)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    return total or 0, list(session.scalars(query.limit(limit).offset(offset)))
