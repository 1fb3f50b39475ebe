"""Dealer Excel import/export through the API with real .xlsx files (scope, permissions, round trip)."""

from __future__ import annotations

import time
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.conftest import auth, csrf_token, make_app, web_login
from tests.excel_helpers import HEADERS, read_rows, uscc, workbook_bytes


def upload(client, token, content: bytes, mode="insert", all_or_nothing="true", name="dealers.xlsx"):
    resp = client.post(
        "/api/v1/dealer/import",
        data={"file": (BytesIO(content), name), "mode": mode, "all_or_nothing": all_or_nothing},
        headers=auth(token),
        content_type="multipart/form-data",
    )
    return Finished(client, token, resp)


class Finished:
    """The upload's response; ``get_json()`` waits for the job to finish (if it ran in the background)."""

    def __init__(self, client, token, resp):
        self.client, self.token, self.resp, self.status_code = client, token, resp, resp.status_code

    def get_json(self):
        body = self.resp.get_json()
        deadline = time.monotonic() + 60
        while (
            self.status_code == 202
            and body["status"] in ("queued", "running")
            and time.monotonic() < deadline
        ):
            time.sleep(0.05)
            body = self.client.get(f"/api/v1/dealer/import/{body['id']}", headers=auth(self.token)).get_json()
            body["job"] = body["id"]
        return body


def dealer_codes(client, token) -> set[str]:
    rows = client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(token)).get_json()["result"]
    return {r["code"] for r in rows}


def test_template_has_lists_and_instructions(client, tokens):
    resp = client.get("/api/v1/dealer/import-template", headers=auth(tokens["rm_east"]))
    assert resp.status_code == 200
    book = load_workbook(BytesIO(resp.data))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS
    assert sheet.freeze_panes == "A2"
    formulas = {v.formula1 for v in sheet.data_validations.dataValidation}
    assert any("lists" in f for f in formulas)
    lists = book["lists"]
    assert lists.sheet_state == "hidden"
    region_values = {c.value for c in lists["A"][1:]}
    assert {"EAST", "SH", "JS"} <= region_values and "GD" not in region_values  # rm_east's scope only
    instructions = book.worksheets[-1]
    text = " ".join(str(c.value) for row in instructions.iter_rows() for c in row if c.value)
    assert "统一社会信用代码" in text and "Unified" not in text or "USCC" in text
    assert "Formulas are never calculated" in text


def test_dealer_user_cannot_import(client, tokens):
    resp = upload(
        client, tokens["dealer_sh1"], workbook_bytes([{"code": "X-1", "name": "x", "region": "SH"}])
    )
    assert resp.status_code == 403


def test_import_reports_row_column_reason_and_writes_nothing(client, tokens):
    before = dealer_codes(client, tokens["admin"])
    rows = [
        {"code": "ＩＭ－００１", "name": "导入一号", "region": "SH", "uscc": uscc(1)},  # full-width code
        {"code": "IM-002", "name": "导入二号", "region": "NOWHERE"},
        {"code": "IM-001", "name": "重复", "region": "SH"},
        {"code": "IM-003", "name": "坏信用代码", "region": "SH", "uscc": "91310000MA1FL00000"},
        {"code": "D-SH-1", "name": "已存在", "region": "SH"},
    ]
    resp = upload(client, tokens["admin"], workbook_bytes(rows))
    assert resp.status_code == 202, resp.get_json()
    job = client.get(
        f"/api/v1/dealer/import/{resp.get_json()['job']}", headers=auth(tokens["admin"])
    ).get_json()
    assert job["status"] == "done" and job["inserted"] == 0 and job["failed"] == 4
    problems = {(e["row"], e["column"]): e["reason"] for e in job["report"]["errors"]}
    assert problems[(3, "region")] == "unknown region NOWHERE"
    assert problems[(4, "code")].startswith("duplicate in this file (also in row 2)")
    assert "check character" in problems[(5, "uscc")]
    assert problems[(6, "code")] == "already exists"
    assert dealer_codes(client, tokens["admin"]) == before
    errors = client.get(job["error_file_url"], headers=auth(tokens["admin"]))
    assert errors.status_code == 200
    sheet = read_rows(errors.data)
    assert sheet[0][-1] == "错误 / Errors" and sheet[1][-1] is None
    assert "unknown region NOWHERE" in sheet[2][-1]


