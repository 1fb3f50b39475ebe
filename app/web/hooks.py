"""Create/update hooks shared by a model's page and its API (same rules in both)."""

from __future__ import annotations

import functools

from flask import current_app
from sqlalchemy import inspect, select

from app.adapters.region_tree import apply_region_path
from app.domain.dealers import validate_dealer
from app.domain.errors import Conflict, DomainError, ValidationFailed
from app.domain.regions import validate_code, validate_region
from app.domain.scope import check_scope_fits_roles
from app.extensions import db
from app.web.scope import check_related_in_scope


def refusing(hook):
    """Roll the session back before a refusal propagates, so a half-applied form is never saved."""

    @functools.wraps(hook)
    def wrapper(self, item):
        try:
            return hook(self, item)
        except DomainError:
            db.session.rollback()
            raise

    return wrapper


def check_code_free(item) -> None:
    """Refuse a code another record of the same kind already has (409 naming the field)."""
    model = type(item)
    with db.session.no_autoflush:
        taken = db.session.scalar(
            select(model.id).where(model.code == item.code, model.id != (item.id or -1))
        )
    if taken is not None:
        raise Conflict(f"code {item.code!r} is already used", {"code": "already used"})


class RegionHooks:
    @refusing
    def pre_add(self, item):
        validate_code(item.code)
        validate_region(item.name)
        check_code_free(item)
        with db.session.no_autoflush:
            apply_region_path(db.session, item, None)

    @refusing
    def pre_update(self, item):
        validate_code(item.code)
        validate_region(item.name)
        check_code_free(item)
        hist = inspect(item).attrs.path.history
        old_path = hist.deleted[0] if hist.deleted else item.path
        with db.session.no_autoflush:
            apply_region_path(db.session, item, old_path)


class DealerHooks:
    """A dealer's region must be valid and inside the editor's scope."""

    @refusing
    def pre_add(self, item):
        item.status = item.status or "active"
        validate_dealer(item.code, item.name, item.status)
        if item.region is None:
            raise ValidationFailed("a dealer needs a region", {"region": "required"})
        check_code_free(item)
        with db.session.no_autoflush:
            check_related_in_scope(item.region, "region")

    @refusing
    def pre_update(self, item):
        validate_dealer(item.code, item.name, item.status)
        check_code_free(item)
        with db.session.no_autoflush:
            check_related_in_scope(item.region, "region")

    @refusing
    def pre_delete(self, item):
        check_related_in_scope(item.region, "region")


class UserScopeHooks:
    """A scope row must fit the user's roles (same rule as `user add`)."""

    @refusing
    def _check(self, item):
        roles = current_app.extensions["dms_roles"]
        kinds = {roles[r.name].scope for r in (item.user.roles if item.user else []) if r.name in roles}
        check_scope_fits_roles(
            kinds,
            regions=len(item.regions),
            assigned_dealers=len(item.dealers),
            has_company=item.company is not None,
        )

    pre_add = pre_update = _check
