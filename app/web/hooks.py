"""Create/update hooks shared by a model's page and its API (same rules in both)."""

from __future__ import annotations

import functools

from flask import current_app
from sqlalchemy import inspect, select

from app.adapters.dealer_custom import clean_custom
from app.adapters.region_tree import apply_region_path
from app.domain.dealers import DealerFields, check_qualification, check_transition, clean_dealer
from app.domain.errors import Conflict, DomainError, ValidationFailed
from app.domain.regions import validate_code, validate_region
from app.domain.scope import check_scope_fits_roles
from app.extensions import db
from app.models import Dealer
from app.web.scope import check_related_in_scope
from app.web.uploads import visible


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


def check_uscc_free(item) -> None:
    """Refuse a USCC another dealer already has (409 naming the field)."""
    if not item.uscc:
        return
    with db.session.no_autoflush:
        taken = db.session.scalar(
            select(Dealer.id).where(Dealer.uscc == item.uscc, Dealer.id != (item.id or -1))
        )
    if taken is not None:
        raise Conflict(f"USCC {item.uscc!r} is already used", {"uscc": "already used"})


def _text(value):
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def clean_dealer_item(item) -> None:
    """Normalise and check every own field of ``item`` (domain rules), in place."""
    values = clean_dealer(
        DealerFields(
            code=item.code,
            name=item.name,
            status=item.status,
            uscc=item.uscc,
            credit_limit=item.credit_limit,
            payment_terms_days=item.payment_terms_days,
            staff_count=item.staff_count,
            warehouse_area=item.warehouse_area,
            revenue_band=item.revenue_band,
        )
    )
    for key, value in values.items():
        setattr(item, key, value)
    for key in ("invoice_title", "invoice_address", "invoice_phone", "bank_name", "bank_account"):
        setattr(item, key, _text(getattr(item, key)))
    item.custom = clean_custom(db.session, item.custom)


def check_parent(item) -> None:
    """The parent dealer must be in scope and must not be the dealer itself or one of its children."""
    check_related_in_scope(item.parent, "parent")
    seen, parent = set(), item.parent
    while parent is not None:
        if parent is item or (item.id is not None and parent.id == item.id) or parent.id in seen:
            raise ValidationFailed("a dealer cannot be its own parent", {"parent": "would form a loop"})
        seen.add(parent.id)
        parent = parent.parent


def check_sales_rep(item) -> None:
    if item.sales_rep is not None and not item.sales_rep.active:
        raise ValidationFailed("the sales rep is not an active user", {"sales_rep": "not an active user"})


class DealerHooks:
    """Shared by the dealer page and API: domain field rules, unique code/USCC, lifecycle moves,
    region and parent inside the editor's scope, custom fields checked against ``dealer_custom``."""

    @refusing
    def pre_add(self, item):
        with db.session.no_autoflush:
            clean_dealer_item(item)
            if item.region is None:
                raise ValidationFailed("a dealer needs a region", {"region": "required"})
            check_code_free(item)
            check_uscc_free(item)
            check_related_in_scope(item.region, "region")
            check_parent(item)
            check_sales_rep(item)

    @refusing
    def pre_update(self, item):
        with db.session.no_autoflush:
            hist = inspect(item).attrs.status.history
            old_status = hist.deleted[0] if hist.deleted else None
            clean_dealer_item(item)
            check_transition(old_status, item.status)
            check_code_free(item)
            check_uscc_free(item)
            check_related_in_scope(item.region, "region")
            check_parent(item)
            check_sales_rep(item)

    @refusing
    def pre_delete(self, item):
        check_related_in_scope(item.region, "region")


class DealerPartHooks:
    """Contacts, addresses, authorisations, qualifications: their dealer must be in scope."""

    def _check(self, item):
        if item.dealer is None:
            raise ValidationFailed("the dealer is required", {"dealer": "required"})
        with db.session.no_autoflush:
            check_related_in_scope(item.dealer, "dealer")

    @refusing
    def pre_add(self, item):
        self._check(item)

    @refusing
    def pre_update(self, item):
        self._check(item)


class QualificationHooks(DealerPartHooks):
    """A qualification's scan must be a stored file the caller may see; it joins the dealer's scope."""

    def _check(self, item):
        super()._check(item)
        check_qualification(item.kind, item.number, item.valid_from, item.valid_to)
        if item.file_token:
            with db.session.no_autoflush:
                stored = visible(item.file_token)
            if stored is None:
                raise ValidationFailed("no such file in your data scope", {"file_token": "unknown file"})
            if stored.dealer_id is None and stored.region_path is None:
                stored.dealer_id = item.dealer.id


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
