"""Alembic environment: the app's engine, FAB's ``Model.metadata`` (ours + ab_* tables)."""

from __future__ import annotations

from alembic import context
from flask import current_app
from flask_appbuilder import Model

import app.models  # noqa: F401  (register our tables)

config = context.config
target_metadata = Model.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=str(current_app.extensions["migrate"].db.engine.url).replace("%", "%%"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = current_app.extensions["migrate"].db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
