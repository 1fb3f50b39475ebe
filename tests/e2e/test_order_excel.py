"""Orders from Excel: several orders in one file (rows grouped by order reference), written as
drafts in one transaction and then submitted (checks, approval flow); a bad row is reported with
its row, column and reason and nothing is written; the scope holds; the template and export."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from app.adapters.excel.orders import ORDER_SHEET
from tests.conftest import auth
from tests.order_helpers import close, order_app, order_tokens

HEADERS = [c.header for c in ORDER_SHEET.columns]
KEYS = [c.key for c in ORDER_SHEET.columns]


@pytest.fixture(scope="module")
def app(database_url):
    application = order_app(database_url)
    yield application
    close(application)


def sheet(rows: list[dict]) -> bytes:
    book = Workbook()
    ws = book.active
    ws.append(HEADERS)
    for row in rows:
        ws.append([row.get(k) for k in KEYS])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, token, content: bytes):
    resp = client.post(
        "/api/v1/order/import",
        data={"file": (BytesIO(content), "orders.xlsx"), "mode": "insert"},
        headers=auth(token),
        content_type="multipart/form-data",
    )
    assert resp.status_code in (202, 403, 422), resp.get_json()
    return resp


def orders_of(client, token) -> list[dict]:
    return client.get("/api/v1/order/?page_size=200", headers=auth(token)).get_json()["result"]


def test_several_orders_in_one_file_are_created_and_submitted(app):
    client, tokens = app.test_client(), order_tokens(app)
    before = {o["id"] for o in orders_of(client, tokens["rep"])}
    content = sheet([
        {"order_ref": "PO-1", "dealer": "D-SH-1", "sku": "W-550", "qty": 10, "note": "门店A"},
        {"order_ref": "PO-2", "dealer": "D-GD-1", "sku": "W-550", "qty": 3},
        {"order_ref": "PO-1", "dealer": "D-SH-1", "sku": "T-500", "qty": 2},
    ])  # fmt: skip
    job = upload(client, tokens["rep"], content).get_json()
    assert job["status"] == "done" and job["inserted"] == 3 and job["failed"] == 0, job
    new = [o for o in orders_of(client, tokens["rep"]) if o["id"] not in before]
    assert len(new) == 2 and {o["source"] for o in new} == {"excel"}
    by_dealer = {o["dealer"]["code"]: o for o in new}
    assert by_dealer["D-SH-1"]["amount"] == "390.00"  # 10 × 30 + 2 × 45
    assert {o["status"] for o in new} == {"confirmed"}  # submitted after the import: checks and flow ran
    shown = client.get(f"/api/v1/order/{by_dealer['D-SH-1']['id']}", headers=auth(tokens["rep"])).get_json()
    assert {c["kind"] for c in shown["checks"]} == {"stock", "price", "credit", "diversion"}


def test_a_bad_row_is_reported_and_nothing_is_written(app):
    client, tokens = app.test_client(), order_tokens(app)
    before = len(orders_of(client, tokens["rep"]))
    content = sheet([
        {"order_ref": "PO-9", "dealer": "D-SH-1", "sku": "W-550", "qty": 5},
        {"order_ref": "PO-9", "dealer": "D-GD-1", "sku": "T-500", "qty": 1},   # another dealer, same order
        {"order_ref": "PO-8", "dealer": "D-JS-1", "sku": "W-550", "qty": 1},   # outside the rep's scope
        {"order_ref": "PO-7", "dealer": "D-SH-1", "sku": "NOPE", "qty": 1},
        {"order_ref": "PO-6", "dealer": "D-SH-1", "sku": "W-550", "qty": 0},
        {"order_ref": "PO-9", "dealer": "D-SH-1", "sku": "W-550", "qty": 2},   # the same SKU twice
    ])  # fmt: skip
    job = upload(client, tokens["rep"], content).get_json()
    assert job["status"] == "done" and job["inserted"] == 0
    problems = {(p["row"], p["column"]) for p in job["report"]["errors"]}
    assert {(3, "order_ref"), (4, "dealer"), (5, "sku"), (6, "qty"), (7, "order_ref")} <= problems
    assert len(orders_of(client, tokens["rep"])) == before


def test_warehouse_cannot_import_and_the_template_and_export_work(app):
    client, tokens = app.test_client(), order_tokens(app)
    assert upload(client, tokens["warehouse"], sheet([])).status_code == 403
    template = client.get("/api/v1/order/import-template", headers=auth(tokens["rep"]))
    assert template.status_code == 200
    assert load_workbook(BytesIO(template.data)).worksheets[0].cell(1, 1).value.startswith("订单参考号")
    export = client.get("/api/v1/order/export", headers=auth(tokens["dealer_sh1"]))
    rows = list(load_workbook(BytesIO(export.data)).worksheets[0].iter_rows(values_only=True))[1:]
    assert rows and {r[1] for r in rows} == {"D-SH-1"}
