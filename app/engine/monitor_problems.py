"""Process monitoring: incidents, stuck instances and overdue human tasks (mission C8).

* **Incident**: an instance in ``error``. Its failing element is the task in SpiffWorkflow's
  ERROR state in the stored state (with the time it failed), the message is ``instance.error``.
* **Stuck**: a running or waiting instance without any history event for longer than its
  process's SLA: the property ``stuckAfter`` (an ISO-8601 duration such as ``"P3D"``) on the
  BPMN ``process`` element, else the default (``DMS_STUCK_AFTER_HOURS``, 72 h).
* **Overdue**: an open or claimed human task whose due time (``dueIn``) has passed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from app.engine.lint import ISO_DURATION
from app.engine.monitor import VersionRef
from app.engine.xml_safety import XmlRefused, parse_xml
from app.models.base import UTCDateTime, utcnow

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
SLA_PROPERTY = "stuckAfter"
DEFAULT_STUCK_HOURS = 72
LIMIT = 500  # rows per list (oldest problems first)

_META: dict[tuple[int, str], tuple[dict[str, str], timedelta | None]] = {}


def duration_of(value: str | None) -> timedelta | None:
    """An ISO-8601 duration (``"PT48H"``, ``P2D``; quotes allowed) as a timedelta, else None."""
    cleaned = (value or "").strip().strip('"')
    if not cleaned or not ISO_DURATION.match(cleaned) or not cleaned.startswith("P"):
        return None
    start = datetime(2000, 1, 1, tzinfo=UTC)
    parsed = TimerEventDefinition.parse_iso_duration(cleaned)
    return TimerEventDefinition.get_timedelta_from_start(parsed, start)


def version_meta(session: Session, ref: VersionRef) -> tuple[dict[str, str], timedelta | None]:
    """Element names (id → name) and the ``stuckAfter`` SLA of a version, read from its BPMN
    file once per process (a deployed version never changes)."""
    cache_key = (ref.id, ref.content_hash)  # a database rebuilt under the same ids differs in hash
    if cache_key not in _META:
        files = session.execute(
            text("SELECT files FROM process_version WHERE id = :id"), {"id": ref.id}
        ).scalar_one()
        if isinstance(files, str):
            files = json.loads(files)
        names: dict[str, str] = {}
        sla = None
        for filename, content in (files or {}).items():
            if not filename.endswith(".bpmn"):
                continue
            try:
                root = parse_xml(content.encode() if isinstance(content, str) else content, filename)
            except XmlRefused:
                continue
            for element in root.iter():
                if isinstance(element.tag, str) and element.get("id") and element.get("name"):
                    names[element.get("id")] = element.get("name")
            for process in root.iter(f"{{{BPMN_NS}}}process"):
                if process.get("id") == ref.key:
                    sla = _sla_of(process) or sla
        if len(_META) >= 1024:
            _META.clear()
        _META[cache_key] = (names, sla)
    return _META[cache_key]


def _sla_of(process: etree._Element) -> timedelta | None:
    for extension in process.findall(f"{{{BPMN_NS}}}extensionElements"):
        for prop in extension.iter(f"{{{SPIFF_NS}}}property"):
            if prop.get("name") == SLA_PROPERTY:
                return duration_of(prop.get("value"))
    return None


def _in_ids(sql: str, *names: str):
    return text(sql).bindparams(*(bindparam(n, expanding=True) for n in names))


def incidents(session: Session, refs: list[VersionRef]) -> list[dict[str, Any]]:
    """Instances in error, oldest failure first: failing element, message, since when."""
    by_id = {r.id: r for r in refs}
    if not by_id:
        return []
    rows = session.execute(
        _in_ids(
            "SELECT id, version_id, error, state, business_key, updated_at FROM process_instance "
            "WHERE status = 'error' AND version_id IN :ids ORDER BY updated_at, id",
            "ids",
        ),
        {"ids": list(by_id)},
    ).all()
    result = []
    for row in rows[:LIMIT]:
        ref = by_id[row.version_id]
        names = version_meta(session, ref)[0]
        failed = failed_elements(row.state)
        element_id, failed_at = failed[0] if failed else (None, None)
        at = datetime.fromtimestamp(failed_at, UTC) if failed_at else row.updated_at
        result.append(
            {
                "instance_id": row.id,
                "process_key": ref.key,
                "version": ref.version,
                "business_key": row.business_key,
                "element_id": element_id,
                "element_name": names.get(element_id or "", element_id),
                "message": row.error,
                "at": _iso(at),
            }
        )
    return result


def failed_elements(state: Any) -> list[tuple[str, float | None]]:
    """(element id, failure time) of each task in ERROR in a stored workflow state."""
    if isinstance(state, str):
        state = json.loads(state)
    found = []
    for part in (state or {}, *((state or {}).get("subprocesses") or {}).values()):
        for task in (part.get("tasks") or {}).values():
            if task.get("state") == TaskState.ERROR:
                found.append((task.get("task_spec"), task.get("last_state_change")))
    return found


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def stuck(
    session: Session, refs: list[VersionRef], default: timedelta, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Running/waiting instances whose last event is older than their process's SLA."""
    now = now or utcnow()
    by_sla: dict[timedelta, list[VersionRef]] = defaultdict(list)
    for ref in refs:
        by_sla[version_meta(session, ref)[1] or default].append(ref)
    by_id = {r.id: r for r in refs}
    found = []
    for sla, group in by_sla.items():
        statement = _in_ids(
            "SELECT i.id, i.version_id, i.status, i.business_key, MAX(e.at) AS last_at "
            "FROM process_instance i JOIN instance_event e ON e.instance_id = i.id "
            "WHERE i.status IN ('running', 'waiting') AND i.version_id IN :ids "
            "GROUP BY i.id, i.version_id, i.status, i.business_key HAVING MAX(e.at) < :cutoff",
            "ids",
        ).bindparams(bindparam("cutoff", type_=UTCDateTime()))
        for row in session.execute(statement, {"ids": [r.id for r in group], "cutoff": now - sla}):
            found.append((row, sla))
    found.sort(key=lambda pair: (_iso(pair[0].last_at) or "", pair[0].id))
    found = found[:LIMIT]
    waiting_at = _open_elements(session, [row.id for row, _ in found])
    result = []
    for row, sla in found:
        ref = by_id[row.version_id]
        last = datetime.fromisoformat(_iso(row.last_at) or now.isoformat())
        result.append(
            {
                "instance_id": row.id,
                "process_key": ref.key,
                "version": ref.version,
                "status": row.status,
                "business_key": row.business_key,
                "last_event_at": last.isoformat(),
                "idle_hours": round((now - last).total_seconds() / 3600, 2),
                "sla_hours": round(sla.total_seconds() / 3600, 2),
                "waiting_at": waiting_at.get(row.id, []),
            }
        )
    return result


