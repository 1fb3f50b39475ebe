"""Deploy BPMN/DMN files as immutable, content-hashed process versions (mission C1).

A deploy is refused as a whole when any file is unsafe XML, fails the XSD, fails our
lint, or does not parse into a SpiffWorkflow spec, or when a decision table fails one of
its example cases (``<table>.cases.json``); every problem names the file, the element id
(or case) and the line. Identical content redeploys to the existing version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.errors import ValidationFailed
from app.engine import decision_cases, registry
from app.engine.instance_store import forget_latest
from app.engine.lint import LintIssue, lint_bpmn, lint_dmn
from app.engine.serializer import SERIALIZER
from app.engine.xml_safety import XmlRefused, parse_xml
from app.formkit.schemas import form_exists
from app.formkit.store import form_snapshot
from app.models import ProcessDefinition, ProcessVersion

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_TAG = "definitions"


class DeployRefused(ValidationFailed):
    """The files cannot be deployed; ``problems`` lists ``{"file", "element", "line", "message"}``."""

    def __init__(self, problems: list[dict]) -> None:
        first = problems[0]
        where = f"{first['file']}" + (f", element {first['element']}" if first.get("element") else "")
        where += f", line {first['line']}" if first.get("line") else ""
        super().__init__(f"deploy refused: {where}: {first['message']}")
        self.problems = problems


@dataclass(frozen=True)
class Deployed:
    """Outcome of a deploy: the key and version, and whether a new version was created."""

    key: str
    version: int
    version_id: int
    created: bool


def _problem(filename: str, issue: LintIssue | None = None, **fields) -> dict:
    if issue is not None:
        fields = {"element": issue.element, "line": issue.line, "message": issue.message}
    return {
        "file": filename,
        "element": fields.get("element"),
        "line": fields.get("line"),
        "message": fields["message"],
    }


def _is_bpmn(root) -> bool:
    return etree.QName(root).namespace == BPMN_NS


def content_hash(files: dict[str, bytes], trusted: bool, pinned: list[str] | None = None) -> str:
    """Stable hash of the file names, contents, the trusted flag and the pinned form versions."""
    digest = hashlib.sha256(b"trusted" if trusted else b"untrusted")
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    for form in pinned or []:
        digest.update(b"form\0" + form.encode() + b"\0")
    return digest.hexdigest()


def form_names(files: dict[str, bytes]) -> set[str]:
    """The forms the user tasks of the BPMN files name (``formJsonSchemaFilename``)."""
    names = set()
    for filename, content in files.items():
        if not filename.endswith(".json"):
            root = parse_xml(content, filename)
            for prop in root.iter(f"{{{SPIFF_NS}}}property"):
                if prop.get("name") == "formJsonSchemaFilename" and prop.get("value"):
                    names.add(prop.get("value").removesuffix(".schema.json").removesuffix(".json"))
    return names


def pinned_forms(session: Session, files: dict[str, bytes]) -> dict[str, dict]:
    """The current content of every form the files use, to store with the version."""
    found = {name: form_snapshot(session, name) for name in sorted(form_names(files))}
    return {name: snapshot for name, snapshot in found.items() if snapshot is not None}


def _executable_process_id(root) -> str | None:
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("isExecutable", "true").lower() == "true":
            return process.get("id")
    return None


def build_spec(
    files: dict[str, bytes],
    *,
    trusted: bool,
    form_exists: Callable[[str], bool],
    known_roles: set[str],
) -> tuple[str, str, dict]:
    """Check every file and parse them; returns (process key, name, spec JSON) or raises DeployRefused."""
    problems: list[dict] = []
    bpmn_roots, dmn_roots = {}, {}
    cases_docs: dict[str, dict] = {}
    for filename, content in files.items():
        if filename.endswith(decision_cases.CASES_SUFFIX):
            try:
                cases_docs[filename] = decision_cases.load_cases(content, filename)
            except decision_cases.CasesRefused as refused:
                problems.extend(refused.problems)
            continue
        try:
            root = parse_xml(content, filename)
        except XmlRefused as refused:
            problems.append(_problem(filename, message=refused.message, line=refused.line))
            continue
        if _is_bpmn(root):
            bpmn_roots[filename] = root
            issues = lint_bpmn(
                root,
                form_exists=form_exists,
                known_roles=known_roles,
                service_operations=registry.operations(),
                trusted=trusted,
            )
        elif etree.QName(root).localname == DMN_TAG:
            dmn_roots[filename] = root
            issues = lint_dmn(root)
        else:
            issues = [LintIssue(None, root.sourceline, "neither a BPMN nor a DMN file")]
        problems.extend(_problem(filename, issue) for issue in issues)
    if not bpmn_roots and not problems:
        problems.append(_problem("(upload)", message="no BPMN file given"))
    if len(bpmn_roots) > 1:
        problems.append(_problem("(upload)", message="deploy one BPMN file at a time (with its DMN files)"))
    if problems:
        raise DeployRefused(problems)
    filename, root = next(iter(bpmn_roots.items()))
    key = _executable_process_id(root)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        for dmn_name, dmn_root in dmn_roots.items():
            parser.add_dmn_xml(dmn_root, dmn_name)
        parser.add_bpmn_xml(root, filename)
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as error:
        line = getattr(error, "line_number", None) or getattr(error, "sourceline", None)
        element = getattr(error, "id", None)
        raise DeployRefused(
            [
                _problem(
                    getattr(error, "file_name", None) or filename,
                    message=str(error).split("\n")[0],
                    element=element,
                    line=line,
                )
            ]
        ) from error
    except SpiffWorkflowException as error:
        raise DeployRefused([_problem(filename, message=str(error).split("\n")[0])]) from error
    examples = decision_cases.deploy_problems(dmn_roots, cases_docs)
    if examples:
        raise DeployRefused(examples)
    dct = SERIALIZER.to_dict(BpmnWorkflow(spec, subprocess_specs))
    name = next(p.get("name") for p in root.iter(f"{{{BPMN_NS}}}process") if p.get("id") == key) or key
    return key, name, {"spec": dct["spec"], "subprocess_specs": dct["subprocess_specs"]}


def deploy(
    session: Session,
    files: dict[str, bytes],
    *,
    actor: str,
    trusted: bool = False,
    form_exists: Callable[[str], bool],
    known_roles: set[str],
) -> Deployed:
    """Validate and store ``files`` as the next version of their process (no commit)."""
    if not files:
        raise DeployRefused([_problem("(upload)", message="no file given")])
    key, name, spec = build_spec(files, trusted=trusted, form_exists=form_exists, known_roles=known_roles)
    forms = pinned_forms(session, files)
    digest = content_hash(files, trusted, [f"{n}:{f['hash']}" for n, f in sorted(forms.items())])
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key))
    if definition is None:
        definition = ProcessDefinition(key=key, name=name)
        session.add(definition)
        session.flush()
    current = latest_version(session, key)
    if current is not None and current.content_hash == digest:
        return Deployed(key, current.version, current.id, created=False)
    latest = session.scalar(
        select(func.max(ProcessVersion.version)).where(ProcessVersion.definition_id == definition.id)
    )
    version = ProcessVersion(
        definition=definition,
        version=(latest or 0) + 1,
        content_hash=digest,
        files={n: c.decode("utf-8") for n, c in files.items()},
        spec=spec,
        forms=forms,
        trusted=trusted,
        deployed_by=actor,
    )
    definition.name = name
    session.add(version)
    session.flush()
    forget_latest(session)
    return Deployed(key, version.version, version.id, created=True)


def latest_version(session: Session, key: str) -> ProcessVersion | None:
    """The newest deployed version of process ``key``."""
    return session.scalar(
        select(ProcessVersion)
        .join(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )


def redeploy_using_form(session: Session, form: str, *, actor: str, known_roles: set[str]) -> list[Deployed]:
    """Deploy again every process whose newest version uses ``form``, so that its next
    instances get the form's new version (running instances keep theirs). No commit."""
    deployed = []
    for definition in session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key)):
        latest = latest_version(session, definition.key)
        if latest is None:
            continue
        files = {name: content.encode() for name, content in latest.files.items()}
        if form not in form_names(files):
            continue
        deployed.append(
            deploy(
                session,
                files,
                actor=actor,
                trusted=latest.trusted,
                form_exists=form_exists,
                known_roles=known_roles,
            )
        )
    return deployed
