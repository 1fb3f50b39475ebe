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
from sqlalchemy.orm import Session

from app.config import ROOT
from app.engine.decision_cases import decision_table
from app.engine.definitions import latest_version
from app.engine.script_engine import SCRIPT_ENGINE
from app.engine.xml_safety import parse_xml


def table_xml(session: Session, process_key: str, filename: str) -> bytes:
    """The table ``filename`` of the newest deployed ``process_key``, else ``rules/<filename>``."""
    version = latest_version(session, process_key)
    if version is not None and filename in (version.files or {}):
        return version.files[filename].encode("utf-8")
    return (ROOT / "rules" / filename).read_bytes()


@functools.lru_cache(maxsize=32)
def _table(digest: str, xml: bytes, filename: str, decision: str) -> Any:
    del digest  # part of the cache key; ``xml`` is compared too
    return decision_table(parse_xml(xml, filename), filename, decision, filename)


def evaluate(xml: bytes, filename: str, decision: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The outputs of the first matching rule(s) for ``inputs``; ``{}`` when no rule matched."""
    table = _table(hashlib.sha256(xml).hexdigest(), xml, filename, decision)
    workflow = SimpleNamespace(script_engine=SCRIPT_ENGINE, spec=SimpleNamespace(file=filename))
    workflow.top_workflow = workflow
    spec = SimpleNamespace(name=decision, bpmn_id=decision, bpmn_name=decision)
    task = SimpleNamespace(data=dict(inputs), workflow=workflow, task_spec=spec)
    return dict(DMNEngine(table).result(task))
