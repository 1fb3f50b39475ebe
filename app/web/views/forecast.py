"""Demand forecast page (数据分析 → 需求预测, ``/forecast/``): the series of the latest run in the
user's scope, and for one SKU × region the chart of history and forecast with every model's
backtest errors. Filters are the URL's ``sku`` and ``region``. Permission ``Forecast``, as the API."""

from __future__ import annotations

from flask import flash, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.adapters.forecasts_query import forecasts
from app.domain.errors import DomainError
from app.extensions import db
from app.web.permissions import READ
from app.web.scope import current_scope

MODEL_LABELS = {"seasonal_naive": _l("Seasonal naive (baseline)"), "ets": _l("Exponential smoothing")}


class ForecastView(BaseView):
    route_base = "/forecast"
    class_permission_name = "Forecast"
    method_permission_name = {"forecast_page": READ}
    default_view = "forecast_page"

    @expose("/")
    @has_access
    def forecast_page(self):
        args = {k: request.args.get(k, "").strip().upper() for k in ("sku", "region")}
        args = {k: v for k, v in args.items() if v}
        try:
            data = forecasts(db.session, current_scope(), args.get("sku"), args.get("region"))
        except DomainError as error:
            flash(f"{_('Invalid filter')}: {error.message}", "danger")
            args = {}
            data = forecasts(db.session, current_scope(), None, None)
        one = data["series"][0] if args.get("sku") and args.get("region") and data["series"] else None
        return self.render_template(
            "forecast/index.html",
            data=data,
            args=args,
            one=one,
            model_labels={k: str(v) for k, v in MODEL_LABELS.items()},
            chart_labels={"history": _("Sales history"), "forecast": _("Forecast")},
            can_what_if=self.appbuilder.sm.has_access("can_read", "WhatIf"),
            title=_("Demand forecast"),
        )
