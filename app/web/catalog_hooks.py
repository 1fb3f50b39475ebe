"""Create/update hooks of the catalogue and warehouse pages and APIs (same rules in both).

Codes are normalised like dealer codes; category and warehouse paths follow their parents
(descendants are rewritten on a move or rename); a warehouse's region and dealer must lie
inside the editor's data scope and fit its kind (see ``app.domain.catalog``).
"""

from __future__ import annotations

from sqlalchemy import inspect

from app.adapters.tree_path import apply_tree_path
from app.domain.catalog import (
    ProductFields,
    check_warehouse_shape,
    clean_code,
    clean_name,
    clean_product,
)
from app.domain.errors import ValidationFailed
from app.extensions import db
from app.web.hooks import check_code_free, refusing
from app.web.scope import check_related_in_scope


def _old_path(item) -> str | None:
    if item.id is None:
        return None
    hist = inspect(item).attrs.path.history
    return hist.deleted[0] if hist.deleted else item.path


def _clean_node(item, name_limit: int = 100) -> None:
    errors: dict[str, str] = {}
    for key, check in (
        ("code", lambda: clean_code(item.code)),
        ("name", lambda: clean_name(item.name, "name", name_limit)),
        (
            "name_en",
            lambda: clean_name(getattr(item, "name_en", None), "name_en", name_limit, required=False),
        ),
    ):
        if not hasattr(item, key):
            continue
        try:
            setattr(item, key, check())
        except ValidationFailed as failed:
            errors.update(failed.errors)
    if errors:
        raise ValidationFailed("invalid record: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors)


class ProductLineHooks:
    @refusing
    def _check(self, item):
        with db.session.no_autoflush:
            _clean_node(item)
            check_code_free(item)

    pre_add = pre_update = _check


class CategoryHooks:
    """Categories form a tree: ``path`` follows the parent; a move rewrites the subtree."""

    @refusing
    def _check(self, item):
        with db.session.no_autoflush:
            old_path = _old_path(item)
            _clean_node(item)
            if item.slow_moving_days is not None and not 1 <= item.slow_moving_days <= 3650:
                raise ValidationFailed("invalid slow-moving days", {"slow_moving_days": "between 1 and 3650"})
            check_code_free(item)
            apply_tree_path(db.session, item, old_path)

    pre_add = pre_update = _check


class ProductHooks:
    @refusing
    def _check(self, item):
        with db.session.no_autoflush:
            values = clean_product(
                ProductFields(
                    code=item.code,
                    name=item.name,
                    name_en=item.name_en,
                    brand=item.brand,
                    unit=item.unit,
                    pack_size=item.pack_size,
                    shelf_life_days=item.shelf_life_days,
                    status=item.status,
                    standard_cost=item.standard_cost,
                )
            )
            for key, value in values.items():
                setattr(item, key, value)
            check_code_free(item)

    pre_add = pre_update = _check


class WarehouseHooks:
    """Warehouses: a tree (HQ → regional → dealer); region and dealer inside the editor's scope;
    a dealer warehouse takes its dealer's region when none is given."""

    @refusing
    def _check(self, item):
        with db.session.no_autoflush:
            old_path = _old_path(item)
            _clean_node(item, 200)
            item.kind = (item.kind or "").strip().lower()
            if item.region is None and item.dealer is not None:
                item.region = item.dealer.region
            check_related_in_scope(item.region, "region")
            check_related_in_scope(item.dealer, "dealer")
            check_warehouse_shape(
                item.kind,
                item.parent.kind if item.parent is not None else None,
                item.dealer is not None,
                item.region.path if item.region is not None else None,
                item.dealer.region.path if item.dealer is not None else None,
            )
            check_code_free(item)
            apply_tree_path(db.session, item, old_path)
            if item.allow_negative is None:
                item.allow_negative = False
            if item.active is None:
                item.active = True

    pre_add = pre_update = _check

    @refusing
    def pre_delete(self, item):
        check_related_in_scope(item.region, "region")
