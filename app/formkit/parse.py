"""Turn a posted HTML form (``lines[0][qty]=3``) back into JSON data shaped by the schema.

Values are converted by the schema's types (integers, ``Decimal`` for numbers, booleans
from checkboxes); a value that does not convert is kept as the text so the validator
reports it against the right field. Empty optional inputs are left out. Fields of a
conditional branch are read only when its condition holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from app.formkit.fields import _condition, _conditional_properties, html_name

MAX_ROWS = 500


def _convert(schema: dict, raw: str) -> Any:
    kind = schema.get("type")
    text = raw.strip()
    if kind == "integer":
        return int(text) if re.fullmatch(r"[+-]?\d{1,18}", text) else raw
    if kind == "number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            return raw
        return number if number.is_finite() else raw
    if kind == "boolean":
        return text.lower() in ("on", "true", "1", "yes")
    choices = [c.get("const") for c in (schema.get("oneOf") or []) if "const" in c] + list(
        schema.get("enum") or []
    )
    for choice in choices:
        if str(choice) == raw and not isinstance(choice, str):
            return choice
    return raw


def _row_indexes(form: Mapping[str, str], prefix: str) -> list[int]:
    pattern = re.compile(re.escape(prefix) + r"\[(\d{1,4})\]")
    found = sorted({int(m.group(1)) for key in form for m in [pattern.match(key)] if m})
    return found[:MAX_ROWS]


def _value(schema: dict, form: Mapping[str, str], path: tuple) -> tuple[bool, Any]:
    name = html_name(path)
    kind = schema.get("type")
    if kind == "object":
        return True, parse_object(schema, form, path)
    if kind == "array" and (schema.get("items") or {}).get("type") == "object":
        rows = [parse_object(schema["items"], form, (*path, i)) for i in _row_indexes(form, name)]
        return bool(rows), rows
    if kind == "boolean":
        return True, _convert(schema, form.get(name, ""))
    if name not in form or form.get(name, "") == "":
        return False, None
    return True, _convert(schema, form[name])


def _holds(rule_values: list, negate: bool, data: dict, field_name: str) -> bool:
    matched = data.get(field_name) in rule_values
    return matched != negate


def parse_object(schema: dict, form: Mapping[str, str], path: tuple = ()) -> dict[str, Any]:
    """The object ``schema`` describes, read from the posted ``form``."""
    data: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("readOnly"):
            continue
        present, value = _value(prop, form, (*path, name))
        if present:
            data[name] = value
    condition = _condition(schema.get("if") or {})
    if condition is not None:
        for name, (prop, rule) in _conditional_properties(schema).items():
            if name in data or not _holds(rule["values"], rule["negate"], data, rule["field"]):
                continue
            present, value = _value(prop, form, (*path, name))
            if present:
                data[name] = value
    return data
