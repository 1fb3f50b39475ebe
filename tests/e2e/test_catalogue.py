"""Catalogue and warehouses over HTTP: CRUD with the shared rules, the category and warehouse
trees, permissions and data scope, and the product Excel template/import/export round trip."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from app.adapters.excel.products import PRODUCT_SHEET
from tests.conftest import PASSWORD, api_token, auth, web_login

HEADERS = [c.header for c in PRODUCT_SHEET.columns]
KEYS = [c.key for c in PRODUCT_SHEET.columns]


@pytest.fixture(scope="module")
def cat_tokens(app, tokens):
    from app.adapters.unit_of_work import SqlUnitOfWork
    from app.extensions import db
    from app.services.users import NewUser, create_user

    with app.app_context():
        create_user(
            SqlUnitOfWork(db.session, app.extensions["dms_roles"]),
            NewUser("rm_south", ("RegionalManager",), regions=("SOUTH",), password=PASSWORD),
        )
    return {**tokens, "rm_south": api_token(app.test_client(), "rm_south")}


def create(client, token, resource, body, status=201):
    resp = client.post(f"/api/v1/{resource}/", json=body, headers=auth(token))
    assert resp.status_code == status, resp.get_data(as_text=True)
    return resp.get_json()


def ids(client, token, resource, model):
    rows = client.get(f"/api/v1/{resource}/?q=(page_size:100)", headers=auth(token)).get_json()["result"]
    return {r["code"]: r["id"] for r in rows}


def lookup(client, token, resource, code):
    return ids(client, token, resource, None)[code]


def test_product_lines_everyone_reads_consultant_writes(client, cat_tokens):
    created = create(
        client,
        cat_tokens["consultant"],
        "product_line",
        {"code": " bev ", "name": "饮料", "name_en": "Drinks"},
    )
    shown = client.get(
        f"/api/v1/product_line/{created['id']}", headers=auth(cat_tokens["dealer_sh1"])
    ).get_json()
    assert shown["result"]["code"] == "BEV" and shown["result"]["name"] == "饮料"
    create(client, cat_tokens["dealer_sh1"], "product_line", {"code": "X", "name": "x"}, status=403)
    create(client, cat_tokens["warehouse"], "product_line", {"code": "X", "name": "x"}, status=403)
    dup = create(
        client, cat_tokens["consultant"], "product_line", {"code": "BEV", "name": "又一个"}, status=409
    )
    assert dup["errors"] == {"code": "already used"}
    bad = create(client, cat_tokens["consultant"], "product_line", {"code": "B V!", "name": ""}, status=422)
    assert set(bad["errors"]) >= {"code"}


def test_category_tree_keeps_paths_on_add_rename_and_move(client, cat_tokens):
    token = cat_tokens["consultant"]
    food = create(client, token, "category", {"code": "FOOD", "name": "食品"})["id"]
    snack = create(client, token, "category", {"code": "SNACK", "name": "零食", "parent": food})["id"]
    nuts = create(
        client, token, "category", {"code": "NUTS", "name": "坚果", "parent": snack, "slow_moving_days": 60}
    )["id"]

    def path(pk):
        return client.get(f"/api/v1/category/{pk}", headers=auth(token)).get_json()["result"]["path"]

    assert path(nuts) == "/FOOD/SNACK/NUTS/"
    resp = client.put(
        f"/api/v1/category/{food}", json={"code": "GROCERY", "name": "食品杂货"}, headers=auth(token)
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert path(nuts) == "/GROCERY/SNACK/NUTS/"
    other = create(client, token, "category", {"code": "TREATS", "name": "休闲"})["id"]
    assert (
        client.put(f"/api/v1/category/{snack}", json={"parent": other}, headers=auth(token)).status_code
        == 200
    )
    assert path(snack) == "/TREATS/SNACK/" and path(nuts) == "/TREATS/SNACK/NUTS/"
    loop = client.put(f"/api/v1/category/{other}", json={"parent": nuts}, headers=auth(token))
    assert loop.status_code == 422 and "parent" in loop.get_json()["errors"]
    days = client.put(f"/api/v1/category/{nuts}", json={"slow_moving_days": 0}, headers=auth(token))
    assert days.status_code == 422 and "slow_moving_days" in days.get_json()["errors"]


def test_products_are_cleaned_and_checked(client, cat_tokens):
    token = cat_tokens["consultant"]
    line = lookup(client, token, "product_line", "BEV")
    created = create(
        client,
        token,
        "product",
        {
            "code": "ｂｅｖ－ｗ－５５０",
            "name": " 矿泉水  550ml ",
            "name_en": "Water",
            "product_line": line,
            "unit": "箱",
            "pack_size": 24,
            "shelf_life_days": 540,
            "status": "active",
        },  # fmt: skip
    )
    shown = client.get(f"/api/v1/product/{created['id']}", headers=auth(cat_tokens["dealer_gd1"])).get_json()[
        "result"
    ]
    assert (
        shown["code"] == "BEV-W-550"
        and shown["name"] == "矿泉水 550ml"
        and shown["product_line"]["code"] == "BEV"
    )
    bad = create(
        client, token, "product", {"code": "P-BAD", "name": "x", "pack_size": 0, "status": "gone"}, status=422
    )
    assert set(bad["errors"]) == {"pack_size", "status"}
    assert create(client, token, "product", {"code": "bev-w-550", "name": "dup"}, status=409)["errors"] == {
        "code": "already used"
    }
    listed = client.get(
        "/api/v1/product/?q=(filters:!((col:code,opr:eq,value:BEV-W-550)))", headers=auth(cat_tokens["rep"])
    )
    assert listed.get_json()["count"] == 1
    create(client, cat_tokens["rm_east"], "product", {"code": "P-RM", "name": "x"}, status=403)


@pytest.fixture(scope="module")
def warehouses(app, cat_tokens):
    client = app.test_client()
    token = cat_tokens["warehouse"]
    region = ids(client, token, "region", None)
    dealer = ids(client, token, "dealer", None)
    hq = create(
        client, token, "warehouse", {"code": "C-HQ", "name": "总仓", "kind": "hq", "region": region["EAST"]}
    )["id"]
    east = create(
        client,
        token,
        "warehouse",
        {"code": "C-EAST", "name": "华东仓", "kind": "regional", "parent": hq, "region": region["EAST"]},
    )["id"]
    south = create(
        client,
        token,
        "warehouse",
        {"code": "C-SOUTH", "name": "华南仓", "kind": "regional", "parent": hq, "region": region["SOUTH"]},
    )["id"]
    d_gd = create(
        client,
        token,
        "warehouse",
        {
            "code": "C-D-GD-1",
            "name": "广东经销商仓",
            "kind": "dealer",
            "parent": south,
            "dealer": dealer["D-GD-1"],
            "region": region["GD"],
        },
    )["id"]
    d_sh = create(
        client,
        token,
        "warehouse",
        {
            "code": "C-D-SH-1",
            "name": "上海经销商仓",
            "kind": "dealer",
            "parent": east,
            "dealer": dealer["D-SH-1"],
            "region": region["SH"],
        },
    )["id"]
    return {
        "hq": hq,
        "east": east,
        "south": south,
        "d_gd": d_gd,
        "d_sh": d_sh,
        "region": region,
        "dealer": dealer,
    }


def test_warehouse_tree_and_shape_rules(client, cat_tokens, warehouses):
    token = cat_tokens["warehouse"]
    shown = client.get(f"/api/v1/warehouse/{warehouses['d_gd']}", headers=auth(token)).get_json()["result"]
    assert (
        shown["path"] == "/C-HQ/C-SOUTH/C-D-GD-1/"
        and shown["region"]["code"] == "GD"
        and shown["dealer"]["code"] == "D-GD-1"
    )
    region, dealer = warehouses["region"], warehouses["dealer"]
    cases = [
        (
            {"code": "C-X1", "name": "x", "kind": "hq", "parent": warehouses["hq"], "region": region["EAST"]},
            "parent",
        ),
        (
            {
                "code": "C-X2",
                "name": "x",
                "kind": "dealer",
                "parent": warehouses["east"],
                "region": region["SH"],
            },
            "dealer",
        ),
        (
            {
                "code": "C-X3",
                "name": "x",
                "kind": "dealer",
                "dealer": dealer["D-SH-1"],
                "region": region["GD"],
            },
            "region",
        ),
        (
            {
                "code": "C-X4",
                "name": "x",
                "kind": "regional",
                "parent": warehouses["d_sh"],
                "region": region["SH"],
            },
            "parent",
        ),
        ({"code": "C-X5", "name": "x", "kind": "depot", "region": region["SH"]}, "kind"),
    ]
    for body, field in cases:
        resp = create(client, token, "warehouse", body, status=422)
        assert field in resp["errors"], (body, resp)
    moved = client.put(
        f"/api/v1/warehouse/{warehouses['d_sh']}", json={"parent": warehouses["hq"]}, headers=auth(token)
    )
    assert moved.status_code == 200
    path = client.get(f"/api/v1/warehouse/{warehouses['d_sh']}", headers=auth(token)).get_json()["result"][
        "path"
    ]
    assert path == "/C-HQ/C-D-SH-1/"
    back = client.put(
        f"/api/v1/warehouse/{warehouses['d_sh']}", json={"parent": warehouses["east"]}, headers=auth(token)
    )
    assert back.status_code == 200


def test_warehouses_follow_the_data_scope(client, cat_tokens, warehouses):
    def codes(user):
        rows = client.get("/api/v1/warehouse/?q=(page_size:100)", headers=auth(cat_tokens[user])).get_json()[
            "result"
        ]
        return {r["code"] for r in rows}

    assert codes("rm_south") == {"C-SOUTH", "C-D-GD-1"}
    assert codes("dealer_sh1") == {"C-D-SH-1"}
    assert {"C-HQ", "C-EAST", "C-D-SH-1"} <= codes("rm_east") and "C-SOUTH" not in codes("rm_east")
    for pk in (warehouses["east"], warehouses["hq"], warehouses["d_sh"]):
        assert client.get(f"/api/v1/warehouse/{pk}", headers=auth(cat_tokens["rm_south"])).status_code == 404
    edit = client.put(
        f"/api/v1/warehouse/{warehouses['east']}", json={"name": "改"}, headers=auth(cat_tokens["rm_south"])
    )
    assert edit.status_code in (403, 404)
    assert (
        client.get(
            f"/api/v1/warehouse/{warehouses['d_gd']}", headers=auth(cat_tokens["dealer_sh1"])
        ).status_code
        == 404
    )
    create(
        client,
        cat_tokens["dealer_sh1"],
        "warehouse",
        {"code": "C-MINE", "name": "x", "kind": "dealer"},
        status=403,
    )


def sheet(rows: list[dict], headers: list[str] | None = None) -> bytes:
    book = Workbook()
    ws = book.active
    ws.append(headers or HEADERS)
    for row in rows:
        ws.append([row.get(k) for k in KEYS])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, token, content: bytes, mode="insert", all_or_nothing="true"):
    resp = client.post(
        "/api/v1/product/import",
        data={"file": (BytesIO(content), "products.xlsx"), "mode": mode, "all_or_nothing": all_or_nothing},
        headers=auth(token),
        content_type="multipart/form-data",
    )
    return resp


def test_product_template_has_lists(client, cat_tokens):
    resp = client.get("/api/v1/product/import-template", headers=auth(cat_tokens["dealer_sh1"]))
    assert resp.status_code == 200
    book = load_workbook(BytesIO(resp.data))
    assert [c.value for c in book.worksheets[0][1]] == HEADERS
    lists = book["lists"]
    values = {c.value for col in lists.iter_cols() for c in col}
    assert {"BEV", "TREATS", "active", "inactive"} <= values


def test_product_import_all_or_nothing_then_round_trip(app, client, cat_tokens):
    token = cat_tokens["consultant"]
    rows = [
        {"code": "ＳＮＫ－００１", "name": "苏打饼干 100克", "name_en": "Soda crackers",
         "product_line": "bev", "category": "NUTS", "brand": "麦田", "pack_size": 40, "shelf_life_days": 270},
        {"code": "SNK-002", "name": "夹心饼干", "pack_size": "abc"},
        {"code": "SNK-003", "name": "坚果礼盒", "category": "NOPE", "status": "inactive"},
    ]  # fmt: skip
    job = upload(client, token, sheet(rows))
    assert job.status_code == 202, job.get_data(as_text=True)
    body = job.get_json()
    assert body["status"] == "done" and body["failed"] == 2 and not body["report"]["written"]
    problems = {(e["row"], e["column"]) for e in body["report"]["errors"]}
    assert problems == {(3, "pack_size"), (4, "category")}
    assert client.get(f"/api/v1/product/import/{body['id']}", headers=auth(token)).status_code == 200
    assert (
        client.get(
            "/api/v1/product/?q=(filters:!((col:code,opr:sw,value:SNK)))", headers=auth(token)
        ).get_json()["count"]
        == 0
    )

    rows[1]["pack_size"], rows[2]["category"] = 24, "TREATS"
    body = upload(client, token, sheet(rows)).get_json()
    assert (body["status"], body["inserted"], body["failed"]) == ("done", 3, 0), body
    exported = client.get("/api/v1/product/export", headers=auth(cat_tokens["exec"]))
    assert exported.status_code == 200
    data = [list(r) for r in load_workbook(BytesIO(exported.data)).worksheets[0].iter_rows(values_only=True)]
    by_code = {r[0]: r for r in data[1:]}
    assert by_code["SNK-001"][1] == "苏打饼干 100克" and by_code["SNK-001"][3] == "BEV"
    assert by_code["SNK-003"][KEYS.index("status")] == "inactive"
    again = upload(client, token, exported.data, mode="update").get_json()
    assert (again["failed"], again["updated"]) == (0, len(data) - 1), again
    assert upload(client, cat_tokens["dealer_sh1"], sheet(rows)).status_code == 403


def test_product_list_page_has_the_excel_buttons(app):
    browser = app.test_client()
    web_login(browser, "consultant")
    page = browser.get("/productview/list/").get_data(as_text=True)
    assert "/products/excel/template" in page and "/products/excel/import" in page
    assert browser.get("/products/excel/import").status_code == 200
    assert browser.get("/warehouseview/list/").status_code == 200
