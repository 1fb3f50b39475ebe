"""Audit log writer (mission C23).

A session ``after_flush`` hook writes one row per insert/update/delete of every audited
model (our ``Audited`` models plus FAB's User and Role) in the same transaction as the
change: who (services.actor), when, what, before/after as JSON. Changes to audit rows
themselves are refused here and, below us, by database triggers (see the migration).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy import event, insert, inspect
from sqlalchemy import types as sa_types
from sqlalchemy.orm import Session

from app.models import AuditLog
from app.models.base import Audited, utcnow
from app.services.actor import current_actor

# FAB's own models: columns that are secrets or change on every login.
_FAB_EXCLUDE = {
    User: (
        "password",
        "last_login",
        "login_count",
        "fail_login_count",
        "changed_on",
        "changed_by_fk",
        "created_on",
        "created_by_fk",
    ),
    Role: (),
}


class AuditLogIsAppendOnly(Exception):
    """Raised when code tries to update or delete an audit row."""


def _audited(obj: object) -> bool:
    return isinstance(obj, Audited) or type(obj) in _FAB_EXCLUDE


def _excluded(obj: object) -> tuple[str, ...]:
    return _FAB_EXCLUDE.get(type(obj), getattr(obj, "__audit_exclude__", ()))


def _json(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _label(item: object) -> Any:
    return getattr(item, "code", None) or getattr(item, "name", None) or str(item)


def _snapshot(obj: object, state_attr: str) -> dict[str, Any]:
    """Column values and many-to-many labels; ``state_attr`` 'new' or 'old' for history."""
    state = inspect(obj)
    skip = _excluded(obj)
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in skip:
            continue
        if state_attr == "old":  # the history is only needed for the value before
            hist = state.attrs[attr.key].history
            if hist.deleted:
                out[attr.key] = _json(hist.deleted[0])
                continue
        out[attr.key] = _json(getattr(obj, attr.key))
    for rel in state.mapper.relationships:
        if rel.secondary is None or rel.key in skip:
            continue
        hist = state.attrs[rel.key].history
        changed = hist.deleted if state_attr == "old" else hist.added
        items = [*hist.unchanged, *changed]
        out[rel.key] = sorted(str(_label(i)) for i in items)
    return out


def _changes(obj: object) -> tuple[dict, dict]:
    """The values before and after of what changed: only the attributes set since the object was
    loaded or last flushed are looked at (the others cannot differ)."""
    state = inspect(obj)
    skip = _excluded(obj)
    columns, relationships = state.mapper.column_attrs, state.mapper.relationships
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in list(state.committed_state):
        if key in skip:
            continue
        if key in columns:
            hist = state.attrs[key].history
            after[key] = _json(getattr(obj, key))
            before[key] = _json(hist.deleted[0]) if hist.deleted else after[key]
        elif key in relationships and relationships[key].secondary is not None:
            hist = state.attrs[key].history
            before[key] = sorted(str(_label(i)) for i in (*hist.unchanged, *hist.deleted))
            after[key] = sorted(str(_label(i)) for i in (*hist.unchanged, *hist.added))
    changed = {k for k in after if before.get(k) != after.get(k)}
    return {k: before.get(k) for k in changed}, {k: after[k] for k in changed}


_KEY_ATTRS: dict[type, tuple[str, ...]] = {}


def _entity(obj: object) -> tuple[str, str]:
    """Class name and primary key (the key attributes' names are looked up once per class)."""
    cls = type(obj)
    keys = _KEY_ATTRS.get(cls)
    if keys is None:
        mapper = inspect(cls)
        keys = _KEY_ATTRS[cls] = tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)
    return cls.__name__, ",".join(str(getattr(obj, k)) for k in keys)


def _row(action: str, entity: str, entity_id: str, before, after) -> dict[str, Any]:
    actor = current_actor()
    return {
        "at": utcnow(),
        "actor_id": actor.id,
        "actor": actor.name,
        "ip": actor.ip,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "before": before,
        "after": after,
    }


def _before_flush(session: Session, flush_context, instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditLog) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("the audit log is append-only")
    # Remember deletes now: after the flush their identity is gone.
    pending: list[dict[str, Any]] = []
    session.info["audit_deleted"] = pending
    for obj in session.deleted:
        if _audited(obj):
            entity, entity_id = _entity(obj)
            pending.append(_row("delete", entity, entity_id, _snapshot(obj, "old"), None))


def _after_flush(session: Session, flush_context) -> None:
    rows = session.info.pop("audit_deleted", [])
    for obj in session.new:
        if _audited(obj):
            entity, entity_id = _entity(obj)
            rows.append(_row("create", entity, entity_id, None, _snapshot(obj, "new")))
    for obj in session.dirty:
        if _audited(obj) and obj not in session.deleted and session.is_modified(obj):
            before, after = _changes(obj)
            if after:
                entity, entity_id = _entity(obj)
                rows.append(_row("update", entity, entity_id, before, after))
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)


_PLAIN_TYPES = (sa_types.Integer, sa_types.String, sa_types.Boolean)
_insert_columns: dict[type, tuple[list[str], list[str], str]] = {}


def _columns_of(model: type) -> tuple[list[str], list[str], str]:
    """(plain keys copied as they are, keys whose values ``_json`` converts, primary key)."""
    found = _insert_columns.get(model)
    if found is None:
        table = model.__table__  # type: ignore[attr-defined]
        skip = set(getattr(model, "__audit_exclude__", ()))
        attrs = [c for c in inspect(model).column_attrs if c.key not in skip]
        plain = [a.key for a in attrs if isinstance(a.columns[0].type, _PLAIN_TYPES)]
        other = [a.key for a in attrs if a.key not in plain]
        (key,) = (c.name for c in table.primary_key)
        found = _insert_columns[model] = (plain, other, key)
    return found


def record_inserts(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    """Audit rows for records of ``model`` inserted with Core, outside the unit of work (which
    writes them for every flushed object): ``rows`` are their columns' values, with the key."""
    if not rows:
        return
    plain, other, key = _columns_of(model)
    base = _row("create", model.__name__, "", None, None)  # who and when: once for the batch
    audit_rows = []
    for row in rows:
        after = {k: row.get(k) for k in plain}
        for k in other:
            after[k] = _json(row.get(k))
        audit_rows.append({**base, "entity_id": str(row[key]), "after": after})
    session.connection().execute(insert(AuditLog.__table__), audit_rows)


def record_event(
    session: Session,
    action: str,
    entity: str | None = None,
    entity_id: str | None = None,
    detail: dict | None = None,
) -> None:
    """Write a non-data event (login ok/failed, logout) in the current transaction."""
    session.connection().execute(insert(AuditLog.__table__), [_row(action, entity, entity_id, None, detail)])


def install(session_class: type[Session] = Session) -> None:
    """Attach the audit hooks to every session of ``session_class`` (idempotent)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "before_flush", _before_flush)
        event.listen(session_class, "after_flush", _after_flush)
