"""A decision table's example cases: run in the editor against the unsaved table, and checked by
every deploy (a table contradicting its own examples is never deployed)."""

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.engine import decision_cases
from app.engine.definitions import DeployRefused
from app.engine.loader import deploy_directory
from app.extensions import db
from app.models import ProcessDefinition, ProcessVersion
from tests.conftest import ADMIN_PASSWORD, auth, csrf_token, web_login

DATA = Path(__file__).parent.parent / "data"
ROUTE = (DATA / "engine" / "route.dmn").read_text()
GOOD = {
    "decision": "route_decision",
    "cases": [
        {"name": "small order", "inputs": {"amount": 500}, "expect": {"level": "single"}},
        {"name": "big order", "inputs": {"amount": 20000.0}, "expect": {"level": "countersign"}},
    ],
}


@pytest.fixture(scope="module")
def forms_dir():
    from app.formkit import schemas

    original, schemas.FORMS_DIR = schemas.FORMS_DIR, DATA / "forms"
    yield
    schemas.FORMS_DIR = original


@pytest.fixture(scope="module")
def first(app, tokens, forms_dir):
    """rules_flow version 1 (with route.dmn, no cases) and its version id."""
    files = [(io.BytesIO((DATA / "engine" / n).read_bytes()), n) for n in ("rules_flow.bpmn", "route.dmn")]
    resp = app.test_client().post(
        "/api/v1/process_definition/",
        data={"file": files},
        headers=auth(tokens["admin"]),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    return _version(app, resp.get_json()["version"])


def _version(app, number):
    with app.app_context():
        return db.session.scalar(
            select(ProcessVersion.id)
            .join(ProcessDefinition)
            .where(ProcessDefinition.key == "rules_flow", ProcessVersion.version == number)
        )


def _count(app):
    with app.app_context():
        return db.session.scalar(
            select(func.count(ProcessVersion.id))
            .join(ProcessDefinition)
            .where(ProcessDefinition.key == "rules_flow")
        )


def _editor(app, vid, username="admin", password=ADMIN_PASSWORD):
    """A logged-in browser on the editor page, and the page's CSRF token."""
    web = app.test_client()
    web_login(web, username, password)
    page = web.get(f"/rules/edit/{vid}/route.dmn").get_data(as_text=True)
    return web, csrf_token(page), page


def test_a_table_without_cases_shows_an_empty_cases_list(app, first):
    _, _, page = _editor(app, first)
    assert 'id="dmn-cases"' in page and "route.cases.json" in page
    assert "&#34;decision&#34;: &#34;route_decision&#34;" in page and "&#34;cases&#34;: []" in page
    assert 'id="run-cases"' in page


def test_admin_runs_the_cases_against_the_unsaved_table(app, first):
    web, token, _ = _editor(app, first)
    edited = ROUTE.replace("&gt; 10000", "&gt; 30000")
    resp = web.post(
        f"/rules/run/{first}/route.dmn",
        json={"xml": edited, "cases": json.dumps(GOOD)},
        headers={"X-CSRFToken": token},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert (body["passed"], body["failed"]) == (1, 1)
    small, big = body["results"]
    assert small["passed"] and small["matched_rules"] == [{"id": "r_small", "row": 2}]
    assert (
        not big["passed"]
        and big["actual"] == {"level": "single"}
        and big["expected"] == {"level": "countersign"}
    )


def test_run_refusals_are_clear(app, first):
    web, token, _ = _editor(app, first)
    url, headers = f"/rules/run/{first}/route.dmn", {"X-CSRFToken": token}
    broken = web.post(url, json={"xml": "<definitions", "cases": json.dumps(GOOD)}, headers=headers)
    assert broken.status_code == 422
    assert broken.get_json()["errors"][0]["file"] == "route.dmn"
    assert "malformed XML" in broken.get_json()["errors"][0]["message"]
    unsafe = web.post(
        url, json={"xml": ROUTE.replace("&gt; 10000", "__import__('os')"), "cases": "{}"}, headers=headers
    )
    assert unsafe.status_code == 422 and unsafe.get_json()["errors"][0]["element"] == "r_big_in"
    bad_cases = web.post(
        url, json={"xml": ROUTE, "cases": '{"decision": "route_decision", "cases": [{}]}'}, headers=headers
    )
    assert bad_cases.status_code == 422
    assert bad_cases.get_json()["errors"][0]["message"].startswith("case 1")
    assert web.post(url, json={"xml": ROUTE}, headers=headers).status_code == 400
    assert web.post(url, json={"xml": ROUTE, "cases": "{}"}).status_code == 400  # no CSRF token
    assert web.post(f"/rules/run/{first}/rules_flow.bpmn", json={}, headers=headers).status_code == 404


def test_only_definition_editors_may_run_cases(app, first):
    web = app.test_client()
    token = csrf_token(web.get("/login/").get_data(as_text=True))
    web_login(web, "dealer_sh1")
    resp = web.post(
        f"/rules/run/{first}/route.dmn",
        json={"xml": ROUTE, "cases": json.dumps(GOOD)},
        headers={"X-CSRFToken": token},
    )
    assert resp.status_code == 403, resp.status_code
    assert "results" not in (resp.get_json(silent=True) or {})


def test_deploy_refuses_a_table_contradicting_its_examples(app, first):
    web, token, _ = _editor(app, first)
    before = _count(app)
    edited = ROUTE.replace("&gt; 10000", "&gt; 30000")  # big order (20,000) would now be "single"
    resp = web.post(
        f"/rules/deploy/{first}/route.dmn",
        data={"xml": edited, "cases": json.dumps(GOOD), "csrf_token": token},
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'data-testid="problems"' in page
    assert "route.cases.json" in page and "big order" in page and "countersign" in page
    assert _count(app) == before
    bad = web.post(f"/rules/deploy/{first}/route.dmn", data={"xml": ROUTE, "cases": "{", "csrf_token": token})
    assert bad.status_code == 422 and "not valid JSON" in bad.get_data(as_text=True)
    assert _count(app) == before


def test_deploy_keeps_passing_examples_with_the_version(app, first):
    web, token, _ = _editor(app, first)
    cases = json.dumps(GOOD, indent=2)
    resp = web.post(
        f"/rules/deploy/{first}/route.dmn", data={"xml": ROUTE, "cases": cases, "csrf_token": token}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    with app.app_context():
        newest = db.session.scalars(select(ProcessVersion).order_by(ProcessVersion.id.desc())).first()
        assert json.loads(newest.files["route.cases.json"]) == GOOD
        vid = newest.id
    page = web.get(f"/rules/edit/{vid}/route.dmn").get_data(as_text=True)
    assert "small order" in page
    # later edits are checked against the stored examples even when the page sends no cases
    edited = ROUTE.replace("&gt; 10000", "&gt; 30000")
    refused = web.post(f"/rules/deploy/{vid}/route.dmn", data={"xml": edited, "csrf_token": token})
    assert refused.status_code == 422 and "big order" in refused.get_data(as_text=True)


def test_a_case_name_cannot_inject_html(app, first):
    web, token, _ = _editor(app, first)
    cases = dict(GOOD, cases=[{"name": "<script>alert(1)</script>", "inputs": {"amount": 1}, "expect": None}])
    resp = web.post(
        f"/rules/deploy/{first}/route.dmn",
        data={"xml": ROUTE, "cases": json.dumps(cases), "csrf_token": token},
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_api_and_directory_deploys_check_the_cases_files(app, tokens, forms_dir, tmp_path):
    unknown = json.dumps(dict(GOOD, decision="nope")).encode()
    files = [(io.BytesIO((DATA / "engine" / n).read_bytes()), n) for n in ("rules_flow.bpmn", "route.dmn")]
    resp = app.test_client().post(
        "/api/v1/process_definition/",
        data={"file": [*files, (io.BytesIO(unknown), "route.cases.json")]},
        headers=auth(tokens["admin"]),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0] == {
        "file": "route.cases.json",
        "element": "decision",
        "line": None,
        "message": "decision 'nope' is not in any DMN file of this deploy",
    }
    workflows, rules = tmp_path / "workflows", tmp_path / "rules"
    workflows.mkdir()
    rules.mkdir()
    (workflows / "rules_flow.bpmn").write_bytes((DATA / "engine" / "rules_flow.bpmn").read_bytes())
    (rules / "route.dmn").write_text(ROUTE)
    (rules / "route.cases.json").write_text(json.dumps(GOOD))
    with app.app_context():
        from app.formkit.schemas import form_exists

        roles = set(app.extensions["dms_roles"])
        deployed = deploy_directory(
            db.session, workflows, rules, actor="t", form_exists=form_exists, known_roles=roles
        )
        assert "route.cases.json" in db.session.get(ProcessVersion, deployed[0].version_id).files
        db.session.rollback()
        wrong = dict(GOOD, cases=[dict(GOOD["cases"][0], expect={"level": "countersign"})])
        (rules / "route.cases.json").write_text(json.dumps(wrong))
        with pytest.raises(DeployRefused) as refused:
            deploy_directory(
                db.session, workflows, rules, actor="t", form_exists=form_exists, known_roles=roles
            )
        db.session.rollback()
    assert refused.value.problems[0]["file"] == decision_cases.cases_filename("route.dmn")
    assert "case 'small order': expected" in refused.value.problems[0]["message"]
