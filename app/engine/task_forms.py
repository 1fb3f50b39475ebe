"""The form a task shows and is validated against: the one pinned in its process version.

A deploy records the forms its user tasks use (``ProcessVersion.forms``); an administrator's
later edit of a form deploys the flows that use it again, so new instances get the new form
while running ones keep the form they started with. Versions deployed before forms were
pinned (``forms`` is null) fall back to the current form.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.formkit import schemas
from app.models import ProcessVersion


def form_name(name: str | None) -> str | None:
    """``order_lines.schema.json`` → ``order_lines``; None stays None."""
    return name.removesuffix(".schema.json").removesuffix(".json") if name else None


# Pinned forms by content hash (immutable, so safe to share between databases and requests).
_PINNED: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}


def task_form(session: Session, version_id: int, name: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(closed schema, UI schema) of form ``name`` as pinned in process version ``version_id``."""
    base = form_name(name)
    if not base or base == schemas.DECISION_FORM:
        return schemas.load_schema(base), schemas.load_uischema(base)
    forms = session.scalar(select(ProcessVersion.forms).where(ProcessVersion.id == version_id)) or {}
    snapshot = forms.get(base)
    if snapshot is None:
        return schemas.load_schema(base), schemas.load_uischema(base)
    found = _PINNED.get(snapshot["hash"])
    if found is None:
        if len(_PINNED) > 512:
            _PINNED.clear()
        found = _PINNED[snapshot["hash"]] = schemas.pinned(snapshot)
    return found


def referenced_forms(forms: dict[str, Any] | None) -> dict[str, Any]:
    """``{name: version or "file"}`` of a version's pinned forms, for listings."""
    return {
        name: (snap.get("version") if snap.get("source") == "stored" else "file")
        for name, snap in sorted((forms or {}).items())
    }


_USER_TASKS: dict[tuple[int, str], dict[str, tuple[str, str | None]]] = {}
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def user_task_forms(session: Session, version_id: int) -> dict[str, tuple[str, str | None]]:
    """``{element id: (task name, form name or None)}`` of a version's user tasks (cached: versions
    never change)."""
    from app.engine.xml_safety import parse_xml

    version = session.get(ProcessVersion, version_id)
    if version is None:
        return {}
    key = (version_id, version.content_hash)
    if key not in _USER_TASKS:
        found: dict[str, tuple[str, str | None]] = {}
        for filename, content in version.files.items():
            if BPMN not in content[:2000]:
                continue
            for task in parse_xml(content.encode(), filename).iter(f"{{{BPMN}}}userTask"):
                form = next(
                    (
                        p.get("value")
                        for p in task.iter(f"{{{SPIFF}}}property")
                        if p.get("name") == "formJsonSchemaFilename"
                    ),
                    None,
                )
                found[task.get("id")] = (task.get("name") or task.get("id"), form_name(form))
        if len(_USER_TASKS) > 256:
            _USER_TASKS.clear()
        _USER_TASKS[key] = found
    return _USER_TASKS[key]
