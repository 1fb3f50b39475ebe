"""The dealer file through the API: codes for related records, domain rules named by field,
custom fields checked against the stored ``dealer_custom`` form, parts and figures in scope."""

import io

import pytest

from app.domain.uscc import check_character
from tests.conftest import auth

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def uscc(body: str) -> str:
    return body + check_character(body)


def dealer_id(client, tokens, code):
    rows = client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens["admin"])).get_json()["result"]
    return next(r["id"] for r in rows if r["code"] == code)


def test_core_fields_in_and_out_by_code(client, tokens):
    body = {
        "code": "D-API-1",
        "name": "  接口  经销商 ",
        "uscc": uscc("91310000MA1AP0001").lower(),
        "region": "sh",
        "tier": "B",
        "parent": "D-SH-1",
        "sales_rep": "rep",
        "credit_limit": "250000.5",
        "payment_terms_days": 45,
        "staff_count": "12",
        "bank_account": "6222 0000 1111",
    }
    resp = client.post("/api/v1/dealer/", json=body, headers=auth(tokens["admin"]))
    assert resp.status_code == 201, resp.get_json()
    new_id = resp.get_json()["id"]
    shown = client.get(f"/api/v1/dealer/{new_id}", headers=auth(tokens["admin"])).get_json()["result"]
    assert shown["region"] == "SH" and shown["tier"] == "B" and shown["parent"] == "D-SH-1"
    assert shown["sales_rep"] == "rep" and shown["status"] == "active"
    assert shown["credit_limit"] == "250000.50" and shown["payment_terms_days"] == 45
    assert shown["name"] == "接口 经销商" and shown["uscc"] == body["uscc"].upper()
    assert shown["contacts"] == [] and shown["qualifications"] == []
    listed = client.get(
        "/api/v1/dealer/?q=(filters:!((col:code,opr:eq,value:D-API-1)))", headers=auth(tokens["admin"])
    )
    assert listed.get_json()["result"][0]["region"] == "SH"


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"uscc": "91310000MA1AP0001X"}, "uscc", 422),
        ({"uscc": "123"}, "uscc", 422),
        ({"uscc": "91310000MA1FL0001R"}, "uscc", 409),  # D-SH-1 has it
        ({"code": "D-SH-1"}, "code", 409),
        ({"region": "NOWHERE"}, "region", 422),
        ({"tier": "Z"}, "tier", 422),
        ({"sales_rep": "nobody"}, "sales_rep", 422),
        ({"credit_limit": "-5"}, "credit_limit", 422),
        ({"credit_limit": "lots"}, "credit_limit", 422),
        ({"revenue_band": "R9"}, "revenue_band", 422),
        ({"custom": {"x": 1}}, "custom", 422),  # no dealer_custom form yet
    ],
)
def test_bad_fields_are_named(client, tokens, change, field, status):
    body = {"code": "D-BAD-1", "name": "坏数据", "region": "SH", **change}
    resp = client.post("/api/v1/dealer/", json=body, headers=auth(tokens["admin"]))
    assert resp.status_code == status, resp.get_json()
    assert field in resp.get_json()["errors"]
    rows = client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens["admin"])).get_json()["result"]
    assert "D-BAD-1" not in {r["code"] for r in rows}


def test_lifecycle_refuses_terminated_to_active(client, tokens):
    resp = client.post(
        "/api/v1/dealer/",
        json={"code": "D-END-1", "name": "终止", "region": "JS"},
        headers=auth(tokens["admin"]),
    )
    pk = resp.get_json()["id"]
    assert (
        client.put(
            f"/api/v1/dealer/{pk}", json={"status": "terminated"}, headers=auth(tokens["admin"])
        ).status_code
        == 200
    )
    back = client.put(f"/api/v1/dealer/{pk}", json={"status": "active"}, headers=auth(tokens["admin"]))
    assert back.status_code == 422 and "status" in back.get_json()["errors"]
    shown = client.get(f"/api/v1/dealer/{pk}", headers=auth(tokens["admin"])).get_json()["result"]
    assert shown["status"] == "terminated"


def test_parent_cannot_form_a_loop(client, tokens):
    pk = dealer_id(client, tokens, "D-SH-1")
    resp = client.put(f"/api/v1/dealer/{pk}", json={"parent": "D-SH-1"}, headers=auth(tokens["admin"]))
    assert resp.status_code == 422 and "parent" in resp.get_json()["errors"]


