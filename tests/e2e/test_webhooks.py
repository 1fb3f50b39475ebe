"""Outgoing webhooks over HTTP: an administrator subscribes a URL; confirming an order queues a
delivery that the delivery job POSTs, signed, to a real local server; a failing receiver is tried
again with back-off and the delivery fails after the last attempt; replay sends it again; bad
subscriptions are refused naming the field; only administrators and consultants may manage them."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from tests.conftest import api_token, auth
from tests.e2e.order_world import Receiver, close, order_app, place_order

SECRET = "a-shared-secret-of-the-erp-0123456789"


@pytest.fixture(scope="module")
def app(database_url):
    application = order_app(database_url, DMS_WEBHOOK_ALLOW_PRIVATE=True)
    yield application
    close(application)


@pytest.fixture(scope="module")
def tokens(app):
    client = app.test_client()
    from tests.conftest import ADMIN_PASSWORD

    result = {u: api_token(client, u) for u in ("consultant", "dealer_sh1", "rm_east", "exec")}
    result["admin"] = api_token(client, "admin", ADMIN_PASSWORD)
    return result


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def only_new_subscriptions(app):
    """Each test sees only the subscriptions it makes."""
    from app.extensions import db
    from app.models import WebhookSubscription

    with app.app_context():
        db.session.execute(update(WebhookSubscription).values(active=False))
        db.session.commit()


def subscribe(client, token, url, events, expect=201, **extra) -> dict:
    body = {"name": f"erp {time.monotonic_ns()}", "url": url, "events": events} | extra
    resp = client.post("/api/v1/webhook/", json=body, headers=auth(token))
    assert resp.status_code == expect, resp.get_json()
    return resp.get_json()


def run_delivery_job(app):
    from app.jobs.notifications import deliver_webhooks

    with app.app_context():
        return deliver_webhooks(app)


def deliveries(client, token, subscription_id) -> list[dict]:
    resp = client.get(f"/api/v1/webhook/{subscription_id}/deliveries", headers=auth(token))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["result"]


def make_due(app, delivery_id):
    """Pretend the back-off has passed."""
    from app.extensions import db
    from app.models import WebhookDelivery

    with app.app_context():
        db.session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id)
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        db.session.commit()


def test_confirmed_order_is_posted_signed_to_the_subscriber(client, tokens, app, receiver):
    created = subscribe(client, tokens["admin"], receiver.url, ["order.confirmed"], secret=SECRET)
    assert "secret" not in created  # given by the admin: never echoed

    order = place_order(client, tokens["dealer_sh1"], [{"sku": "W-550", "qty": 10}])
    assert order["status"] == "confirmed"
    assert receiver.requests == []  # nothing is sent inside the request that confirmed the order
    queued = deliveries(client, tokens["admin"], created["id"])
    assert [(d["event"], d["status"], d["attempts"]) for d in queued] == [("order.confirmed", "pending", 0)]

    result = run_delivery_job(app)
    assert result.delivered == 1

    [request] = receiver.requests
    headers, raw = request["headers"], request["raw"]
    assert request["path"] == "/hooks/dms"
    assert headers["Content-Type"].startswith("application/json")
    assert headers["X-DMS-Event"] == "order.confirmed"
    timestamp = headers["X-DMS-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-DMS-Signature"], f"sha256={expected}")
    body = receiver.bodies()[0]
    assert body["event"] == "order.confirmed" and body["event_id"] == headers["X-DMS-Delivery"]
    assert len(body["event_id"]) == 32 and datetime.fromisoformat(body["occurred_at"]).tzinfo is not None
    assert body["data"]["order"] == order["number"] and body["data"]["dealer"] == "D-SH-1"
    assert body["data"]["status"] == "confirmed" and body["data"]["lines"][0]["sku"] == "W-550"

    [done] = deliveries(client, tokens["admin"], created["id"])
    assert done["status"] == "delivered" and done["attempts"] == 1 and done["last_status_code"] == 200
    assert run_delivery_job(app).delivered == 0  # delivered once, not again
    assert len(receiver.requests) == 1


def test_patterns_take_every_event_of_a_family(client, tokens, app, receiver):
    everything = subscribe(client, tokens["consultant"], receiver.url, ["order.*"])
    assert len(everything["secret"]) >= 32  # generated, shown this once
    shown = client.get(f"/api/v1/webhook/{everything['id']}", headers=auth(tokens["admin"])).get_json()
    listed = client.get("/api/v1/webhook/", headers=auth(tokens["admin"])).get_json()["result"]
    assert "secret" not in shown and all("secret" not in s for s in listed)
    inactive = subscribe(client, tokens["admin"], receiver.url, ["*"], active=False)

    place_order(client, tokens["dealer_sh1"], [{"sku": "W-550", "qty": 2}])
    run_delivery_job(app)
    events = [b["event"] for b in receiver.bodies()]
    assert events == ["order.submitted", "order.confirmed"]
    assert len({b["event_id"] for b in receiver.bodies()}) == 2
    assert deliveries(client, tokens["admin"], inactive["id"]) == []
    # the generated secret signs the deliveries
    first = receiver.requests[0]
    mac = hmac.new(
        everything["secret"].encode(),
        first["headers"]["X-DMS-Timestamp"].encode() + b"." + first["raw"],
        "sha256",
    )
    assert first["headers"]["X-DMS-Signature"] == "sha256=" + mac.hexdigest()


def test_failing_receiver_is_retried_with_backoff_then_failed_and_replay_delivers(client, tokens, app):
    broken = Receiver(status=500)
    try:
        sub = subscribe(client, tokens["admin"], broken.url, ["order.confirmed"], secret=SECRET)
        place_order(client, tokens["dealer_sh1"], [{"sku": "W-550", "qty": 3}])
        [queued] = deliveries(client, tokens["admin"], sub["id"])

        waits = []
        for attempt in range(1, 7):
            if attempt > 1:
                make_due(app, queued["id"])
            before = datetime.now(UTC)
            result = run_delivery_job(app)
            [row] = deliveries(client, tokens["admin"], sub["id"])
            assert row["attempts"] == attempt and row["last_status_code"] == 500
            assert row["last_error"].startswith("HTTP 500") and "receiver broken" in row["last_error"]
            if attempt < 6:
                assert row["status"] == "pending" and result.retried == 1
                waits.append(datetime.fromisoformat(row["next_attempt_at"]) - before)
            else:
                assert row["status"] == "failed" and result.failed == 1 and row["next_attempt_at"] is None
        expected = [60, 300, 1800, 7200, 43200]
        assert [round(w.total_seconds() / 10) * 10 for w in waits] == expected
        assert len(broken.requests) == 6
        assert len({r["headers"]["X-DMS-Delivery"] for r in broken.requests}) == 1  # one event id

        make_due(app, queued["id"])
        assert run_delivery_job(app).delivered == 0 and len(broken.requests) == 6  # failed stays failed

        broken.status = 200
        resp = client.post(f"/api/v1/webhook/delivery/{queued['id']}/replay", headers=auth(tokens["admin"]))
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["status"] == "pending" and resp.get_json()["attempts"] == 0
        assert run_delivery_job(app).delivered == 1
        [row] = deliveries(client, tokens["admin"], sub["id"])
        assert row["status"] == "delivered" and row["attempts"] == 1 and row["last_error"] is None
        assert broken.requests[-1]["headers"]["X-DMS-Delivery"] == queued["event_id"]
    finally:
        broken.stop()


def test_unreachable_receiver_is_retried(client, tokens, app):
    gone = Receiver()
    gone.stop()  # nothing listens there any more
    sub = subscribe(client, tokens["admin"], gone.url, ["order.confirmed"])
    place_order(client, tokens["dealer_sh1"], [{"sku": "W-550", "qty": 1}])
    assert run_delivery_job(app).retried == 1
    [row] = deliveries(client, tokens["admin"], sub["id"])
    assert row["status"] == "pending" and row["attempts"] == 1 and row["last_status_code"] is None
    assert "ConnectionRefused" in row["last_error"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"url": "ftp://erp.example.com/hook"}, "url"),
        ({"url": "file:///etc/passwd"}, "url"),
        ({"url": "http://"}, "url"),
        ({"url": "https:///path-only"}, "url"),
        ({"url": "http://user:pw@erp.example.com/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": None}, "url"),
        ({"events": ["order.teleported"]}, "events"),
        ({"events": []}, "events"),
        ({"events": "order.confirmed"}, "events"),
        ({"events": ["invoice.*"]}, "events"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"secret": "short"}, "secret"),
        ({"secret": "long enough but \x00 inside"}, "secret"),
        ({"name": "nul \x00 inside"}, "name"),
        ({"active": "yes"}, "active"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_subscription_is_422_naming_the_field(client, tokens, body, field):
    good = {
        "name": f"bad {field} {time.monotonic_ns()}",
        "url": "https://erp.example.com/hook",
        "events": ["*"],
    }
    resp = client.post("/api/v1/webhook/", json=good | body, headers=auth(tokens["admin"]))
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["errors"]


def test_missing_fields_duplicates_and_edits(client, tokens):
    resp = client.post("/api/v1/webhook/", json={"name": "only a name"}, headers=auth(tokens["admin"]))
    assert resp.status_code == 422 and "url" in resp.get_json()["errors"]
    sub = subscribe(client, tokens["admin"], "https://erp.example.com/hook", ["order.confirmed"])
    again = client.post(
        "/api/v1/webhook/",
        json={"name": sub["name"], "url": sub["url"], "events": ["*"]},
        headers=auth(tokens["admin"]),
    )
    assert again.status_code == 409 and "name" in again.get_json()["errors"]

    path = f"/api/v1/webhook/{sub['id']}"
    edited = client.put(
        path, json={"events": ["shipment.*"], "secret": "b" * 20}, headers=auth(tokens["admin"])
    )
    assert edited.status_code == 200 and edited.get_json()["events"] == ["shipment.*"]
    assert "secret" not in edited.get_json()
    bad = client.put(path, json={"url": "gopher://x"}, headers=auth(tokens["admin"]))
    assert bad.status_code == 422 and "url" in bad.get_json()["errors"]
    assert client.delete(path, headers=auth(tokens["admin"])).status_code == 200
    assert client.get(path, headers=auth(tokens["admin"])).status_code == 404
    admin = auth(tokens["admin"])
    assert client.get("/api/v1/webhook/99999999999999999999", headers=admin).status_code == 404
    assert client.post("/api/v1/webhook/delivery/424242/replay", headers=admin).status_code == 404


def test_private_addresses_are_refused_unless_allowed(client, tokens, app, receiver):
    app.config["DMS_WEBHOOK_ALLOW_PRIVATE"] = False
    try:
        for url in (
            "http://127.0.0.1:8080/hook",
            "http://10.1.2.3/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/",
        ):
            resp = client.post(
                "/api/v1/webhook/",
                json={"name": f"private {url}", "url": url, "events": ["*"]},
                headers=auth(tokens["admin"]),
            )
            assert resp.status_code == 422 and "url" in resp.get_json()["errors"], url
        # a host name is checked when delivering: localhost resolves to loopback
        url = receiver.url.replace("127.0.0.1", "localhost")
        sub = subscribe(client, tokens["admin"], url, ["order.confirmed"])
        place_order(client, tokens["dealer_sh1"], [{"sku": "W-550", "qty": 1}])
        run_delivery_job(app)
        [row] = deliveries(client, tokens["admin"], sub["id"])
        assert row["status"] == "pending" and row["last_error"].startswith("refused")
        assert receiver.requests == []
    finally:
        app.config["DMS_WEBHOOK_ALLOW_PRIVATE"] = True


@pytest.mark.parametrize("user", ["dealer_sh1", "rm_east", "exec"])
def test_only_administrators_and_consultants_manage_webhooks(client, tokens, user):
    sub = subscribe(client, tokens["admin"], "https://erp.example.com/hook", ["*"])
    headers = auth(tokens[user])
    assert client.get("/api/v1/webhook/", headers=headers).status_code == 403
    assert client.get(f"/api/v1/webhook/{sub['id']}", headers=headers).status_code == 403
    assert client.get(f"/api/v1/webhook/{sub['id']}/deliveries", headers=headers).status_code == 403
    body = {"name": "mine", "url": "https://evil.example.com/", "events": ["*"]}
    assert client.post("/api/v1/webhook/", json=body, headers=headers).status_code == 403
    assert client.delete(f"/api/v1/webhook/{sub['id']}", headers=headers).status_code == 403
    assert client.get(f"/api/v1/webhook/{sub['id']}", headers=auth(tokens["admin"])).status_code == 200
    assert client.get("/api/v1/webhook/", headers=auth(tokens["consultant"])).status_code == 200
