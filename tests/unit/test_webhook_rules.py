"""Webhook rules without a database: event patterns, URLs and addresses, signature, back-off."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest

from app.domain import webhooks as wh
from app.domain.errors import ValidationFailed

EVENTS = ("order.submitted", "order.confirmed", "shipment.created")


def test_patterns_match_names_families_and_everything():
    assert wh.matches(["order.confirmed"], "order.confirmed")
    assert not wh.matches(["order.confirmed"], "order.submitted")
    assert wh.matches(["order.*"], "order.shipped") and not wh.matches(["order.*"], "shipment.created")
    assert wh.matches(["*"], "shipment.created")
    assert not wh.matches([], "order.confirmed")
    assert not wh.matches(["order.*"], "orderx.confirmed")


def test_events_must_be_known_names_or_family_patterns():
    assert wh.check_events(["order.*", "shipment.created", "order.*"], EVENTS) == [
        "order.*",
        "shipment.created",
    ]
    for bad in (["order.paid"], ["ord*"], ["invoice.*"], [], None, "order.*", [1]):
        with pytest.raises(ValidationFailed) as refused:
            wh.check_events(bad, EVENTS)
        assert "events" in refused.value.errors


@pytest.mark.parametrize(
    "url",
    [
        "ftp://a.example/x",
        "javascript:alert(1)",
        "http://",
        "http:///x",
        "//a.example/x",
        "http://u:p@a.example/",
        "http://a.example:0/",
        "http://a.example:99999/",
        "http://[::1/",
        "http://a.example/x y",
        "http://a.example/\r\nX-Injected: 1",
        "http://" + "a" * 500 + ".example/",
    ],
)
def test_bad_urls_are_refused_naming_url(url):
    with pytest.raises(ValidationFailed) as refused:
        wh.check_url(url, allow_private=True)
    assert "url" in refused.value.errors


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/", "http://10.0.0.5/", "http://192.168.1.1/", "http://[fd00::1]/", "http://[::]/"],
)
def test_private_ip_literals_need_the_flag(url):
    with pytest.raises(ValidationFailed):
        wh.check_url(url, allow_private=False)
    if "[::]" not in url:  # unspecified: never
        assert wh.check_url(url, allow_private=True) == url


def test_addresses():
    assert wh.address_allowed("93.184.216.34", False)
    for private in (
        "127.0.0.1",
        "10.1.1.1",
        "172.16.0.1",
        "169.254.169.254",
        "::1",
        "fe80::1%eth0",
        "100.64.0.1",
    ):
        assert not wh.address_allowed(private, False), private
    assert not wh.address_allowed("::ffff:127.0.0.1", False)  # IPv4-mapped loopback
    assert wh.address_allowed("127.0.0.1", True)
    assert not wh.address_allowed("::", True) and not wh.address_allowed("224.0.0.1", True)


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    body = b'{"event":"order.confirmed"}'
    expected = hmac.new(b"secret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert wh.signature("secret", "1700000000", body) == f"sha256={expected}"
    assert wh.signature("other", "1700000000", body) != wh.signature("secret", "1700000000", body)


def test_back_off_then_give_up():
    assert [wh.retry_delay(n) for n in range(1, 6)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=12),
    ]
    assert wh.retry_delay(6) is None and wh.MAX_ATTEMPTS == 6
