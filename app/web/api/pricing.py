"""``/api/v1/price/``: quotes, point-in-time lookups and the dealer's price list (class ``Price``,
``read``; dealers in your data scope only). Money is sent as strings. The policy endpoints are
in ``price_policy``.

An unknown dealer code in a quote is a 422 naming ``dealer``; a dealer outside your scope is a
404 (a dealer user asking for another dealer's prices gets 404). See docs/pricing.md.
"""

from __future__ import annotations

from datetime import date

from flask import request
from flask_appbuilder.api import expose, protect, safe
from sqlalchemy import select

from app.adapters import pricing
from app.adapters.clock import business_today
from app.adapters.scope_sql import dealer_clause
from app.domain.errors import DomainError, NotFound, ValidationFailed
from app.domain.pricing_model import Condition, QuoteLine
from app.domain.uscc import normalise_code
from app.extensions import db
from app.models import Dealer
from app.web.api.base import JsonApi
from app.web.permissions import READ
from app.web.scope import current_scope

MAX_LINES = 500


def line_json(line: QuoteLine) -> dict:
    """A quote line as JSON (money as strings)."""
    return {
        "sku": line.sku,
        "qty": line.qty,
        "unit_price": str(line.unit_price),
        "amount": str(line.amount),
        "list_price": None if line.list_price is None else str(line.list_price),
        "steps": list(line.steps),
    }


def condition_json(c: Condition) -> dict:
    """A price record as JSON: codes, values as strings, dates ISO."""
    out: dict = {"id": c.id, "type": c.type}
    for name in ("sku", "product_line", "category", "region", "tier", "dealer", "reference"):
        out[name] = getattr(c, name)
    out["min_qty"] = c.min_qty
    for name in ("price", "discount_pct"):
        value = getattr(c, name)
        out[name] = None if value is None else str(value)
    out.update(buy_x=c.buy_x, get_y=c.get_y, stackable=c.stackable)
    out["valid_from"] = c.valid_from.isoformat() if c.valid_from else None
    out["valid_to"] = c.valid_to.isoformat() if c.valid_to else None
    return out


def parse_day(raw: object, field: str = "date") -> date | None:
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValidationFailed(f"{field}: not a date", {field: "a date YYYY-MM-DD"}) from None


def scoped_dealer(code: object, field: str = "dealer", unknown_status: int = 422) -> Dealer:
    """The dealer with ``code`` inside the caller's scope (404 outside it)."""
    if not isinstance(code, str) or not code.strip():
        raise ValidationFailed(f"{field} is required", {field: "a dealer code"})
    code = normalise_code(code)
    dealer = db.session.scalar(select(Dealer).where(Dealer.code == code))
    if dealer is None and unknown_status == 422:
        raise ValidationFailed(f"unknown dealer {code}", {field: f"unknown dealer {code}"})
    visible = dealer is not None and db.session.scalar(
        select(Dealer.id).where(Dealer.id == dealer.id, dealer_clause(current_scope()))
    )
    if not visible:
        raise NotFound(f"no dealer {code} in your data scope", {field: "not found"})
    return dealer  # type: ignore[return-value]


