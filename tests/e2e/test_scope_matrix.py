"""What each role can list, show, create, edit and delete — the data-scope matrix (C22).

Runs on SQLite and, in CI, on PostgreSQL. Out-of-scope records are 404, never 403.
"""

import pytest

from tests.conftest import auth, csrf_token, web_login

ALL = {"D-SH-1", "D-SH-2", "D-JS-1", "D-GD-1"}
VISIBLE = {
    "admin": ALL,
    "consultant": ALL,
    "exec": ALL,
    "finance": ALL,
    "warehouse": ALL,
    "rm_east": {"D-SH-1", "D-SH-2", "D-JS-1"},
    "rm_sh": {"D-SH-1", "D-SH-2"},
    "rep": {"D-SH-1", "D-GD-1"},
    "dealer_sh1": {"D-SH-1"},
    "dealer_gd1": {"D-GD-1"},
}
WRITERS = {"admin", "consultant", "rm_east", "rm_sh"}


@pytest.fixture(scope="module")
def ids(app, tokens):
    client = app.test_client()
    rows = client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens["admin"])).get_json()["result"]
    regions = client.get("/api/v1/region/?q=(page_size:100)", headers=auth(tokens["admin"])).get_json()
    return {
        "dealer": {r["code"]: r["id"] for r in rows},
        "region": {r["code"]: r["id"] for r in regions["result"]},
    }


@pytest.mark.parametrize("user", sorted(VISIBLE))
def test_list_shows_exactly_the_scope(client, tokens, user):
    resp = client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens[user]))
    assert resp.status_code == 200
    body = resp.get_json()
    assert {r["code"] for r in body["result"]} == VISIBLE[user]
    assert body["count"] == len(VISIBLE[user])


@pytest.mark.parametrize("user", sorted(VISIBLE))
def test_show_outside_scope_is_404(client, tokens, ids, user):
    for code, dealer_id in ids["dealer"].items():
        resp = client.get(f"/api/v1/dealer/{dealer_id}", headers=auth(tokens[user]))
        if code in VISIBLE[user]:
            assert resp.status_code == 200 and resp.get_json()["result"]["code"] == code
        else:
            assert resp.status_code == 404, (user, code)
            assert code not in resp.get_data(as_text=True)


@pytest.mark.parametrize("user", sorted(VISIBLE))
def test_edit_rights(client, tokens, ids, user):
    for code, dealer_id in ids["dealer"].items():
        resp = client.put(
            f"/api/v1/dealer/{dealer_id}", json={"name": f"{code} 改名"}, headers=auth(tokens[user])
        )
        if user not in WRITERS:
            assert resp.status_code == 403, (user, code)
        elif code in VISIBLE[user]:
            assert resp.status_code == 200, (user, code, resp.get_json())
        else:
            assert resp.status_code == 404, (user, code)


def test_regional_manager_cannot_move_a_dealer_out_of_region(client, tokens, ids):
    dealer = ids["dealer"]["D-SH-2"]
    resp = client.put(
        f"/api/v1/dealer/{dealer}", json={"region": ids["region"]["GD"]}, headers=auth(tokens["rm_sh"])
    )
    assert resp.status_code == 422
    assert resp.get_json()["errors"] == {"region": "not found"}
    after = client.get(f"/api/v1/dealer/{dealer}", headers=auth(tokens["admin"])).get_json()["result"]
    assert after["region"] == "SH"  # the region code


def test_regional_manager_creates_only_inside_region(client, tokens, ids):
    ok = client.post(
        "/api/v1/dealer/",
        json={"code": "D-SH-9", "name": "新上海经销商", "region": ids["region"]["SH"], "status": "active"},
        headers=auth(tokens["rm_sh"]),
    )
    assert ok.status_code == 201, ok.get_json()
    refused = client.post(
        "/api/v1/dealer/",
        json={"code": "D-GD-9", "name": "越权经销商", "region": ids["region"]["GD"], "status": "active"},
        headers=auth(tokens["rm_sh"]),
    )
    assert refused.status_code == 422 and "region" in refused.get_json()["errors"]
    codes = {
        r["code"]
        for r in client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens["admin"])).get_json()[
            "result"
        ]
    }
    assert "D-SH-9" in codes and "D-GD-9" not in codes
    assert (
        client.delete(f"/api/v1/dealer/{ok.get_json()['id']}", headers=auth(tokens["rm_sh"])).status_code
        == 200
    )


def test_dealer_user_cannot_create_or_delete(client, tokens, ids):
    resp = client.post(
        "/api/v1/dealer/",
        json={"code": "D-X-1", "name": "x", "region": ids["region"]["SH"]},
        headers=auth(tokens["dealer_sh1"]),
    )
    assert resp.status_code == 403
    assert (
        client.delete(
            f"/api/v1/dealer/{ids['dealer']['D-SH-1']}", headers=auth(tokens["dealer_sh1"])
        ).status_code
        == 403
    )


def test_delete_outside_scope_is_404_and_keeps_the_row(client, tokens, ids):
    resp = client.delete(f"/api/v1/dealer/{ids['dealer']['D-GD-1']}", headers=auth(tokens["rm_east"]))
    assert resp.status_code == 404
    assert (
        client.get(f"/api/v1/dealer/{ids['dealer']['D-GD-1']}", headers=auth(tokens["admin"])).status_code
        == 200
    )


