"""Decision-table editor (dmn-js): edit a deployed flow's DMN table in the browser, run the
table's example cases (``<table>.cases.json``) against the unsaved table, and deploy the flow
again with both — a new version, checked like any deploy (sandboxed cells, XSD, lint, examples)."""

from __future__ import annotations

import json

from flask import abort, current_app, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import has_access_api
from flask_babel import gettext
from sqlalchemy import select

from app.engine import decision_cases, definitions
from app.engine.xml_safety import XmlRefused, parse_xml
from app.extensions import db
from app.formkit.schemas import form_exists
from app.models import ProcessDefinition, ProcessVersion

MAX_XML = 2 * 1024 * 1024


def _latest_versions() -> list[ProcessVersion]:
    """The newest version of every process that has decision tables."""
    versions = []
    for definition in db.session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key)):
        if definition.versions:
            latest = definition.versions[-1]
            if any(name.endswith(".dmn") for name in latest.files):
                versions.append(latest)
    return versions


def _cases_text(version: ProcessVersion, filename: str, xml: str) -> str:
    """The version's cases file for the table, or an empty cases document naming its decision."""
    stored = version.files.get(decision_cases.cases_filename(filename))
    if stored is not None:
        return stored
    try:
        root = parse_xml(xml.encode(), filename)
        decision = next((d.get("id") for d in root.iter("{*}decision") if d.get("id")), "")
    except XmlRefused:
        decision = ""
    return json.dumps({"decision": decision, "cases": []}, indent=2) + "\n"


def _blank_case(xml: str, filename: str) -> dict:
    """What "Add case" inserts: the table's inputs and outputs to fill in."""
    name = gettext("new case")
    try:
        return decision_cases.blank_case(parse_xml(xml.encode(), filename), name)
    except XmlRefused:
        return {"name": name, "inputs": {}, "expect": None}


def _put_cases(files: dict[str, bytes], cases_file: str, text: str) -> list[dict]:
    """Put the edited cases into the files to deploy (none left: no cases file); problems if invalid."""
    try:
        doc = decision_cases.load_cases(text.encode(), cases_file)
    except decision_cases.CasesRefused as refused:
        return refused.problems
    if doc["cases"]:
        files[cases_file] = text.encode()
    else:
        files.pop(cases_file, None)
    return []


class RulesEditorView(BaseView):
    route_base = "/rules"
    class_permission_name = "ProcessDefinition"
    method_permission_name = {"index": "read", "edit": "read", "deploy": "write", "run": "write"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("rules/list.html", versions=_latest_versions())

    def _file(self, version_id: int, filename: str) -> tuple[ProcessVersion, str]:
        version = db.session.get(ProcessVersion, version_id)
        if version is None or not filename.endswith(".dmn") or filename not in version.files:
            abort(404)
        return version, version.files[filename]

    @expose("/edit/<int:version_id>/<string:filename>")
    @has_access
    def edit(self, version_id: int, filename: str):
        version, xml = self._file(version_id, filename)
        return self._page(version, filename, xml, _cases_text(version, filename, xml), [])

    def _page(self, version: ProcessVersion, filename: str, xml: str, cases: str, problems: list[dict]):
        return self.render_template(
            "rules/editor.html",
            version=version,
            filename=filename,
            xml=xml,
            cases=cases,
            cases_file=decision_cases.cases_filename(filename),
            blank_case=_blank_case(xml, filename),
            problems=problems,
        )

    @expose("/run/<int:version_id>/<string:filename>", methods=["POST"])
    @has_access_api
    def run(self, version_id: int, filename: str):
        """Run the example cases against the posted (unsaved) table: JSON ``{"xml", "cases"}`` in."""
        self._file(version_id, filename)
        body = request.get_json(silent=True)
        xml, cases = (body.get("xml"), body.get("cases")) if isinstance(body, dict) else (None, None)
        if not isinstance(xml, str) or not isinstance(cases, str) or not xml or len(xml.encode()) > MAX_XML:
            return jsonify(message="send JSON with the table as 'xml' and the cases as 'cases' (text)"), 400
        cases_file = decision_cases.cases_filename(filename)
        try:
            doc = decision_cases.parse_cases(cases.encode(), cases_file)
            results = decision_cases.run_cases(xml.encode(), filename, doc)
        except decision_cases.CasesRefused as refused:
            return jsonify(message=refused.message, errors=refused.problems), 422
        passed = sum(result.passed for result in results)
        return jsonify(
            results=[result.as_dict() for result in results], passed=passed, failed=len(results) - passed
        )

    @expose("/deploy/<int:version_id>/<string:filename>", methods=["POST"])
    @has_access
    def deploy(self, version_id: int, filename: str):
        version, _ = self._file(version_id, filename)
        xml = request.form.get("xml", "")
        if not xml or len(xml.encode()) > MAX_XML:
            abort(400)
        files = {name: content.encode() for name, content in version.files.items()}
        files[filename] = xml.encode()
        cases = request.form.get("cases")
        if cases is not None:
            cases = cases.replace("\r\n", "\n")
            problems = _put_cases(files, decision_cases.cases_filename(filename), cases)
            if problems:
                return self._page(version, filename, xml, cases, problems), 422
        else:
            cases = _cases_text(version, filename, xml)
        try:
            deployed = definitions.deploy(
                db.session,
                files,
                actor=g.user.username,
                trusted=version.trusted,
                form_exists=form_exists,
                known_roles=set(current_app.extensions["dms_roles"]),
            )
            db.session.commit()
        except definitions.DeployRefused as refused:
            db.session.rollback()
            return self._page(version, filename, xml, cases, refused.problems), 422
        if deployed.created:
            flash(gettext("Deployed %(key)s version %(v)d", key=deployed.key, v=deployed.version), "success")
        else:
            flash(gettext("No change: %(key)s version %(v)d", key=deployed.key, v=deployed.version), "info")
        return redirect(url_for("RulesEditorView.edit", version_id=deployed.version_id, filename=filename))
