"""Load form schemas (``forms/<name>.schema.json``) and validate submissions with jsonschema.

The browser is never trusted: every submission (page or API) is validated here, with
the format checker on and ``additionalProperties: false`` enforced on every object, so
a posted field can never smuggle a variable into a process.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from app.config import ROOT
from app.domain.errors import ValidationFailed

FORMS_DIR = ROOT / "forms"

DECISION_FORM = "decision"
DECISION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Decision",
    "properties": {
        "decision": {"type": "string", "enum": ["approve", "reject"]},
        "comment": {"type": "string", "maxLength": 2000},
    },
    "required": ["decision"],
}


def _closed(schema: Any) -> Any:
    """Copy of ``schema`` with ``additionalProperties: false`` on every object lacking a rule."""
    if isinstance(schema, dict):
        schema = {k: _closed(v) for k, v in schema.items()}
        if schema.get("type") == "object" and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
    elif isinstance(schema, list):
        schema = [_closed(v) for v in schema]
    return schema


def form_path(name: str, forms_dir: Path | None = None) -> Path | None:
    """The schema file of form ``name`` (``x`` or ``x.schema.json``), if it exists and is safe."""
    forms_dir = forms_dir or FORMS_DIR
    base = name.removesuffix(".schema.json").removesuffix(".json")
    if not base or "/" in base or "\\" in base or base.startswith("."):
        return None
    path = forms_dir / f"{base}.schema.json"
    return path if path.is_file() else None


def form_exists(name: str) -> bool:
    """True for the built-in decision form and every schema file in ``forms/``."""
    return name == DECISION_FORM or form_path(name) is not None


@lru_cache(maxsize=256)
def _load(path: str, mtime: float) -> dict[str, Any]:
    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return _closed(schema)


def load_schema(name: str | None) -> dict[str, Any]:
    """The closed schema of form ``name`` (None or 'decision' → the built-in decision form)."""
    if not name or name == DECISION_FORM:
        return _closed(copy.deepcopy(DECISION_SCHEMA))
    path = form_path(name)
    if path is None:
        raise ValidationFailed(f"form {name!r} does not exist", {"form": "unknown form"})
    try:
        return _load(str(path), path.stat().st_mtime)
    except (json.JSONDecodeError, SchemaError) as error:
        raise ValidationFailed(f"form {name!r} is not a valid JSON Schema: {error}") from error


def _pointer(path) -> str:
    return "/".join(str(p) for p in path) or "(form)"


def validate(schema: dict[str, Any], data: Any) -> dict[str, Any]:
    """Return ``data`` if it satisfies ``schema``; else raise ValidationFailed naming each field."""
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    errors: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            for name in extra:
                errors[_pointer([*error.absolute_path, name])] = "unknown field"
            continue
        errors.setdefault(_pointer(error.absolute_path), error.message)
    if errors:
        raise ValidationFailed(
            "the form has errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors
        )
    return data
