"""File fields in task forms: upload on the page and through the API, stored safely, seen only in scope."""

import io
import re
from pathlib import Path

import pytest

from tests.conftest import auth, csrf_token, init_world, make_app, web_login

DATA = Path(__file__).parent.parent / "data"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40


@pytest.fixture(scope="module")
def upload_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("uploads")


@pytest.fixture(scope="module")
def app(database_url, upload_dir):
    """This module's app stores uploads in a temporary folder and takes bodies up to 64 KiB."""
    from app.formkit import schemas

    original, schemas.FORMS_DIR = schemas.FORMS_DIR, DATA / "forms"
    application = make_app(database_url, DMS_UPLOAD_DIR=str(upload_dir), MAX_CONTENT_LENGTH=64 * 1024)
    init_world(application)
    deployed = application.test_client().post(
        "/api/v1/process_definition/",
        data={"file": (io.BytesIO((DATA / "engine" / "qualification_flow.bpmn").read_bytes()), "q.bpmn")},
        headers=auth(_admin_token(application)),
        content_type="multipart/form-data",
    )
    assert deployed.status_code == 201, deployed.get_json()
    yield application
    schemas.FORMS_DIR = original
    with application.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


def _admin_token(application):
    from tests.conftest import ADMIN_PASSWORD, api_token

    return api_token(application.test_client(), "admin", ADMIN_PASSWORD)


def _new_task(app, tokens, dealer="D-SH-1"):
    started = app.test_client().post(
        "/api/v1/process_instance/",
        json={"process_key": "qualification_flow", "data": {"dealer": dealer}},
        headers=auth(tokens["consultant"]),
    )
    assert started.status_code == 201, started.get_json()
    return started.get_json()["id"], started.get_json()["current_tasks"][0]["id"]


def _page(app, user, task_id):
    web = app.test_client()
    web_login(web, user)
    web.get("/lang/en")  # messages in English: the assertions below read them
    html = web.get(f"/inbox/task/{task_id}").get_data(as_text=True)
    return web, csrf_token(html), html


def _instance(app, tokens, instance_id):
    return (
        app.test_client()
        .get(f"/api/v1/process_instance/{instance_id}", headers=auth(tokens["consultant"]))
        .get_json()
    )


def _entered(body):
    step = next(
        h for h in body["history"] if h["element_id"] == "upload_qualification" and h["kind"] == "step"
    )
    return step["data_after"]["upload_qualification"]


def _upload_api(app, token, content, name, **form):
    return app.test_client().post(
        "/api/v1/file/",
        data={"file": (io.BytesIO(content), name), **form},
        headers=auth(token),
        content_type="multipart/form-data",
    )


