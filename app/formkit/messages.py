"""Plain-language validation messages, the same for the API (English) and the pages (translated).

Each message is a ``(msgid, params)`` pair: the API shows ``msgid % params``; pages pass the
pair through the UI language's catalog. ``N_`` only marks msgids for ``pybabel extract``.
"""

from __future__ import annotations

from typing import Any


def N_(text: str) -> str:  # noqa: N802 (the gettext convention for "translate later")
    """Mark ``text`` for extraction; it is translated where it is shown."""
    return text


REQUIRED = N_("required")
UNKNOWN = N_("unknown field")
TYPES = {
    "integer": N_("must be a whole number"),
    "number": N_("must be a number"),
    "string": N_("must be text"),
    "boolean": N_("must be yes or no"),
    "array": N_("must be a list"),
    "object": N_("must be a group of fields"),
}
LIMITS = {
    "minimum": N_("must be at least %(limit)s"),
    "maximum": N_("must be at most %(limit)s"),
    "exclusiveMinimum": N_("must be greater than %(limit)s"),
    "exclusiveMaximum": N_("must be less than %(limit)s"),
    "minLength": N_("at least %(limit)s characters"),
    "maxLength": N_("at most %(limit)s characters"),
    "minItems": N_("at least %(limit)s row(s)"),
    "maxItems": N_("at most %(limit)s row(s)"),
    "multipleOf": N_("must be a multiple of %(limit)s"),
}
NOT_EMPTY = N_("must not be empty")
CHOICE = N_("must be one of: %(choices)s")
FORMAT = N_("not a valid %(format)s")
PATTERN = N_("does not have the expected form")


def describe(error: Any) -> tuple[str, dict[str, Any]]:
    """(msgid, params) for a jsonschema error; jsonschema's own text when no better one is known."""
    kind, value = error.validator, error.validator_value
    if kind == "type" and isinstance(value, str) and value in TYPES:
        return TYPES[value], {}
    if kind == "minLength" and value == 1:
        return NOT_EMPTY, {}
    if kind in LIMITS:
        return LIMITS[kind], {"limit": value}
    if kind == "enum":
        return CHOICE, {"choices": ", ".join(str(v) for v in value)}
    consts = isinstance(value, list) and value and all(isinstance(c, dict) and "const" in c for c in value)
    if kind in ("oneOf", "anyOf") and consts:
        return CHOICE, {"choices": ", ".join(str(c["const"]) for c in value)}
    if kind == "const":
        return CHOICE, {"choices": str(value)}
    if kind == "format":
        return FORMAT, {"format": value}
    if kind == "pattern":
        return PATTERN, {}
    return error.message, {}


def english(message: tuple[str, dict[str, Any]]) -> str:
    """The English text of a (msgid, params) pair."""
    msgid, params = message
    return msgid % params if params else msgid
