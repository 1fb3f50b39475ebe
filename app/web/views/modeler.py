"""BPMN modeler (bpmn-js + our properties panel): open a flow, edit it without XML, validate
with the server's checks (problems pinned to elements), save a draft, deploy a new version,
download the XML. Administrators and consultants (``ProcessDefinition`` write)."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, g, jsonify, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import get_locale, gettext
from sqlalchemy import select

from app.config import ROOT
from app.engine import definitions, registry
from app.engine.loader import called_decisions, decision_files
from app.engine.task_forms import referenced_forms
from app.engine.xml_safety import XmlRefused
from app.extensions import db
from app.formkit.schemas import form_exists
from app.models import ProcessDefinition, ProcessDraft, ProcessVersion
from app.web.views.forms import form_listing

MAX_XML = 2 * 1024 * 1024
RULES_DIR = ROOT / "rules"
NEW_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="defs_new_process" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="new_process" name="New process" isExecutable="true">
    <bpmn:startEvent id="start"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="new_process">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="180" y="160" width="36" height="36"/>
    </bpmndi:BPMNShape></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def _bpmn_file(version: ProcessVersion) -> tuple[str, str]:
    """(file name, content) of a version's BPMN file."""
    for name, content in version.files.items():
        if name.endswith(".bpmn") or "BPMN/20100524/MODEL" in content[:2000]:
            return name, content
    abort(404)


def _labels() -> dict[str, str]:
    """Texts of the properties panel and the page's script, in the user's language."""
    return {
        "userTask": gettext("Task settings"),
        "form": gettext("Form"),
        "formHelp": gettext("Without a form the task shows approve/reject and a comment."),
        "decisionForm": gettext("(approve/reject)"),
        "roles": gettext("Candidate roles"),
        "laneRole": gettext("Lane role"),
        "knownRoles": gettext("Comma-separated; roles"),
        "unknownRole": gettext("Unknown role"),
        "dueIn": gettext("Time limit"),
        "dueInHelp": gettext("ISO 8601 duration, e.g. P2D (2 days) or PT4H (4 hours)"),
        "badDuration": gettext("Not an ISO 8601 duration such as P2D or PT4H"),
        "instructions": gettext("Instructions for the person doing the task"),
        "serviceTask": gettext("Service"),
        "operation": gettext("Operation"),
        "resultVariable": gettext("Result variable"),
        "badName": gettext("Letters, digits and _ only, starting with a letter"),
        "parameters": gettext("Parameters"),
        "parametersHelp": gettext("One per line: name = expression"),
        "ruleTask": gettext("Decision table"),
        "decision": gettext("Decision"),
        "condition": gettext("Condition"),
        "conditionHelp": gettext("An expression such as amount > 10000; leave empty on the default flow"),
        "timer": gettext("Timer"),
        "timerKind": gettext("Kind"),
        "timeDuration": gettext("After a duration"),
        "timeDate": gettext("At a date and time"),
        "timeCycle": gettext("Repeating"),
        "timerValue": gettext("Value"),
        "timerHelp": gettext("e.g. PT48H, 2026-12-01T09:00:00+08:00 or R3/PT1H"),
        "badTimer": gettext("Not a valid ISO 8601 value for this kind of timer"),
        "line": gettext("line"),
        "problems": gettext("Problems"),
        "refused": gettext("Refused: see the problems below"),
        "failed": gettext("The request failed"),
        "valid": gettext("No problems found"),
        "generatedLayout": gettext("This flow had no diagram; a layout was generated."),
        "cannotOpen": gettext("The diagram cannot be opened"),
    }


def _catalog(decision_ids: set[str]) -> dict[str, Any]:
    return {
        "forms": [f["name"] for f in form_listing()],
        "roles": sorted(current_app.extensions["dms_roles"]),
        "operations": sorted(registry.operations()),
        "decisions": sorted(decision_ids),
        "labels": _labels(),
    }


def _dmn_files(version: ProcessVersion | None) -> dict[str, bytes]:
    if version is None:
        return {}
    return {n: c.encode() for n, c in version.files.items() if not n.endswith(".bpmn")}


def _decision_ids(files: dict[str, bytes]) -> set[str]:
    from lxml import etree

    from app.engine.xml_safety import parse_xml

    found = set()
    for name, content in files.items():
        if name.endswith(".dmn"):
            for element in parse_xml(content, name).iter():
                if etree.QName(element).localname == "decision" and element.get("id"):
                    found.add(element.get("id"))
    return found


