"""Forms stored through the API: versioned, validated, usable by flows and task pages."""

import io

import pytest

from tests.conftest import auth, web_login

SCHEMA = {
    "type": "object",
    "title": {"zh_CN": "回访", "en": "Follow-up"},
    "properties": {
        "visited": {"type": "boolean", "title": {"zh_CN": "已拜访", "en": "Visited"}},
        "notes": {"type": "string", "maxLength": 100, "title": {"zh_CN": "纪要", "en": "Notes"}},
    },
    "required": ["notes"],
}

FLOW = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="follow_up" name="Follow-up" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l" name="SalesRep"><bpmn:flowNodeRef>visit</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="visit" name="Visit">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="visit_notes"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="visit"/>
    <bpmn:sequenceFlow id="b" sourceRef="visit" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def _save(client, token, body):
    return client.post("/api/v1/form/", json=body, headers=auth(token))


def test_versions_are_created_only_for_new_content(client, tokens):
    first = _save(client, tokens["consultant"], {"name": "visit_notes", "schema": SCHEMA})
    assert first.status_code == 201 and first.get_json()["version"] == 1
    assert _save(client, tokens["consultant"], {"name": "visit_notes", "schema": SCHEMA}).status_code == 200
    changed = {**SCHEMA, "required": []}
    assert (
        _save(client, tokens["consultant"], {"name": "visit_notes", "schema": changed}).get_json()["version"]
        == 2
    )
    assert _save(client, tokens["consultant"], {"name": "visit_notes", "schema": SCHEMA}).status_code == 200
    current = client.get("/api/v1/form/visit_notes", headers=auth(tokens["rm_east"]))
    assert current.status_code == 403  # forms are for administrators and consultants
    current = client.get("/api/v1/form/visit_notes", headers=auth(tokens["consultant"])).get_json()
    assert current["source"] == "stored" and current["version"] == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "schema": SCHEMA}, "name"),
        (
            {"name": "bad_type", "schema": {"type": "object", "properties": {"a": {"type": "colour"}}}},
            "schema",
        ),
        ({"name": "bad_list", "schema": []}, "schema"),
        ({"name": "bad_ui", "schema": SCHEMA, "uischema": [1]}, "uischema"),
    ],
)
def test_invalid_forms_are_refused_with_the_reason(client, tokens, body, field):
    resp = _save(client, tokens["consultant"], body)
    assert resp.status_code == 422 and field in resp.get_json()["errors"]
    assert client.get(f"/api/v1/form/{body['name']}", headers=auth(tokens["consultant"])).status_code == 404


def test_a_flow_can_use_a_stored_form(app, client, tokens):
    _save(client, tokens["consultant"], {"name": "visit_notes", "schema": SCHEMA})
    deployed = client.post(
        "/api/v1/process_definition/",
        data={"file": (io.BytesIO(FLOW), "follow_up.bpmn")},
        headers=auth(tokens["consultant"]),
        content_type="multipart/form-data",
    )
    assert deployed.status_code == 201, deployed.get_json()
    started = client.post(
        "/api/v1/process_instance/",
        json={"process_key": "follow_up", "data": {"dealer": "D-SH-1"}},
        headers=auth(tokens["consultant"]),
    ).get_json()
    task_id = started["current_tasks"][0]["id"]
    web = app.test_client()
    web_login(web, "rep")
    assert "纪要" in web.get(f"/inbox/task/{task_id}").get_data(as_text=True)
    refused = client.post(
        f"/api/v1/task/{task_id}/complete", json={"data": {"notes": "x" * 101}}, headers=auth(tokens["rep"])
    )
    assert refused.status_code == 422 and "notes" in refused.get_json()["errors"]
