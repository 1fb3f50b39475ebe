"""Industry templates API (``/api/v1/template/…``, docs/templates.md): the shipped bundles with
their latest application, the plan of one, apply (with the choice on conflicts) and the export of
the running configuration as a .zip bundle — the actions of ``python run.py template``.

Permission ``Template``: ``read`` (list, plan, export) and ``write`` (apply). Only the bundles
shipped in ``seed_templates/`` are addressed, by key: never a path from the request. A template
changes configuration for everyone, so a caller whose data scope is limited gets 403.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml
from flask import send_file
from flask_appbuilder.api import expose, protect, safe
from sqlalchemy import select

from app.adapters.template_plan import TemplateRefused
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.domain.templates import CONFLICT_CHOICES, KEY, Plan, check_manifest
from app.extensions import db
from app.models import TemplateApplication
from app.services.actor import current_actor
from app.web.api.base import JsonApi
from app.web.permissions import READ, WRITE
from app.web.scope import current_scope

EXPORT_KEY = "exported"


class ConflictsUnchosen(ValidationFailed):
    """Apply refused: objects were changed locally and no keep/overwrite was chosen."""

    def __init__(self, plan: Plan) -> None:
        names = [c.object for c in plan.conflicts]
        shown = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
        super().__init__(
            f"{len(names)} object(s) were changed locally since the last apply ({shown}): "
            "choose conflicts keep (leave the local changes) or overwrite (the template wins); "
            "nothing was applied",
            {"conflicts": "keep or overwrite", **dict.fromkeys(names, "changed locally")},
        )
        self.plan = plan


def check_scope() -> None:
    """Templates change configuration for all data: only callers with an unrestricted scope."""
    if not current_scope().unrestricted:
        raise Forbidden("industry templates need a role that sees all data")


def shipped_folders() -> dict[str, Path]:
    """Key -> folder of every template shipped in ``seed_templates/``."""
    from app.adapters.template_bundle import shipped

    return {folder.name: folder for folder in shipped()}


def folder_of(key: str) -> Path:
    """The shipped template ``key``; NotFound for anything else (a path, an unknown key)."""
    folder = shipped_folders().get(key) if KEY.match(key or "") else None
    if folder is None:
        raise NotFound("no such template")
    return folder


def application_dict(application: TemplateApplication | None) -> dict[str, Any] | None:
    if application is None:
        return None
    return {
        "id": application.id,
        "template": application.template,
        "version": application.version,
        "applied_by": application.applied_by,
        "applied_at": application.applied_at.isoformat(),
        "conflicts": application.conflicts,
        "summary": application.summary,
    }


def latest_applications() -> dict[str, TemplateApplication]:
    """Per template, its latest application."""
    out: dict[str, TemplateApplication] = {}
    for application in db.session.scalars(select(TemplateApplication).order_by(TemplateApplication.id)):
        out[application.template] = application
    return out


def template_list() -> list[dict[str, Any]]:
    """Every shipped template: key, version, names and descriptions, the latest application; a
    folder whose manifest is unusable is listed with its first problem."""
    latest = latest_applications()
    out = []
    for key, folder in sorted(shipped_folders().items()):
        entry: dict[str, Any] = {"key": key, "version": None, "name": {}, "description": {}, "problem": None}
        try:
            doc = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            entry["problem"] = f"manifest.yaml: not readable: {error}"
        else:
            manifest, problems = check_manifest(doc, "manifest.yaml")
            if manifest is None:
                entry["problem"] = str(problems[0])
            else:
                entry["version"] = manifest.version
                entry["name"] = {"zh": manifest.name_zh, "en": manifest.name_en}
                entry["description"] = {"zh": manifest.description_zh, "en": manifest.description_en}
        entry["latest_application"] = application_dict(latest.get(key))
        out.append(entry)
    return out


def bundle_of(key: str):
    from app.adapters.template_plan import load

    return load(folder_of(key))


def template_plan(key: str) -> Plan:
    """What applying the shipped template ``key`` would do (nothing is written)."""
    from app.adapters.template_plan import plan

    bundle = bundle_of(key)
    try:
        return plan(db.session, bundle)
    finally:
        db.session.rollback()


def parse_conflicts(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if value not in CONFLICT_CHOICES:
        raise ValidationFailed("conflicts: keep, overwrite or null", {"conflicts": "keep, overwrite or null"})
    return str(value)


def template_apply(key: str, conflicts: str | None) -> Plan:
    """Apply the shipped template ``key`` as the current user, in one transaction. Raises
    ``TemplateRefused`` (problems) or ``ConflictsUnchosen`` with nothing changed."""
    from app.adapters.template_plan import apply

    bundle = bundle_of(key)
    try:
        return apply(db.session, bundle, current_actor().name, conflicts)
    except TemplateRefused as refused:
        db.session.rollback()
        if conflicts is None and refused.plan.conflicts and not refused.plan.problems:
            raise ConflictsUnchosen(refused.plan) from refused
        raise


def export_zip(key: str = EXPORT_KEY) -> bytes:
    """The running configuration as a bundle in a .zip (its files under the folder ``key/``)."""
    from app.adapters.template_export import export

    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="dms-export-") as tmp:
        root = Path(tmp) / key
        try:
            export(db.session, root, key)
        finally:
            db.session.rollback()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    archive.write(path, f"{key}/{path.relative_to(root).as_posix()}")
    return buffer.getvalue()


def send_zip(content: bytes, key: str = EXPORT_KEY):
    return send_file(
        io.BytesIO(content), mimetype="application/zip", as_attachment=True, download_name=f"{key}.zip"
    )


class TemplateApi(JsonApi):
    resource_name = "template"
    class_permission_name = "Template"
    method_permission_name = {"templates": READ, "plan": READ, "export": READ, "apply": WRITE}

    def _call(self, build):
        try:
            check_scope()
            return build()
        except DomainError as error:
            return self.fail(error)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def templates(self):
        """The templates shipped in seed_templates/, each with its latest application.
        ---
        get:
          responses:
            200: {description: "result: [{key, version, name, description, problem, latest_application}]"}
        """

        def build():
            result = template_list()
            return self.response(200, result=result, count=len(result))

        return self._call(build)

    @expose("/<string:key>/plan", methods=["GET"])
    @protect()
    @safe
    def plan(self, key: str):
        """What applying a shipped template would create, update, leave or find in conflict.
        ---
        get:
          parameters:
          - {in: path, name: key, required: true, schema: {type: string}}
          responses:
            200: {description: "template, version, problems, summary, changes"}
            404: {description: No such shipped template}
        """
        return self._call(lambda: self.response(200, **template_plan(key).as_dict()))

    @expose("/<string:key>/apply", methods=["POST"])
    @protect()
    @safe
    def apply(self, key: str):
        """Apply a shipped template in one transaction; refused with nothing changed on problems,
        or on conflicts without a choice.
        ---
        post:
          parameters:
          - {in: path, name: key, required: true, schema: {type: string}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    conflicts: {type: string, enum: [keep, overwrite], nullable: true}
          responses:
            200: {description: "The applied plan: template, version, problems, summary, changes"}
            404: {description: No such shipped template}
            422: {description: "Problems in the bundle, or conflicts and no choice (errors name them)"}
        """

        def build():
            folder_of(key)
            body = self.body()
            unknown = sorted(set(body) - {"conflicts"})
            if unknown:
                raise ValidationFailed("unknown field(s)", dict.fromkeys(unknown, "unknown field"))
            try:
                result = template_apply(key, parse_conflicts(body.get("conflicts")))
            except (TemplateRefused, ConflictsUnchosen) as refused:
                return self.response(
                    422, message=refused.message, errors=refused.errors, plan=refused.plan.as_dict()
                )
            return self.response(200, **result.as_dict())

        return self._call(build)

    @expose("/export", methods=["GET"])
    @protect()
    @safe
    def export(self):
        """The running configuration as a template bundle (.zip, the folder ``exported/``).
        ---
        get:
          responses:
            200: {description: "application/zip"}
        """
        return self._call(lambda: send_zip(export_zip()))
