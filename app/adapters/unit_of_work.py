"""Unit of work over one SQLAlchemy session: commit once, roll back on anything else."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.adapters.repositories import SqlDealerRepository, SqlRegionRepository, SqlUserRepository
from app.adapters.roles_file import RoleDefinition, YamlRoleCatalog


class SqlUnitOfWork:
    def __init__(self, session: Session, roles: dict[str, RoleDefinition]) -> None:
        self.session = session
        self.roles = YamlRoleCatalog(roles)
        self.users = SqlUserRepository(session)
        self.regions = SqlRegionRepository(session)
        self.dealers = SqlDealerRepository(session)

    def __enter__(self) -> SqlUnitOfWork:
        return self

    def __exit__(self, *exc: object) -> None:
        self.rollback()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
