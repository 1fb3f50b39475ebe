"""``/api/v1/forecast/``: the latest run's demand forecasts per SKU × region with their history,
the chosen model and every model's backtest errors, inside the caller's data scope
(docs/forecast.md). Permission ``Forecast`` ``read``."""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect, safe

from app.adapters.forecasts_query import forecasts
from app.domain.errors import DomainError
from app.extensions import db
from app.web.api.base import JsonApi
from app.web.permissions import READ
from app.web.scope import current_scope


class ForecastApi(JsonApi):
    resource_name = "forecast"
    class_permission_name = "Forecast"
    method_permission_name = {"get_forecasts": READ}
    openapi_spec_tag = "Forecast"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_forecasts(self):
        """Forecasts of the latest run, by SKU and forecast region (a top-level region).
        ---
        get:
          parameters:
          - {in: query, name: sku, schema: {type: string}}
          - {in: query, name: region, schema: {type: string}, description: a top-level region code}
          responses:
            200:
              description: "{run, regions, series: [{sku, region, status, message, model, detail,
                history: {months, values}, forecast: {months, values}, scores: [{model, wape, mape, mae,
                points, mape_points}], chosen, origins}], truncated}; a SKU × region that never sold is
                status not_enough_history"
            422: {description: An unknown SKU, or a region that is not a forecast region in your scope}
        """
        try:
            result = forecasts(
                db.session, current_scope(), request.args.get("sku"), request.args.get("region")
            )
        except DomainError as error:
            return self.fail(error)
        return self.response(200, **result)
