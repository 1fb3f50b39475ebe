"""Form API: store a new version of a form, read the current one."""

from __future__ import annotations

from flask import current_app, g, has_app_context, request
from flask_appbuilder.api import BaseApi, expose, protect, safe

from app.domain.errors import DomainError
from app.engine.form_release import release_form
from app.extensions import db
from app.formkit import schemas
from app.formkit.store import latest_form
from app.web.api.base import status_for


def stored_lookup(name: str) -> tuple[dict, dict] | None:
    """The newest stored (schema, uischema) of form ``name`` (installed into formkit by the factory);
    outside an application context (no database) there is none."""
    if not has_app_context():
        return None
    found = latest_form(db.session, name)
    return (found.schema, found.uischema) if found else None


class FormApi(BaseApi):
    resource_name = "form"
    class_permission_name = "Form"
    method_permission_name = {"save": "write", "current": "read"}
    allow_browser_login = False

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def save(self):
        """Validate and store a new version of a form.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    name: {type: string}
                    schema: {type: object}
                    uischema: {type: object}
                  required: [name, schema]
          responses:
            201: {description: Stored as a new version}
            200: {description: Identical to a stored version}
            422: {description: Not a valid form, with the reason}
        """
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response(
                422, message="the body must be a JSON object", errors={"body": "a JSON object"}
            )
        try:
            version, created, flows = release_form(
                db.session,
                body.get("name"),
                body.get("schema"),
                body.get("uischema") or {},
                actor=g.user.username,
                known_roles=set(current_app.extensions["dms_roles"]),
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            problems = getattr(error, "problems", None)
            extra = {"problems": problems} if problems else {}
            return self.response(status_for(error), message=error.message, errors=error.errors, **extra)
        return self.response(
            201 if created else 200,
            name=version.name,
            version=version.version,
            redeployed=[{"key": d.key, "version": d.version} for d in flows],
        )

    @expose("/<string:name>", methods=["GET"])
    @protect()
    @safe
    def current(self, name: str):
        """The current version of a form (the newest stored version, else the file in forms/).
        ---
        get:
          parameters:
          - {in: path, name: name, required: true, schema: {type: string}}
          responses:
            200: {description: The form}
            404: {description: No such form}
        """
        found = latest_form(db.session, name)
        if found is not None:
            return self.response(
                200,
                name=found.name,
                source="stored",
                version=found.version,
                schema=found.schema,
                uischema=found.uischema,
            )
        if schemas.form_path(name) is None:
            return self.response_404()
        return self.response(
            200,
            name=name,
            source="file",
            version=None,
            schema=schemas.raw_schema(name),
            uischema=schemas.load_uischema(name),
        )
