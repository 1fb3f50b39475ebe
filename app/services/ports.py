"""The interfaces services need; app/adapters implements them over SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.domain.scope import ScopeKind


@dataclass(frozen=True)
class ScopeRecord:
    """What a user's roles and scope rows say, before resolution."""

    roles: tuple[str, ...]
    region_paths: tuple[str, ...]
    assigned_dealer_ids: tuple[int, ...]
    company_dealer_id: int | None


class RoleCatalog(Protocol):
    def exists(self, role: str) -> bool: ...
    def scope_kind(self, role: str) -> ScopeKind: ...


class UserRepository(Protocol):
    def username_taken(self, username: str) -> bool: ...
    def add(
        self,
        username: str,
        password: str,
        roles: Sequence[str],
        email: str,
        first_name: str,
        last_name: str,
        region_ids: Sequence[int],
        dealer_ids: Sequence[int],
        company_id: int | None,
    ) -> int: ...
    def scope_record(self, user_id: int) -> ScopeRecord | None: ...


class RegionRepository(Protocol):
    def ids_by_code(self, codes: Sequence[str]) -> dict[str, int]: ...


class DealerRepository(Protocol):
    def ids_by_code(self, codes: Sequence[str]) -> dict[str, int]: ...


class UnitOfWork(Protocol):
    """One transaction: commit once at the end; leaving the block without commit rolls back."""

    roles: RoleCatalog
    users: UserRepository
    regions: RegionRepository
    dealers: DealerRepository

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
