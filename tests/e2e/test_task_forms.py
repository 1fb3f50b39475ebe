"""Task pages render JSON-Schema forms on the server, keep entered values, map errors to rows."""

from pathlib import Path

import pytest

from tests.conftest import auth, csrf_token, web_login

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="module")
def lines_task(app, tokens):
    from app.formkit import schemas

    original = schemas.FORMS_DIR
    schemas.FORMS_DIR = DATA / "forms"
    client = app.test_client()
    content = (DATA / "engine" / "lines_flow.bpmn").read_bytes()
    import io

    deployed = client.post(
        "/api/v1/process_definition/",
        data={"file": (io.BytesIO(content), "lines_flow.bpmn")},
        headers=auth(tokens["admin"]),
        content_type="multipart/form-data",
    )
    assert deployed.status_code == 201, deployed.get_json()
    yield client
    schemas.FORMS_DIR = original


def _new_task(client, tokens):
    started = client.post(
        "/api/v1/process_instance/",
        json={"process_key": "lines_flow", "data": {"dealer": "D-SH-1"}},
        headers=auth(tokens["consultant"]),
    )
    return started.get_json()["id"], started.get_json()["current_tasks"][0]["id"]


def test_form_renders_in_chinese_with_rows_and_escaped_labels(app, tokens, lines_task):
    _, task_id = _new_task(lines_task, tokens)
    web = app.test_client()
    web_login(web, "dealer_sh1")
    page = web.get(f"/inbox/task/{task_id}").get_data(as_text=True)
    assert "收货地址" in page and "商品编码" in page and 'name="lines[__index__][qty]"' in page
    assert "<script>alert('x')</script>" not in page and "&lt;script&gt;" in page
    assert 'data-show-if-field="channel"' in page and "dms-forms.js" in page


def test_invalid_row_is_reported_in_place_and_values_are_kept_then_fixed(app, tokens, lines_task):
    instance_id, task_id = _new_task(lines_task, tokens)
    web = app.test_client()
    web_login(web, "dealer_sh1")
    token = csrf_token(web.get(f"/inbox/task/{task_id}").get_data(as_text=True))
    bad = {
        "csrf_token": token,
        "ship_to": "上海市浦东新区",
        "lines[0][sku]": "SKU-1",
        "lines[0][qty]": "3",
        "lines[1][sku]": "SKU-2",
        "lines[1][qty]": "0",
        "note": "<b>急</b>",
    }
    resp = web.post(f"/inbox/task/{task_id}/complete", data=bad)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-field="lines[1][qty]">不能小于 1<' in html  # translated into the UI language
    assert 'value="上海市浦东新区"' in html and 'value="SKU-2"' in html and "&lt;b&gt;急&lt;/b&gt;" in html
    good = {**bad, "lines[1][qty]": "5"}
    assert web.post(f"/inbox/task/{task_id}/complete", data=good).status_code == 302
    body = lines_task.get(
        f"/api/v1/process_instance/{instance_id}", headers=auth(tokens["consultant"])
    ).get_json()
    assert body["status"] == "completed"
    step = next(h for h in body["history"] if h["element_id"] == "enter_lines" and h["kind"] == "step")
    assert step["data_after"]["enter_lines"]["lines"] == [
        {"sku": "SKU-1", "qty": 3},
        {"sku": "SKU-2", "qty": 5},
    ]


def test_the_same_validator_serves_the_api(tokens, lines_task):
    _, task_id = _new_task(lines_task, tokens)
    resp = lines_task.post(
        f"/api/v1/task/{task_id}/complete",
        headers=auth(tokens["dealer_sh1"]),
        json={"data": {"ship_to": "x", "lines": [{"sku": "A", "qty": -1}], "channel": "project"}},
    )
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {
        "lines/0/qty": "must be at least 1",
        "project_name": "required",
    }