def test_custom_fields_follow_the_stored_form(client, tokens):
    form = {
        "name": "dealer_custom",
        "schema": {
            "type": "object",
            "properties": {
                "brand_focus": {
                    "type": "string",
                    "maxLength": 20,
                    "title": {"zh_CN": "主营品牌", "en": "Brand focus"},
                },
                "trucks": {"type": "integer", "minimum": 0, "title": {"zh_CN": "车辆数", "en": "Trucks"}},
            },
        },
        "uischema": {},
    }
    assert client.post("/api/v1/form/", json=form, headers=auth(tokens["admin"])).status_code in (200, 201)
    pk = dealer_id(client, tokens, "D-SH-2")
    ok = client.put(
        f"/api/v1/dealer/{pk}",
        json={"custom": {"brand_focus": "饮料", "trucks": 3}},
        headers=auth(tokens["admin"]),
    )
    assert ok.status_code == 200, ok.get_json()
    shown = client.get(f"/api/v1/dealer/{pk}", headers=auth(tokens["admin"])).get_json()["result"]
    assert shown["custom"] == {"brand_focus": "饮料", "trucks": 3}
    bad = client.put(
        f"/api/v1/dealer/{pk}", json={"custom": {"trucks": -1, "evil": 1}}, headers=auth(tokens["admin"])
    )
    assert bad.status_code == 422
    assert {"custom/trucks", "custom/evil"} <= set(bad.get_json()["errors"])
    shown = client.get(f"/api/v1/dealer/{pk}", headers=auth(tokens["admin"])).get_json()["result"]
    assert shown["custom"] == {"brand_focus": "饮料", "trucks": 3}


def test_parts_nested_on_show_and_scoped(client, tokens):
    sh1 = dealer_id(client, tokens, "D-SH-1")
    gd1 = dealer_id(client, tokens, "D-GD-1")
    contact = client.post(
        "/api/v1/dealer_contact/",
        json={"dealer": sh1, "name": "王经理", "phone": "13800000000", "is_primary": True},
        headers=auth(tokens["rm_sh"]),
    )
    assert contact.status_code == 201, contact.get_json()
    refused = client.post(
        "/api/v1/dealer_contact/", json={"dealer": gd1, "name": "越权"}, headers=auth(tokens["rm_sh"])
    )
    assert refused.status_code == 422 and refused.get_json()["errors"] == {"dealer": "not found"}
    gd_contact = client.post(
        "/api/v1/dealer_contact/", json={"dealer": gd1, "name": "广东联系人"}, headers=auth(tokens["admin"])
    ).get_json()["id"]
    assert (
        client.get(f"/api/v1/dealer_contact/{gd_contact}", headers=auth(tokens["rm_sh"])).status_code == 404
    )
    assert (
        client.get(f"/api/v1/dealer_contact/{gd_contact}", headers=auth(tokens["dealer_sh1"])).status_code
        == 404
    )
    listed = client.get(
        "/api/v1/dealer_contact/?q=(page_size:100)", headers=auth(tokens["dealer_sh1"])
    ).get_json()
    assert {r["name"] for r in listed["result"]} == {"王经理"}
    address = client.post(
        "/api/v1/dealer_address/",
        json={"dealer": sh1, "label": "总仓", "address": "上海市浦东新区1号"},
        headers=auth(tokens["admin"]),
    )
    assert address.status_code == 201
    auth_row = client.post(
        "/api/v1/dealer_authorization/",
        json={"dealer": sh1, "product_line": "DRINK", "region": 2, "valid_from": "2025-01-01"},
        headers=auth(tokens["admin"]),
    )
    assert auth_row.status_code == 201, auth_row.get_json()
    shown = client.get(f"/api/v1/dealer/{sh1}", headers=auth(tokens["dealer_sh1"])).get_json()["result"]
    assert [c["name"] for c in shown["contacts"]] == ["王经理"]
    assert shown["addresses"][0]["label"] == "总仓"
    assert shown["authorizations"][0]["product_line"] == "DRINK"
    assert (
        client.put(
            f"/api/v1/dealer_contact/{contact.get_json()['id']}",
            json={"name": "x"},
            headers=auth(tokens["dealer_sh1"]),
        ).status_code
        == 403
    )


