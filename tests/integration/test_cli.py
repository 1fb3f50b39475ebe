"""The commands: init (idempotent), user add with scope, clear errors, run.py entry point."""

import os
import subprocess
import sys

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import func, select

from app.config import ROOT
from app.extensions import db
from app.models import AuditLog, UserScope
from tests.conftest import make_app


def _invoke(app, *args):
    return app.test_cli_runner().invoke(args=["dms", *args])


def test_init_is_idempotent(app):
    with app.app_context():
        users = db.session.scalar(select(func.count(User.id)))
    result = _invoke(app, "init")
    assert result.exit_code == 0, result.output
    assert "password unchanged" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == users


def test_user_add_with_region_scope(app):
    result = _invoke(
        app,
        "user",
        "add",
        "rm_new",
        "--role",
        "RegionalManager",
        "--region",
        "SOUTH",
        "--password",
        "secret-pass-1",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "rm_new"))
        scope = db.session.scalar(select(UserScope).where(UserScope.user_id == user.id))
        assert [r.name for r in user.roles] == ["RegionalManager"]
        assert [r.code for r in scope.regions] == ["SOUTH"]
        row = db.session.scalar(
            select(AuditLog).where(AuditLog.entity == "User", AuditLog.entity_id == str(user.id))
        )
        assert row.actor == "cli" and row.action == "create"


def test_user_add_dealer_user_and_generated_password(app):
    result = _invoke(app, "user", "add", "dealer_new", "--role", "Dealer", "--dealer", "D-JS-1")
    assert result.exit_code == 0, result.output
    password = result.output.split("password:")[1].strip()
    resp = app.test_client().post(
        "/api/v1/security/login", json={"username": "dealer_new", "password": password, "provider": "db"}
    )
    assert resp.status_code == 200


def test_user_add_errors_name_the_problem_and_create_nothing(app):
    cases = [
        (["user", "add", "bad1", "--role", "Nope"], "unknown role"),
        (["user", "add", "bad2", "--role", "RegionalManager"], "region"),
        (["user", "add", "bad3", "--role", "Dealer", "--dealer", "NO-SUCH"], "unknown dealer"),
        (["user", "add", "bad4", "--role", "Admin", "--password", "short"], "password"),
        (["user", "add", "admin", "--role", "Admin", "--password", "long-enough-1"], "already exists"),
    ]
    for args, message in cases:
        result = _invoke(app, *args)
        assert result.exit_code != 0
        assert message in result.output, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id)).where(User.username.like("bad%"))) == 0


def test_generated_admin_password_is_printed_once_and_works(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'fresh.db'}", DMS_ADMIN_PASSWORD="")
    first = app.test_cli_runner().invoke(args=["dms", "init"])
    assert first.exit_code == 0, first.output
    password = first.output.split("with password:")[1].split()[0]
    assert len(password) >= 12
    resp = app.test_client().post(
        "/api/v1/security/login", json={"username": "admin", "password": password, "provider": "db"}
    )
    assert resp.status_code == 200
    second = app.test_cli_runner().invoke(args=["dms", "init"])
    assert "with password:" not in second.output


def test_unknown_database_scheme_is_one_line_and_nonzero(tmp_path):
    env = {**os.environ, "DATABASE_URL": "mysql://u:p@h/db", "DMS_INSTANCE_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "init"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "DATABASE_URL" in lines[0] and "mysql" in lines[0]


def test_run_py_help_lists_the_commands():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for command in ("init", "serve", "scheduler", "user", "sync-roles"):
        assert command in proc.stdout
