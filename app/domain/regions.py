"""Region tree helpers: a region's materialised path is its ancestors' codes.

``/EAST/`` is 华东, ``/EAST/SH/`` is 上海 under it. A subtree query is a prefix match,
which works the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re

from app.domain.errors import ValidationFailed

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def validate_code(code: str) -> str:
    """Return the code if it is a valid region code, else raise ValidationFailed."""
    if not isinstance(code, str) or not CODE_PATTERN.match(code):
        raise ValidationFailed(
            f"invalid region code {code!r}",
            {"code": "1-32 letters, digits, '-' or '_', starting with a letter or digit"},
        )
    return code


def validate_region(name: str | None) -> None:
    """A region needs a name of at most 100 characters."""
    if not name or not name.strip() or len(name) > 100:
        raise ValidationFailed("invalid region name", {"name": "1-100 characters"})


def child_path(parent_path: str | None, code: str) -> str:
    """Path of region ``code`` placed under a parent with ``parent_path`` (None = root)."""
    validate_code(code)
    return f"{parent_path or '/'}{code}/"


def is_within(path: str, root_paths: frozenset[str] | set[str]) -> bool:
    """True if ``path`` equals or lies below one of ``root_paths``."""
    return any(path.startswith(root) for root in root_paths)


def check_no_cycle(path_of_new_parent: str | None, own_path: str) -> None:
    """Refuse moving a region below itself or one of its descendants."""
    if path_of_new_parent and path_of_new_parent.startswith(own_path):
        raise ValidationFailed(
            "a region cannot be moved below itself", {"parent": "choose a region outside this subtree"}
        )
