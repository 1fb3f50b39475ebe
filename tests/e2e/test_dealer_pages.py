"""The dealer pages: list filters, the dealer page's tabs in zh_CN and en, escaped values,
custom fields on the edit page, scope."""

import pytest

from tests.conftest import ADMIN_PASSWORD, auth, csrf_token, web_login

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def ids(app, tokens):
    client = app.test_client()
    rows = client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens["admin"])).get_json()["result"]
    return {r["code"]: r["id"] for r in rows}


@pytest.fixture(scope="module")
def admin(app):
    client = app.test_client()
    web_login(client, "admin", ADMIN_PASSWORD)
    return client


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh_CN", ["档案", "资质", "联系人与地址", "经营数据", "统一社会信用代码"]),
        ("en", ["Profile", "Qualifications", "Contacts and addresses", "Figures", "History"]),
    ],
)
def test_dealer_page_tabs_in_both_languages(app, ids, lang, words):
    client = app.test_client()
    web_login(client, "admin", ADMIN_PASSWORD)
    client.get(f"/lang/{lang}")
    page = client.get(f"/dealerview/show/{ids['D-SH-1']}").get_data(as_text=True)
    for word in words:
        assert word in page, (lang, word)
    assert page.count('data-toggle="tab"') == 6  # with the scorecard tab
    assert 'data-testid="figures"' in page and "91310000MA1FL0001R" in page


def test_values_are_escaped(app, admin, tokens, ids):
    client = app.test_client()
    client.post(
        "/api/v1/dealer_contact/",
        json={"dealer": ids["D-SH-2"], "name": XSS, "title": "销售"},
        headers=auth(tokens["admin"]),
    )
    page = admin.get(f"/dealerview/show/{ids['D-SH-2']}").get_data(as_text=True)
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_qualification_badges_and_history(app, admin, tokens, ids):
    client = app.test_client()
    for number, valid_to in (("OLD-1", "2020-01-01"), ("NEW-1", "2099-01-01")):
        resp = client.post(
            "/api/v1/dealer_qualification/",
            json={
                "dealer": ids["D-JS-1"],
                "kind": "business_license",
                "number": number,
                "valid_to": valid_to,
            },
            headers=auth(tokens["admin"]),
        )
        assert resp.status_code == 201
    page = admin.get(f"/dealerview/show/{ids['D-JS-1']}").get_data(as_text=True)
    assert 'data-state="expired"' in page and 'data-state="valid"' in page
    assert 'data-testid="history"' in page and "DealerQualification" in page


def test_page_scope(app, ids):
    client = app.test_client()
    web_login(client, "dealer_sh1")
    assert client.get(f"/dealerview/show/{ids['D-SH-1']}").status_code == 200
    assert client.get(f"/dealerview/show/{ids['D-GD-1']}").status_code == 404
    page = client.get(f"/dealerview/show/{ids['D-SH-1']}").get_data(as_text=True)
    assert f"/dealerview/edit/{ids['D-SH-1']}" not in page  # a dealer user may not edit


def test_list_filters_by_tier(admin, ids):
    page = admin.get("/dealerview/list/?_flt_0_tier=1").get_data(as_text=True)
    assert "D-SH-1" in page and "D-GD-1" not in page


def test_edit_page_takes_custom_fields(app, admin, tokens, ids):
    form = {
        "name": "dealer_custom",
        "schema": {
            "type": "object",
            "properties": {
                "trucks": {"type": "integer", "minimum": 0, "title": {"zh_CN": "车辆数", "en": "Trucks"}}
            },
        },
        "uischema": {},
    }
    assert app.test_client().post("/api/v1/form/", json=form, headers=auth(tokens["admin"])).status_code in (
        200,
        201,
    )
    pk = ids["D-GD-1"]
    page = admin.get(f"/dealerview/edit/{pk}").get_data(as_text=True)
    assert 'name="custom[trucks]"' in page
    data = {
        "code": "D-GD-1",
        "name": "广东一号经销商",
        "region": "5",
        "status": "active",
        "credit_limit": "2000",
        "payment_terms_days": "30",
        "custom[trucks]": "4",
        "csrf_token": csrf_token(page),
    }
    resp = admin.post(f"/dealerview/edit/{pk}", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    shown = app.test_client().get(f"/api/v1/dealer/{pk}", headers=auth(tokens["admin"])).get_json()["result"]
    assert shown["custom"] == {"trucks": 4} and shown["credit_limit"] == "2000.00"
    # FAB sends a refused edit back to the form with the reason flashed
    refused = admin.post(
        f"/dealerview/edit/{pk}", data={**data, "custom[trucks]": "-3"}, follow_redirects=True
    )
    assert "custom/trucks" in refused.get_data(as_text=True)
    shown = app.test_client().get(f"/api/v1/dealer/{pk}", headers=auth(tokens["admin"])).get_json()["result"]
    assert shown["custom"] == {"trucks": 4}
    page = admin.get(f"/dealerview/show/{pk}").get_data(as_text=True)
    assert 'name="custom[trucks]"' in page and 'value="4"' in page
