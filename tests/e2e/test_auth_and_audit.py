"""Logins (API and HTML), their audit rows, security headers, OpenAPI access."""

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog
from tests.conftest import ADMIN_PASSWORD, auth, web_login


def _audit(app, action, actor):
    with app.app_context():
        return db.session.scalars(
            select(AuditLog).where(AuditLog.action == action, AuditLog.actor == actor).order_by(AuditLog.id)
        ).all()


def test_wrong_api_password_is_401_and_audited(app, client):
    before = len(_audit(app, "login_failed", "exec"))
    resp = client.post(
        "/api/v1/security/login", json={"username": "exec", "password": "wrong-pass", "provider": "db"}
    )
    assert resp.status_code == 401
    rows = _audit(app, "login_failed", "exec")
    assert len(rows) == before + 1
    assert rows[-1].after == {"username": "exec", "via": "api"}
    assert rows[-1].ip == "127.0.0.1"


def test_unknown_user_login_is_audited_too(app, client):
    resp = client.post(
        "/api/v1/security/login", json={"username": "ghost", "password": "whatever1", "provider": "db"}
    )
    assert resp.status_code == 401
    assert len(_audit(app, "login_failed", "ghost")) == 1


def test_successful_logins_are_audited_with_the_user_id(app, client):
    before = len(_audit(app, "login", "finance"))
    assert web_login(client, "finance").status_code == 302
    rows = _audit(app, "login", "finance")
    assert len(rows) == before + 1
    assert rows[-1].actor_id is not None and rows[-1].after["via"] == "web"


def test_failed_html_login_is_audited_and_keeps_you_out(app):
    client = app.test_client()
    resp = web_login(client, "rm_east", "not-the-password")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/dealerview/list/").status_code in (302, 403)
    assert _audit(app, "login_failed", "rm_east")[-1].after["via"] == "web"


def test_security_headers(client):
    headers = client.get("/login/").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "HttpOnly" in headers.get("Set-Cookie", "")


def test_openapi_spec_for_admin_only(client, tokens):
    resp = client.get("/api/v1/_openapi", headers=auth(tokens["admin"]))
    assert resp.status_code == 200
    paths = resp.get_json()["paths"]
    assert "/api/v1/dealer/" in paths and "/api/v1/audit/" in paths
    assert client.get("/api/v1/_openapi", headers=auth(tokens["dealer_sh1"])).status_code == 403


def test_swagger_ui_for_admin(app):
    client = app.test_client()
    web_login(client, "admin", ADMIN_PASSWORD)
    page = client.get("/swagger/v1")
    assert page.status_code == 200 and "swagger-ui" in page.get_data(as_text=True)
    other = app.test_client()
    web_login(other, "dealer_sh1")
    assert other.get("/swagger/v1").status_code in (302, 403)


def test_api_refuses_session_cookie_auth(app):
    client = app.test_client()
    web_login(client, "admin", ADMIN_PASSWORD)
    assert client.get("/api/v1/dealer/").status_code == 401
