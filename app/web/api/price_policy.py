"""``/api/v1/price_policy/``: policy versions, drafts (a copy of the live version), their records,
validation, the diff with the live version, the simulation of a draft on past orders and
publishing (class ``PricePolicy``: ``read`` to look, ``write`` to change and publish).
See docs/pricing.md.
"""

from __future__ import annotations

from datetime import datetime

from flask import g, request
from flask_appbuilder.api import expose, protect, safe
from sqlalchemy import select

from app.adapters import policy_simulation, price_report, pricing, pricing_admin
from app.domain.errors import DomainError, NotFound, ValidationFailed
from app.extensions import db
from app.models import PolicyVersion, PriceRecord
from app.web.api.base import JsonApi, pk_in_range
from app.web.api.pricing import condition_json
from app.web.permissions import READ, WRITE
from app.web.scope import current_scope


def version_json(v: PolicyVersion) -> dict:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": v.id,
        "number": v.number,
        "status": v.status,
        "effective_from": iso(v.effective_from),
        "effective_to": iso(v.effective_to),
        "note": v.note,
        "created_by": v.created_by,
        "created_at": iso(v.created_at),
        "published_by": v.published_by,
        "published_at": iso(v.published_at),
    }


class PricePolicyApi(JsonApi):
    resource_name = "price_policy"
    class_permission_name = "PricePolicy"
    method_permission_name = {
        "versions": READ,
        "records": READ,
        "validate": READ,
        "diff": READ,
        "simulate": READ,
        "create_draft": WRITE,
        "add_record": WRITE,
        "edit_record": WRITE,
        "delete_record": WRITE,
        "publish": WRITE,
    }
    openapi_spec_tag = "Price policy"

    def load_version(self, pk: int) -> PolicyVersion:
        found = db.session.get(PolicyVersion, pk) if pk_in_range(pk) else None
        if found is None:
            raise NotFound(f"no version {pk}")
        return found

    def load_record(self, pk: int, rid: int) -> PriceRecord:
        found = db.session.get(PriceRecord, rid) if pk_in_range(rid) else None
        if found is None or found.version_id != pk:
            raise NotFound(f"no record {rid} in version {pk}")
        return found

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def versions(self):
        """Every policy version, newest first.
        ---
        get:
          responses:
            200: {description: "{result: [{id, number, status, effective_from, effective_to, note, created_by,
              published_by, published_at}]}"}
        """
        rows = db.session.scalars(select(PolicyVersion).order_by(PolicyVersion.number.desc()))
        return self.response(200, result=[version_json(v) for v in rows])

    @expose("/draft", methods=["POST"])
    @protect()
    @safe
    def create_draft(self):
        """Start a draft: a copy of the live version's records.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema: {type: object, properties: {note: {type: string, maxLength: 500}}}
          responses:
            201: {description: "the new version {id, number, status, ...}"}
        """
        body = request.get_json(silent=True)
        note = str(body.get("note") or "")[:500] or None if isinstance(body, dict) else None
        draft = pricing_admin.create_draft(db.session, g.user.username, note)
        db.session.commit()
        return self.response(201, **version_json(draft))

    @expose("/<int:pk>/records", methods=["GET"])
    @protect()
    @safe
    def records(self, pk: int):
        """The records of a version.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200:
              description: "{version, result: [{id, type, sku, product_line, category, region, tier,
                dealer, min_qty, price, discount_pct, buy_x, get_y, valid_from, valid_to, stackable,
                reference}]}"
            404: {description: No such version}
        """
        try:
            version = self.load_version(pk)
        except DomainError as error:
            return self.fail(error)
        found = sorted(pricing.conditions_of(db.session, version.id), key=lambda c: c.id)
        return self.response(200, version=version_json(version), result=[condition_json(c) for c in found])

    @expose("/<int:pk>/records", methods=["POST"])
    @protect()
    @safe
    def add_record(self, pk: int):
        """Add a record to a draft (codes for SKU, product line, category, region, tier, dealer).
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [type]
                  properties:
                    type: {type: string, enum: [dealer, tier, region, volume, base, promo]}
                    sku: {type: string}
                    product_line: {type: string}
                    category: {type: string}
                    region: {type: string}
                    tier: {type: string}
                    dealer: {type: string}
                    min_qty: {type: integer, minimum: 1}
                    price: {type: string, description: "≥ 0, at most 4 decimals"}
                    discount_pct: {type: string}
                    buy_x: {type: integer}
                    get_y: {type: integer}
                    valid_from: {type: string, format: date}
                    valid_to: {type: string, format: date}
                    stackable: {type: boolean}
                    reference: {type: string}
          responses:
            201: {description: the record}
            404: {description: No such version}
            409: {description: The version is not a draft}
            422: {description: Invalid fields (named)}
        """
        try:
            version = self.load_version(pk)
            record = pricing_admin.add_record(
                db.session, version, pricing_admin.record_values(db.session, self.body())
            )
            db.session.commit()
        except DomainError as error:
            return self.fail(error)
        return self.response(201, **self._record_json(version.id, record.id))

    def _record_json(self, version_id: int, rid: int) -> dict:
        return next(condition_json(c) for c in pricing.conditions_of(db.session, version_id) if c.id == rid)

    @expose("/<int:pk>/records/<int:rid>", methods=["PUT"])
    @protect()
    @safe
    def edit_record(self, pk: int, rid: int):
        """Replace a draft record's fields (same body as adding one).
        ---
        put:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: rid, required: true, schema: {type: integer}}
          requestBody:
            required: true
            content:
              application/json:
                schema: {type: object}
          responses:
            200: {description: the record}
            404: {description: No such record in this version}
            409: {description: The version is not a draft}
            422: {description: Invalid fields (named)}
        """
        try:
            record = self.load_record(pk, rid)
            pricing_admin.update_record(
                db.session, record, pricing_admin.record_values(db.session, self.body())
            )
            db.session.commit()
        except DomainError as error:
            return self.fail(error)
        return self.response(200, **self._record_json(pk, rid))

    @expose("/<int:pk>/records/<int:rid>", methods=["DELETE"])
    @protect()
    @safe
    def delete_record(self, pk: int, rid: int):
        """Remove a record from a draft.
        ---
        delete:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: rid, required: true, schema: {type: integer}}
          responses:
            200: {description: deleted}
            404: {description: No such record in this version}
            409: {description: The version is not a draft}
        """
        try:
            pricing_admin.delete_record(db.session, self.load_record(pk, rid))
            db.session.commit()
        except DomainError as error:
            return self.fail(error)
        return self.response(200, message="deleted")

    @expose("/<int:pk>/validate", methods=["GET"])
    @protect()
    @safe
    def validate(self, pk: int):
        """Check a version: overlaps, negative prices, tier gaps, promotions out of dates.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: "{ok, problems: [{records: [id], message}]}"}
            404: {description: No such version}
        """
        try:
            found = pricing_admin.validate(db.session, self.load_version(pk))
        except DomainError as error:
            return self.fail(error)
        problems = [{"records": list(p.records), "message": p.message} for p in found]
        return self.response(200, ok=not problems, problems=problems)

    @expose("/<int:pk>/diff", methods=["GET"])
    @protect()
    @safe
    def diff(self, pk: int):
        """What a version adds, removes and changes compared with the live version.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: "{added: [record], removed: [record], changed: [{live, draft}]}"}
            404: {description: No such version}
        """
        try:
            result = pricing_admin.diff_with_live(db.session, self.load_version(pk))
        except DomainError as error:
            return self.fail(error)
        return self.response(
            200,
            added=[condition_json(c) for c in result.added],
            removed=[condition_json(c) for c in result.removed],
            changed=[{"live": condition_json(a), "draft": condition_json(b)} for a, b in result.changed],
        )

    @expose("/<int:pk>/simulate", methods=["GET"])
    @protect()
    @safe
    def simulate(self, pk: int):
        """Replay the last N months of order lines under the live policy and under this draft.
        ---
        get:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: query, name: months, schema: {type: integer, minimum: 1, maximum: 24, default: 6}}
          - {in: query, name: on, schema: {type: string, format: date}, description: pricing day}
          responses:
            200: {description: "{months, on, since, total, by_region: [...], by_tier: [...], unpriced_lines}"}
            404: {description: No such version}
            422: {description: Not a draft, or bad months / date}
        """
        try:
            months = policy_simulation.parse_months(request.args.get("months"))
            on = price_report.period(request.args.get("on"), None)[0]
            result = policy_simulation.simulate(
                db.session, self.load_version(pk), current_scope(), months, on
            )
        except DomainError as error:
            return self.fail(error)
        return self.response(200, **result.as_dict())

    @expose("/<int:pk>/publish", methods=["POST"])
    @protect()
    @safe
    def publish(self, pk: int):
        """Validate and publish a draft for every dealer, now or at a future time.
        ---
        post:
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    effective_from: {type: string, format: date-time, description: "default: now"}
          responses:
            200: {description: the published version}
            404: {description: No such version}
            409: {description: "Not a draft, or not after the latest published version"}
            422: {description: "The draft has problems: errors name records/<id>"}
        """
        try:
            version = self.load_version(pk)
            body = request.get_json(silent=True) or {}
            starts = parse_moment(body.get("effective_from") if isinstance(body, dict) else None)
            pricing_admin.publish(db.session, version, starts, g.user.username)
            db.session.commit()
        except DomainError as error:
            return self.fail(error)
        return self.response(200, **version_json(version))


def parse_moment(raw: object) -> datetime | None:
    """An ISO date-time (a date alone means its start, UTC); None for now."""
    if raw in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(raw))
    except ValueError:
        raise ValidationFailed("effective_from: not a date-time", {"effective_from": "ISO 8601"}) from None
