"""Load form schemas (``forms/<name>.schema.json``) and validate submissions with jsonschema.

The browser is never trusted: every submission (page or API) is validated here, with
the format checker on and ``additionalProperties: false`` enforced on every object, so
a posted field can never smuggle a variable into a process.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import SchemaError, ValidationError

from app.config import ROOT
from app.domain.errors import ValidationFailed
from app.formkit import messages

FORMS_DIR = Path(os.environ.get("DMS_FORMS_DIR", ROOT / "forms"))

DECISION_FORM = "decision"
DECISION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": {"zh_CN": "审批", "en": "Decision"},
    "properties": {
        "decision": {
            "type": "string",
            "title": {"zh_CN": "审批结果", "en": "Decision"},
            "oneOf": [
                {"const": "approve", "title": {"zh_CN": "同意", "en": "Approve"}},
                {"const": "reject", "title": {"zh_CN": "驳回", "en": "Reject"}},
            ],
        },
        "comment": {"type": "string", "maxLength": 2000, "title": {"zh_CN": "意见", "en": "Comment"}},
    },
    "required": ["decision"],
}
DECISION_UISCHEMA: dict[str, Any] = {"decision": {"ui:widget": "radio"}, "comment": {"ui:widget": "textarea"}}


COMPOSED = ("if", "then", "else", "allOf", "anyOf", "oneOf", "dependentSchemas")


def _closed(schema: Any, inner: bool = False) -> Any:
    """Copy of ``schema`` that refuses unknown fields on every object lacking a rule.

    Plain objects get ``additionalProperties: false``; objects composed with ``if``/``then``/
    ``allOf``… get ``unevaluatedProperties: false``, which also counts their branches' fields.
    Sub-schemas inside a composition are left open: the enclosing object closes them.
    """
    if isinstance(schema, dict):
        composed = any(k in schema for k in COMPOSED)
        schema = {k: _closed(v, inner=k in COMPOSED) for k, v in schema.items()}
        rules = ("additionalProperties", "unevaluatedProperties")
        if schema.get("type") == "object" and not inner and not any(r in schema for r in rules):
            schema["unevaluatedProperties" if composed else "additionalProperties"] = False
    elif isinstance(schema, list):
        schema = [_closed(v, inner) for v in schema]
    return schema


def raw_schema(name: str) -> dict[str, Any]:
    """A form file's schema exactly as written (for editing), without the closing rules."""
    path = form_path(name)
    if path is None:
        raise ValidationFailed(f"form {name!r} does not exist", {"form": "unknown form"})
    return json.loads(path.read_text(encoding="utf-8"))


