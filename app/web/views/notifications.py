"""The user's notifications: the bell (unread count) in the menu bar and a page to read them.

A user sees their own notifications and those to a role they hold within their data scope
(app/adapters/notifications.py ``visible_clause``)."""

from __future__ import annotations

import json

from flask import redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.adapters.notifications import mark_read, notifications_for, unread_count
from app.extensions import db
from app.web.labels import qualification_kind
from app.web.scope import current_scope

TEXTS = {
    "qualification_expiring": _l("%(dealer)s (%(code)s): %(kind)s %(number)s expires on %(date)s"),
    "qualification_expired": _l("%(dealer)s (%(code)s): %(kind)s %(number)s expired on %(date)s"),
    "dealer_suspended": _l("%(dealer)s (%(code)s) was suspended: %(kind)s expired on %(date)s"),
}


def _who():
    return current_user.id, [r.name for r in current_user.roles], current_scope()


def note_text(note) -> str:
    """A notification in the UI language when its kind is known, else its stored title."""
    template = TEXTS.get(note.kind)
    if template is None or not note.body:
        return note.title
    try:
        params = json.loads(note.body)
        params["kind"] = qualification_kind(params.get("kind"))
        return str(template) % params
    except (ValueError, KeyError, TypeError):
        return note.title


def unread_for_current_user() -> int | None:
    """Unread notifications of the logged-in user (None when nobody is logged in)."""
    if not getattr(current_user, "is_authenticated", False):
        return None
    return unread_count(db.session, *_who())


class NotificationView(BaseView):
    route_base = "/notifications"
    default_view = "index"

    def create_blueprint(self, appbuilder, endpoint=None, static_folder=None):
        blueprint = super().create_blueprint(appbuilder, endpoint, static_folder)
        blueprint.app_context_processor(lambda: {"dms_unread": unread_for_current_user})
        return blueprint

    @expose("/")
    def index(self):
        if not current_user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        notes = notifications_for(db.session, *_who())
        return self.render_template(
            "notifications/list.html", notes=[(n, note_text(n)) for n in notes], title=_("Notifications")
        )

    @expose("/read", methods=["POST"])
    def read(self):
        if not current_user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        ids = None if request.form.get("all") else [int(i) for i in request.form.getlist("id") if i.isdigit()]
        mark_read(db.session, *_who(), ids=ids)
        db.session.commit()
        return redirect(url_for("NotificationView.index"))
