"""Forms stored through the form API: validated, versioned by content, latest wins."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.errors import ValidationFailed
from app.formkit import schemas
from app.formkit.schemas import _plain_titles
from app.models import FormVersion

NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
MAX_BYTES = 256 * 1024


def check_form(name: Any, schema: Any, uischema: Any) -> None:
    """Refuse a bad name, a schema that is not JSON Schema 2020-12, or a UI schema that is no object."""
    if not isinstance(name, str) or not NAME.match(name):
        raise ValidationFailed("invalid form name", {"name": "2-64 lowercase letters, digits or '_'"})
    if not isinstance(schema, dict) or schema.get("type") != "object":
        raise ValidationFailed(
            "the schema must be a JSON object of type 'object'", {"schema": "type: object"}
        )
    if not isinstance(uischema, dict):
        raise ValidationFailed("the UI schema must be a JSON object", {"uischema": "an object"})
    if len(json.dumps([schema, uischema])) > MAX_BYTES:
        raise ValidationFailed("the form is too large", {"schema": "at most 256 KiB"})
    try:
        Draft202012Validator.check_schema(_plain_titles(schema))
    except SchemaError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise ValidationFailed(
            f"not a valid JSON Schema at {where}: {error.message}", {"schema": error.message}
        ) from error


def save_form(
    session: Session, name: Any, schema: Any, uischema: Any, actor: str
) -> tuple[FormVersion, bool]:
    """Store a new version unless identical content is the latest; returns (version, created). No commit."""
    check_form(name, schema, uischema)
    digest = hashlib.sha256(json.dumps([schema, uischema], sort_keys=True).encode()).hexdigest()
    existing = session.scalar(
        select(FormVersion).where(FormVersion.name == name, FormVersion.content_hash == digest)
    )
    if existing is not None:
        return existing, False
    latest = session.scalar(select(func.max(FormVersion.version)).where(FormVersion.name == name)) or 0
    version = FormVersion(
        name=name, version=latest + 1, content_hash=digest, schema=schema, uischema=uischema, created_by=actor
    )
    session.add(version)
    session.flush()
    return version, True


def latest_form(session: Session, name: str) -> FormVersion | None:
    """The newest stored version of form ``name``."""
    base = name.removesuffix(".schema.json").removesuffix(".json")
    return session.scalar(
        select(FormVersion).where(FormVersion.name == base).order_by(FormVersion.version.desc()).limit(1)
    )


def form_snapshot(session: Session, name: str) -> dict[str, Any] | None:
    """What form ``name`` is right now, to pin into a process version at deploy:
    ``{"source": "stored"|"file", "version", "hash", "schema", "uischema"}``; None for the
    built-in decision form (it never changes) or an unknown form."""
    base = name.removesuffix(".schema.json").removesuffix(".json")
    if not base or base == schemas.DECISION_FORM:
        return None
    stored = latest_form(session, base)
    if stored is not None:
        return {
            "source": "stored",
            "version": stored.version,
            "hash": stored.content_hash,
            "schema": stored.schema,
            "uischema": stored.uischema,
        }
    if schemas.form_path(base) is None:
        return None
    schema, uischema = schemas.raw_schema(base), schemas.file_uischema(base)
    digest = hashlib.sha256(json.dumps([schema, uischema], sort_keys=True).encode()).hexdigest()
    return {"source": "file", "version": None, "hash": digest, "schema": schema, "uischema": uischema}
