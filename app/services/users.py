"""Create users with their role and data scope (CLI `user add`, templates, demo data)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from app.domain.errors import Conflict, ValidationFailed
from app.domain.scope import ScopeKind, check_scope_fits_roles
from app.services.ports import UnitOfWork

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
MIN_PASSWORD = 8


@dataclass(frozen=True)
class NewUser:
    """A request to create a user; ``password`` None means generate one."""

    username: str
    roles: tuple[str, ...]
    regions: tuple[str, ...] = ()
    dealers: tuple[str, ...] = ()
    password: str | None = None
    email: str = ""
    first_name: str = ""
    last_name: str = ""


@dataclass(frozen=True)
class CreatedUser:
    id: int
    username: str
    password: str | None = field(default=None, repr=False)  # set only when generated


def create_user(uow: UnitOfWork, req: NewUser) -> CreatedUser:
    """Validate and create a user with roles and scope in one transaction."""
    if not USERNAME.match(req.username or ""):
        raise ValidationFailed(
            f"invalid username {req.username!r}",
            {"username": "3-64 letters, digits or . _ @ -"},
        )
    if not req.roles:
        raise ValidationFailed("a user needs a role", {"role": "required"})
    generated = None
    password = req.password
    if password is None:
        password = generated = secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed("password too short", {"password": f"at least {MIN_PASSWORD} characters"})
    with uow:
        unknown = [r for r in req.roles if not uow.roles.exists(r)]
        if unknown:
            raise ValidationFailed(f"unknown role {unknown[0]!r}", {"role": f"unknown: {unknown[0]}"})
        kinds = {uow.roles.scope_kind(r) for r in req.roles}
        is_company = ScopeKind.COMPANY in kinds
        if is_company and len(req.dealers) != 1:
            raise ValidationFailed(
                "a dealer user belongs to exactly one dealer company", {"dealer": "give one dealer code"}
            )
        check_scope_fits_roles(
            kinds,
            regions=len(req.regions),
            assigned_dealers=0 if is_company else len(req.dealers),
            has_company=is_company,
        )
        if uow.users.username_taken(req.username):
            raise Conflict(f"user {req.username!r} already exists", {"username": "taken"})
        region_ids = uow.regions.ids_by_code(req.regions)
        missing = [c for c in req.regions if c not in region_ids]
        if missing:
            raise ValidationFailed(f"unknown region {missing[0]!r}", {"region": f"unknown: {missing[0]}"})
        dealer_ids = uow.dealers.ids_by_code(req.dealers)
        missing = [c for c in req.dealers if c not in dealer_ids]
        if missing:
            raise ValidationFailed(f"unknown dealer {missing[0]!r}", {"dealer": f"unknown: {missing[0]}"})
        user_id = uow.users.add(
            username=req.username,
            password=password,
            roles=req.roles,
            email=req.email or f"{req.username}@example.invalid",
            first_name=req.first_name or req.username,
            last_name=req.last_name or "-",
            region_ids=[region_ids[c] for c in req.regions],
            dealer_ids=[] if is_company else [dealer_ids[c] for c in req.dealers],
            company_id=dealer_ids[req.dealers[0]] if is_company else None,
        )
        uow.commit()
    return CreatedUser(id=user_id, username=req.username, password=generated)
