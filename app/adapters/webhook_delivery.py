"""Send due webhook deliveries (the scheduled job ``webhooks.deliver``, after the commit that
queued them): POST the JSON payload with the signature headers; 2xx is delivered, anything else
is tried again after a back-off (``app.domain.webhooks.RETRY_DELAYS``) and ``failed`` after the
last attempt. Each delivery is claimed (its next attempt moved past a lease) and committed before
the network call, so no transaction stays open while a receiver answers and two runners never
send the same delivery at once.

SSRF guard: the host is resolved once per attempt and every address it resolves to must be public
(``allow_private`` lifts that for loopback and private networks: tests, an ERP on the LAN); the
connection goes to the address that was checked, so a second DNS answer cannot redirect it.
Redirects are not followed (a 3xx is a failed attempt) and no proxy from the environment is used.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.domain import webhooks as wh
from app.models import WebhookDelivery, WebhookSubscription
from app.models.base import utcnow

LEASE = timedelta(minutes=5)  # a claimed delivery is not due again before this, should the runner die
BATCH = 50
USER_AGENT = "DMS-Webhooks/1"


class Refused(Exception):
    """The URL may not be called (its host resolves to a private or reserved address)."""


@dataclass
class DeliveryRun:
    """What one run did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def headers_for(event: str, event_id: str, secret: str, body: bytes, now: float | None = None) -> dict:
    """Headers of one attempt: event, delivery id (the event id), timestamp and signature."""
    timestamp = str(int(now if now is not None else time.time()))
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-DMS-Event": event,
        "X-DMS-Delivery": event_id,
        "X-DMS-Timestamp": timestamp,
        "X-DMS-Signature": wh.signature(secret, timestamp, body),
    }


def _address(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to: the first the host resolves to, when all of them are allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise OSError(f"cannot resolve {host}: {error}") from None
    addresses = [info[4][0] for info in infos]
    blocked = [a for a in addresses if not wh.address_allowed(a, allow_private)]
    if blocked or not addresses:
        raise Refused(f"{host} resolves to a private or reserved address ({blocked[0] if blocked else '-'})")
    return addresses[0]


def post(url: str, body: bytes, headers: dict, timeout: float, allow_private: bool) -> tuple[int, str]:
    """POST ``body``; the status code and the start of the answer. Raises OSError or Refused."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    address = _address(host, port, allow_private)
    conn: http.client.HTTPConnection
    if https:
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def pinned(_target, timeout=None, source_address=None):
        return socket.create_connection((address, port), timeout, source_address)

    conn._create_connection = pinned  # type: ignore[attr-defined]  # connect to the checked address
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read(2048).decode("utf-8", "replace")
        return response.status, text
    finally:
        conn.close()


def _due(session: Session, now: datetime) -> list[tuple[WebhookDelivery, WebhookSubscription]]:
    rows = session.execute(
        select(WebhookDelivery, WebhookSubscription)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookSubscription.active.is_(True),
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(BATCH)
    ).all()
    return [(row[0], row[1]) for row in rows]


def _claim(session: Session, delivery_id: int, now: datetime) -> bool:
    """Move the next attempt past the lease unless another runner did so first (commits)."""
    claimed = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + LEASE)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return claimed.rowcount == 1


def _record(session: Session, delivery_id: int, code: int | None, error: str | None) -> str:
    """Write one attempt's outcome (commits); the delivery's new status."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:  # deleted with its subscription meanwhile
        session.commit()
        return "failed"
    now = utcnow()
    delivery.attempts += 1
    delivery.last_status_code = code
    delivery.last_error = error[:1000] if error else None
    if code is not None and 200 <= code < 300:
        delivery.status = "delivered"
        delivery.delivered_at = now
    else:
        delay = wh.retry_delay(delivery.attempts)
        if delay is None:
            delivery.status = "failed"
        else:
            delivery.next_attempt_at = now + delay
    session.commit()
    return delivery.status


def deliver_due(session: Session, allow_private: bool, timeout: float = 10.0) -> DeliveryRun:
    """Send every due delivery of an active subscription (up to a batch). After a subscription's
    first failure in a run, its other deliveries wait for the next run."""
    result = DeliveryRun()
    now = utcnow()
    due = [(d.id, d.event, d.event_id, d.payload, s.id, s.url, s.secret) for d, s in _due(session, now)]
    session.commit()
    failing: set[int] = set()
    for delivery_id, event, event_id, payload, subscription_id, url, secret in due:
        if subscription_id in failing or not _claim(session, delivery_id, now):
            result.skipped += 1
            continue
        body = body_bytes(payload)
        code: int | None = None
        error: str | None = None
        try:
            code, text = post(url, body, headers_for(event, event_id, secret, body), timeout, allow_private)
            if not 200 <= code < 300:
                error = f"HTTP {code}: {text[:500]}".strip()
        except Refused as refused:
            error = f"refused: {refused}"
        except (OSError, http.client.HTTPException, ValueError) as failure:
            error = f"{type(failure).__name__}: {failure}"
        status = _record(session, delivery_id, code, error)
        if status == "delivered":
            result.delivered += 1
        else:
            failing.add(subscription_id)
            result.failed += status == "failed"
            result.retried += status == "pending"
    return result
