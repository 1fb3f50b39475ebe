"""Process monitoring figures (mission C8): instances per status, time per step, throughput.

Everything is read with a few batched SQL statements per call (no per-instance loading):

* counts per definition version and status: one ``GROUP BY``;
* time per step: the durations are computed in the database — a human task from its row
  (``created_at`` → ``completed_at``), any other element from the history: the events one
  engine step writes share one timestamp (a *batch*); the first element completed in a batch is
  the one the instance waited at, and waited since the previous batch (``LAG`` over the batches);
  every later element of the batch ran in the same instant (0 s). The average and p90 per element
  are then taken in Python over those durations (one pass over the rows, the same arithmetic on
  SQLite and PostgreSQL; p90 interpolates linearly, like PostgreSQL's ``percentile_cont``);
* throughput: instances started and completed per UTC day, two ``GROUP BY`` statements.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from app.models.base import UTCDateTime, utcnow

HUMAN_TYPES = ("UserTask", "ManualTask")
# Event kinds written by a step that moved the instance (claims, suspend/resume did not).
PROGRESS_KINDS = ("started", "step", "retried", "skipped", "timer", "message", "incident")
RUNNING = ("running", "waiting")
BUCKETS = ("running", "completed", "error", "suspended", "cancelled")


@dataclass(frozen=True)
class VersionRef:
    """A deployed version: its row id, definition key and name, version number, content hash."""

    id: int
    key: str
    name: str
    version: int
    content_hash: str


def seconds_between(session: Session, later: str, earlier: str) -> str:
    """SQL for the seconds from column ``earlier`` to ``later`` on this database."""
    if session.get_bind().dialect.name == "postgresql":
        return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def utc_day(session: Session, column: str) -> str:
    """SQL for the UTC calendar day (``YYYY-MM-DD``) of a timestamp column."""
    if session.get_bind().dialect.name == "postgresql":
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    return f"substr({column}, 1, 10)"


def versions(session: Session, key: str | None = None, version: int | None = None) -> list[VersionRef]:
    """Deployed versions, by definition key then version number (optionally one key/version)."""
    sql = (
        "SELECT v.id, d.key, d.name, v.version, v.content_hash FROM process_version v "
        "JOIN process_definition d ON d.id = v.definition_id WHERE 1 = 1"
    )
    params: dict[str, Any] = {}
    if key is not None:
        sql, params["key"] = sql + " AND d.key = :key", key
    if version is not None:
        sql, params["version"] = sql + " AND v.version = :version", version
    rows = session.execute(text(sql + " ORDER BY d.key, v.version"), params)
    return [VersionRef(*row) for row in rows]


def status_counts(session: Session, version_ids: list[int]) -> dict[int, dict[str, int]]:
    """Instances per version and status bucket (``running`` includes ``waiting``), with ``total``."""
    counts: dict[int, dict[str, int]] = {v: dict.fromkeys((*BUCKETS, "total"), 0) for v in version_ids}
    if not version_ids:
        return counts
    rows = session.execute(
        text(
            "SELECT version_id, status, COUNT(*) FROM process_instance "
            "WHERE version_id IN :ids GROUP BY version_id, status"
        ).bindparams(bindparam("ids", expanding=True)),
        {"ids": version_ids},
    )
    for version_id, status, count in rows:
        bucket = "running" if status in RUNNING else status
        counts[version_id][bucket] = counts[version_id].get(bucket, 0) + count
        counts[version_id]["total"] += count
    return counts


def percentile(values: list[float], share: float) -> float:
    """The ``share`` percentile of sorted ``values``, interpolated linearly (``percentile_cont``)."""
    if not values:
        return math.nan
    position = share * (len(values) - 1)
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


MACHINE_FILTER = (
    "s.kind = 'step' AND s.element_id IS NOT NULL "
    "AND (s.element_type IS NULL OR s.element_type NOT IN :human)"
)
# How often each non-human element completed (those not waited for took 0 s).
_MACHINE_COUNTS = f"""
SELECT i.version_id, s.element_id, s.element_type, COUNT(*)
FROM instance_event s JOIN process_instance i ON i.id = s.instance_id
WHERE i.version_id IN :ids AND {MACHINE_FILTER}
GROUP BY i.version_id, s.element_id, s.element_type
"""  # noqa: S608 (a constant)


def _waited_sql(session: Session) -> str:
    """The first element completed in each batch, with the seconds since the previous batch."""
    waited = seconds_between(session, "t.at", "t.prev_at")
    return f"""
WITH batch AS (
  SELECT e.instance_id, e.at, MIN(CASE WHEN e.kind = 'step' THEN e.id END) AS first_step
  FROM instance_event e JOIN process_instance i ON i.id = e.instance_id
  WHERE i.version_id IN :ids AND e.kind IN :kinds
  GROUP BY e.instance_id, e.at
), timed AS (
  SELECT first_step, at, LAG(at) OVER (PARTITION BY instance_id ORDER BY at) AS prev_at FROM batch
)
SELECT i.version_id, s.element_id, s.element_type, {waited} AS seconds
FROM timed t
JOIN instance_event s ON s.id = t.first_step
JOIN process_instance i ON i.id = s.instance_id
WHERE t.prev_at IS NOT NULL AND {MACHINE_FILTER}
"""  # noqa: S608 (only our own column expressions are interpolated)


def _human_steps_sql(session: Session) -> str:
    took = seconds_between(session, "h.completed_at", "h.created_at")
    return f"""
