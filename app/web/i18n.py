"""Languages (mission C24): zh_CN default, en; the choice is remembered per user.

FAB ships its catalog as ``zh`` and puts its folder first; Flask-Babel merges ours
(app/translations) on top. Ours is stored as ``zh`` too: Babel parses ``zh_CN`` as
``zh_Hans_CN``, for which gettext finds a ``zh`` folder but not a ``zh_CN`` one.
"""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import get_locale, gettext
from flask_login import current_user, user_logged_in
from sqlalchemy import select

from app.extensions import db
from app.models import UserScope


def _remember_choice(response):
    """After ``/lang/<locale>``, store the choice on the user's scope row."""
    if request.endpoint == "LocaleView.index" and current_user.is_authenticated:
        locale = session.get("locale")
        scope = db.session.scalar(select(UserScope).where(UserScope.user_id == current_user.id))
        if scope is None:
            scope = UserScope(user_id=current_user.id)
            db.session.add(scope)
        if scope.locale != locale:
            scope.locale = locale
            db.session.commit()
    return response


def _restore_choice(sender, user, **extra):
    locale = db.session.scalar(select(UserScope.locale).where(UserScope.user_id == user.id))
    if locale:
        session["locale"] = locale


def init_i18n(app: Flask) -> None:
    """Register the per-user language hooks."""
    app.after_request(_remember_choice)
    user_logged_in.connect(_restore_choice, app)


def role_label(name: str) -> str:
    """A role's label from roles.yaml in the current UI language (the name if none)."""
    definition = current_app.extensions["dms_roles"].get(name)
    if definition is None:
        return name
    locale = get_locale()
    key = "zh_CN" if locale is not None and locale.language == "zh" else "en"
    return definition.labels.get(key) or name


def field_errors(error) -> dict[str, str]:
    """A domain error's field messages in the UI language (its English texts when untranslatable)."""
    details = getattr(error, "details", None) or {}
    translated = {}
    for path, message in error.errors.items():
        if path in details:
            msgid, params = details[path]
            translated[path] = gettext(msgid, **params)
        else:
            translated[path] = message
    return translated
