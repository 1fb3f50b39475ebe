"""Decision-table editor (dmn-js): edit a deployed flow's DMN table in the browser and deploy
the flow again with it — a new version, checked like any deploy (sandboxed cells, XSD, lint)."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from sqlalchemy import select

from app.engine import definitions
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


class RulesEditorView(BaseView):
    route_base = "/rules"
    class_permission_name = "ProcessDefinition"
    method_permission_name = {"index": "read", "edit": "read", "deploy": "write"}
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
        return self.render_template(
            "rules/editor.html", version=version, filename=filename, xml=xml, problems=[]
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
            page = self.render_template(
                "rules/editor.html", version=version, filename=filename, xml=xml, problems=refused.problems
            )
            return page, 422
        if deployed.created:
            flash(gettext("Deployed %(key)s version %(v)d", key=deployed.key, v=deployed.version), "success")
        else:
            flash(gettext("No change: %(key)s version %(v)d", key=deployed.key, v=deployed.version), "info")
        return redirect(url_for("RulesEditorView.edit", version_id=deployed.version_id, filename=filename))
