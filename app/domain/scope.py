"""Data scope (mission C22): which dealers and regions a user may see.

executive/admin = everything; regional manager = own region(s) and their sub-regions;
sales rep = the dealers assigned to them; dealer user = their own company.
A user with several roles gets the union. Resolved once per request and used by
views, APIs, services, exports and analytics alike (through app/adapters/scope_sql.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from app.domain.errors import ValidationFailed
from app.domain.regions import is_within


class ScopeKind(StrEnum):
    """How a role limits the rows a user sees; declared per role in roles.yaml."""

    ALL = "all"
    REGION = "region"
    ASSIGNED = "assigned"
    COMPANY = "company"
    NONE = "none"


@dataclass(frozen=True)
class DataScope:
    """The rows a user may see: everything, or dealers by region path or by id."""

    unrestricted: bool = False
    region_paths: frozenset[str] = field(default_factory=frozenset)
    dealer_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_empty(self) -> bool:
        """True when the user may see no business data at all."""
        return not (self.unrestricted or self.region_paths or self.dealer_ids)

    def allows_dealer(self, dealer_id: int | None, region_path: str | None) -> bool:
        """May the user see a dealer with this id located in this region?"""
        if self.unrestricted:
            return True
        if dealer_id is not None and dealer_id in self.dealer_ids:
            return True
        return region_path is not None and is_within(region_path, self.region_paths)

    def allows_region(self, region_path: str | None) -> bool:
        """May the user see (or place things in) the region with this path?"""
        if self.unrestricted:
            return True
        return region_path is not None and is_within(region_path, self.region_paths)


UNRESTRICTED = DataScope(unrestricted=True)
NOTHING = DataScope()


def resolve_scope(
    kinds: Iterable[ScopeKind],
    region_paths: Iterable[str] = (),
    assigned_dealer_ids: Iterable[int] = (),
    company_dealer_id: int | None = None,
) -> DataScope:
    """Combine the scope kinds of a user's roles with the user's own scope data."""
    kinds = set(kinds)
    if ScopeKind.ALL in kinds:
        return UNRESTRICTED
    paths: frozenset[str] = frozenset(region_paths) if ScopeKind.REGION in kinds else frozenset()
    dealers: set[int] = set()
    if ScopeKind.ASSIGNED in kinds:
        dealers.update(assigned_dealer_ids)
    if ScopeKind.COMPANY in kinds and company_dealer_id is not None:
        dealers.add(company_dealer_id)
    return DataScope(region_paths=paths, dealer_ids=frozenset(dealers))


def check_scope_fits_roles(
    kinds: set[ScopeKind], regions: int, assigned_dealers: int, has_company: bool
) -> None:
    """Refuse scope data a user's roles cannot use, or lack of data a role needs."""
    if ScopeKind.REGION in kinds and not regions:
        raise ValidationFailed("a regional role needs at least one region", {"region": "required"})
    if ScopeKind.COMPANY in kinds and not has_company:
        raise ValidationFailed("a dealer user needs their dealer company", {"company": "required"})
    if regions and ScopeKind.REGION not in kinds:
        raise ValidationFailed("only regional roles take regions", {"region": "not used by these roles"})
    if assigned_dealers and ScopeKind.ASSIGNED not in kinds:
        raise ValidationFailed("only sales reps are assigned dealers", {"dealer": "not used by these roles"})
    if has_company and ScopeKind.COMPANY not in kinds:
        raise ValidationFailed(
            "only dealer users belong to a dealer company", {"company": "not used by these roles"}
        )
