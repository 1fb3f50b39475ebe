"""Outgoing webhooks: subscriptions (an administrator's: name, URL, secret, events, active), the
listener on the business events bus that queues one delivery per matching subscription in the
transaction that caused the event, the delivery log and replay. Sending is
``webhook_delivery.deliver_due`` (a scheduled job, after the commit).

The secret is write-only: it is returned once, when generated on create, and never again.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, scoped_session

from app.adapters import order_events
from app.domain import webhooks as wh
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.models import WebhookDelivery, WebhookSubscription
from app.models.base import utcnow

FIELDS = {"name", "url", "secret", "events", "active"}
DELIVERY_STATUSES = ("pending", "delivered", "failed")
MIN_SECRET, MAX_SECRET = 16, 200


def install() -> None:
    """Listen to the business events (idempotent)."""
    order_events.subscribe(queue_deliveries)


def queue_deliveries(session: Session, event: str, payload: order_events.Payload) -> None:
    """Add a pending delivery for each active subscription taking ``event`` (no commit, no network)."""
    wanted = [s for s in _active(session) if wh.matches(s.events or [], event)]
    if not wanted:
        return
    now = utcnow()
    event_id = uuid.uuid4().hex
    body = {"event": event, "event_id": event_id, "occurred_at": now.isoformat(), "data": payload()}
    for subscription in wanted:
        session.add(
            WebhookDelivery(
                subscription_id=subscription.id,
                event=event,
                event_id=event_id,
                payload=body,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )


def _active(session: Session) -> list[Any]:
    """The active subscriptions (id, events), read once per transaction: an order emits several
    events in one."""
    transaction = (session() if isinstance(session, scoped_session) else session).get_transaction()
    cached = session.info.get(_ACTIVE)
    if cached is not None and cached[0] is transaction:
        return cached[1]
    with session.no_autoflush:  # reading the subscriptions needs nothing of this transaction's changes
        rows = session.execute(ACTIVE_SUBSCRIPTIONS).all()
    session.info[_ACTIVE] = (transaction, rows)
    return rows


_ACTIVE = "webhooks.active"
ACTIVE_SUBSCRIPTIONS = (
    select(WebhookSubscription.id, WebhookSubscription.events)
    .where(WebhookSubscription.active.is_(True))
    .order_by(WebhookSubscription.id)
)


def _secret(value: object) -> str:
    if not isinstance(value, str) or not MIN_SECRET <= len(value) <= MAX_SECRET or wh.has_control(value):
        raise ValidationFailed(
            f"secret must be {MIN_SECRET} to {MAX_SECRET} characters without control characters",
            {"secret": f"{MIN_SECRET} to {MAX_SECRET} printable characters"},
        )
    return value


def _values(session: Session, body: dict[str, Any], allow_private: bool, partial: bool, pk=None) -> dict:
    """Checked values of a create (all required but secret and active) or an update (any)."""
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown field {unknown[0]!r}", {name: "unknown field" for name in unknown})
    values: dict[str, Any] = {}
    for name in ("name", "url", "events"):
        if name not in body and not partial:
            raise ValidationFailed(f"{name} is required", {name: "required"})
    if "name" in body:
        values["name"] = wh.check_name(body["name"])
        taken = session.scalar(
            select(WebhookSubscription.id).where(
                WebhookSubscription.name == values["name"], WebhookSubscription.id != (pk or 0)
            )
        )
        if taken is not None:
            raise Conflict(f"a subscription named {values['name']!r} exists", {"name": "already used"})
    if "url" in body:
        values["url"] = wh.check_url(body["url"], allow_private)
    if "events" in body:
        values["events"] = wh.check_events(body["events"], order_events.EVENTS)
    if "active" in body:
        if not isinstance(body["active"], bool):
            raise ValidationFailed("active must be true or false", {"active": "a boolean"})
        values["active"] = body["active"]
    if body.get("secret") is not None:
        values["secret"] = _secret(body["secret"])
    return values


def create_subscription(
    session: Session, body: dict[str, Any], actor: str, allow_private: bool
) -> tuple[WebhookSubscription, str | None]:
    """Add a subscription (commits); the generated secret when none was given, else None."""
    values = _values(session, body, allow_private, partial=False)
    generated = None
    if "secret" not in values:
        generated = values["secret"] = secrets.token_hex(32)
    subscription = WebhookSubscription(active=values.pop("active", True), created_by=actor[:100], **values)
    session.add(subscription)
    session.commit()
    return subscription, generated


def find(session: Session, pk: int) -> WebhookSubscription:
    found = session.get(WebhookSubscription, pk)
    if found is None:
        raise NotFound("no such webhook subscription", {"id": "not found"})
    return found


def update_subscription(
    session: Session, pk: int, body: dict[str, Any], allow_private: bool
) -> WebhookSubscription:
    """Change some fields (a new secret is taken but never shown); commits."""
    subscription = find(session, pk)
    for name, value in _values(session, body, allow_private, partial=True, pk=pk).items():
        setattr(subscription, name, value)
    session.commit()
    return subscription


def delete_subscription(session: Session, pk: int) -> None:
    """Remove a subscription with its delivery log (deactivate it to keep the log); commits."""
    subscription = find(session, pk)
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id))
    session.delete(subscription)
    session.commit()


def subscriptions(session: Session) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def as_json(subscription: WebhookSubscription, secret: str | None = None) -> dict[str, Any]:
    """A subscription as the API shows it (never its secret, except one just generated)."""
    data = {
        "id": subscription.id,
        "name": subscription.name,
        "url": subscription.url,
        "events": list(subscription.events or []),
        "active": subscription.active,
        "created_by": subscription.created_by,
        "created_at": subscription.created_at.isoformat() if subscription.created_at else None,
        "updated_at": subscription.updated_at.isoformat() if subscription.updated_at else None,
    }
    if secret is not None:
        data["secret"] = secret
    return data


def delivery_json(delivery: WebhookDelivery) -> dict[str, Any]:
    def when(value):
        return value.isoformat() if value else None

    return {
        "id": delivery.id,
        "subscription_id": delivery.subscription_id,
        "event": delivery.event,
        "event_id": delivery.event_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": when(delivery.next_attempt_at) if delivery.status == "pending" else None,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "delivered_at": when(delivery.delivered_at),
        "created_at": when(delivery.created_at),
        "payload": delivery.payload,
    }


def deliveries(
    session: Session, pk: int, status: str | None, page: int, page_size: int
) -> tuple[int, list[WebhookDelivery]]:
    """A subscription's delivery log, newest first; (count, page)."""
    find(session, pk)
    clause = [WebhookDelivery.subscription_id == pk]
    if status:
        if status not in DELIVERY_STATUSES:
            raise ValidationFailed(
                f"status must be one of {', '.join(DELIVERY_STATUSES)}", {"status": "unknown status"}
            )
        clause.append(WebhookDelivery.status == status)
    count = session.scalar(select(func.count(WebhookDelivery.id)).where(*clause)) or 0
    rows = session.scalars(
        select(WebhookDelivery)
        .where(*clause)
        .order_by(WebhookDelivery.id.desc())
        .offset(page * page_size)
        .limit(page_size)
    ).all()
    return count, list(rows)


def replay(session: Session, delivery_id: int) -> WebhookDelivery:
    """Queue a delivery again now, same event id, attempts from zero (commits)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound("no such webhook delivery", {"id": "not found"})
    if not delivery.subscription.active:
        raise Conflict(
            "the subscription is inactive: activate it before replaying", {"subscription": "inactive"}
        )
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    delivery.last_error = None
    delivery.last_status_code = None
    delivery.delivered_at = None
    session.commit()
    return delivery
