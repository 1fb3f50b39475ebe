"""Migrations: upgrade to head, the models match them, downgrade and upgrade again."""

import pytest
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import inspect

from app.config import ROOT
from app.extensions import db
from tests.conftest import make_app

MIGRATIONS = str(ROOT / "migrations")


@pytest.fixture(scope="module")
def bare_app(database_url):
    return make_app(database_url)


def _tables(app):
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def test_upgrade_creates_every_table_and_models_match(bare_app):
    with bare_app.app_context():
        upgrade(directory=MIGRATIONS)
        check(directory=MIGRATIONS)  # raises if the models need a migration that does not exist
    assert {"ab_user", "region", "dealer", "user_scope", "audit_log", "scheduler_lock"} <= _tables(bare_app)


def test_downgrade_to_base_and_back(bare_app):
    with bare_app.app_context():
        downgrade(directory=MIGRATIONS, revision="base")
    assert _tables(bare_app) <= {"alembic_version"}
    with bare_app.app_context():
        upgrade(directory=MIGRATIONS)
    assert "audit_log" in _tables(bare_app)
