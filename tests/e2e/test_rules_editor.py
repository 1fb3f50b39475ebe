"""Decision-table editor endpoints: a refused table deploys nothing; a good one makes a new version."""

import io
from pathlib import Path

import pytest

from tests.conftest import ADMIN_PASSWORD, auth, csrf_token, web_login

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def version(app, tokens):
    from app.formkit import schemas

    original, schemas.FORMS_DIR = schemas.FORMS_DIR, DATA / "forms"
    client = app.test_client()
    files = [(io.BytesIO((DATA / "engine" / n).read_bytes()), n) for n in ("rules_flow.bpmn", "route.dmn")]
    resp = client.post(
        "/api/v1/process_definition/",
        data={"file": files},
        headers=auth(tokens["admin"]),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    yield resp.get_json()
    schemas.FORMS_DIR = original


def _version_id(app, key, number):
    from sqlalchemy import select

    from app.extensions import db
    from app.models import ProcessDefinition, ProcessVersion

    with app.app_context():
        return db.session.scalar(
            select(ProcessVersion.id)
            .join(ProcessDefinition)
            .where(ProcessDefinition.key == key, ProcessVersion.version == number)
        )


def test_editor_lists_and_opens_the_table(app, version):
    web = app.test_client()
    web_login(web, "admin", ADMIN_PASSWORD)
    vid = _version_id(app, "rules_flow", version["version"])
    assert f"/rules/edit/{vid}/route.dmn" in web.get("/rules/").get_data(as_text=True)
    page = web.get(f"/rules/edit/{vid}/route.dmn").get_data(as_text=True)
    assert "dmn-modeler.production.min.js" in page and "route_decision" in page
    assert web.get(f"/rules/edit/{vid}/rules_flow.bpmn").status_code == 404


def test_unsafe_cell_is_refused_and_nothing_is_deployed(app, tokens, version):
    web = app.test_client()
    web_login(web, "admin", ADMIN_PASSWORD)
    vid = _version_id(app, "rules_flow", version["version"])
    page = web.get(f"/rules/edit/{vid}/route.dmn").get_data(as_text=True)
    xml = (DATA / "engine" / "route.dmn").read_text().replace("&gt; 10000", "__import__('os')")
    resp = web.post(f"/rules/deploy/{vid}/route.dmn", data={"xml": xml, "csrf_token": csrf_token(page)})
    assert resp.status_code == 422 and 'data-testid="problems"' in resp.get_data(as_text=True)
    assert _version_id(app, "rules_flow", version["version"] + 1) is None
    good = (DATA / "engine" / "route.dmn").read_text().replace("&gt; 10000", "&gt; 30000")
    done = web.post(f"/rules/deploy/{vid}/route.dmn", data={"xml": good, "csrf_token": csrf_token(page)})
    assert done.status_code == 302 and _version_id(app, "rules_flow", version["version"] + 1) is not None


def test_only_definition_editors_reach_the_editor(app, version):
    web = app.test_client()
    web_login(web, "rm_east")
    assert web.get("/rules/").status_code in (302, 403)
