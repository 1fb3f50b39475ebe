"""Our Flask-AppBuilder security manager: audited logins and a rate-limited API login."""

from __future__ import annotations

from flask import current_app, request
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.utils.limit import Limit
from flask_limiter.util import get_remote_address

from app.adapters.audit import record_event
from app.services.actor import Actor, acting_as


def _api_login_limit() -> str:
    return current_app.config["DMS_API_LOGIN_RATE_LIMIT"]


class RateLimitedSecurityApi(SecurityApi):
    """FAB's JWT login, limited per client address; only failed logins (401) count."""

    limits = [
        Limit(
            _api_login_limit,
            key_func=get_remote_address,
            methods=("POST",),
            deduct_when=lambda response: response.status_code == 401,
            error_message="too many failed logins; wait a minute and try again",
        )
    ]


class DmsSecurityManager(SecurityManager):
    security_api = RateLimitedSecurityApi
    userstatschartview = None  # FAB's chart loads Google's servers at runtime

    def auth_user_db(self, username, password):
        """Authenticate, then write ``login`` or ``login_failed`` to the audit log."""
        user = super().auth_user_db(username, password)
        name = (username or "?")[:100]
        via = "api" if request.path.startswith("/api/") else "web"
        actor = Actor(user.id if user else None, name, request.remote_addr)
        with acting_as(actor):
            record_event(
                self.session,
                "login" if user else "login_failed",
                "User",
                str(user.id) if user else None,
                {"username": name, "via": via},
            )
        self.session.commit()
        return user