def test_valid_rows_only_writes_the_good_rows(client, tokens):
    rows = [
        {"code": "VR-001", "name": "有效一号", "region": "SH", "credit_limit": 1000},
        {"code": "VR-002", "name": "", "region": "SH"},
    ]
    resp = upload(client, tokens["admin"], workbook_bytes(rows), all_or_nothing="false")
    job = resp.get_json()
    assert job["inserted"] == 1 and job["failed"] == 1
    assert job["report"]["errors"] == [
        {"row": 3, "column": "name", "header": HEADERS[1], "reason": "required"}
    ]
    codes = dealer_codes(client, tokens["admin"])
    assert "VR-001" in codes and "VR-002" not in codes


def test_regional_manager_only_inside_region(client, tokens):
    rows = [
        {"code": "RM-SH-1", "name": "上海新店", "region": "SH"},
        {"code": "RM-GD-1", "name": "广东新店", "region": "GD"},
    ]
    job = upload(client, tokens["rm_east"], workbook_bytes(rows), all_or_nothing="false").get_json()
    assert job["inserted"] == 1
    assert job["report"]["errors"][0]["row"] == 3
    assert job["report"]["errors"][0]["column"] == "region"
    assert "outside your data scope" in job["report"]["errors"][0]["reason"]
    # updating a dealer of another region is refused too
    job = upload(
        client, tokens["rm_east"], workbook_bytes([{"code": "D-GD-1", "name": "改名"}]), "update"
    ).get_json()
    assert job["failed"] == 1 and job["report"]["errors"][0]["column"] == "code"
    exported = read_rows(client.get("/api/v1/dealer/export", headers=auth(tokens["rm_east"])).data)
    codes = {r[0] for r in exported[1:]}
    assert "RM-SH-1" in codes and "D-GD-1" not in codes and "D-SH-1" in codes


def test_export_reimports_unchanged_with_chinese_text(client, tokens):
    rows = [
        {
            "code": "RT-001",
            "name": "杭州「测试」贸易有限公司（华东）",
            "region": "JS",
            "uscc": uscc(77),
            "credit_limit": "123456.78",
            "payment_terms_days": 30,
            "invoice_address": "江苏省南京市鼓楼区中山路 1 号 𠮷野家",
            "bank_account": "6222020200112233445",
        }
    ]
    assert upload(client, tokens["admin"], workbook_bytes(rows)).get_json()["inserted"] == 1
    exported = client.get("/api/v1/dealer/export", headers=auth(tokens["admin"])).data
    before = client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens["admin"])).get_json()[
        "result"
    ]
    job = upload(client, tokens["admin"], exported, mode="update").get_json()
    assert job["status"] == "done" and job["failed"] == 0, job["report"]
    assert job["updated"] == len(before)
    after = client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens["admin"])).get_json()[
        "result"
    ]
    assert after == before
    again = read_rows(client.get("/api/v1/dealer/export", headers=auth(tokens["admin"])).data)
    row = next(r for r in again if r[0] == "RT-001")
    assert row[1] == "杭州「测试」贸易有限公司（华东）"
    assert "𠮷野家" in row[13] and row[16] == "6222020200112233445"
    assert read_rows(exported) == again


def test_refused_files(client, tokens):
    resp = upload(client, tokens["admin"], b"not a workbook", name="x.xlsx")
    assert resp.status_code == 422 and resp.get_json()["errors"]["file"] == "not an Excel .xlsx file"
    resp = upload(client, tokens["admin"], workbook_bytes([]), name="x.xlsm")
    assert resp.status_code == 422 and "macro" in resp.get_json()["errors"]["file"]
    resp = upload(client, tokens["admin"], workbook_bytes([], headers=["foo", "bar"]))
    assert resp.status_code == 422 and "missing columns" in resp.get_json()["errors"]["file"]
    resp = upload(client, tokens["admin"], workbook_bytes([]), mode="replace")
    assert resp.status_code == 422 and resp.get_json()["errors"] == {"mode": "one of insert, update, upsert"}


