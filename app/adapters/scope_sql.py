"""Turn a DataScope into SQL: the one place row scope becomes a WHERE clause.

Used by the FAB base filter (views and APIs), services, exports and analytics.
A model is scoped through the first of: being Dealer or Warehouse, a ``warehouse_id``
column, a ``dealer_id`` column, a ``region_id`` column. Clauses use ``IN (SELECT …)``
so they compose with any query.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from app.domain.scope import DataScope
from app.models import Dealer, Region, Warehouse


def _region_ids(scope: DataScope):
    return select(Region.id).where(or_(*[Region.path.startswith(p) for p in scope.region_paths]))


def dealer_clause(scope: DataScope) -> ColumnElement[bool]:
    """WHERE clause on Dealer for the dealers in scope."""
    if scope.unrestricted:
        return true()
    parts = []
    if scope.dealer_ids:
        parts.append(Dealer.id.in_(sorted(scope.dealer_ids)))
    if scope.region_paths:
        parts.append(Dealer.region_id.in_(_region_ids(scope)))
    return or_(*parts) if parts else false()


def scope_clause(model: type, scope: DataScope) -> ColumnElement[bool]:
    """WHERE clause limiting ``model`` rows to ``scope``."""
    if scope.unrestricted:
        return true()
    if model is Dealer:
        return dealer_clause(scope)
    if model is Warehouse:  # a dealer's warehouse by its dealer, the others by their region
        by_region = Warehouse.region_id.in_(_region_ids(scope)) if scope.region_paths else false()
        return or_(
            Warehouse.dealer_id.in_(select(Dealer.id).where(dealer_clause(scope))),
            and_(Warehouse.dealer_id.is_(None), by_region),
        )
    if hasattr(model, "warehouse_id"):  # stock rows, rules, suggestions: by their warehouse
        return model.warehouse_id.in_(select(Warehouse.id).where(scope_clause(Warehouse, scope)))
    if hasattr(model, "dealer_id"):
        return model.dealer_id.in_(select(Dealer.id).where(dealer_clause(scope)))
    if model is Region:
        return _region_in_scope(scope)
    if hasattr(model, "region_id"):
        if not scope.region_paths:
            return false()
        return model.region_id.in_(_region_ids(scope))
    raise TypeError(f"{model.__name__} has no data-scope rule")


def _region_in_scope(scope: DataScope) -> ColumnElement[bool]:
    if not scope.region_paths:
        return false()
    return or_(*[Region.path.startswith(p) for p in scope.region_paths])