def test_invalid_dealer_fields_are_named(client, tokens, ids):
    resp = client.post(
        "/api/v1/dealer/",
        json={"code": "x", "name": "", "region": ids["region"]["SH"], "status": "gone"},
        headers=auth(tokens["admin"]),
    )
    assert resp.status_code == 422
    assert {"code", "name", "status"} <= set(resp.get_json()["message"])


@pytest.mark.parametrize("user", sorted(VISIBLE))
def test_audit_log_is_readable_by_admin_consultant_and_executive_only(client, tokens, user):
    expected = 200 if user in {"admin", "consultant", "exec"} else 403
    assert client.get("/api/v1/audit/", headers=auth(tokens[user])).status_code == expected


@pytest.mark.parametrize("user", sorted(VISIBLE))
def test_every_role_reads_the_region_tree(client, tokens, user):
    resp = client.get("/api/v1/region/?q=(page_size:100)", headers=auth(tokens[user]))
    assert resp.status_code == 200 and resp.get_json()["count"] == 5


class TestHtmlPages:
    """The same scope in the server-rendered pages, including FAB's action endpoints."""

    def test_dealer_user_list_page_shows_only_own_company(self, app, ids):
        client = app.test_client()
        assert web_login(client, "dealer_sh1").status_code == 302
        page = client.get("/dealerview/list/").get_data(as_text=True)
        assert "D-SH-1" in page
        assert "D-GD-1" not in page and "D-SH-2" not in page

    def test_show_and_edit_outside_scope_are_404(self, app, ids):
        client = app.test_client()
        web_login(client, "rm_sh")
        assert client.get(f"/dealerview/show/{ids['dealer']['D-GD-1']}").status_code == 404
        assert client.get(f"/dealerview/edit/{ids['dealer']['D-GD-1']}").status_code == 404
        assert client.get(f"/dealerview/show/{ids['dealer']['D-SH-1']}").status_code == 200

    def test_actions_recheck_scope(self, app, ids):
        client = app.test_client()
        web_login(client, "rm_sh")
        token = csrf_token(client.get("/dealerview/list/").get_data(as_text=True))
        resp = client.post(
            "/dealerview/action_post",
            data={"action": "x", "rowid": [str(ids["dealer"]["D-GD-1"])], "csrf_token": token},
        )
        assert resp.status_code == 404
        assert client.get(f"/dealerview/action/x/{ids['dealer']['D-GD-1']}").status_code == 404
        assert (
            client.get(f"/dealerview/action/x/{ids['dealer']['D-SH-1']}").status_code == 302
        )  # FAB: no such action

    def test_region_picker_offers_only_regions_in_scope(self, app, ids):
        client = app.test_client()
        web_login(client, "rm_sh")
        form = client.get("/dealerview/add").get_data(as_text=True)
        assert "上海" in form and "广东" not in form

    def test_post_without_csrf_token_is_400_and_changes_nothing(self, app, tokens, ids):
        client = app.test_client()
        web_login(client, "admin", "admin-pass-123")
        resp = client.post(
            "/dealerview/add",
            data={"code": "D-CSRF", "name": "x", "region": ids["region"]["SH"], "status": "active"},
        )
        assert resp.status_code == 400
        codes = {
            r["code"]
            for r in client.get(
                "/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens["admin"])
            ).get_json()["result"]
        }
        assert "D-CSRF" not in codes


def test_admin_scope_edit_must_fit_the_roles(app, ids):
    from flask_appbuilder.security.sqla.models import User
    from sqlalchemy import select

    from app.extensions import db
    from app.models import UserScope
    from tests.conftest import ADMIN_PASSWORD

    client = app.test_client()
    web_login(client, "admin", ADMIN_PASSWORD)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "rm_sh"))
        scope_id = db.session.scalar(select(UserScope.id).where(UserScope.user_id == user.id))
    form = client.get(f"/userscopeview/edit/{scope_id}").get_data(as_text=True)
    resp = client.post(
        f"/userscopeview/edit/{scope_id}",
        data={
            "user": str(user.id),
            "company": str(ids["dealer"]["D-GD-1"]),
            "regions": [str(ids["region"]["SH"])],
            "csrf_token": csrf_token(form),
        },
        follow_redirects=True,
    )
    assert "only dealer users belong to a dealer company" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(UserScope, scope_id).company_id is None


def test_regional_manager_adds_a_dealer_through_the_page(app, tokens, ids):
    client = app.test_client()
    web_login(client, "rm_sh")
    form = client.get("/dealerview/add").get_data(as_text=True)
    data = {"code": "D-WEB-1", "name": "网页新增", "region": str(ids["region"]["SH"]), "status": "suspended"}
    resp = client.post("/dealerview/add", data={**data, "csrf_token": csrf_token(form)})
    assert resp.status_code == 302
    rows = client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens["admin"])).get_json()["result"]
    assert {"code": "D-WEB-1", "status": "suspended"}.items() <= next(
        r for r in rows if r["code"] == "D-WEB-1"
    ).items()
    refused = client.post(
        "/dealerview/add",
        data={**data, "code": "D-WEB-2", "region": str(ids["region"]["GD"]), "csrf_token": csrf_token(form)},
    )
    assert refused.status_code == 200  # the form again, with the error
    rows = client.get("/api/v1/dealer/?q=(page_size:100)", headers=auth(tokens["admin"])).get_json()["result"]
    assert "D-WEB-2" not in {r["code"] for r in rows}