def test_task_page_uploads_a_scan_stored_under_its_token(app, tokens, upload_dir):
    instance_id, task_id = _new_task(app, tokens)
    web, csrf, html = _page(app, "dealer_sh1", task_id)
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file" id="f-licence_scan" name="licence_scan" accept=".pdf"' in html
    assert 'name="shop_photo" accept=".png,.jpg,.jpeg"' in html

    resp = web.post(
        f"/inbox/task/{task_id}/complete",
        data={
            "csrf_token": csrf,
            "licence_no": "91310000X",
            "licence_scan": (io.BytesIO(PDF), "../../营业执照.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    body = _instance(app, tokens, instance_id)
    assert body["status"] == "completed"
    entered = _entered(body)
    token = entered["licence_scan"]
    assert entered["licence_no"] == "91310000X" and re.fullmatch(r"[0-9a-f]{32}", token)
    on_disk = upload_dir / token[:2] / token[2:4] / token
    assert on_disk.read_bytes() == PDF
    assert [p.name for p in upload_dir.rglob("*") if p.is_file() and token[:2] in str(p)] == [token]

    download = web.get(f"/files/{token}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7.pdf" in disposition
    assert ".." not in disposition and "/" not in disposition.split("filename")[1]

    other = app.test_client()
    web_login(other, "dealer_gd1")
    assert other.get(f"/files/{token}").status_code == 404
    assert (
        app.test_client().get(f"/api/v1/file/{token}", headers=auth(tokens["dealer_gd1"])).status_code == 404
    )
    assert app.test_client().get(f"/api/v1/file/{token}", headers=auth(tokens["rm_sh"])).status_code == 200
    assert app.test_client().get(f"/api/v1/file/{token}", headers=auth(tokens["exec"])).status_code == 200


def test_an_oversized_scan_is_refused_naming_the_field_and_nothing_is_completed(app, tokens, upload_dir):
    instance_id, task_id = _new_task(app, tokens)
    web, csrf, _ = _page(app, "dealer_sh1", task_id)
    before = {p for p in upload_dir.rglob("*") if p.is_file()}
    resp = web.post(
        f"/inbox/task/{task_id}/complete",
        data={
            "csrf_token": csrf,
            "licence_no": "X1",
            "licence_scan": (io.BytesIO(PDF + b"\x00" * 5000), "big.pdf"),
        },
        content_type="multipart/form-data",
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-field="licence_scan">the file is larger than 4 KiB<' in html
    assert 'value="X1"' in html
    assert _instance(app, tokens, instance_id)["status"] != "completed"
    assert {p for p in upload_dir.rglob("*") if p.is_file()} == before  # nothing written


def test_a_file_whose_content_lies_about_its_type_is_refused(app, tokens):
    instance_id, task_id = _new_task(app, tokens)
    web, csrf, _ = _page(app, "dealer_sh1", task_id)
    resp = web.post(
        f"/inbox/task/{task_id}/complete",
        data={
            "csrf_token": csrf,
            "licence_no": "X2",
            "licence_scan": (io.BytesIO(PNG), "scan.pdf", "application/pdf"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert "the file&#39;s content is not a PDF file" in resp.get_data(as_text=True)
    assert _instance(app, tokens, instance_id)["status"] != "completed"
    api = _upload_api(app, tokens["dealer_sh1"], b"<html><script>x</script></html>", "page.pdf")
    assert api.status_code == 422 and api.get_json()["errors"] == {
        "file": "the file's content is not a PDF file"
    }


def test_a_stored_file_is_kept_while_another_field_is_fixed(app, tokens):
    instance_id, task_id = _new_task(app, tokens)
    web, csrf, _ = _page(app, "dealer_sh1", task_id)
    first = web.post(
        f"/inbox/task/{task_id}/complete",
        data={"csrf_token": csrf, "licence_scan": (io.BytesIO(PDF), "scan.pdf")},
        content_type="multipart/form-data",
    )
    html = first.get_data(as_text=True)
    assert first.status_code == 422 and 'data-field="licence_no">required<' in html
    kept = re.search(r'<input type="hidden" name="licence_scan" value="([0-9a-f]{32})">', html)
    assert kept and ">scan.pdf</a>" in html
    second = web.post(
        f"/inbox/task/{task_id}/complete",
        data={"csrf_token": csrf, "licence_no": "X3", "licence_scan": kept.group(1)},
        content_type="multipart/form-data",
    )
    assert second.status_code == 302
    assert _entered(_instance(app, tokens, instance_id))["licence_scan"] == kept.group(1)


def test_api_upload_then_complete_with_the_token(app, tokens):
    instance_id, task_id = _new_task(app, tokens)
    uploaded = _upload_api(
        app, tokens["dealer_sh1"], PDF, "/home/me/scans/licence.pdf", task_id=task_id, field="licence_scan"
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    body = uploaded.get_json()
    assert (
        body["name"] == "licence.pdf"
        and body["size"] == len(PDF)
        and body["content_type"] == "application/pdf"
    )
    photo = _upload_api(app, tokens["dealer_sh1"], PNG, "shop.png", task_id=task_id, field="shop_photo")
    assert photo.status_code == 201
    done = app.test_client().post(
        f"/api/v1/task/{task_id}/complete",
        headers=auth(tokens["dealer_sh1"]),
        json={
            "data": {
                "licence_no": "X4",
                "licence_scan": body["token"],
                "shop_photo": photo.get_json()["token"],
            }
        },
    )
    assert done.status_code == 200, done.get_json()
    assert _entered(_instance(app, tokens, instance_id))["licence_scan"] == body["token"]
    got = app.test_client().get(f"/api/v1/file/{body['token']}", headers=auth(tokens["rm_east"]))
    assert got.status_code == 200 and got.data == PDF and got.headers["Content-Type"] == "application/pdf"


def test_api_refuses_foreign_unknown_and_unfitting_tokens_naming_the_field(app, tokens):
    _, task_id = _new_task(app, tokens)
    foreign = _upload_api(app, tokens["dealer_gd1"], PDF, "theirs.pdf").get_json()["token"]
    png = _upload_api(app, tokens["dealer_sh1"], PNG, "mine.png").get_json()["token"]

    def complete(scan):
        return app.test_client().post(
            f"/api/v1/task/{task_id}/complete",
            headers=auth(tokens["dealer_sh1"]),
            json={"data": {"licence_no": "X5", "licence_scan": scan}},
        )

    for token in (foreign, "0" * 32, "../../etc/passwd"):
        resp = complete(token)
        assert resp.status_code == 422 and resp.get_json()["errors"] == {"licence_scan": "unknown file"}
    resp = complete(png)  # the uploader's own PNG, but the field takes PDF only
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {"licence_scan": "only these file types are allowed: PDF"}


def test_api_upload_limits_and_scope(app, tokens):
    _, gd_task = _new_task(app, tokens, dealer="D-GD-1")
    assert _upload_api(app, tokens["dealer_sh1"], PDF, "a.pdf", task_id=gd_task).status_code == 404
    empty = _upload_api(app, tokens["dealer_sh1"], b"", "a.pdf")
    assert empty.status_code == 422 and empty.get_json()["errors"] == {"file": "the file is empty"}
    _, task_id = _new_task(app, tokens)
    big = _upload_api(
        app, tokens["dealer_sh1"], PDF + b"\x00" * 5000, "a.pdf", task_id=task_id, field="licence_scan"
    )
    assert big.status_code == 422 and big.get_json()["errors"] == {"file": "the file is larger than 4 KiB"}
    wrong = _upload_api(app, tokens["dealer_sh1"], PDF, "a.pdf", task_id=task_id, field="licence_no")
    assert wrong.status_code == 422 and "field" in wrong.get_json()["errors"]
    huge = _upload_api(app, tokens["dealer_sh1"], PDF + b"\x00" * 100_000, "a.pdf")
    assert huge.status_code == 413 and "larger than" in huge.get_json()["message"]
    assert app.test_client().get("/api/v1/file/" + "f" * 32, headers=auth(tokens["admin"])).status_code == 404
    assert (
        app.test_client().post("/api/v1/file/", data={}, headers=auth(tokens["dealer_sh1"])).status_code
        == 422
    )
