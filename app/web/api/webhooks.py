"""``/api/v1/webhook/``: outgoing webhook subscriptions (CRUD), each one's delivery log, and
replaying a delivery. Permission class ``Webhook`` (administrators and consultants). The secret
is write-only: it is returned once, when the server generates it on create."""

from __future__ import annotations

from flask import current_app, request
from flask_appbuilder.api import expose, protect, safe

from app.adapters import webhooks
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.web.api.base import JsonApi, pk_in_range
from app.web.caller import caller
from app.web.permissions import READ, WRITE

MAX_PAGE_SIZE = 200


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValidationFailed(f"{name} must be a whole number from {low} to {high}", {name: "out of range"})
    return int(raw)


class WebhookApi(JsonApi):
    resource_name = "webhook"
    class_permission_name = "Webhook"
    method_permission_name = {
        "list_subscriptions": READ,
        "create": WRITE,
        "show": READ,
        "edit": WRITE,
        "remove": WRITE,
        "deliveries": READ,
        "replay": WRITE,
    }
    openapi_spec_tag = "Webhooks"

    @staticmethod
    def allow_private() -> bool:
        return bool(current_app.config["DMS_WEBHOOK_ALLOW_PRIVATE"])

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def list_subscriptions(self):
        """Every webhook subscription (without secrets).
        ---
        get:
          responses:
            200: {description: "{count, result: [{id, name, url, events, active, ...}]}"}
        """
        rows = [webhooks.as_json(s) for s in webhooks.subscriptions(db.session)]
        return self.response(200, count=len(rows), result=rows)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    def create(self):
        """Subscribe a URL to events; without a ``secret`` one is generated and returned this once.
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  required: [name, url, events]
                  properties:
                    name: {type: string, maxLength: 100}
                    url: {type: string, description: "http(s) URL"}
                    secret: {type: string, minLength: 16, maxLength: 200, writeOnly: true}
                    events: {type: array, items: {type: string}, description: "order.confirmed, order.*, *"}
                    active: {type: boolean}
          responses:
            201: {description: The subscription (with its secret only when generated)}
            409: {description: The name is used by another subscription}
            422: {description: Invalid input, naming the field}
        """
        try:
            subscription, secret = webhooks.create_subscription(
                db.session, self.body(), caller().name, self.allow_private()
            )
            return self.response(201, **webhooks.as_json(subscription, secret))
        except DomainError as error:
            return self.fail(error)

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    def show(self, pk):
        """One subscription (without its secret).
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: The subscription}
            404: {description: Not found}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            return self.response(200, **webhooks.as_json(webhooks.find(db.session, int(pk))))
        except DomainError as error:
            return self.fail(error)

    @expose("/<pk>", methods=["PUT"])
    @protect()
    @safe
    def edit(self, pk):
        """Change any of name, url, secret (never shown), events, active.
        ---
        put:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    name: {type: string}
                    url: {type: string}
                    secret: {type: string, writeOnly: true}
                    events: {type: array, items: {type: string}}
                    active: {type: boolean}
          responses:
            200: {description: The subscription}
            404: {description: Not found}
            409: {description: The name is used by another subscription}
            422: {description: Invalid input, naming the field}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            subscription = webhooks.update_subscription(
                db.session, int(pk), self.body(), self.allow_private()
            )
            return self.response(200, **webhooks.as_json(subscription))
        except DomainError as error:
            return self.fail(error)

    @expose("/<pk>", methods=["DELETE"])
    @protect()
    @safe
    def remove(self, pk):
        """Delete a subscription and its delivery log (set ``active`` false to keep the log).
        ---
        delete:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: Deleted}
            404: {description: Not found}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            webhooks.delete_subscription(db.session, int(pk))
            return self.response(200, message="deleted")
        except DomainError as error:
            return self.fail(error)

    @expose("/<pk>/deliveries", methods=["GET"])
    @protect()
    @safe
    def deliveries(self, pk):
        """The subscription's delivery log, newest first.
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          - {in: query, name: status, schema: {type: string, enum: [pending, delivered, failed]}}
          - {in: query, name: page, schema: {type: integer, minimum: 0}}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 200}}
          responses:
            200: {description: "{count, result: [{id, event, event_id, status, attempts, next_attempt_at,
              last_status_code, last_error, delivered_at, created_at, payload}]}"}
            404: {description: Not found}
            422: {description: A bad status, page or page_size}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            page = _int_arg("page", 0, 0, 1_000_000)
            page_size = _int_arg("page_size", 50, 1, MAX_PAGE_SIZE)
            count, rows = webhooks.deliveries(
                db.session, int(pk), request.args.get("status") or None, page, page_size
            )
            return self.response(200, count=count, result=[webhooks.delivery_json(d) for d in rows])
        except DomainError as error:
            return self.fail(error)

    @expose("/delivery/<pk>/replay", methods=["POST"])
    @protect()
    @safe
    def replay(self, pk):
        """Queue a delivery again now: same event id and payload, attempts from zero.
        ---
        post:
          parameters:
          - {in: path, name: pk, schema: {type: integer}}
          responses:
            200: {description: The delivery, pending}
            404: {description: Not found}
            409: {description: The subscription is inactive}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            return self.response(200, **webhooks.delivery_json(webhooks.replay(db.session, int(pk))))
        except DomainError as error:
            return self.fail(error)
