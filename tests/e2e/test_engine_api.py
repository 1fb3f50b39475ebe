"""The engine's REST API and inbox pages over HTTP (Flask test client)."""

import threading
from datetime import UTC
from pathlib import Path

import pytest

from tests.conftest import auth, csrf_token, web_login

DATA = Path(__file__).parent.parent / "data" / "engine"


def _upload(client, token, name, content=None, trusted=False):
    content = content if content is not None else (DATA / name).read_bytes()
    data = {"file": (__import__("io").BytesIO(content), name)}
    if trusted:
        data["trusted"] = "true"
    return client.post(
        "/api/v1/process_definition/", data=data, headers=auth(token), content_type="multipart/form-data"
    )


@pytest.fixture(scope="module")
def deployed(app, tokens):
    client = app.test_client()
    resp = _upload(client, tokens["admin"], "two_step.bpmn")
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_deploy_returns_key_and_version_and_is_idempotent(client, tokens, deployed):
    assert deployed["key"] == "two_step" and deployed["version"] >= 1
    again = _upload(client, tokens["admin"], "two_step.bpmn")
    assert again.status_code == 200 and again.get_json()["version"] == deployed["version"]
    listing = client.get("/api/v1/process_definition/", headers=auth(tokens["exec"]))
    assert listing.status_code == 403  # definitions are for administrators and consultants
    listing = client.get("/api/v1/process_definition/", headers=auth(tokens["consultant"]))
    assert any(d["key"] == "two_step" for d in listing.get_json()["result"])


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "DOCTYPE"),
        (b"<bpmn:definitions", "line"),
    ],
)
def test_unsafe_or_broken_files_are_refused_with_location(client, tokens, payload, needle):
    resp = _upload(client, tokens["admin"], "bad.bpmn", payload)
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["errors"] and {"file", "element", "line", "message"} <= set(body["errors"][0])
    assert needle.lower() in (body["message"] + str(body["errors"])).lower()
    assert "root:" not in resp.get_data(as_text=True)


def test_unquoted_timer_is_refused_naming_the_element(client, tokens):
    content = (DATA / "escalation.bpmn").read_bytes().replace(b'"PT48H"', b"PT48H")
    resp = _upload(client, tokens["admin"], "escalation.bpmn", content)
    assert resp.status_code == 422
    assert any(e["element"] == "sla" or e["element"] == "t_sla" for e in resp.get_json()["errors"])


def test_dealer_cannot_deploy(client, tokens):
    assert _upload(client, tokens["dealer_sh1"], "two_step.bpmn").status_code == 403


def _start(client, token, data):
    return client.post(
        "/api/v1/process_instance/", json={"process_key": "two_step", "data": data}, headers=auth(token)
    )


def test_start_inbox_complete_over_http(client, tokens, deployed):
    started = _start(client, tokens["consultant"], {"amount": 100, "dealer": "D-SH-1"})
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["status"] == "waiting" and body["current_tasks"][0]["element_id"] == "review"
    task_id = body["current_tasks"][0]["id"]
    inbox = client.get("/api/v1/task/", headers=auth(tokens["rm_sh"])).get_json()
    assert task_id in [t["id"] for t in inbox["result"]]
    assert task_id not in [
        t["id"] for t in client.get("/api/v1/task/", headers=auth(tokens["dealer_gd1"])).get_json()["result"]
    ]
    other = client.post(
        f"/api/v1/task/{task_id}/complete",
        json={"data": {"decision": "approve"}},
        headers=auth(tokens["finance"]),
    )
    assert other.status_code == 404
    bad = client.post(
        f"/api/v1/task/{task_id}/complete",
        json={"data": {"decision": "approve", "amount": 9}},
        headers=auth(tokens["rm_sh"]),
    )
    assert bad.status_code == 422 and bad.get_json()["errors"] == {"amount": "unknown field"}
    ok = client.post(
        f"/api/v1/task/{task_id}/complete",
        json={"data": {"decision": "approve"}},
        headers=auth(tokens["rm_sh"]),
    )
    assert ok.status_code == 200
    twice = client.post(
        f"/api/v1/task/{task_id}/complete",
        json={"data": {"decision": "approve"}},
        headers=auth(tokens["rm_sh"]),
    )
    assert twice.status_code == 409
    instance = client.get(f"/api/v1/process_instance/{body['id']}", headers=auth(tokens["rm_sh"])).get_json()
    assert instance["status"] == "completed"
    assert any(h["element_id"] == "review" and h["actor"] == "rm_sh" for h in instance["history"])
    hidden = client.get(f"/api/v1/process_instance/{body['id']}", headers=auth(tokens["dealer_gd1"]))
    assert hidden.status_code == 404


