"""Application factory: config → extensions → Flask-AppBuilder → views/APIs → CLI."""

from __future__ import annotations

import gc

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import ROOT, ConfigError, database_url, instance_dir, load_config

__all__ = ["ConfigError", "create_app"]

CSP = {
    "default-src": "'self'",
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'", "data:"],
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def create_app(config: dict | None = None) -> Flask:
    """Build a new app. ``config`` overrides settings read from the environment."""
    from flask_appbuilder import AppBuilder

    from app import models  # noqa: F401  (register every table on the metadata)
    from app.adapters import (
        audit,
        credit_increases,  # noqa: F401  (service tasks of the temporary credit increase flow)
        onboarding,  # noqa: F401  (service tasks of the onboarding flow)
        order_changes,  # noqa: F401  (service tasks of the order change flow)
        order_flow,  # noqa: F401  (service tasks of the order approval flow)
        price_review,  # noqa: F401  (service tasks of the price-exception review flow)
        sqlite_pragmas,
        webhooks,
    )
    from app.adapters.forecasts_hook import register_latest as register_latest_forecast
    from app.adapters.roles_file import load_roles
    from app.cli import dms_group
    from app.extensions import csrf, db, migrate, talisman
    from app.formkit import schemas
    from app.services.actor import set_resolver
    from app.web import api_blueprints, register_views, request_actor
    from app.web.api.forms import stored_lookup
    from app.web.api.guards import init_api_guards
    from app.web.health import health
    from app.web.i18n import init_i18n
    from app.web.index import DmsIndexView
    from app.web.security import DmsSecurityManager
    from app.web.uploads import init_uploads

    app = Flask(
        __name__,
        instance_path=str(instance_dir()),
        template_folder="web/templates",
        static_folder="static",
    )
    app.config.update(load_config())
    app.config.update(config or {})
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "app" / "translations")
    if app.config.get("DMS_PROXY_HOPS"):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["DMS_PROXY_HOPS"]), x_proto=1)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    talisman.init_app(
        app,
        force_https=app.config["DMS_FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
    )
    if app.config.get("DMS_GC_THRESHOLD"):
        gc.set_threshold(*app.config["DMS_GC_THRESHOLD"])
    app.extensions["dms_roles"] = load_roles(app.config["DMS_ROLES_FILE"])
    audit.install()
    webhooks.install()  # order and shipment events queue webhook deliveries
    with app.app_context():
        sqlite_pragmas.install(db.engine, app.config["DMS_SQLITE_AUTOCHECKPOINT"])
    set_resolver(request_actor)

    with app.app_context():
        appbuilder = AppBuilder(
            security_manager_class=DmsSecurityManager,
            indexview=DmsIndexView,
            base_template="dms_layout.html",
            update_perms=False,
        )
        appbuilder.init_app(app, db.session)
        register_views(appbuilder)
        for blueprint in api_blueprints(appbuilder):
            csrf.exempt(blueprint)
        register_latest_forecast(db.session)  # replenishment's seasonal factors (docs/forecast.md)
        db.session.remove()
    app.register_blueprint(health)
    init_i18n(app)
    schemas.use_store(stored_lookup)
    init_api_guards(app)
    init_uploads(app)
    app.cli.add_command(dms_group)
    return app
