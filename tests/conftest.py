"""Shared fixtures: a fresh app per test module on its own temporary database.

``DATABASE_URL`` switches the whole suite to PostgreSQL: each module then gets a
throw-away database created on that server and dropped afterwards.
"""

from __future__ import annotations

import os
import re
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DATA = Path(__file__).parent / "data"
PASSWORD = "test-pass-123"
ADMIN_PASSWORD = "admin-pass-123"


def pytest_configure(config):
    os.environ.setdefault("DMS_INSTANCE_DIR", str(config.rootpath / ".pytest_cache" / "instance"))


def is_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))


@contextmanager
def new_database(tmp_dir: Path):
    """A new empty database (SQLite file in ``tmp_dir`` or a PostgreSQL database), dropped after."""
    if not is_postgres():
        yield f"sqlite:///{tmp_dir / f'test-{uuid.uuid4().hex[:8]}.db'}"
        return
    from app.config import database_url as normalise

    base = make_url(normalise(os.environ["DATABASE_URL"]))
    name = f"dms_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A new empty database for this module (SQLite file or PostgreSQL database)."""
    with new_database(tmp_path_factory.mktemp("db")) as url:
        yield url


def make_app(database_url: str, **overrides):
    from app import create_app

    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hs256",
        "DMS_SCHEDULER": False,
        "DMS_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "DMS_DEMO_PASSWORD": PASSWORD,
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return create_app(config)


def init_world(app) -> None:
    """Migrate, sync roles, create the admin, load tests/data/world.yaml."""
    from app.adapters.demo_data import load_demo
    from app.adapters.unit_of_work import SqlUnitOfWork
    from app.extensions import db

    result = app.test_cli_runner().invoke(args=["dms", "init"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        load_demo(SqlUnitOfWork(db.session, app.extensions["dms_roles"]), DATA / "world.yaml", PASSWORD)


@pytest.fixture(scope="module")
def app(database_url):
    """An initialised app with the test world loaded."""
    application = make_app(database_url)
    init_world(application)
    yield application
    with application.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def api_token(client, username: str, password: str = PASSWORD) -> str:
    """Log in through the JWT API and return the access token."""
    resp = client.post(
        "/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db"},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["access_token"]


@pytest.fixture(scope="module")
def tokens(app):
    """Access tokens for the admin and each test-world user."""
    client = app.test_client()
    users = [
        "consultant",
        "exec",
        "rm_east",
        "rm_sh",
        "rep",
        "finance",
        "warehouse",
        "dealer_sh1",
        "dealer_gd1",
    ]
    result = {u: api_token(client, u) for u in users}
    result["admin"] = api_token(client, "admin", ADMIN_PASSWORD)
    return result


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'id="csrf_token"[^>]*value="([^"]+)"', html
    )
    assert match, "no csrf token on the page"
    return match.group(1)


def web_login(client, username: str, password: str = PASSWORD):
    """Log in through the HTML form (with its CSRF token); returns the response."""
    page = client.get("/login/")
    return client.post(
        "/login/",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
        follow_redirects=False,
    )
