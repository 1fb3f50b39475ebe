"""Home page: who you are, what you may see, and counts within your data scope."""

from __future__ import annotations

from flask import url_for
from flask_appbuilder import IndexView, expose
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from app.adapters import dashboard
from app.adapters.clock import business_today
from app.adapters.orders import DEALER_ROLE
from app.adapters.scope_sql import scope_clause
from app.extensions import db
from app.models import Dealer, Region
from app.web.api.alerts import ALERT_TITLES, alert_counts
from app.web.i18n import role_label
from app.web.scope import current_scope
from app.web.views.notifications import unread_for_current_user


def _scope_text(scope) -> str:
    if scope.unrestricted:
        return _("all data")
    if scope.is_empty:
        return _("no data")
    parts = []
    if scope.region_paths:
        parts.append(_("regions %(paths)s", paths=", ".join(sorted(scope.region_paths))))
    if scope.dealer_ids:
        parts.append(_("%(n)d dealer(s)", n=len(scope.dealer_ids)))
    return "; ".join(parts)


class DmsIndexView(IndexView):
    index_template = "dms_index.html"

    @expose("/")
    def index(self):
        if not current_user.is_authenticated:
            return self.render_template(self.index_template, roles=[], cards=[], scope_text="", chart=None)
        scope = current_scope()
        dealers = db.session.scalar(select(func.count(Dealer.id)).where(scope_clause(Dealer, scope)))
        regions = db.session.scalar(select(func.count(Region.id)))
        by_region = db.session.execute(
            select(Region.name, func.count(Dealer.id))
            .join(Dealer, Dealer.region_id == Region.id)
            .where(scope_clause(Dealer, scope))
            .group_by(Region.name)
            .order_by(func.count(Dealer.id).desc())
        ).all()
        cards = [
            {"title": _("Dealers"), "value": dealers, "href": url_for("DealerView.list")},
            {"title": _("Regions"), "value": regions, "href": url_for("RegionView.list")},
            {
                "title": _("Unread alerts"),
                "value": unread_for_current_user(),
                "href": url_for("NotificationView.index"),
            },
        ]
        if self.appbuilder.sm.has_access("can_read", "Order"):
            counts = alert_counts(scope)  # order alerts: a card for each kind that has some
            cards += [{"title": ALERT_TITLES[k], "value": n, "href": None} for k, n in counts.items() if n]
        return self.render_template(
            self.index_template,
            roles=[role_label(r.name) for r in current_user.roles],
            cards=cards,
            scope_text=_scope_text(scope),
            chart={
                "title": _("Dealers by region"),
                "labels": [r[0] for r in by_region],
                "values": [r[1] for r in by_region],
            },
            **self._dashboard(scope),
        )

    def _dashboard(self, scope) -> dict:
        """The role's dashboard: sales in the scope, open tasks, a dealer's own corner."""
        today = business_today()
        roles = frozenset(r.name for r in current_user.roles)
        viewer = dashboard.Viewer(current_user.id, roles, scope)
        overview = None
        if self.appbuilder.sm.has_access("can_read", "SalesAnalytics"):
            overview = dashboard.sales_overview(db.session, scope, today)
        own = None
        if (
            DEALER_ROLE in roles
            and not scope.unrestricted
            and not scope.region_paths
            and len(scope.dealer_ids) == 1
        ):
            own_id = dashboard.in_scope_dealer(db.session, scope, next(iter(scope.dealer_ids)))
            own = dashboard.dealer_corner(db.session, own_id, today) if own_id is not None else None
        english = str(get_locale() or "").startswith("en")
        tasks = dashboard.open_tasks(db.session, viewer)
        return {"overview": overview, "tasks": tasks, "own": own, "english": english}
