"""Evaluate a decision table outside a running flow, exactly as a business rule task would:
SpiffWorkflow's DMN engine with the expression sandbox. Adapters use it for checks that must
follow the table an administrator edits (price tolerance, order approval, stock shortage).

    xml = table_xml(session, "order_approval", "order_approval.dmn")
    evaluate(xml, "order_approval.dmn", "order_approval", {"amount": Decimal("1200"), ...})

The table is the one in the newest deployed version of the flow that calls it (an edit in the
decision-table editor applies at once), or the file under ``rules/`` before any deploy.
"""

from __future__ import annotations

import functools
import hashlib
from types import SimpleNamespace
from typing import Any

from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import ROOT
from app.engine.decision_cases import decision_table
from app.engine.instance_store import latest_of
from app.engine.script_engine import SCRIPT_ENGINE
from app.engine.xml_safety import parse_xml
from app.models import ProcessVersion


def table_xml(session: Session, process_key: str, filename: str) -> bytes:
    """The table ``filename`` of the newest deployed ``process_key``, else ``rules/<filename>``.
    The newest versions are read once per transaction (``instance_store.latest_of``); versions are
    immutable, so a version's table is read once."""
    found = latest_of(session, process_key)
    if found is None:
        return _shipped(filename)
    return _of_version(session, found.id, found.content_hash, filename) or _shipped(filename)


def _shipped(filename: str) -> bytes:
    return (ROOT / "rules" / filename).read_bytes()


_version_tables: dict[tuple[str, str], bytes | None] = {}  # by content hash: any database


def _of_version(session: Session, version_id: int, content_hash: str, filename: str) -> bytes | None:
    key = (content_hash, filename)
    if key not in _version_tables:
        files = session.scalar(select(ProcessVersion.files).where(ProcessVersion.id == version_id)) or {}
        text = files.get(filename)
        if len(_version_tables) > 256:
            _version_tables.clear()
        _version_tables[key] = text.encode("utf-8") if text is not None else None
    return _version_tables[key]


@functools.lru_cache(maxsize=32)
def _table(digest: str, xml: bytes, filename: str, decision: str) -> Any:
    del digest  # part of the cache key; ``xml`` is compared too
    return decision_table(parse_xml(xml, filename), filename, decision, filename)


_results: dict[tuple, dict[str, Any]] = {}
MAX_RESULTS = 10_000


def evaluate(xml: bytes, filename: str, decision: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The outputs of the first matching rule(s) for ``inputs``; ``{}`` when no rule matched.

    A table is a pure function of its inputs (cells run in the sandbox, which has no state), so
    the answer for the same table and the same plain inputs is remembered."""
    digest = hashlib.sha256(xml).hexdigest()
    try:
        key = (digest, decision, tuple(sorted(inputs.items())))
        hash(key)
    except TypeError:  # inputs that are not plain values (a dict …): evaluate every time
        key = None
    if key is not None and key in _results:
        return dict(_results[key])
    result = _evaluate(_table(digest, xml, filename, decision), filename, decision, inputs)
    if key is not None:
        if len(_results) >= MAX_RESULTS:
            _results.clear()
        _results[key] = dict(result)
    return result


def _evaluate(table: Any, filename: str, decision: str, inputs: dict[str, Any]) -> dict[str, Any]:
    workflow = SimpleNamespace(script_engine=SCRIPT_ENGINE, spec=SimpleNamespace(file=filename))
    workflow.top_workflow = workflow
    spec = SimpleNamespace(name=decision, bpmn_id=decision, bpmn_name=decision)
    task = SimpleNamespace(data=dict(inputs), workflow=workflow, task_spec=spec)
    return dict(DMNEngine(table).result(task))
