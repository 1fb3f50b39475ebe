"""``/api/v1/kpi_set/``: the KPI sets of scorecards — list, read one (its YAML text and version),
and ``PUT /<key>`` a new version from YAML text (``{"yaml": "..."}`` or a ``text/yaml`` body).
A refused text is a 422 whose ``problems`` name the file, the KPI and the field; nothing changes.
Permission ``KpiSet`` (``read`` for everyone with scorecards, ``write`` for administrators and
sales operations)."""

from __future__ import annotations

from flask import g, request
from flask_appbuilder.api import expose, protect, safe

from app.adapters.kpi_store import record, records, save_set
from app.domain.errors import DomainError, ValidationFailed
from app.domain.kpi_sets import KpiSetRefused
from app.extensions import db
from app.models import KpiSetRecord
from app.web.api.base import JsonApi
from app.web.permissions import READ, WRITE

MAX_TEXT = 256 * 1024


def set_json(found: KpiSetRecord, text: bool = False) -> dict:
    out = {
        "key": found.key,
        "name": found.name,
        "name_en": found.name_en,
        "period": found.period,
        "version": found.version,
        "active": found.active,
        "updated_by": found.updated_by,
        "updated_at": found.updated_at.isoformat() if found.updated_at else None,
    }
    if text:
        out["yaml"] = found.yaml_text
    return out


def posted_text() -> str:
    """The YAML text of a PUT: ``{"yaml": ...}`` in JSON, or the body itself."""
    if request.is_json:
        body = request.get_json(silent=True)
        text = body.get("yaml") if isinstance(body, dict) else None
    else:
        raw = request.get_data(cache=False)
        text = raw.decode("utf-8", errors="replace") if len(raw) <= MAX_TEXT else None
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("the YAML text of the set is required", {"yaml": "required"})
    return text


class KpiSetApi(JsonApi):
    resource_name = "kpi_set"
    class_permission_name = "KpiSet"
    method_permission_name = {"get_list": READ, "get_one": READ, "put_one": WRITE}
    openapi_spec_tag = "Scorecards"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The KPI sets.
        ---
        get:
          responses:
            200: {description: "{result: [{key, name, name_en, period, version, active, updated_by,
              updated_at}]}"}
        """
        return self.response(200, result=[set_json(r) for r in records(db.session)])

    @expose("/<key>", methods=["GET"])
    @protect()
    @safe
    def get_one(self, key: str):
        """One KPI set with its YAML text.
        ---
        get:
          parameters:
          - {in: path, name: key, required: true, schema: {type: string}}
          responses:
            200: {description: "{key, name, period, version, yaml, ...}"}
            404: {description: No such set}
        """
        try:
            return self.response(200, **set_json(record(db.session, key), text=True))
        except DomainError as error:
            return self.fail(error)

    @expose("/<key>", methods=["PUT"])
    @protect()
    @safe
    def put_one(self, key: str):
        """Save a new version of a KPI set (or a new set) from its YAML text.
        ---
        put:
          parameters:
          - {in: path, name: key, required: true, schema: {type: string}}
          requestBody:
            content:
              application/json: {schema: {type: object, properties: {yaml: {type: string}}}}
              text/yaml: {schema: {type: string}}
          responses:
            200: {description: "the saved set: {key, version, ...}"}
            422: {description: "refused: {message, errors, problems: [{file, kpi, suggestion, field,
              message}]}"}
        """
        try:
            saved = save_set(db.session, key, posted_text(), g.user.username)
            db.session.commit()
        except KpiSetRefused as refused:
            db.session.rollback()
            return self.response(
                422, message=refused.message, errors=refused.errors, problems=refused.problems
            )
        except DomainError as error:
            return self.fail(error)
        return self.response(200, **set_json(saved))
