"""KPI sets and dealer targets in the database: the shipped ``rules/kpi/*.yaml`` are loaded when
their key is absent (``dms init`` and first use); an admin saves a new version of a set's YAML
text, checked exactly like a file (``kpi_files``) — a refused text changes nothing. Changes go
through the ORM, so the audit log records them (who, before, after)."""

from __future__ import annotations

import copy
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.kpi_files import KPI_DIR, check_document, load_kpi_sets, read_document, shown_name
from app.domain.errors import NotFound
from app.domain.kpi_sets import KpiSet, KpiSetRefused, problem
from app.models import KpiSetRecord


def source_name(key: str) -> str:
    """How problems name a stored set (like a file)."""
    return f"kpi_set/{key}.yaml"


@lru_cache(maxsize=4)
def _shipped(stamp: tuple) -> dict[str, tuple[KpiSet, str, dict]]:
    """The shipped sets by key with their text and document (cached per files' names and times)."""
    out = {}
    for key, kpi_set in load_kpi_sets(KPI_DIR).items():
        path = KPI_DIR.joinpath(kpi_set.source.rsplit("/", 1)[-1])
        text = path.read_text(encoding="utf-8")
        out[key] = (kpi_set, text, read_document(text.encode("utf-8"), shown_name(path)))
    return out


def ensure_shipped(session: Session) -> int:
    """Store every shipped set whose key is not stored yet; returns how many were added (flushed)."""
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(KPI_DIR.glob("*.yaml")))
    shipped = _shipped(stamp)
    stored = set(session.scalars(select(KpiSetRecord.key)))
    added = 0
    for key, (kpi_set, text, doc) in shipped.items():
        if key not in stored:
            record_ = KpiSetRecord(key=key, version=1, active=True)
            session.add(_record(record_, kpi_set, text, copy.deepcopy(doc), "init"))
            added += 1
    if added:
        session.flush()
    return added


def _record(record: KpiSetRecord, kpi_set: KpiSet, text: str, doc: dict, actor: str) -> KpiSetRecord:
    record.name, record.name_en, record.period = kpi_set.name_zh, kpi_set.name_en, kpi_set.period
    record.yaml_text, record.document, record.updated_by = text, doc, actor
    return record


def records(session: Session, active_only: bool = False) -> list[KpiSetRecord]:
    """The stored sets by key (the shipped ones loaded first when absent)."""
    ensure_shipped(session)
    query = select(KpiSetRecord).order_by(KpiSetRecord.key)
    if active_only:
        query = query.where(KpiSetRecord.active.is_(True))
    return list(session.scalars(query))


def record(session: Session, key: str) -> KpiSetRecord:
    """The stored set of ``key``; NotFound naming the known keys."""
    ensure_shipped(session)
    found = session.scalar(select(KpiSetRecord).where(KpiSetRecord.key == key))
    if found is None:
        known = ", ".join(session.scalars(select(KpiSetRecord.key).order_by(KpiSetRecord.key)))
        raise NotFound(f"no KPI set {key!r} (known: {known})", {"set": "unknown KPI set"})
    return found


def kpi_set(session: Session, key: str) -> KpiSet:
    """The checked set of ``key``."""
    found = record(session, key)
    return check_document(found.document, source_name(found.key))


def check_text(key: str, text: str) -> tuple[KpiSet, dict]:
    """Check an edited text as a file named ``kpi_set/<key>.yaml``; its ``key`` must be ``key``."""
    name = source_name(key)
    doc = read_document(text.encode("utf-8"), name)
    checked = check_document(doc, name)
    if checked.key != key:
        raise KpiSetRefused([problem(name, f"the key must stay {key!r} (it names this set)", field="key")])
    return checked, doc


def save_set(session: Session, key: str, text: str, actor: str) -> KpiSetRecord:
    """Save a new version of a set (or a new set) from its YAML text; ``KpiSetRefused`` (nothing
    changed) when the text is refused. Flushed, not committed."""
    checked, doc = check_text(key, text)
    ensure_shipped(session)
    found = session.scalar(select(KpiSetRecord).where(KpiSetRecord.key == key))
    if found is None:
        found = KpiSetRecord(key=key, version=1, active=True)
        session.add(found)
    else:
        found.version += 1
    _record(found, checked, text, doc, actor)
    session.flush()
    return found
