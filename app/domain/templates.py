"""Industry template bundles: the manifest's rules, and how a plan decides what apply would do
with each object (docs/templates.md). Pure: no database, no files."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

FORMAT = 1  # the only bundle format this platform reads
KEY = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
ACTIONS = ("create", "update", "unchanged", "conflict")
CONFLICT_CHOICES = ("keep", "overwrite")


@dataclass(frozen=True)
class Problem:
    """Something in a bundle that stops plan and apply: the file, where in it, and why."""

    file: str
    where: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "where": self.where, "message": self.message}

    def __str__(self) -> str:
        return f"{self.file}" + (f" [{self.where}]" if self.where else "") + f": {self.message}"


@dataclass
class Change:
    """What apply would do (or did) with one object: ``kind:key``, the action, and a short detail
    (changed fields, or the version a flow/form goes to)."""

    kind: str
    key: str
    action: str
    detail: str = ""

    @property
    def object(self) -> str:
        return f"{self.kind}:{self.key}" if self.key else self.kind

    def as_dict(self) -> dict[str, Any]:
        return {
            "object": self.object,
            "kind": self.kind,
            "key": self.key,
            "action": self.action,
            "detail": self.detail,
        }


@dataclass
class Manifest:
    key: str
    version: str
    name_zh: str
    name_en: str
    description_zh: str = ""
    description_en: str = ""


@dataclass
class Plan:
    """A bundle compared with the database."""

    template: str
    version: str
    problems: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for change in self.changes:
            counts[change.action] += 1
        return counts

    @property
    def conflicts(self) -> list[Change]:
        return [c for c in self.changes if c.action == "conflict"]

    @property
    def pending(self) -> list[Change]:
        """The changes apply would write (conflicts excluded)."""
        return [c for c in self.changes if c.action in ("create", "update")]

    def as_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "version": self.version,
            "problems": [p.as_dict() for p in self.problems],
            "summary": self.summary(),
            "changes": [c.as_dict() for c in self.changes],
        }


def _text(doc: dict, name: str, lang: str) -> Any:
    value = doc.get(name)
    return value.get(lang) if isinstance(value, dict) else None


def check_manifest(doc: Any, file: str, folder: str | None = None) -> tuple[Manifest | None, list[Problem]]:
    """The manifest of a bundle, or the problems that make it unusable."""
    if not isinstance(doc, dict):
        return None, [Problem(file, None, "the manifest must be a mapping")]
    problems = []
    fmt = doc.get("format")
    if fmt != FORMAT:
        problems.append(
            Problem(file, "format", f"unsupported bundle format {fmt!r}: this platform reads {FORMAT}")
        )
    requires = doc.get("requires") or {}
    platform = requires.get("platform") if isinstance(requires, dict) else None
    if platform is not None and platform != FORMAT:
        problems.append(Problem(file, "requires.platform", f"needs platform {platform!r}; this is {FORMAT}"))
    key = doc.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        problems.append(Problem(file, "key", "2-64 lowercase letters, digits or '_', starting with a letter"))
    elif folder is not None and key != folder:
        problems.append(Problem(file, "key", f"the key {key!r} must be the folder's name {folder!r}"))
    version = str(doc.get("version", ""))
    if not VERSION.match(version):
        problems.append(Problem(file, "version", "a version like 1.0.0"))
    for name in ("name",):
        for lang in ("zh", "en"):
            text = _text(doc, name, lang)
            if not isinstance(text, str) or not text.strip():
                problems.append(Problem(file, f"{name}.{lang}", "required text"))
    if problems:
        return None, problems
    return (
        Manifest(
            key=str(key),
            version=version,
            name_zh=_text(doc, "name", "zh"),
            name_en=_text(doc, "name", "en"),
            description_zh=_text(doc, "description", "zh") or "",
            description_en=_text(doc, "description", "en") or "",
        ),
        [],
    )


def fingerprint(value: Any) -> str:
    """A stable hash of a normalised object (JSON with sorted keys)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decide(desired: str, current: str | None, known: set[str]) -> str:
    """What apply does with one object, from fingerprints: of what the bundle wants, of what is
    stored (None: absent), and those stored states that are not local changes (the platform's
    shipped default; what the last template apply wrote)."""
    if current is None:
        return "create"
    if current == desired:
        return "unchanged"
    return "update" if current in known else "conflict"


def changed_fields(desired: dict, current: dict | None) -> str:
    """The names of the fields that differ, for a plan's detail column."""
    if current is None:
        return ""
    names = sorted(k for k in set(desired) | set(current) if desired.get(k) != current.get(k))
    return ", ".join(names)