class PriceApi(JsonApi):
    resource_name = "price"
    class_permission_name = "Price"
    method_permission_name = {"post_quote": READ, "lookup": READ, "price_list": READ}
    openapi_spec_tag = "Price"

    @expose("/quote", methods=["POST"])
    @protect()
    @safe
    def post_quote(self):
        """Price an order for a dealer with the policy in force on a date (default: now).
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [dealer, lines]
                  properties:
                    dealer: {type: string, description: a dealer code in your data scope}
                    date: {type: string, format: date}
                    lines:
                      type: array
                      minItems: 1
                      maxItems: 500
                      items:
                        type: object
                        required: [sku, qty]
                        properties:
                          sku: {type: string}
                          qty: {type: integer, minimum: 1}
          responses:
            200:
              description: "{version, lines: [{sku, qty, unit_price, amount, list_price, steps: [{record,
                type, value, why, overrode}]}], total} — money as strings"
            404: {description: The dealer lies outside your data scope}
            422: {description: "Bad input; errors name dealer, date, lines/<i>/sku or lines/<i>/qty"}
        """
        try:
            body = self.body()
            lines = body.get("lines")
            if not isinstance(lines, list) or not 0 < len(lines) <= MAX_LINES:
                raise ValidationFailed(
                    "lines: 1 to 500 lines", {"lines": f"a list of 1 to {MAX_LINES} lines"}
                )
            errors = {}
            for i, line in enumerate(lines):
                if not isinstance(line, dict) or not isinstance(line.get("sku"), str):
                    errors[f"lines/{i}/sku"] = "a SKU code"
            if errors:
                raise ValidationFailed("invalid lines", errors)
            day = parse_day(body.get("date"))
            dealer = scoped_dealer(body.get("dealer"))
            pairs = [(normalise_code(line["sku"]), line.get("qty")) for line in lines]
            quote = pricing.quote(db.session, dealer, pairs, day)  # type: ignore[arg-type]
        except DomainError as error:
            return self.fail(error)
        return self.response(
            200, version=quote.version, lines=[line_json(x) for x in quote.lines], total=str(quote.total)
        )

    @expose("/lookup", methods=["GET"])
    @protect()
    @safe
    def lookup(self):
        """The price of a SKU for a dealer on any date, past included (the version then in force).
        ---
        get:
          parameters:
          - {in: query, name: dealer, required: true, schema: {type: string}}
          - {in: query, name: sku, required: true, schema: {type: string}}
          - {in: query, name: date, schema: {type: string, format: date}}
          - {in: query, name: qty, schema: {type: integer, minimum: 1, default: 1}}
          responses:
            200:
              description: "{dealer, date, version, line: {sku, qty, unit_price, amount, list_price,
                steps}}"
            404: {description: The dealer lies outside your data scope}
            422: {description: "Unknown dealer or SKU, a bad date or quantity"}
        """
        try:
            args = request.args
            day = parse_day(args.get("date"))
            dealer = scoped_dealer(args.get("dealer"))
            sku = normalise_code(args.get("sku", ""))
            quote = pricing.quote(db.session, dealer, [(sku, args.get("qty", "1"))], day)  # type: ignore[list-item]
        except DomainError as error:
            return self.fail(error)
        return self.response(
            200,
            dealer=dealer.code,
            date=(day or business_today()).isoformat(),
            version=quote.version,
            line=line_json(quote.lines[0]),
        )

    @expose("/list", methods=["GET"])
    @protect()
    @safe
    def price_list(self):
        """A dealer's effective unit prices (qty 1) for every priced SKU: its own special prices only.
        ---
        get:
          parameters:
          - {in: query, name: dealer, schema: {type: string}, description: "default: your own dealer"}
          - {in: query, name: date, schema: {type: string, format: date}}
          responses:
            200:
              description: "{dealer, date, version, result: [{sku, qty, unit_price, amount, list_price,
                steps}]}"
            404: {description: The dealer does not exist or lies outside your data scope}
        """
        try:
            day = parse_day(request.args.get("date"))
            code = request.args.get("dealer") or own_dealer_code()
            dealer = scoped_dealer(code, unknown_status=404)
            version = pricing.effective_version(db.session, pricing.moment(day))
            lines = pricing.price_list(db.session, dealer, day)
        except DomainError as error:
            return self.fail(error)
        return self.response(
            200,
            dealer=dealer.code,
            date=(day or business_today()).isoformat(),
            version=version.number if version else None,
            result=[line_json(x) for x in lines],
        )


def own_dealer_code() -> str:
    """The caller's one dealer (dealer users); otherwise the ``dealer`` parameter is required."""
    scope = current_scope()
    if not scope.unrestricted and len(scope.dealer_ids) == 1 and not scope.region_paths:
        dealer = db.session.get(Dealer, next(iter(scope.dealer_ids)))
        if dealer is not None:
            return dealer.code
    raise ValidationFailed("dealer is required", {"dealer": "a dealer code"})
