"""BPMN modeler endpoints (validate, draft, deploy), forms pinned in process versions, and the
instance page's diagram data."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, ProcessDraft, ProcessVersion
from tests.conftest import ADMIN_PASSWORD, PASSWORD, auth, csrf_token, web_login

DATA = Path(__file__).parent.parent / "data" / "engine"
GATE = (DATA / "amount_gate.bpmn").read_text(encoding="utf-8")
VISIT_V1 = {
    "type": "object",
    "properties": {"notes": {"type": "string", "title": {"zh_CN": "纪要", "en": "Notes"}}},
    "required": ["notes"],
}
VISIT_V2 = {
    "type": "object",
    "properties": {
        "notes": {"type": "string", "title": {"zh_CN": "纪要", "en": "Notes"}},
        "outcome": {"type": "string", "enum": ["order", "none"], "title": {"zh_CN": "结果", "en": "Outcome"}},
    },
    "required": ["notes", "outcome"],
}


def _deploy(client, token, *names):
    files = [(io.BytesIO((DATA / n).read_bytes()), n) for n in names]
    return client.post(
        "/api/v1/process_definition/",
        data={"file": files},
        headers=auth(token),
        content_type="multipart/form-data",
    )


def _versions(app, key):
    with app.app_context():
        rows = db.session.execute(
            select(ProcessVersion.version)
            .join(ProcessVersion.definition)
            .where(ProcessVersion.definition.has(key=key))
            .order_by(ProcessVersion.version)
        )
        return [r[0] for r in rows]


@pytest.fixture(scope="module")
def designer(app, tokens):
    """A consultant logged in to the pages, with the CSRF token of the modeler page."""
    assert _deploy(app.test_client(), tokens["admin"], "amount_gate.bpmn").status_code in (200, 201)
    client = app.test_client()
    web_login(client, "consultant", PASSWORD)
    page = client.get("/modeler/edit/amount_gate")
    assert page.status_code == 200
    return client, csrf_token(page.get_data(as_text=True))


def _config(page) -> dict:
    html = page if isinstance(page, str) else page.get_data(as_text=True)
    return json.loads(re.search(r'id="modeler-config">(.*?)</script>', html, re.S).group(1))


def _post(designer, action, xml, key="amount_gate"):
    client, token = designer
    return client.post(f"/modeler/{action}/{key}", json={"xml": xml}, headers={"X-CSRFToken": token})


def test_modeler_lists_processes_and_opens_one_with_its_catalog(designer):
    client, _ = designer
    listing = client.get("/modeler/").get_data(as_text=True)
    assert "amount_gate" in listing and "open-amount_gate" in listing
    page = client.get("/modeler/edit/amount_gate").get_data(as_text=True)
    config = _config(page)
    assert "amount &gt; 10000" in config["xml"]
    assert (
        "RegionalManager" in config["catalog"]["roles"] and "platform.echo" in config["catalog"]["operations"]
    )
    assert config["catalog"]["labels"]["condition"]  # panel texts come translated from the server
    assert "dms-modeler.js" in page


def test_dealer_and_regional_manager_cannot_open_the_modeler(app):
    for user in ("dealer_sh1", "rm_east"):
        client = app.test_client()
        web_login(client, user, PASSWORD)
        response = client.get("/modeler/edit/amount_gate")
        assert response.status_code in (302, 403), user
        assert "modeler-config" not in response.get_data(as_text=True)


def test_validate_pins_problems_to_elements_and_changes_nothing(app, designer):
    before = _versions(app, "amount_gate")
    ok = _post(designer, "validate", GATE)
    assert ok.status_code == 200 and ok.get_json()["problems"] == []
    bad = _post(designer, "validate", GATE.replace("amount &gt; 10000", "amount.__class__"))
    assert bad.status_code == 422
    problem = bad.get_json()["problems"][0]
    assert problem["element"] == "big" and problem["line"] and "attribute" in problem["message"]
    broken = _post(designer, "validate", "<bpmn:definitions")
    assert broken.status_code == 422 and broken.get_json()["problems"][0]["message"]
    unknown_role = _post(designer, "validate", GATE.replace('value="SalesRep"', 'value="Nobody"'))
    assert unknown_role.status_code == 422
    assert unknown_role.get_json()["problems"][0]["element"] == "rep_review"
    assert _versions(app, "amount_gate") == before


def test_requests_without_csrf_token_or_xml_are_refused(app, designer):
    client, _ = designer
    assert client.post("/modeler/deploy/amount_gate", json={"xml": GATE}).status_code == 400
    assert _post(designer, "deploy", "").status_code == 400
    assert _post(designer, "deploy", "x" * (2 * 1024 * 1024 + 1)).status_code == 413


def test_draft_is_saved_audited_and_reopened_without_touching_the_deployed_version(app, designer):
    before = _versions(app, "amount_gate")
    edited = GATE.replace("amount &gt; 10000", "amount &gt; 20000")
    saved = _post(designer, "draft", edited)
    assert saved.status_code == 200
    with app.app_context():
        draft = db.session.scalar(select(ProcessDraft).where(ProcessDraft.key == "amount_gate"))
        assert draft.updated_by == "consultant" and "amount &gt; 20000" in draft.bpmn
        logged = db.session.scalar(
            select(func.count(AuditLog.id)).where(
                AuditLog.entity.in_(("process_draft", "ProcessDraft")), AuditLog.actor == "consultant"
            )
        )
        assert logged >= 1
    client, _ = designer
    assert "amount &gt; 20000" in _config(client.get("/modeler/edit/amount_gate"))["xml"]
    assert _versions(app, "amount_gate") == before


def test_refused_deploy_keeps_versions_and_a_good_one_adds_a_version_and_drops_the_draft(app, designer):
    before = _versions(app, "amount_gate")
    refused = _post(designer, "deploy", GATE.replace("amount &gt; 10000", "__import__('os')"))
    assert refused.status_code == 422 and refused.get_json()["problems"][0]["element"] == "big"
    assert _versions(app, "amount_gate") == before
    deployed = _post(designer, "deploy", GATE.replace("amount &gt; 10000", "amount &gt; 50000"))
    body = deployed.get_json()
    assert deployed.status_code == 200 and body["created"] and body["version"] == before[-1] + 1
    assert _versions(app, "amount_gate") == [*before, before[-1] + 1]
    with app.app_context():
        assert db.session.scalar(select(ProcessDraft).where(ProcessDraft.key == "amount_gate")) is None
        version = db.session.scalar(
            select(ProcessVersion)
            .where(ProcessVersion.id.isnot(None))
            .order_by(ProcessVersion.id.desc())
            .limit(1)
        )
        assert version.deployed_by == "consultant"


def test_reverting_an_edit_deploys_a_newer_version_that_new_instances_use(app, designer, tokens):
    client = app.test_client()
    before = _versions(app, "amount_gate")
    assert _post(designer, "deploy", GATE).get_json()["created"]  # back to the original 10,000
    assert _versions(app, "amount_gate") == [*before, before[-1] + 1]
    started = client.post(
        "/api/v1/process_instance/",
        json={"process_key": "amount_gate", "data": {"amount": 20000, "dealer": "D-SH-1"}},
        headers=auth(tokens["admin"]),
    )
    assert started.get_json()["current_tasks"][0]["element_id"] == "manager_review"


def test_instance_page_carries_the_diagram_and_the_path(app, tokens):
    client = app.test_client()
    started = client.post(
        "/api/v1/process_instance/",
        json={"process_key": "amount_gate", "data": {"amount": 5, "dealer": "D-SH-1"}},
        headers=auth(tokens["admin"]),
    ).get_json()
    web = app.test_client()
    web_login(web, "admin", ADMIN_PASSWORD)
    page = web.get(f"/inbox/instance/{started['id']}").get_data(as_text=True)
    path = json.loads(re.search(r'id="instance-path">(.*?)</script>', page, re.S).group(1))
    assert "bpmn:definitions" in path["xml"]
    assert {"start", "gate"} <= set(path["completed"]) and path["current"] == ["rep_review"]
    assert "dms-viewer.js" in page


def test_forms_are_pinned_per_version_and_a_form_edit_redeploys_the_flows_using_it(app, tokens):
    client = app.test_client()
    admin = auth(tokens["admin"])
    assert (
        client.post(
            "/api/v1/form/", json={"name": "visit_note", "schema": VISIT_V1}, headers=admin
        ).status_code
        == 201
    )
    first = _deploy(client, tokens["admin"], "visit_flow.bpmn").get_json()
    listing = client.get("/api/v1/process_definition/", headers=admin).get_json()["result"]
    visit = next(d for d in listing if d["key"] == "visit_flow")
    assert visit["versions"][-1]["forms"] == {"visit_note": 1}

    def start():
        body = client.post(
            "/api/v1/process_instance/", json={"process_key": "visit_flow", "data": {}}, headers=admin
        ).get_json()
        return body["current_tasks"][0]["id"]

    old_task = start()
    saved = client.post("/api/v1/form/", json={"name": "visit_note", "schema": VISIT_V2}, headers=admin)
    assert saved.status_code == 201
    assert saved.get_json()["redeployed"] == [{"key": "visit_flow", "version": first["version"] + 1}]
    new_task = start()

    consultant = auth(tokens["consultant"])
    web = app.test_client()
    web_login(web, "consultant", PASSWORD)
    assert 'name="outcome"' not in web.get(f"/inbox/task/{old_task}").get_data(as_text=True)
    assert 'name="outcome"' in web.get(f"/inbox/task/{new_task}").get_data(as_text=True)

    refused = client.post(
        f"/api/v1/task/{new_task}/complete", json={"data": {"notes": "ok"}}, headers=consultant
    )
    assert refused.status_code == 422 and "outcome" in refused.get_json()["errors"]
    done = client.post(
        f"/api/v1/task/{old_task}/complete", json={"data": {"notes": "ok"}}, headers=consultant
    )
    assert done.status_code == 200
    done = client.post(
        f"/api/v1/task/{new_task}/complete",
        json={"data": {"notes": "ok", "outcome": "order"}},
        headers=consultant,
    )
    assert done.status_code == 200

    # Saving identical content again is no new form version and redeploys nothing.
    again = client.post("/api/v1/form/", json={"name": "visit_note", "schema": VISIT_V2}, headers=admin)
    assert again.status_code == 200 and again.get_json()["redeployed"] == []


def test_deployed_files_download_through_the_api(app, tokens):
    client = app.test_client()
    admin = auth(tokens["admin"])
    xml = client.get("/api/v1/process_definition/amount_gate/xml", headers=admin)
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert b'id="amount_gate"' in xml.data
    first = client.get("/api/v1/process_definition/amount_gate/xml?version=1", headers=admin)
    assert first.status_code == 200 and b"amount &gt; 10000" in first.data
    assert (
        client.get("/api/v1/process_definition/amount_gate/xml?version=999", headers=admin).status_code == 404
    )
    assert client.get("/api/v1/process_definition/nope/xml", headers=admin).status_code == 404
    assert client.get("/api/v1/process_definition/amount_gate/x.bpmn", headers=admin).status_code == 404
    dealer = auth(tokens["dealer_sh1"])
    assert client.get("/api/v1/process_definition/amount_gate/xml", headers=dealer).status_code in (401, 403)


def test_money_entered_on_a_page_is_kept_exact_through_the_process(app, tokens):
    """A number field posted from a task page is a Decimal: it is validated (multipleOf 0.01),
    stored in the instance's state and read back exactly."""
    client = app.test_client()
    admin = auth(tokens["admin"])
    money = {
        "type": "object",
        "properties": {
            "notes": {"type": "string", "title": {"zh_CN": "纪要", "en": "Notes"}},
            "amount": {"type": "number", "multipleOf": 0.01, "title": {"zh_CN": "金额", "en": "Amount"}},
        },
        "required": ["notes", "amount"],
    }
    assert (
        client.post("/api/v1/form/", json={"name": "visit_note", "schema": money}, headers=admin).status_code
        == 201
    )
    started = client.post(
        "/api/v1/process_instance/", json={"process_key": "visit_flow", "data": {}}, headers=admin
    ).get_json()
    task_id = started["current_tasks"][0]["id"]
    web = app.test_client()
    web_login(web, "consultant", PASSWORD)
    page = web.get(f"/inbox/task/{task_id}").get_data(as_text=True)
    token = csrf_token(page)
    refused = web.post(
        f"/inbox/task/{task_id}/complete", data={"csrf_token": token, "notes": "x", "amount": "12.345"}
    )
    assert refused.status_code == 422 and "0.01" in refused.get_data(as_text=True)
    done = web.post(
        f"/inbox/task/{task_id}/complete", data={"csrf_token": token, "notes": "x", "amount": "120000.10"}
    )
    assert done.status_code == 302
    shown = client.get(f"/api/v1/process_instance/{started['id']}", headers=admin).get_json()
    assert "120000.10" in json.dumps(shown)
    float_api = client.post(
        "/api/v1/process_instance/", json={"process_key": "visit_flow", "data": {}}, headers=admin
    ).get_json()
    completed = client.post(
        f"/api/v1/task/{float_api['current_tasks'][0]['id']}/complete",
        json={"data": {"notes": "y", "amount": 0.3}},
        headers=auth(tokens["consultant"]),
    )
    assert completed.status_code == 200