def test_qualification_scan_must_be_a_visible_file(client, tokens):
    sh1 = dealer_id(client, tokens, "D-SH-1")
    up = client.post(
        "/api/v1/file/", data={"file": (io.BytesIO(PNG), "licence.png")}, headers=auth(tokens["rm_sh"])
    )
    assert up.status_code == 201, up.get_json()
    token = up.get_json()["token"]
    other = client.post(
        "/api/v1/file/", data={"file": (io.BytesIO(PNG), "other.png")}, headers=auth(tokens["rm_east"])
    ).get_json()["token"]
    body = {"dealer": sh1, "kind": "business_license", "number": "310000000001", "valid_to": "2030-01-01"}
    refused = client.post(
        "/api/v1/dealer_qualification/", json={**body, "file_token": other}, headers=auth(tokens["rm_sh"])
    )
    assert refused.status_code == 422 and "file_token" in refused.get_json()["errors"]
    bad_kind = client.post(
        "/api/v1/dealer_qualification/", json={**body, "kind": "diploma"}, headers=auth(tokens["rm_sh"])
    )
    assert bad_kind.status_code == 422 and "kind" in bad_kind.get_json()["errors"]
    ok = client.post(
        "/api/v1/dealer_qualification/", json={**body, "file_token": token}, headers=auth(tokens["rm_sh"])
    )
    assert ok.status_code == 201, ok.get_json()
    # the scan joined the dealer's scope: the dealer's own user may download it now
    assert client.get(f"/api/v1/file/{token}", headers=auth(tokens["dealer_sh1"])).status_code == 200
    assert client.get(f"/api/v1/file/{token}", headers=auth(tokens["dealer_gd1"])).status_code == 404


def test_figures_are_computed_and_scoped(client, tokens):
    pk = dealer_id(client, tokens, "D-SH-1")
    figures = client.get(f"/api/v1/dealer/{pk}/figures", headers=auth(tokens["rm_sh"]))
    assert figures.status_code == 200
    result = figures.get_json()["result"]
    assert result["credit_limit"] == "100000.00" and result["credit_available"] == "100000.00"
    assert result["sales_30d"] == "0.00" and result["open_orders"] == 0 and result["inventory_on_hand"] == "0"
    client.put(f"/api/v1/dealer/{pk}", json={"credit_limit": "150000"}, headers=auth(tokens["admin"]))
    again = client.get(f"/api/v1/dealer/{pk}/figures", headers=auth(tokens["rm_sh"])).get_json()["result"]
    assert again["credit_available"] == "150000.00"
    gd = dealer_id(client, tokens, "D-GD-1")
    assert client.get(f"/api/v1/dealer/{gd}/figures", headers=auth(tokens["rm_sh"])).status_code == 404
    assert client.get(f"/api/v1/dealer/{gd}/figures", headers=auth(tokens["dealer_sh1"])).status_code == 404
    assert client.get("/api/v1/dealer/99999999/figures", headers=auth(tokens["admin"])).status_code == 404


def test_registered_figure_source_is_used(app, client, tokens):
    from decimal import Decimal

    from app.adapters import dealer_figures

    dealer_figures.register_figure_source(
        "test-orders", lambda s, d, t: {"credit_used": Decimal("40000"), "order_count_365d": 73}
    )
    try:
        pk = dealer_id(client, tokens, "D-SH-1")
        result = client.get(f"/api/v1/dealer/{pk}/figures", headers=auth(tokens["admin"])).get_json()[
            "result"
        ]
        assert result["credit_used"] == "40000.00"
        assert Decimal(result["credit_available"]) == Decimal(result["credit_limit"]) - Decimal("40000")
        assert result["order_frequency_30d"] == "6.00"
    finally:
        dealer_figures._sources.pop("test-orders")


def test_sales_rep_sees_the_dealers_naming_them(client, tokens):
    js1 = dealer_id(client, tokens, "D-JS-1")
    assert client.get(f"/api/v1/dealer/{js1}", headers=auth(tokens["rep"])).status_code == 404
    assert (
        client.put(
            f"/api/v1/dealer/{js1}", json={"sales_rep": "rep"}, headers=auth(tokens["admin"])
        ).status_code
        == 200
    )
    try:
        assert client.get(f"/api/v1/dealer/{js1}", headers=auth(tokens["rep"])).status_code == 200
        assert client.get(f"/api/v1/dealer/{js1}/figures", headers=auth(tokens["rep"])).status_code == 200
        codes = {
            r["code"]
            for r in client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens["rep"])).get_json()[
                "result"
            ]
        }
        assert codes == {"D-SH-1", "D-GD-1", "D-JS-1", "D-API-1"}  # D-API-1 names rep too
    finally:
        client.put(f"/api/v1/dealer/{js1}", json={"sales_rep": None}, headers=auth(tokens["admin"]))
    assert client.get(f"/api/v1/dealer/{js1}", headers=auth(tokens["rep"])).status_code == 404


def test_regions_give_the_parent_code(client, tokens):
    rows = client.get("/api/v1/region/?q=(page_size:100)", headers=auth(tokens["rep"])).get_json()["result"]
    by_code = {r["code"]: r for r in rows}
    assert len(rows) == 5 and by_code["SH"]["parent"]["code"] == "EAST"
