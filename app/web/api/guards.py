"""Request checks for every API before FAB sees it."""

from __future__ import annotations

import prison
from flask import Flask, jsonify, request
from prison.decoder import ParserException


def _check_rison_query():
    """FAB parses ``?q=`` as Rison; a malformed value is the client's error (400), not a 500."""
    if not request.path.startswith("/api/") or "q" not in request.args:
        return None
    try:
        prison.loads(request.args["q"])
    except (ParserException, ValueError, TypeError, IndexError, RecursionError):
        return jsonify(message="the q parameter is not valid Rison", errors={"q": "invalid Rison"}), 400
    return None


def _check_login_body():
    """FAB's API login reads ``provider`` without checking it is there (a 500): require it."""
    if request.path != "/api/v1/security/login" or request.method != "POST" or not request.is_json:
        return None
    body = request.get_json(silent=True)
    if isinstance(body, dict) and body.get("provider") not in ("db", "ldap"):
        return jsonify(message="provider is required: 'db'", errors={"provider": "required: 'db'"}), 400
    return None


def init_api_guards(app: Flask) -> None:
    """Register the checks on ``app``."""
    app.before_request(_check_rison_query)
    app.before_request(_check_login_body)
