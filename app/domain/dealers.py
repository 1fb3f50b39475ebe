"""Rules on the dealer record that hold wherever it is edited."""

from __future__ import annotations

import re

from app.domain.errors import ValidationFailed

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,31}$")
STATUSES = ("applicant", "active", "suspended", "terminated")


def validate_dealer(code: str | None, name: str | None, status: str | None) -> None:
    """Raise ValidationFailed naming every bad field of a dealer record."""
    errors: dict[str, str] = {}
    if not code or not CODE_PATTERN.match(code):
        errors["code"] = "2-32 letters, digits, '-' or '_'"
    if not name or not name.strip():
        errors["name"] = "required"
    elif len(name) > 200:
        errors["name"] = "at most 200 characters"
    if status not in STATUSES:
        errors["status"] = f"one of {', '.join(STATUSES)}"
    if errors:
        raise ValidationFailed("invalid dealer: " + "; ".join(f"{k}: {v}" for k, v in errors.items()), errors)
