"""Sales analytics pages (数据分析 → 销售分析): the dashboard with filters in the URL (trend,
product contribution, regions, top and bottom dealers), the orders behind a figure and their
lines; every table downloads as xlsx (``format=xlsx``). Permission ``SalesAnalytics``, as the API;
the figures come from the same adapter, inside the user's data scope."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.adapters.analytics_drill import lines, orders
from app.adapters.analytics_query import sales
from app.adapters.analytics_terms import FILTERS, MEASURES, TIME_DIMENSIONS, parse_query
from app.adapters.clock import business_today
from app.domain.errors import DomainError
from app.extensions import db
from app.web.api.analytics import page_number
from app.web.api.analytics_export import (
    DIMENSION_LABELS,
    MEASURE_LABELS,
    lines_xlsx,
    orders_xlsx,
    sales_xlsx,
)
from app.web.permissions import READ
from app.web.scope import current_scope
from app.web.views.analytics_data import chart_data, dashboard, page_args

QUADRANT_LABELS = {
    "star": _l("Star: high share, growing"),
    "cash_cow": _l("Cash cow: high share, shrinking"),
    "question": _l("Question mark: low share, growing or new"),
    "dog": _l("Dog: low share, shrinking"),
}


def _english() -> bool:
    return str(get_locale() or "").startswith("en")


def _drill_args(args: dict[str, str]) -> dict[str, str]:
    """The filters and period of a figure, as arguments of the orders and lines pages."""
    return {k: v for k, v in args.items() if k in ("from", "to", *FILTERS)}


class SalesAnalyticsView(BaseView):
    route_base = "/analytics"
    class_permission_name = "SalesAnalytics"
    method_permission_name = {"sales_page": READ, "orders_page": READ, "lines_page": READ, "table": READ}
    default_view = "sales_page"

    def _refused(self, error: DomainError):
        flash(f"{_('Invalid filter')}: {error.message}", "danger")
        return redirect(url_for("SalesAnalyticsView.sales_page"))

    @expose("/sales")
    @has_access
    def sales_page(self):
        args = page_args(request.args)
        try:
            data = dashboard(db.session, current_scope(), args, business_today())
        except DomainError as error:
            flash(f"{_('Invalid filter')}: {error.message}", "danger")
            args = {}
            data = dashboard(db.session, current_scope(), args, business_today())
        return self.render_template(
            "analytics/sales.html",
            data=data,
            chart=chart_data(data),
            args=args,
            drill=_drill_args,
            dimension_labels=DIMENSION_LABELS,
            measure_labels=MEASURE_LABELS,
            quadrant_labels=QUADRANT_LABELS,
            chart_labels={
                "measure": str(MEASURE_LABELS[data["measure"]]),
                "cumulative": _("Cumulative"),
                "share": _("Share %"),
                "growth": _("Growth %"),
                "quadrants": {k: str(v) for k, v in QUADRANT_LABELS.items()},
            },
            grains=TIME_DIMENSIONS,
            measures=MEASURES,
            filters=FILTERS,
            english=_english(),
            title=_("Sales analytics"),
        )

    @expose("/sales/table")
    @has_access
    def table(self):
        """Any figures table of the page as xlsx: the page's filters plus ``group_by``/``measure``."""
        try:
            result = sales(db.session, current_scope(), parse_query(request.args, business_today()))
        except DomainError as error:
            return self._refused(error)
        return sales_xlsx(result)

    @expose("/sales/orders")
    @has_access
    def orders_page(self):
        args = _drill_args(page_args(request.args))
        try:
            result = orders(db.session, current_scope(), parse_query(args, business_today()),
                            page_number(request.args.get("page")))  # fmt: skip
        except DomainError as error:
            return self._refused(error)
        if request.args.get("format") == "xlsx":
            return orders_xlsx(result)
        return self.render_template(
            "analytics/orders.html",
            result=result,
            args=args,
            pages=(result["count"] + result["page_size"] - 1) // result["page_size"],
            back=url_for("SalesAnalyticsView.sales_page", **args),
            title=_("Orders behind the figure"),
        )

    @expose("/sales/lines")
    @has_access
    def lines_page(self):
        args = _drill_args(page_args(request.args))
        number = (request.args.get("order") or "").strip() or None
        try:
            result = lines(db.session, current_scope(), parse_query(args, business_today()), number)
        except DomainError as error:
            return self._refused(error)
        if request.args.get("format") == "xlsx":
            return lines_xlsx(result)
        return self.render_template(
            "analytics/lines.html",
            result=result,
            args=args,
            number=number,
            back=url_for("SalesAnalyticsView.orders_page", **args),
            title=_("Order lines behind the figure"),
        )
