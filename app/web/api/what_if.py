"""``/api/v1/what_if/``: simulate a price change or a promotion on the latest forecast, save
scenarios, list them and compare them (docs/forecast.md). Permission ``WhatIf``: ``read`` to
simulate, list and compare, ``write`` to save. Everything inside the caller's data scope."""

from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect, safe

from app.adapters.what_if import parse_request, run_what_if
from app.adapters.what_if_scenarios import (
    compare,
    get_scenario,
    list_scenarios,
    parse_ids,
    save_scenario,
    scenario_json,
)
from app.domain.errors import DomainError
from app.extensions import db
from app.web.api.base import JsonApi, pk_in_range
from app.web.caller import caller
from app.web.permissions import READ, WRITE
from app.web.scope import current_scope

BODY = """{skus: [codes] | product_line: code, region?: top-level region code, kind: price | promotion,
  pct (price, e.g. -10), cut_pct and months ["2027-01", …] (promotion); name (to save)}"""


class WhatIfApi(JsonApi):
    resource_name = "what_if"
    class_permission_name = "WhatIf"
    method_permission_name = {
        "simulate": READ,
        "get_scenarios": READ,
        "get_scenario": READ,
        "get_compare": READ,
        "post_scenario": WRITE,
    }
    openapi_spec_tag = "What-if"

    @expose("/simulate", methods=["POST"])
    @protect()
    @safe
    def simulate(self):
        """Volume, revenue and margin with and without the change (nothing saved).
        ---
        post:
          requestBody: {content: {application/json: {schema: {type: object}}}}
          responses:
            200: {description: "{selection, elasticity: {elasticity, is_default, reason, fitted, ci_low,
              ci_high, p_value, observations, periods, data}, results: {months, without, with,
              difference, volume_change_pct, skus, skipped}}"}
            422: {description: Bad input; errors name the field}
        """
        try:
            return self.response(200, **run_what_if(db.session, current_scope(), parse_request(self.body())))
        except DomainError as error:
            return self.fail(error)

    @expose("/scenarios", methods=["POST"])
    @protect()
    @safe
    def post_scenario(self):
        """Simulate and save a named scenario.
        ---
        post:
          requestBody: {content: {application/json: {schema: {type: object}}}}
          responses:
            201: {description: The saved scenario}
            422: {description: Bad input; errors name the field}
        """
        try:
            scenario = save_scenario(db.session, current_scope(), caller().name, self.body())
            db.session.commit()
        except DomainError as error:
            return self.fail(error)
        return self.response(201, **scenario_json(scenario))

    @expose("/scenarios", methods=["GET"])
    @protect()
    @safe
    def get_scenarios(self):
        """Saved scenarios in your scope, newest first, with their totals.
        ---
        get:
          responses:
            200: {description: "{scenarios: [{id, name, owner, selection, parameters, without, with,
              difference}]}"}
        """
        return self.response(200, scenarios=list_scenarios(db.session, current_scope()))

    @expose("/scenarios/<pk>", methods=["GET"])
    @protect()
    @safe
    def get_scenario(self, pk):
        """One saved scenario with its months, SKUs and elasticity data.
        ---
        get:
          parameters:
          - {in: path, name: pk, schema: {type: integer}, required: true}
          responses:
            200: {description: The scenario}
            404: {description: Unknown or outside your scope}
        """
        if not pk_in_range(pk):
            return self.response_404()
        try:
            return self.response(200, **scenario_json(get_scenario(db.session, current_scope(), int(pk))))
        except DomainError as error:
            return self.fail(error)

    @expose("/compare", methods=["GET"])
    @protect()
    @safe
    def get_compare(self):
        """Two or more scenarios side by side (``ids=1,2``).
        ---
        get:
          parameters:
          - {in: query, name: ids, schema: {type: string}, required: true}
          responses:
            200: {description: "{scenarios: [...]}"}
            422: {description: Fewer than 2 ids, or an unknown one (named in errors.ids)}
        """
        try:
            ids = parse_ids(request.args.get("ids"))
            return self.response(200, **compare(db.session, current_scope(), ids))
        except DomainError as error:
            return self.fail(error)
