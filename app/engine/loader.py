"""Deploy the flows shipped as files: ``workflows/*.bpmn`` with the ``rules/*.dmn`` they call (and
each table's example cases, ``rules/<table>.cases.json``, when present)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lxml import etree
from sqlalchemy.orm import Session

from app.engine.decision_cases import cases_filename
from app.engine.definitions import Deployed, deploy
from app.engine.xml_safety import parse_xml

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


TABLES_PROPERTY = "decisionTables"


def called_decisions(bpmn: bytes, filename: str) -> set[str]:
    """Decision ids a BPMN file's business rule tasks call, and those its process lists in the
    property ``decisionTables`` (comma-separated): tables the flow's service tasks evaluate
    (``app/engine/decisions.py``), kept with the version so the decision-table editor edits them."""
    root = parse_xml(bpmn, filename)
    called = {el.text.strip() for el in root.iter(f"{{{SPIFF_NS}}}calledDecisionId") if el.text}
    for prop in root.iter(f"{{{SPIFF_NS}}}property"):
        if prop.get("name") == TABLES_PROPERTY:
            called |= {name.strip() for name in (prop.get("value") or "").split(",") if name.strip()}
    return called


def decision_files(rules_dir: Path) -> dict[str, tuple[str, bytes]]:
    """decision id → (file name, content) for every DMN file in ``rules_dir``."""
    found: dict[str, tuple[str, bytes]] = {}
    for path in sorted(rules_dir.glob("*.dmn")):
        content = path.read_bytes()
        root = parse_xml(content, path.name)
        for decision in root.iter():
            if etree.QName(decision).localname == "decision" and decision.get("id"):
                found[decision.get("id")] = (path.name, content)
    return found


def deploy_directory(
    session: Session,
    workflows_dir: Path,
    rules_dir: Path,
    *,
    actor: str,
    form_exists: Callable[[str], bool],
    known_roles: set[str],
) -> list[Deployed]:
    """Deploy every BPMN file of ``workflows_dir`` with the DMN files it calls (no commit)."""
    decisions = decision_files(rules_dir) if rules_dir.is_dir() else {}
    results = []
    for path in sorted(workflows_dir.glob("*.bpmn")):
        content = path.read_bytes()
        files = {path.name: content}
        for decision_id in sorted(called_decisions(content, path.name)):
            if decision_id in decisions:
                name, dmn = decisions[decision_id]
                files[name] = dmn
                cases = rules_dir / cases_filename(name)
                if cases.is_file():
                    files[cases.name] = cases.read_bytes()
        results.append(deploy(session, files, actor=actor, form_exists=form_exists, known_roles=known_roles))
    return results