SELECT i.version_id, h.element_id, 'UserTask', {took} AS seconds
FROM human_task h JOIN process_instance i ON i.id = h.instance_id
WHERE i.version_id IN :ids AND h.state = 'completed' AND h.completed_at IS NOT NULL
"""  # noqa: S608 (only our own column expressions are interpolated)


def _statement(sql: str, *expanding: str):
    return text(sql).bindparams(*(bindparam(n, expanding=True) for n in expanding))


def step_durations(session: Session, version_ids: list[int]) -> dict[int, dict[tuple[str, str], list[float]]]:
    """version id → (element id, element type) → durations in seconds of every completion."""
    found: dict[int, dict[tuple[str, str], list[float]]] = defaultdict(lambda: defaultdict(list))
    if not version_ids:
        return found
    ids, human = {"ids": version_ids}, {"human": list(HUMAN_TYPES)}
    waited = _statement(_waited_sql(session), "ids", "kinds", "human")
    for version_id, element_id, element_type, seconds in session.execute(
        waited, {**ids, **human, "kinds": list(PROGRESS_KINDS)}
    ):
        found[version_id][(element_id, element_type or "")].append(max(float(seconds or 0.0), 0.0))
    counts = _statement(_MACHINE_COUNTS, "ids", "human")
    for version_id, element_id, element_type, count in session.execute(counts, {**ids, **human}):
        values = found[version_id][(element_id, element_type or "")]
        values.extend([0.0] * (count - len(values)))
    for version_id, element_id, element_type, seconds in session.execute(
        _statement(_human_steps_sql(session), "ids"), ids
    ):
        found[version_id][(element_id, element_type)].append(max(float(seconds or 0.0), 0.0))
    return found


def step_stats(durations: dict[tuple[str, str], list[float]], names: dict[str, str]) -> list[dict[str, Any]]:
    """Count, average, p90 and maximum per element, slowest p90 first (``names``: element labels)."""
    result = []
    for (element_id, element_type), values in durations.items():
        values = sorted(values)
        result.append(
            {
                "element_id": element_id,
                "name": names.get(element_id) or element_id,
                "element_type": element_type,
                "human": element_type in HUMAN_TYPES,
                "count": len(values),
                "avg_seconds": round(sum(values) / len(values), 3),
                "p90_seconds": round(percentile(values, 0.9), 3),
                "max_seconds": round(values[-1], 3),
            }
        )
    result.sort(key=lambda s: (-s["p90_seconds"], s["element_id"]))
    return result


def throughput(
    session: Session, version_ids: list[int], days: int = 30, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Instances started and completed per UTC day over the last ``days`` days (oldest first)."""
    now = now or utcnow()
    first = (now - timedelta(days=days - 1)).date()
    series = {(first + timedelta(days=n)).isoformat(): {"started": 0, "completed": 0} for n in range(days)}
    if version_ids:
        since = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
        for column, what, extra in (
            ("started_at", "started", ""),
            ("ended_at", "completed", " AND status = 'completed'"),
        ):
            day = utc_day(session, column)
            sql = f"SELECT {day} AS day, COUNT(*) FROM process_instance WHERE version_id IN :ids AND {column} >= :since{extra} GROUP BY {day}"  # noqa: S608, E501 (fixed column names)
            since_param = bindparam("since", type_=UTCDateTime())
            statement = text(sql).bindparams(bindparam("ids", expanding=True), since_param)
            for day_value, count in session.execute(statement, {"ids": version_ids, "since": since}):
                if day_value in series:
                    series[day_value][what] = count
    return [{"day": day, **values} for day, values in series.items()]


def overview(session: Session, key: str | None = None) -> list[dict[str, Any]]:
    """Every definition (or ``key``) with its versions' instance counts, newest version first."""
    refs = versions(session, key)
    counts = status_counts(session, [r.id for r in refs])
    result: dict[str, dict[str, Any]] = {}
    for ref in refs:
        entry = result.setdefault(
            ref.key,
            {"key": ref.key, "name": ref.name, "counts": dict.fromkeys(counts[ref.id], 0), "versions": []},
        )
        entry["versions"].insert(0, {"version": ref.version, "counts": counts[ref.id]})
        for bucket, count in counts[ref.id].items():
            entry["counts"][bucket] += count
    return list(result.values())


def process_report(
    session: Session, refs: list[VersionRef], names: dict[str, str], days: int = 30
) -> dict[str, Any]:
    """Counts, time per step and throughput over the versions ``refs`` of one definition."""
    ids = [r.id for r in refs]
    counts = status_counts(session, ids)
    total = dict.fromkeys((*BUCKETS, "total"), 0)
    for per_version in counts.values():
        for bucket, count in per_version.items():
            total[bucket] += count
    merged: dict[tuple[str, str], list[float]] = defaultdict(list)
    for per_element in step_durations(session, ids).values():
        for element, values in per_element.items():
            merged[element].extend(values)
    return {
        "counts": total,
        "versions": [{"version": r.version, "counts": counts[r.id]} for r in reversed(refs)],
        "steps": step_stats(merged, names),
        "throughput": throughput(session, ids, days),
    }
