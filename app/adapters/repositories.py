"""SQLAlchemy repositories behind the service ports."""

from __future__ import annotations

from collections.abc import Sequence

from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.models import Dealer, Region, UserScope
from app.services.ports import ScopeRecord


class SqlUserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def username_taken(self, username: str) -> bool:
        return self.session.scalar(select(User.id).where(User.username == username)) is not None

    def add(
        self, username, password, roles, email, first_name, last_name, region_ids, dealer_ids, company_id
    ) -> int:
        role_rows = self.session.scalars(select(Role).where(Role.name.in_(roles))).all()
        user = User(
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            active=True,
            password=generate_password_hash(password),
            roles=list(role_rows),
        )
        self.session.add(user)
        self.session.flush()
        scope = UserScope(
            user_id=user.id,
            company_id=company_id,
            regions=list(self.session.scalars(select(Region).where(Region.id.in_(region_ids)))),
            dealers=list(self.session.scalars(select(Dealer).where(Dealer.id.in_(dealer_ids)))),
        )
        self.session.add(scope)
        self.session.flush()
        return user.id

    def scope_record(self, user_id: int) -> ScopeRecord | None:
        user = self.session.get(User, user_id)
        if user is None or not user.active:
            return None
        scope = self.session.scalar(select(UserScope).where(UserScope.user_id == user_id))
        assigned = {d.id for d in scope.dealers} if scope else set()
        # a sales rep is also assigned every dealer that names them as its sales rep
        assigned.update(self.session.scalars(select(Dealer.id).where(Dealer.sales_rep_id == user_id)))
        return ScopeRecord(
            roles=tuple(r.name for r in user.roles),
            region_paths=tuple(r.path for r in scope.regions) if scope else (),
            assigned_dealer_ids=tuple(sorted(assigned)),
            company_dealer_id=scope.company_id if scope else None,
        )


class _ByCode:
    model: type

    def __init__(self, session: Session) -> None:
        self.session = session

    def ids_by_code(self, codes: Sequence[str]) -> dict[str, int]:
        if not codes:
            return {}
        rows = self.session.execute(
            select(self.model.code, self.model.id).where(self.model.code.in_(list(codes)))
        )
        return {code: id_ for code, id_ in rows}


class SqlRegionRepository(_ByCode):
    model = Region


class SqlDealerRepository(_ByCode):
    model = Dealer
