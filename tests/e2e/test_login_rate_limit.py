"""Eleven bad API logins in a row from one client: the eleventh is refused with 429."""


def test_eleventh_failed_api_login_is_429(client):
    statuses = [
        client.post(
            "/api/v1/security/login", json={"username": "exec", "password": f"wrong-{i}", "provider": "db"}
        ).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    # even the right password is refused until the window passes
    ok = client.post(
        "/api/v1/security/login", json={"username": "exec", "password": "test-pass-123", "provider": "db"}
    )
    assert ok.status_code == 429


def test_other_clients_are_not_blocked(app, client):
    for i in range(11):
        client.post(
            "/api/v1/security/login", json={"username": "exec", "password": f"x-{i}", "provider": "db"}
        )
    other = app.test_client()
    resp = other.post(
        "/api/v1/security/login",
        json={"username": "exec", "password": "test-pass-123", "provider": "db"},
        environ_base={"REMOTE_ADDR": "10.9.8.7"},
    )
    assert resp.status_code == 200


def test_successful_logins_do_not_count(app):
    client = app.test_client()
    for _ in range(12):
        resp = client.post(
            "/api/v1/security/login",
            json={"username": "finance", "password": "test-pass-123", "provider": "db"},
            environ_base={"REMOTE_ADDR": "10.1.1.1"},
        )
        assert resp.status_code == 200


def test_html_login_form_is_rate_limited_too(app):
    from tests.conftest import csrf_token

    client = app.test_client()
    addr = {"REMOTE_ADDR": "10.2.2.2"}
    token = csrf_token(client.get("/login/", environ_base=addr).get_data(as_text=True))
    statuses = [
        client.post(
            "/login/",
            data={"username": "exec", "password": f"bad-{i}", "csrf_token": token},
            environ_base=addr,
        ).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [302] * 10
    assert statuses[10] == 429
