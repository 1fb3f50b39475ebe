"""Who a notification is e-mailed to: its user, or every active holder of its role who sees it
(the same rule as the bell: a role notification about a dealer or region reaches the holders
whose data scope covers it, ``notifications.visible_clause``) — each with a usable e-mail address.

Addresses in the reserved ``.invalid`` domain are placeholders (users created without an
address get ``<name>@example.invalid``) and are never mailed.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from app.adapters.roles_file import RoleDefinition
from app.adapters.unit_of_work import SqlUnitOfWork
from app.domain.scope import DataScope, ScopeKind
from app.models import Dealer, Notification, Region, UserScope
from app.models.user_scope import user_scope_dealer, user_scope_region
from app.services.scope import scope_of_user


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    name: str
    locale: str | None


def usable(email: str | None) -> bool:
    """A real-looking address (not empty, not a reserved ``.invalid`` placeholder)."""
    if not email or "@" not in email:
        return False
    return not email.strip().lower().rstrip(".").endswith(".invalid")


def _prefixes(path: str) -> list[str]:
    """``/EAST/SH/`` → ``/EAST/``, ``/EAST/SH/``: the paths of a region and its ancestors."""
    codes = [c for c in path.split("/") if c]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


class RecipientFinder:
    """Finds recipients; caches each user's data scope for one run."""

    def __init__(self, session: Session, roles: dict[str, RoleDefinition]) -> None:
        self.session = session
        self.uow = SqlUnitOfWork(session, roles)
        self.everything_roles = sorted(n for n, d in roles.items() if d.scope == ScopeKind.ALL)
        self._scopes: dict[int, DataScope] = {}

    def scope(self, user_id: int) -> DataScope:
        if user_id not in self._scopes:
            self._scopes[user_id] = scope_of_user(self.uow, user_id)
        return self._scopes[user_id]

    def _rows(self, *where: ColumnElement[bool]) -> list[Recipient]:
        rows = self.session.execute(
            select(User.id, User.email, User.first_name, User.last_name, User.username, UserScope.locale)
            .outerjoin(UserScope, UserScope.user_id == User.id)
            .where(User.active.is_(True), *where)
            .order_by(User.id)
        ).all()
        found = []
        for user_id, email, first, last, username, locale in rows:
            if usable(email):
                name = (
                    " ".join(p.strip() for p in (first, last) if p and p.strip() not in ("", "-")) or username
                )
                found.append(Recipient(user_id, email.strip(), name, locale))
        return found

    def _candidates(self, note: Notification, dealer_path: str | None) -> list[Recipient]:
        """Holders of the role who might see the note: a superset, checked exactly afterwards."""
        holds_role = User.roles.any(Role.name == note.role)
        if note.dealer_id is None and note.region_path is None:
            return self._rows(holds_role)
        path = dealer_path if note.dealer_id is not None else note.region_path
        regions = select(UserScope.user_id).where(
            UserScope.id.in_(
                select(user_scope_region.c.user_scope_id)
                .join(Region, Region.id == user_scope_region.c.region_id)
                .where(Region.path.in_(_prefixes(path or "")))
            )
        )
        reach = [User.roles.any(Role.name.in_(self.everything_roles)), User.id.in_(regions)]
        if note.dealer_id is not None:
            reach += [
                User.id.in_(select(UserScope.user_id).where(UserScope.company_id == note.dealer_id)),
                User.id.in_(
                    select(UserScope.user_id).where(
                        UserScope.id.in_(
                            select(user_scope_dealer.c.user_scope_id).where(
                                user_scope_dealer.c.dealer_id == note.dealer_id
                            )
                        )
                    )
                ),
                User.id.in_(select(Dealer.sales_rep_id).where(Dealer.id == note.dealer_id)),
            ]
        return self._rows(holds_role, or_(*reach))

    def recipients(self, note: Notification) -> list[Recipient]:
        """Everyone the notification is e-mailed to."""
        if note.user_id is not None:
            return self._rows(User.id == note.user_id)
        if not note.role:
            return []
        dealer_path = None
        if note.dealer_id is not None:
            dealer_path = self.session.scalar(
                select(Region.path)
                .join(Dealer, Dealer.region_id == Region.id)
                .where(Dealer.id == note.dealer_id)
            )
        found = []
        for candidate in self._candidates(note, dealer_path):
            scope = self.scope(candidate.user_id)
            if note.dealer_id is not None:
                sees = scope.allows_dealer(note.dealer_id, dealer_path)
            elif note.region_path is not None:
                sees = scope.allows_region(note.region_path)
            else:
                sees = True
            if sees:
                found.append(candidate)
        return found