def _open_elements(session: Session, instance_ids: list[int]) -> dict[int, list[str]]:
    if not instance_ids:
        return {}
    rows = session.execute(
        _in_ids(
            "SELECT instance_id, element_id FROM human_task "
            "WHERE state IN ('open', 'claimed') AND instance_id IN :ids ORDER BY id",
            "ids",
        ),
        {"ids": instance_ids},
    )
    found: dict[int, list[str]] = defaultdict(list)
    for instance_id, element_id in rows:
        found[instance_id].append(element_id)
    return found


def overdue_tasks(
    session: Session, refs: list[VersionRef], now: datetime | None = None
) -> list[dict[str, Any]]:
    """Open or claimed human tasks past their due time, most overdue first."""
    by_id = {r.id: r for r in refs}
    if not by_id:
        return []
    now = now or utcnow()
    statement = _in_ids(
        "SELECT h.id, h.instance_id, h.element_id, h.name, h.candidate_roles, h.due_at, h.created_at, "
        "h.state, i.version_id, i.business_key FROM human_task h "
        "JOIN process_instance i ON i.id = h.instance_id "
        "WHERE h.state IN ('open', 'claimed') AND h.due_at < :now AND i.version_id IN :ids "
        "AND i.status IN ('running', 'waiting') ORDER BY h.due_at, h.id",
        "ids",
    ).bindparams(bindparam("now", type_=UTCDateTime()))
    result = []
    for row in session.execute(statement, {"ids": list(by_id), "now": now}).all()[:LIMIT]:
        ref = by_id[row.version_id]
        due = datetime.fromisoformat(_iso(row.due_at) or now.isoformat())
        result.append(
            {
                "task_id": row.id,
                "instance_id": row.instance_id,
                "process_key": ref.key,
                "version": ref.version,
                "business_key": row.business_key,
                "element_id": row.element_id,
                "name": row.name,
                "candidate_roles": row.candidate_roles.split(","),
                "state": row.state,
                "created_at": _iso(row.created_at),
                "due_at": due.isoformat(),
                "overdue_hours": round((now - due).total_seconds() / 3600, 2),
            }
        )
    return result