class ModelerView(BaseView):
    route_base = "/modeler"
    class_permission_name = "ProcessDefinition"
    method_permission_name = {
        "index": "read",
        "edit": "read",
        "new": "read",
        "validate": "read",
        "draft": "write",
        "deploy": "write",
    }
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        rows = []
        drafts = {d.key: d for d in db.session.scalars(select(ProcessDraft))}
        for definition in db.session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key)):
            latest = definition.versions[-1] if definition.versions else None
            rows.append(
                {
                    "definition": definition,
                    "latest": latest,
                    "forms": referenced_forms(latest.forms) if latest else {},
                    "tables": sorted(n for n in (latest.files if latest else {}) if n.endswith(".dmn")),
                    "draft": drafts.pop(definition.key, None),
                }
            )
        for key, draft in sorted(drafts.items()):
            rows.append(
                {"definition": None, "key": key, "latest": None, "forms": {}, "tables": [], "draft": draft}
            )
        return self.render_template("modeler/list.html", rows=rows)

    def _base(self, key: str) -> ProcessVersion | None:
        return definitions.latest_version(db.session, key)

    @expose("/edit/<string:key>")
    @has_access
    def edit(self, key: str):
        base = self._base(key)
        draft = db.session.scalar(select(ProcessDraft).where(ProcessDraft.key == key))
        if base is None and draft is None:
            abort(404)
        filename, xml = _bpmn_file(base) if base is not None else (f"{key}.bpmn", "")
        if draft is not None:
            xml = draft.bpmn
        return self._page(key, base, filename, xml, draft)

    @expose("/new")
    @has_access
    def new(self):
        return self._page("new_process", None, "new_process.bpmn", NEW_PROCESS, None)

    def _page(
        self, key: str, base: ProcessVersion | None, filename: str, xml: str, draft: ProcessDraft | None
    ):
        decisions = _decision_ids(_dmn_files(base))
        if RULES_DIR.is_dir():
            decisions |= set(decision_files(RULES_DIR))
        config = {
            "xml": xml,
            "filename": filename,
            "locale": str(get_locale() or "zh_CN"),
            "catalog": _catalog(decisions),
            "canvasId": "bpmn-canvas",
            "panelId": "bpmn-properties",
            "statusId": "modeler-status",
            "problemsId": "modeler-problems",
            "urls": {
                "validate": url_for("ModelerView.validate", key=key),
                "draft": url_for("ModelerView.draft", key=key),
                "deploy": url_for("ModelerView.deploy", key=key),
            },
        }
        return self.render_template(
            "modeler/editor.html", key=key, base=base, draft=draft, config=config, filename=filename
        )

    # -- JSON endpoints used by the page ---------------------------------------------------

    def _posted_xml(self) -> bytes:
        body = request.get_json(silent=True)
        xml = body.get("xml") if isinstance(body, dict) else None
        if not isinstance(xml, str) or not xml.strip():
            abort(self._refusal(gettext("No diagram was sent"), [], 400))
        if len(xml.encode()) > MAX_XML:
            abort(self._refusal(gettext("The diagram is larger than 2 MiB"), [], 413))
        return xml.encode()

    @staticmethod
    def _refusal(message: str, problems: list[dict], status: int = 422):
        response = jsonify(message=message, problems=problems)
        response.status_code = status
        return response

    def _files(self, key: str, xml: bytes) -> tuple[dict[str, bytes], ProcessVersion | None]:
        """The edited BPMN with the decision tables it calls: the base version's, else rules/."""
        base = self._base(key)
        filename = _bpmn_file(base)[0] if base is not None else f"{key}.bpmn"
        files = {filename: xml, **_dmn_files(base)}
        try:
            wanted = called_decisions(xml, filename)
        except XmlRefused:
            return files, base
        missing = wanted - _decision_ids(files)
        if missing and RULES_DIR.is_dir():
            shipped = decision_files(RULES_DIR)
            for decision in sorted(missing):
                if decision in shipped:
                    name, content = shipped[decision]
                    files[name] = content
        return files, base

    def _check(self, files: dict[str, bytes], trusted: bool):
        definitions.build_spec(
            files,
            trusted=trusted,
            form_exists=form_exists,
            known_roles=set(current_app.extensions["dms_roles"]),
        )

    @expose("/validate/<string:key>", methods=["POST"])
    @has_access
    def validate(self, key: str):
        files, base = self._files(key, self._posted_xml())
        try:
            self._check(files, base.trusted if base else False)
        except definitions.DeployRefused as refused:
            return self._refusal(gettext("Refused: see the problems below"), refused.problems)
        return jsonify(message=gettext("No problems found"), problems=[])

    @expose("/draft/<string:key>", methods=["POST"])
    @has_access
    def draft(self, key: str):
        xml = self._posted_xml()
        base = self._base(key)
        draft = db.session.scalar(select(ProcessDraft).where(ProcessDraft.key == key))
        if draft is None:
            draft = ProcessDraft(key=key, bpmn="", updated_by=g.user.username)
            db.session.add(draft)
        draft.bpmn = xml.decode("utf-8", errors="replace")
        draft.updated_by = g.user.username
        draft.base_version_id = base.id if base else None
        db.session.commit()
        return jsonify(message=gettext("Draft saved; the deployed version is unchanged."))

    @expose("/deploy/<string:key>", methods=["POST"])
    @has_access
    def deploy(self, key: str):
        files, base = self._files(key, self._posted_xml())
        try:
            deployed = definitions.deploy(
                db.session,
                files,
                actor=g.user.username,
                trusted=base.trusted if base else False,
                form_exists=form_exists,
                known_roles=set(current_app.extensions["dms_roles"]),
            )
        except definitions.DeployRefused as refused:
            db.session.rollback()
            return self._refusal(gettext("Refused: see the problems below"), refused.problems)
        for stale in db.session.scalars(
            select(ProcessDraft).where(ProcessDraft.key.in_({key, deployed.key}))
        ):
            db.session.delete(stale)
        db.session.commit()
        message = (
            gettext("Deployed %(key)s version %(v)d", key=deployed.key, v=deployed.version)
            if deployed.created
            else gettext("No change: %(key)s version %(v)d", key=deployed.key, v=deployed.version)
        )
        return jsonify(
            message=message,
            key=deployed.key,
            version=deployed.version,
            created=deployed.created,
            edit_url=url_for("ModelerView.edit", key=deployed.key),
        )
