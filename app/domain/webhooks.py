"""Outgoing webhooks, the rules without a database: which events a subscription takes, which
URLs and addresses it may call, the signature a receiver checks, and when a failed delivery is
tried again.

    matches(["order.*"], "order.confirmed")            # True
    check_url("https://erp.example.com/hooks/dms")     # the URL, or ValidationFailed naming "url"
    signature("s3cret", "1767225600", b'{"event": …}') # "sha256=<hex>"
    retry_delay(1)                                     # timedelta(minutes=1); None after the last
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from app.domain.errors import ValidationFailed

# After the n-th failed attempt the next one waits RETRY_DELAYS[n-1]; after the last, ``failed``.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
MAX_URL = 500
MAX_NAME = 100


def patterns_for(events: Sequence[str]) -> set[str]:
    """Every name a subscription may list: each event, each family's ``<family>.*``, and ``*``."""
    families = {event.split(".", 1)[0] for event in events}
    return {*events, *(f"{family}.*" for family in families), "*"}


def matches(patterns: Iterable[str], event: str) -> bool:
    """Does a subscription listing ``patterns`` take ``event``?"""
    for pattern in patterns:
        if pattern == "*" or pattern == event:
            return True
        if pattern.endswith(".*") and event.startswith(pattern[:-1]):
            return True
    return False


def check_events(value: object, known: Sequence[str]) -> list[str]:
    """A non-empty list of known event names or patterns, without repeats (else 422 on ``events``)."""
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValidationFailed(
            "events must be a non-empty list of event names", {"events": "a non-empty list of event names"}
        )
    allowed = patterns_for(known)
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValidationFailed(
            f"unknown event {unknown[0]!r}: use one of {', '.join(known)}, or order.* / shipment.* / *",
            {"events": f"unknown event {unknown[0]!r}"},
        )
    return list(dict.fromkeys(value))


def check_url(value: object, allow_private: bool) -> str:
    """An absolute http(s) URL with a host and no credentials; an IP-literal host must be a public
    address unless ``allow_private`` (host names are checked again when delivering)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("url is required", {"url": "required"})
    url = value.strip()
    if has_control(url) or any(ch.isspace() for ch in url):
        raise ValidationFailed("url must not contain spaces or control characters", {"url": "spaces inside"})
    if len(url) > MAX_URL:
        raise ValidationFailed(f"url is longer than {MAX_URL} characters", {"url": "too long"})
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationFailed("url is not a valid URL", {"url": "not a valid URL"}) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationFailed("url must start with http:// or https://", {"url": "http or https only"})
    if not parts.hostname:
        raise ValidationFailed("url has no host", {"url": "a host is required"})
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed(
            "url must not carry a user name or password: receivers check the signature",
            {"url": "no credentials in the URL"},
        )
    if port == 0:
        raise ValidationFailed("url has port 0", {"url": "not a valid port"})
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None and not address_allowed(str(literal), allow_private):
        raise ValidationFailed(
            f"url points at a private or reserved address ({literal})",
            {"url": "a private or reserved address"},
        )
    return url


def address_allowed(address: str, allow_private: bool) -> bool:
    """May a delivery connect to this IP address? Public unicast only, unless ``allow_private``
    (then anything but unspecified and multicast addresses)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    mapped = getattr(ip, "ipv4_mapped", None)
    if mapped is not None:
        ip = mapped
    if ip.is_unspecified or ip.is_multicast:
        return False
    return allow_private or ip.is_global


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>.<body>"`` keyed with the secret."""
    message = timestamp.encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def retry_delay(attempts: int) -> timedelta | None:
    """How long to wait after ``attempts`` failed attempts; None when that was the last one."""
    if attempts < 1 or attempts > len(RETRY_DELAYS):
        return None
    return RETRY_DELAYS[attempts - 1]


def has_control(text: str) -> bool:
    """Any control character (NUL, line breaks …)?"""
    return any(ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in text)


def check_name(value: object) -> str:
    """A subscription's name: 1–100 characters, no control characters."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("name is required", {"name": "required"})
    if has_control(value):
        raise ValidationFailed("name must not contain control characters", {"name": "control characters"})
    if len(value.strip()) > MAX_NAME:
        raise ValidationFailed(f"name is longer than {MAX_NAME} characters", {"name": "too long"})
    return value.strip()
