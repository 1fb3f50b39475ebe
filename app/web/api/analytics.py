"""``/api/v1/analytics/``: sales figures sliced by dimensions, the orders and lines behind a
figure, each as JSON or xlsx; everything inside the caller's data scope (docs/analytics.md).

Permission ``SalesAnalytics`` ``read``.
"""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect, safe

from app.adapters.analytics_drill import lines, orders
from app.adapters.analytics_query import sales
from app.adapters.analytics_terms import parse_query
from app.adapters.clock import business_today
from app.domain.errors import DomainError, ValidationFailed
from app.extensions import db
from app.web.api.analytics_export import lines_xlsx, orders_xlsx, plain, sales_xlsx
from app.web.api.base import JsonApi
from app.web.permissions import READ
from app.web.scope import current_scope


def page_number(raw: str | None) -> int:
    """A page number from 0; anything else is a 422."""
    raw = (raw or "0").strip()
    if not raw.isdigit() or int(raw) > 10**6:
        raise ValidationFailed("page: a whole number from 0", {"page": "a whole number from 0"})
    return int(raw)


class AnalyticsApi(JsonApi):
    resource_name = "analytics"
    class_permission_name = "SalesAnalytics"
    method_permission_name = {"get_sales": READ, "get_orders": READ, "get_lines": READ}
    openapi_spec_tag = "Analytics"

    def _xlsx(self) -> bool:
        return request.args.get("format") == "xlsx"

    @expose("/sales", methods=["GET"])
    @protect()
    @safe
    def get_sales(self):
        """Sales figures grouped by dimensions, inside your data scope.
        ---
        get:
          parameters:
          - {in: query, name: group_by, schema: {type: string}, description: "comma-separated, at most 3 of
              dealer, tier, region, warehouse, product_line, category, sku, day, week, month, quarter, year"}
          - {in: query, name: measure, schema: {type: string}, description: "comma-separated:
              amount (default), quantity, order_count, average_order"}
          - {in: query, name: sort, schema: {type: string, enum: [desc, asc]}, description: by measure}
          - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 5000}}
          - {in: query, name: from, schema: {type: string, format: date}}
          - {in: query, name: to, schema: {type: string, format: date}}
          - {in: query, name: dealer, schema: {type: string}}
          - {in: query, name: region, schema: {type: string}}
          - {in: query, name: tier, schema: {type: string}}
          - {in: query, name: warehouse, schema: {type: string}}
          - {in: query, name: product_line, schema: {type: string}}
          - {in: query, name: category, schema: {type: string}}
          - {in: query, name: sku, schema: {type: string}}
          - {in: query, name: format, schema: {type: string, enum: [json, xlsx]}}
          responses:
            200:
              description: "{rows: [{<dimension>, <dimension>_name, <measure>…, drill}], total, totals,
                truncated, group_by, measures, from, to, filters}"
            422: {description: "An unknown dimension or measure (the valid ones are listed), reversed dates,
              a period over 10 years, an unknown filter code"}
        """
        try:
            result = sales(db.session, current_scope(), parse_query(request.args, business_today()))
        except DomainError as error:
            return self.fail(error)
        if self._xlsx():
            return sales_xlsx(result)
        return self.response(200, **plain(result))

    @expose("/sales/orders", methods=["GET"])
    @protect()
    @safe
    def get_orders(self):
        """The orders behind a figure (its filters and period), largest first, 100 a page.
        ---
        get:
          parameters:
          - {in: query, name: page, schema: {type: integer, minimum: 0}}
          - {in: query, name: from, schema: {type: string, format: date}}
          - {in: query, name: to, schema: {type: string, format: date}}
          - {in: query, name: dealer, schema: {type: string}}
          - {in: query, name: region, schema: {type: string}}
          - {in: query, name: sku, schema: {type: string}}
          - {in: query, name: format, schema: {type: string, enum: [json, xlsx]}}
          responses:
            200: {description: "{count, page, page_size, rows: [{order_id, number, day, dealer, status, lines,
              quantity, amount}]}"}
            422: {description: A bad date or filter}
        """
        try:
            query = parse_query(request.args, business_today())
            result = orders(db.session, current_scope(), query, page_number(request.args.get("page")))
        except DomainError as error:
            return self.fail(error)
        if self._xlsx():
            return orders_xlsx(result)
        return self.response(200, **plain(result))

    @expose("/sales/lines", methods=["GET"])
    @protect()
    @safe
    def get_lines(self):
        """The order lines behind a figure, or of one order among them (``order`` = its number).
        ---
        get:
          parameters:
          - {in: query, name: order, schema: {type: string}, description: an order number}
          - {in: query, name: from, schema: {type: string, format: date}}
          - {in: query, name: to, schema: {type: string, format: date}}
          - {in: query, name: dealer, schema: {type: string}}
          - {in: query, name: sku, schema: {type: string}}
          - {in: query, name: format, schema: {type: string, enum: [json, xlsx]}}
          responses:
            200: {description: "{rows: [{number, day, dealer, sku, product_name, quantity, unit_price,
              amount}], truncated}"}
            422: {description: A bad date or filter}
        """
        try:
            query = parse_query(request.args, business_today())
            result = lines(db.session, current_scope(), query, request.args.get("order"))
        except DomainError as error:
            return self.fail(error)
        if self._xlsx():
            return lines_xlsx(result)
        return self.response(200, **plain(result))
