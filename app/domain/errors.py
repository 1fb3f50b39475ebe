"""Domain errors. Services raise these; endpoints map them to HTTP status codes."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: ``message`` for people, ``errors`` maps a field to its problem (English);
    ``details`` optionally maps a field to ``(msgid, params)`` for showing it translated."""

    def __init__(
        self, message: str, errors: dict[str, str] | None = None, details: dict[str, tuple] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.details = details or {}


class ValidationFailed(DomainError):
    """Input breaks a rule (HTTP 422)."""


class NotFound(DomainError):
    """The object does not exist or lies outside the caller's data scope (HTTP 404)."""


class Forbidden(DomainError):
    """The caller may see the object but not do this to it (HTTP 403)."""


class Conflict(DomainError):
    """The object changed or already exists (HTTP 409)."""
