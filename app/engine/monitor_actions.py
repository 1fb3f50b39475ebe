"""Administrators' actions on a failed or stuck instance, from process monitoring: retry the failed
step, or skip it. Each is one transaction through the engine's use cases (locking, history — a
``retried`` / ``skipped`` instance event naming who —, outbox) plus an audit-log row."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.adapters.audit import record_event
from app.domain.errors import NotFound, ValidationFailed
from app.engine import runtime
from app.models import ProcessInstance

ENTITY = "ProcessInstance"


def _audit(session: Session, action: str, instance_id: int, detail: dict[str, Any]) -> None:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound("no such process instance")
    record_event(session, action, ENTITY, str(instance_id), {"status": instance.status, **detail})


def _printable(text: str) -> bool:
    return all(c.isprintable() or c in "\n\t" for c in text)


def retry(session: Session, instance_id: int) -> ProcessInstance:
    """Run the failed step of an instance in ``error`` again (409 when it is not in error)."""
    _audit(session, "process.retry", instance_id, {})
    return runtime.retry_instance(session, instance_id)


def skip(session: Session, instance_id: int, body: dict[str, Any]) -> ProcessInstance:
    """Skip step ``body["element_id"]`` (optional ``data`` variables and ``reason``)."""
    element_id, reason = body.get("element_id"), body.get("reason")
    errors = {}
    if (
        not isinstance(element_id, str)
        or not element_id.strip()
        or len(element_id) > 100
        or not _printable(element_id)
    ):
        errors["element_id"] = "the id of the failed or waiting step"
    if reason is not None and (not isinstance(reason, str) or len(reason) > 500 or not _printable(reason)):
        errors["reason"] = "text of at most 500 characters"
    if body.get("data") is not None and not isinstance(body["data"], dict):
        errors["data"] = "an object"
    unknown = set(body) - {"element_id", "reason", "data"}
    errors.update({name: "unknown field" for name in sorted(unknown)})
    if errors:
        raise ValidationFailed(f"invalid {', '.join(sorted(errors))}", errors)
    _audit(session, "process.skip", instance_id, {"element_id": element_id, "reason": reason})
    return runtime.skip_step(session, instance_id, element_id, body.get("data"), reason)
