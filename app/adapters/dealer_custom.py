"""Custom dealer fields: an administrator stores a form named ``dealer_custom`` in the form
designer (a JSON Schema of extra properties); its values live in ``dealer.custom``."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy.orm import Session

from app.domain.errors import ValidationFailed
from app.formkit import schemas
from app.formkit.store import latest_form

FORM = "dealer_custom"


def custom_form(session: Session) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(schema, UI schema) of the latest stored ``dealer_custom`` form, or None when there is none."""
    stored = latest_form(session, FORM)
    if stored is None:
        return None
    return copy.deepcopy(stored.schema), copy.deepcopy(stored.uischema or {})


def clean_custom(session: Session, value: Any) -> dict[str, Any] | None:
    """``value`` checked against the custom-field form (unknown fields refused); errors are
    named ``custom/<field>``. Without the form only an empty value is accepted."""
    if value in (None, {}):
        return None
    if not isinstance(value, dict):
        raise ValidationFailed("custom fields must be an object", {"custom": "an object"})
    form = custom_form(session)
    if form is None:
        raise ValidationFailed("no custom dealer fields are defined", {"custom": "no custom fields defined"})
    try:
        schemas.validate(schemas.closed_schema(form[0]), value)
    except ValidationFailed as failed:
        errors = {f"custom/{k}": v for k, v in failed.errors.items()}
        details = {f"custom/{k}": v for k, v in failed.details.items()}
        raise ValidationFailed(
            "invalid custom fields: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors, details
        ) from failed
    return value


def custom_from(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``values`` (a dealer application, say) named like a custom dealer field,
    empty ones left out; ``{}`` without a ``dealer_custom`` form."""
    form = custom_form(session)
    if form is None:
        return {}
    names = (form[0].get("properties") or {}).keys()
    return {name: values[name] for name in names if values.get(name) not in (None, "", [], {})}


def readonly_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` with every top-level property read-only (for showing values)."""
    shown = copy.deepcopy(schema)
    for prop in (shown.get("properties") or {}).values():
        if isinstance(prop, dict):
            prop["readOnly"] = True
    return shown
