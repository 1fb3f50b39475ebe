"""File fields of JSON-Schema forms: which fields take a file, their limits, and the checks
every uploaded file passes before it is stored (pure functions, no disk, no database).

A property is a file field when it is ``{"type": "string", "format": "data-url"}`` (the
react-jsonschema-form convention) or its UI schema says ``"ui:widget": "file"``. Its value in
the submitted data is the token of a stored file. Limits come from ``ui:options``: ``accept``
(extensions such as ``[".pdf", ".jpg"]``) and ``maxSize`` (bytes, never above the platform's cap).

A file is accepted only when its bytes are a type the field accepts and its name's extension
says the same type: the browser's content type and the name alone are never trusted.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import filetype

from app.domain.errors import ValidationFailed
from app.formkit.messages import N_, english

DEFAULT_ACCEPT = ("pdf", "jpg", "jpeg", "png")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_NAME = 200
# Extensions that name the same content type as the one the detector reports.
SAME_TYPE = {"jpeg": "jpg", "jpe": "jpg", "tiff": "tif", "apng": "png"}

EMPTY = N_("the file is empty")
TOO_LARGE = N_("the file is larger than %(limit)s")
NOT_ALLOWED = N_("only these file types are allowed: %(types)s")
CONTENT_MISMATCH = N_("the file's content is not a %(type)s file")
UNKNOWN_FILE = N_("unknown file")


@dataclass(frozen=True)
class FileRule:
    """What a file field takes: extensions (lowercase, no dot) and the most bytes (None: no limit)."""

    accept: tuple[str, ...] = DEFAULT_ACCEPT
    max_bytes: int | None = DEFAULT_MAX_BYTES

    @property
    def accept_attr(self) -> str:
        """The ``accept`` attribute of the file input: ``.pdf,.jpg,.jpeg,.png``."""
        return ",".join(f".{ext}" for ext in self.accept)

    @property
    def types_text(self) -> str:
        """The accepted types for people: ``PDF, JPG, JPEG, PNG``."""
        return ", ".join(ext.upper() for ext in self.accept)


@dataclass(frozen=True)
class CheckedFile:
    """An uploaded file that passed every check, ready to be stored."""

    name: str
    extension: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def human_size(size: int) -> str:
    """``10485760`` → ``10 MiB``; ``1536`` → ``1.5 KiB``."""
    if size < 1024:
        return f"{size} bytes"
    value, unit = (size / 1024, "KiB") if size < 1024 * 1024 else (size / 1024 / 1024, "MiB")
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


def is_file_field(schema: dict, ui: dict | None) -> bool:
    """Does this property take a file?"""
    if schema.get("type") != "string":
        return False
    return schema.get("format") == "data-url" or (ui or {}).get("ui:widget") == "file"


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name else ""


def _same_type(extension: str) -> str:
    return SAME_TYPE.get(extension, extension)


def _allows(rule: FileRule, extension: str) -> bool:
    return bool(extension) and _same_type(extension) in {_same_type(a) for a in rule.accept}


def file_rule(schema: dict, ui: dict | None, cap: int | None = DEFAULT_MAX_BYTES) -> FileRule | None:
    """The limits of a file field (None if it is not one); ``cap`` bounds ``maxSize``."""
    if not is_file_field(schema, ui):
        return None
    options = (ui or {}).get("ui:options") or {}
    accept = options.get("accept")
    if isinstance(accept, str):
        accept = accept.split(",")
    if isinstance(accept, list):
        accept = tuple(dict.fromkeys(str(a).strip().lstrip(".").lower() for a in accept if str(a).strip()))
    max_bytes = options.get("maxSize")
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        max_bytes = cap
    elif cap is not None:
        max_bytes = min(max_bytes, cap)
    return FileRule(accept=accept or DEFAULT_ACCEPT, max_bytes=max_bytes)


def _child(schema: dict, ui: dict, step: Any) -> tuple[dict, dict] | None:
    """The schema and UI schema one step (property name or row index) below."""
    if isinstance(step, int):
        if schema.get("type") != "array" or not isinstance(schema.get("items"), dict):
            return None
        return schema["items"], ui.get("items") or {}
    from app.formkit.fields import _conditional_properties  # fields.py renders file fields with us

    props = schema.get("properties") or {}
    sub = props.get(step) or _conditional_properties(schema).get(step, (None,))[0]
    return (sub, ui.get(step) or {}) if isinstance(sub, dict) else None


def rule_at(schema: dict, ui: dict | None, path: tuple, cap: int | None) -> FileRule | None:
    """The rule of the file field at ``path`` (``("docs", 0, "scan")``), if it is one."""
    here: tuple[dict, dict] | None = (schema, ui or {})
    for step in path:
        here = _child(*here, step) if here else None
    return file_rule(here[0], here[1], cap) if here else None


def path_of(name: str) -> tuple:
    """An input name or error key as a path: ``docs[0][scan]`` or ``docs/0/scan`` → ``(docs, 0, scan)``."""
    parts = name.split("/") if "/" in name else re.split(r"\[|\]\[|\]$", name)
    return tuple(int(p) if p.isdigit() else p for p in parts if p != "")


def file_values(
    schema: dict, ui: dict | None, data: Any, path: tuple = ()
) -> Iterator[tuple[tuple, Any, FileRule]]:
    """Every file field present in ``data``: (path, value, rule). Limits are the form's own (no cap)."""
    ui = ui or {}
    rule = file_rule(schema, ui, cap=None)
    if rule is not None:
        yield path, data, rule
    elif isinstance(data, dict):
        for key, value in data.items():
            child = _child(schema, ui, key)
            if child is not None:
                yield from file_values(child[0], child[1], value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            child = _child(schema, ui, index)
            if child is not None:
                yield from file_values(child[0], child[1], value, (*path, index))


def safe_name(raw: str | None, fallback_extension: str = "") -> str:
    """A file name safe to show and to offer for download: no folders, control characters,
    path separators or reserved characters, no leading dots, at most 200 characters."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        "_" if ch in '<>:"|?*' else ch for ch in name if not unicodedata.category(ch).startswith("C")
    )
    name = name.strip().lstrip(".").strip()
    if not name:
        name = "file" + (f".{fallback_extension}" if fallback_extension else "")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_NAME]
    return name


def problem(name: str, content: bytes, rule: FileRule) -> tuple[str, dict[str, Any]] | None:
    """Why ``content`` (read up to the limit + 1 byte) named ``name`` is refused, as (msgid, params)."""
    if not content:
        return EMPTY, {}
    if rule.max_bytes is not None and len(content) > rule.max_bytes:
        return TOO_LARGE, {"limit": human_size(rule.max_bytes)}
    extension = _extension(name)
    if not _allows(rule, extension):
        return NOT_ALLOWED, {"types": rule.types_text}
    kind = filetype.guess(content)
    if kind is None or _same_type(kind.extension) != _same_type(extension):
        return CONTENT_MISMATCH, {"type": extension.upper()}
    return None


def check_file(raw_name: str | None, content: bytes, rule: FileRule, field: str = "file") -> CheckedFile:
    """The upload as a ``CheckedFile``; else ``ValidationFailed`` naming ``field`` and the reason."""
    name = safe_name(raw_name)
    refused = problem(name, content, rule)
    if refused is not None:
        text = english(refused)
        raise ValidationFailed(f"{field}: {text}", {field: text}, {field: refused})
    kind = filetype.guess(content)
    return CheckedFile(name=name, extension=_extension(name), content_type=kind.mime, content=content)


def stored_problem(extension: str, size: int, rule: FileRule) -> tuple[str, dict[str, Any]] | None:
    """Why an already stored file does not fit the field it is submitted for."""
    if not _allows(rule, extension):
        return NOT_ALLOWED, {"types": rule.types_text}
    if rule.max_bytes is not None and size > rule.max_bytes:
        return TOO_LARGE, {"limit": human_size(rule.max_bytes)}
    return None


def refusal(details: dict[str, tuple[str, dict[str, Any]]]) -> ValidationFailed:
    """One ValidationFailed for several refused file fields (keys are paths like ``docs/0/scan``)."""
    errors = {path: english(message) for path, message in details.items()}
    text = "; ".join(f"{path}: {message}" for path, message in errors.items())
    return ValidationFailed("file refused: " + text, errors, dict(details))
