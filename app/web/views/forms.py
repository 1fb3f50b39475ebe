"""Form designer: schema and UI schema side by side, a live preview rendered by the server,
"try it" validation with sample data, and saving a new version (administrators, consultants)."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, current_app, flash, g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import get_locale, gettext

from app.domain.errors import ValidationFailed
from app.engine.form_release import release_form
from app.extensions import db
from app.formkit import schemas
from app.formkit.fields import build_form
from app.formkit.store import check_form, latest_form
from app.models import FormVersion
from app.web.i18n import field_errors

STARTER = {
    "type": "object",
    "title": {"zh_CN": "新表单", "en": "New form"},
    "properties": {"comment": {"type": "string", "title": {"zh_CN": "备注", "en": "Comment"}}},
}


def _parse(text: str, field: str, errors: dict[str, str]) -> Any:
    """JSON from a textarea, or an error naming the box, the line and the column."""
    try:
        return json.loads(text or "{}")
    except json.JSONDecodeError as error:
        errors[field] = gettext(
            "not valid JSON: line %(line)d, column %(col)d: %(msg)s",
            line=error.lineno,
            col=error.colno,
            msg=error.msg,
        )
        return None


def form_listing() -> list[dict[str, Any]]:
    files = sorted(p.name.removesuffix(".schema.json") for p in schemas.FORMS_DIR.glob("*.schema.json"))
    found = {name: {"name": name, "source": "file", "version": None} for name in files}
    for row in db.session.query(FormVersion.name, db.func.max(FormVersion.version)).group_by(
        FormVersion.name
    ):
        found[row[0]] = {"name": row[0], "source": "stored", "version": row[1]}
    return sorted(found.values(), key=lambda f: f["name"])


class FormDesignerView(BaseView):
    route_base = "/forms"
    class_permission_name = "Form"
    method_permission_name = {"index": "read", "edit": "read", "design": "write"}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        return self.render_template("forms/list.html", forms=form_listing())

    @expose("/edit/")
    @expose("/edit/<string:name>")
    @has_access
    def edit(self, name: str = ""):
        schema, uischema = STARTER, {}
        if name:
            stored = latest_form(db.session, name)
            if stored is not None:
                schema, uischema = stored.schema, stored.uischema
            elif schemas.form_path(name) is not None:
                schema, uischema = schemas.raw_schema(name), schemas.load_uischema(name)
            else:
                abort(404)
        texts = {
            "schema": json.dumps(schema, ensure_ascii=False, indent=2),
            "uischema": json.dumps(uischema, ensure_ascii=False, indent=2),
            "sample": "{}",
        }
        return self._page(name, texts, schema, uischema, {}, {})

    def _page(self, name, texts, schema, uischema, errors, sample_errors, status=200, result=None):
        preview = []
        if schema is not None and not errors:
            preview = build_form(
                schema, uischema or {}, None, sample_errors, str(get_locale() or "zh_CN"), gettext
            )
        page = self.render_template(
            "forms/designer.html",
            name=name,
            texts=texts,
            errors=errors,
            preview=preview,
            sample_errors=sample_errors,
            result=result,
        )
        return page, status

    @expose("/design", methods=["POST"])
    @has_access
    def design(self):
        name = request.form.get("name", "").strip()
        texts = {k: request.form.get(k, "") for k in ("schema", "uischema", "sample")}
        errors: dict[str, str] = {}
        schema = _parse(texts["schema"], "schema", errors)
        uischema = _parse(texts["uischema"], "uischema", errors)
        action = request.form.get("action", "preview")
        if not errors:
            try:
                check_form(name if action == "save" else "preview", schema, uischema)
            except ValidationFailed as error:
                errors.update({k: error.message if k == "schema" else v for k, v in error.errors.items()})
        if errors:
            return self._page(name, texts, None, None, errors, {}, status=422)
        sample_errors: dict[str, str] = {}
        result = None
        if action == "try":
            sample = _parse(texts["sample"], "sample", errors)
            if errors:
                return self._page(name, texts, schema, uischema, errors, {}, status=422)
            try:
                schemas.validate(schemas.closed_schema(schema), sample)
                result = gettext("The sample data are valid.")
            except ValidationFailed as error:
                sample_errors = field_errors(error)
        if action == "save":
            try:
                version, created, flows = release_form(
                    db.session,
                    name,
                    schema,
                    uischema,
                    actor=g.user.username,
                    known_roles=set(current_app.extensions["dms_roles"]),
                )
            except ValidationFailed as refused:
                db.session.rollback()
                return self._page(name, texts, schema, uischema, {"schema": refused.message}, {}, status=422)
            db.session.commit()
            flash(
                gettext("Saved %(name)s version %(v)d", name=version.name, v=version.version)
                if created
                else gettext("No change: %(name)s version %(v)d", name=version.name, v=version.version),
                "success",
            )
            for flow in flows:
                flash(gettext("Deployed %(key)s version %(v)d", key=flow.key, v=flow.version), "info")
        return self._page(name, texts, schema, uischema, {}, sample_errors, result=result)