def test_job_of_someone_else_is_404(client, tokens):
    job = upload(client, tokens["rm_east"], workbook_bytes([{"code": "OWN-1", "name": "x", "region": "SH"}]))
    job_id = job.get_json()["job"]
    assert client.get(f"/api/v1/dealer/import/{job_id}", headers=auth(tokens["rm_sh"])).status_code == 404
    assert client.get(f"/api/v1/dealer/import/{job_id}", headers=auth(tokens["admin"])).status_code == 200


@pytest.fixture(scope="module")
def background_app(database_url, app):
    """The same database, with every import run in a worker thread."""
    return make_app(database_url, DMS_IMPORT_INLINE_ROWS=0)


def test_large_file_runs_in_background_with_progress(background_app, tokens):
    client = background_app.test_client()
    rows = [{"code": f"BG-{i:04d}", "name": f"后台{i}", "region": "SH"} for i in range(1200)]
    resp = upload(client, tokens["admin"], workbook_bytes(rows), mode="upsert")
    assert resp.status_code == 202
    job_id = resp.resp.get_json()["job"]
    deadline = time.monotonic() + 60
    seen = []
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/dealer/import/{job_id}", headers=auth(tokens["admin"])).get_json()
        seen.append(job["processed_rows"])
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert job["status"] == "done", job
    assert job["inserted"] == 1200 and job["processed_rows"] == 1200 and job["percent"] == 100


def test_pages_upload_and_progress(app, tokens):
    client = app.test_client()
    assert web_login(client, "rm_sh").status_code == 302
    listing = client.get("/dealerview/list/").get_data(as_text=True)
    assert "/dealers/excel/import" in listing and "/dealers/excel/template" in listing
    page = client.get("/dealers/excel/import")
    assert page.status_code == 200
    content = workbook_bytes(
        [{"code": "PG-1", "name": "页面导入", "region": "SH"}, {"code": "PG-2", "name": "x"}]
    )
    resp = client.post(
        "/dealers/excel/import",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "file": (BytesIO(content), "页面.xlsx"),
            "mode": "insert",
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    progress = client.get(resp.headers["Location"])
    assert progress.status_code == 200 and "import-progress" in progress.get_data(as_text=True)
    job_id = int(resp.headers["Location"].rstrip("/").split("/")[-1])
    status = client.get(f"/dealers/excel/import/{job_id}/status").get_json()
    assert status["status"] == "done" and status["inserted"] == 1 and status["failed"] == 1  # valid rows only
    assert status["error_file_url"].startswith("/files/")
    assert client.get(status["error_file_url"]).status_code == 200
    exported = read_rows(client.get("/dealers/excel/export").data)
    assert {r[3] for r in exported[1:]} == {"SH"}  # rm_sh's region only
    assert {"PG-1", "D-SH-1"} <= {r[0] for r in exported[1:]}


def test_modes_update_and_upsert(client, tokens):
    admin = tokens["admin"]
    job = upload(client, admin, workbook_bytes([{"code": "NO-SUCH-1", "name": "x"}]), "update").get_json()
    assert job["report"]["errors"][0]["reason"] == "no dealer with this code in your data scope"
    rows = [{"code": "D-JS-1", "credit_limit": 5000}, {"code": "UP-NEW-1", "name": "新增", "region": "JS"}]
    job = upload(client, admin, workbook_bytes(rows), "upsert").get_json()
    assert (job["inserted"], job["updated"], job["failed"]) == (1, 1, 0), job["report"]
    exported = {r[0]: r for r in read_rows(client.get("/api/v1/dealer/export", headers=auth(admin)).data)}
    assert exported["D-JS-1"][1] == "江苏一号经销商" and exported["D-JS-1"][7] == 5000  # name kept, limit set
    assert exported["UP-NEW-1"][3] == "JS"
