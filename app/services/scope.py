"""Resolve the data scope of a user (mission C22)."""

from __future__ import annotations

from app.domain.scope import NOTHING, DataScope, resolve_scope
from app.services.ports import UnitOfWork


def scope_of_user(uow: UnitOfWork, user_id: int) -> DataScope:
    """The DataScope for ``user_id`` from their roles and scope rows (nothing if unknown)."""
    record = uow.users.scope_record(user_id)
    if record is None:
        return NOTHING
    kinds = [uow.roles.scope_kind(role) for role in record.roles if uow.roles.exists(role)]
    return resolve_scope(
        kinds,
        region_paths=record.region_paths,
        assigned_dealer_ids=record.assigned_dealer_ids,
        company_dealer_id=record.company_dealer_id,
    )
