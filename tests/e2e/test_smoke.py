"""First look: the app serves the login page and the API answers for each role."""

from tests.conftest import auth


def test_login_page_is_served_in_chinese(client):
    resp = client.get("/login/")
    assert resp.status_code == 200
    assert "用户名" in resp.get_data(as_text=True)


def test_admin_lists_all_dealers(client, tokens):
    resp = client.get("/api/v1/dealer/", headers=auth(tokens["admin"]))
    assert resp.status_code == 200
    assert resp.get_json()["count"] == 4


def test_health_check_needs_no_login(client):
    resp = client.get("/health")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok", "database": "ok"}