def test_claim_keeps_others_out(client, tokens, deployed):
    task_id = _start(client, tokens["consultant"], {"amount": 1, "dealer": "D-SH-2"}).get_json()[
        "current_tasks"
    ][0]["id"]
    assert client.post(f"/api/v1/task/{task_id}/claim", headers=auth(tokens["rm_east"])).status_code == 200
    taken = client.post(
        f"/api/v1/task/{task_id}/complete",
        json={"data": {"decision": "reject"}},
        headers=auth(tokens["rm_sh"]),
    )
    assert taken.status_code == 409
    assert client.post(f"/api/v1/task/{task_id}/unclaim", headers=auth(tokens["rm_east"])).status_code == 200
    done = client.post(
        f"/api/v1/task/{task_id}/complete",
        json={"data": {"decision": "reject"}},
        headers=auth(tokens["rm_sh"]),
    )
    assert done.status_code == 200


@pytest.mark.parametrize("round_", range(5))
def test_two_users_completing_one_task_exactly_one_wins(app, tokens, deployed, round_):
    client = app.test_client()
    task_id = _start(client, tokens["consultant"], {"amount": 1, "dealer": "D-SH-1"}).get_json()[
        "current_tasks"
    ][0]["id"]
    statuses, barrier = [], threading.Barrier(2)

    def complete(user):
        own = app.test_client()
        barrier.wait()
        resp = own.post(
            f"/api/v1/task/{task_id}/complete",
            json={"data": {"decision": "approve"}},
            headers=auth(tokens[user]),
        )
        statuses.append(resp.status_code)

    threads = [threading.Thread(target=complete, args=(u,)) for u in ("rm_sh", "rm_east")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(statuses) == [200, 409]


def test_stale_lock_version_is_409(client, tokens, deployed):
    task = _start(client, tokens["consultant"], {"amount": 1, "dealer": "D-SH-1"}).get_json()[
        "current_tasks"
    ][0]
    resp = client.post(
        f"/api/v1/task/{task['id']}/complete",
        json={"data": {"decision": "approve"}, "lock_version": task["lock_version"] + 5},
        headers=auth(tokens["rm_sh"]),
    )
    assert resp.status_code == 409


def test_message_to_unknown_key_is_404(client, tokens):
    resp = client.post(
        "/api/v1/message/",
        json={"name": "payment_received", "correlation_key": "NOPE", "payload": {}},
        headers=auth(tokens["consultant"]),
    )
    assert resp.status_code == 404


def test_inbox_pages(app, tokens, deployed):
    client = app.test_client()
    started = _start(
        client, tokens["consultant"], {"amount": 5, "dealer": "D-SH-1", "business_key": "SO-WEB"}
    )
    task_id = started.get_json()["current_tasks"][0]["id"]
    web = app.test_client()
    web_login(web, "rm_sh")
    listing = web.get("/inbox/").get_data(as_text=True)
    assert f"/inbox/task/{task_id}" in listing and "SO-WEB" in listing
    page = web.get(f"/inbox/task/{task_id}").get_data(as_text=True)
    refused = web.post(
        f"/inbox/task/{task_id}/complete", data={"decision": "", "csrf_token": csrf_token(page)}
    )
    assert refused.status_code == 422 and "decision" in refused.get_data(as_text=True)
    done = web.post(
        f"/inbox/task/{task_id}/complete",
        data={"decision": "approve", "comment": "好", "csrf_token": csrf_token(page)},
    )
    assert done.status_code == 302
    history = web.get(f"/inbox/instance/{started.get_json()['id']}").get_data(as_text=True)
    assert "completed" in history and "rm_sh" in history
    outsider = app.test_client()
    web_login(outsider, "dealer_gd1")
    assert outsider.get(f"/inbox/task/{task_id}").status_code == 404
    assert outsider.get(f"/inbox/instance/{started.get_json()['id']}").status_code == 404


def test_task_page_shows_the_process_data(app, tokens, deployed):
    client = app.test_client()
    started = _start(client, tokens["consultant"], {"amount": 4321, "dealer": "D-SH-1"})
    task_id = started.get_json()["current_tasks"][0]["id"]
    web = app.test_client()
    web_login(web, "rm_sh")
    page = web.get(f"/inbox/task/{task_id}").get_data(as_text=True)
    assert "4321" in page and "D-SH-1" in page


def test_shipped_flow_is_deployed_by_init_with_due_time_and_instructions(client, tokens):
    resp = client.post(
        "/api/v1/process_instance/",
        json={"process_key": "generic_approval", "data": {"dealer": "D-GD-1"}},
        headers=auth(tokens["consultant"]),
    )
    assert resp.status_code == 201
    task = resp.get_json()["current_tasks"][0]
    assert task["name"] == "区域经理审核" and "48" in task["instructions"]
    from datetime import datetime, timedelta

    due = datetime.fromisoformat(task["due_at"])
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    assert timedelta(days=1, hours=23) < due - datetime.now(UTC) <= timedelta(days=2)