def closed_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` as every submission is validated against (unknown fields refused)."""
    return _closed(schema)


def form_path(name: str, forms_dir: Path | None = None) -> Path | None:
    """The schema file of form ``name`` (``x`` or ``x.schema.json``), if it exists and is safe."""
    forms_dir = forms_dir or FORMS_DIR
    base = name.removesuffix(".schema.json").removesuffix(".json")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}", base):  # no paths, no overlong names
        return None
    path = forms_dir / f"{base}.schema.json"
    return path if path.is_file() else None


# Where stored forms are looked up: set by the app factory (a function of the form name
# returning (schema, uischema) or None), so the engine and pages see API-stored forms too.
_stored: list[Callable[[str], tuple[dict, dict] | None]] = []


def use_store(lookup: Callable[[str], tuple[dict, dict] | None]) -> None:
    """Install the lookup of forms stored through the form API."""
    _stored[:] = [lookup]


def _from_store(name: str) -> tuple[dict, dict] | None:
    return _stored[0](name) if _stored else None


def form_exists(name: str) -> bool:
    """True for the built-in decision form, every schema file in ``forms/`` and every stored form."""
    return name == DECISION_FORM or form_path(name) is not None or _from_store(name) is not None


def _plain_titles(schema: Any) -> Any:
    """Copy with ``{"zh_CN": …, "en": …}`` titles as text, for the metaschema check only."""
    if isinstance(schema, dict):
        return {
            k: (
                " / ".join(map(str, v.values())) if k == "title" and isinstance(v, dict) else _plain_titles(v)
            )
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_plain_titles(v) for v in schema]
    return schema


@lru_cache(maxsize=256)
def _load(path: str, mtime: float) -> dict[str, Any]:
    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(_plain_titles(schema))
    return _closed(schema)


def load_schema(name: str | None) -> dict[str, Any]:
    """The closed schema of form ``name`` (None or 'decision' → the built-in decision form).

    A version stored through the API or the designer wins over the shipped file of the same name.
    """
    if not name or name == DECISION_FORM:
        return _closed(copy.deepcopy(DECISION_SCHEMA))
    stored = _from_store(name)
    if stored is not None:
        return _closed(stored[0])
    path = form_path(name)
    if path is None:
        raise ValidationFailed(f"form {name!r} does not exist", {"form": "unknown form"})
    try:
        return _load(str(path), path.stat().st_mtime)
    except (json.JSONDecodeError, SchemaError) as error:
        raise ValidationFailed(f"form {name!r} is not a valid JSON Schema: {error}") from error


def load_uischema(name: str | None) -> dict[str, Any]:
    """The UI schema of form ``name`` (``forms/<name>.uischema.json``), or an empty one."""
    if not name or name == DECISION_FORM:
        return copy.deepcopy(DECISION_UISCHEMA)
    stored = _from_store(name)
    if stored is not None:
        return copy.deepcopy(stored[1])
    return file_uischema(name)


def file_uischema(name: str) -> dict[str, Any]:
    """The UI schema file of form ``name`` (``forms/<name>.uischema.json``), or an empty one."""
    path = form_path(name)
    if path is None:
        return {}
    ui_path = path.with_name(path.name.replace(".schema.json", ".uischema.json"))
    if not ui_path.is_file():
        return {}
    try:
        loaded = json.loads(ui_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValidationFailed(f"UI schema of form {name!r} is not valid JSON: {error}") from error
    return loaded if isinstance(loaded, dict) else {}


def _multiple_of(validator: Any, step: Any, instance: Any, schema: dict[str, Any]) -> Any:
    """``multipleOf`` in decimal arithmetic: page input is Decimal, API input float, the schema's
    step either (jsonschema's own check fails on Decimal with float, and 0.3 % 0.1 in floats)."""
    if not validator.is_type(instance, "number") or isinstance(instance, bool):
        return
    try:
        quotient = Decimal(str(instance)) / Decimal(str(step))
    except (InvalidOperation, ZeroDivisionError):
        return
    if quotient != quotient.to_integral_value():
        yield ValidationError(f"{instance!r} is not a multiple of {step}")


_Validator = validators.extend(Draft202012Validator, {"multipleOf": _multiple_of})


def _pointer(path) -> str:
    return "/".join(str(p) for p in path) or "(form)"


def validate(schema: dict[str, Any], data: Any) -> dict[str, Any]:
    """Return ``data`` if it satisfies ``schema``; else raise ValidationFailed naming each field.

    ``errors`` maps a field path (``lines/1/qty``) to an English message; ``details`` maps it to
    ``(msgid, params)`` so pages can show it in the user's language.
    """
    validator = _Validator(schema, format_checker=FormatChecker())
    details: dict[str, tuple[str, dict[str, Any]]] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        if error.validator in ("additionalProperties", "unevaluatedProperties"):
            extra = re.findall(r"'([^']*)'", error.message.split("(", 1)[-1])
            if error.validator == "additionalProperties":
                extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            for name in extra:
                details[_pointer([*error.absolute_path, name])] = (messages.UNKNOWN, {})
            continue
        if error.validator in ("required", "dependentRequired"):
            missing = re.match(r"'([^']*)'", error.message)
            if missing:
                details.setdefault(
                    _pointer([*error.absolute_path, missing.group(1)]), (messages.REQUIRED, {})
                )
                continue
        details.setdefault(_pointer(error.absolute_path), messages.describe(error))
    if details:
        errors = {path: messages.english(message) for path, message in details.items()}
        failure = ValidationFailed(
            "the form has errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
        failure.details = details
        raise failure
    return data


def pinned(snapshot: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(closed schema, UI schema) of a form as pinned in a process version."""
    return _closed(copy.deepcopy(snapshot["schema"])), copy.deepcopy(snapshot.get("uischema") or {})
