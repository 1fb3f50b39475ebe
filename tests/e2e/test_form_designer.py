"""Form designer pages: preview, try-it validation, save; bad JSON and schemas refused in place."""

import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import FormVersion
from tests.conftest import ADMIN_PASSWORD, PASSWORD, csrf_token, web_login

SCHEMA = {
    "type": "object",
    "title": {"zh_CN": "拜访", "en": "Visit"},
    "properties": {
        "notes": {"type": "string", "maxLength": 5, "title": {"zh_CN": "纪要", "en": "Notes"}},
        "label": {"type": "string", "title": "<img src=x onerror=alert(1)>"},
    },
    "required": ["notes"],
}


def _designer(app, user="consultant", password=PASSWORD):
    client = app.test_client()
    web_login(client, user, password)
    page = client.get("/forms/edit/")
    return client, csrf_token(page.get_data(as_text=True)), page


def _post(client, token, **fields):
    data = {
        "csrf_token": token,
        "name": "",
        "schema": json.dumps(SCHEMA),
        "uischema": "{}",
        "sample": "{}",
        "action": "preview",
    }
    data.update(fields)
    return client.post("/forms/design", data=data)


def _count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(FormVersion.id)))


def test_preview_renders_the_form_escaped(app):
    client, token, page = _designer(app)
    assert page.status_code == 200
    resp = _post(client, token)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "纪要" in html and 'name="notes"' in html
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_try_it_reports_sample_errors_next_to_the_field(app):
    client, token, _ = _designer(app)
    bad = _post(client, token, action="try", sample=json.dumps({"notes": "too long", "extra": 1})).get_data(
        as_text=True
    )
    assert 'data-field="notes"' in bad and 'data-testid="sample-errors"' in bad
    good = _post(client, token, action="try", sample=json.dumps({"notes": "ok"})).get_data(as_text=True)
    assert 'data-testid="sample-ok"' in good


def test_invalid_json_and_invalid_schema_are_refused_and_nothing_is_saved(app):
    client, token, _ = _designer(app)
    before = _count(app)
    broken = _post(
        client, token, action="save", name="visit_form", schema='{"type": "object",\n "properties": }'
    )
    assert broken.status_code == 422 and "第 2 行" in broken.get_data(
        as_text=True
    )  # the UI is Chinese by default
    wrong = _post(
        client,
        token,
        action="save",
        name="visit_form",
        schema=json.dumps({"type": "object", "properties": {"a": {"type": "colour"}}}),
    )
    assert wrong.status_code == 422 and 'data-error="schema"' in wrong.get_data(as_text=True)
    bad_name = _post(client, token, action="save", name="Bad Name!")
    assert bad_name.status_code == 422 and 'data-error="name"' in bad_name.get_data(as_text=True)
    assert _count(app) == before


def test_save_creates_a_version_and_the_list_shows_it(app):
    client, token, _ = _designer(app, "admin", ADMIN_PASSWORD)
    before = _count(app)
    saved = _post(client, token, action="save", name="visit_form")
    assert saved.status_code == 200 and _count(app) == before + 1
    again = _post(client, token, action="save", name="visit_form")
    assert again.status_code == 200 and _count(app) == before + 1
    listing = client.get("/forms/").get_data(as_text=True)
    assert "/forms/edit/visit_form" in listing
    assert "纪要" in client.get("/forms/edit/visit_form").get_data(as_text=True)


def test_only_administrators_and_consultants_design_forms(app):
    client = app.test_client()
    web_login(client, "rm_east")
    assert client.get("/forms/").status_code in (302, 403)


def test_editing_a_file_form_shows_it_as_written(app, monkeypatch):
    from app.formkit import schemas
    from tests.e2e.test_task_forms import DATA

    monkeypatch.setattr(schemas, "FORMS_DIR", DATA / "forms")
    client, _, _ = _designer(app)
    html = client.get("/forms/edit/order_lines").get_data(as_text=True)
    assert "收货地址" in html and "additionalProperties" not in html and "unevaluatedProperties" not in html


def test_a_saved_edit_replaces_the_shipped_file_for_the_next_task(app, monkeypatch):
    from app.formkit import schemas
    from tests.e2e.test_task_forms import DATA

    monkeypatch.setattr(schemas, "FORMS_DIR", DATA / "forms")
    client, token, _ = _designer(app, "admin", ADMIN_PASSWORD)
    edited = schemas.raw_schema("order_lines")
    edited["properties"]["ship_to"]["title"] = {"zh_CN": "送货地址（新）", "en": "Deliver to"}
    _post(client, token, action="save", name="order_lines", schema=json.dumps(edited, ensure_ascii=False))
    with app.test_request_context():
        assert (
            schemas.load_schema("order_lines")["properties"]["ship_to"]["title"]["zh_CN"] == "送货地址（新）"
        )
