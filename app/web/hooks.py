"""Create/update hooks shared by a model's page and its API (same rules in both)."""

from __future__ import annotations

from sqlalchemy import inspect

from app.adapters.region_tree import apply_region_path
from app.domain.dealers import validate_dealer
from app.extensions import db
from app.web.scope import check_related_in_scope


class RegionHooks:
    def pre_add(self, item):
        apply_region_path(db.session, item, None)

    def pre_update(self, item):
        hist = inspect(item).attrs.path.history
        old_path = hist.deleted[0] if hist.deleted else item.path
        apply_region_path(db.session, item, old_path)


class DealerHooks:
    """A dealer's region must be valid and inside the editor's scope."""

    def pre_add(self, item):
        validate_dealer(item.code, item.name, item.status or "active")
        check_related_in_scope(item.region, "region")

    def pre_update(self, item):
        validate_dealer(item.code, item.name, item.status)
        check_related_in_scope(item.region, "region")

    def pre_delete(self, item):
        check_related_in_scope(item.region, "region")
