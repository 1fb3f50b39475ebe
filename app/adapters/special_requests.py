"""Special-price requests (特价申请): a sales rep or a dealer asks for a price below policy for a
deal (dealer, SKUs, quantities, requested prices, reason, validity). The request is checked like an
order line (``price_check.check_lines``) and reviewed in the price-exception flow; an approved one
becomes dealer special prices for its validity (``price_review.apply_special_prices``).

The page and ``POST /api/v1/price/special_request`` both call ``file_request``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.adapters.price_check import check_lines
from app.adapters.price_review import Request, next_request_key, start_review
from app.adapters.scope_sql import dealer_clause
from app.domain.errors import NotFound, ValidationFailed
from app.domain.scope import DataScope
from app.engine import runtime
from app.formkit.schemas import load_schema, validate
from app.models import Dealer, PriceException

FORM = "special_price_request"
KIND = "special_request"


def request_form(session: Session, scope: DataScope) -> dict[str, Any]:
    """The request form's schema with the dealers the user may file for as choices."""
    schema = load_schema(FORM)
    dealers = session.execute(
        select(Dealer.code, Dealer.name)
        .where(dealer_clause(scope), Dealer.status == "active")
        .order_by(Dealer.code)
    ).all()
    if not dealers:
        return schema
    choices = [{"const": code, "title": f"{name} ({code})"} for code, name in dealers]
    return {
        **schema,
        "properties": {
            **schema["properties"],
            "dealer": {**schema["properties"]["dealer"], "oneOf": choices},
        },
    }


def _dates(data: dict[str, Any], today: date) -> tuple[date, date]:
    valid_from, valid_to = date.fromisoformat(data["valid_from"]), date.fromisoformat(data["valid_to"])
    if valid_to < valid_from:
        raise ValidationFailed("the validity ends before it starts", {"valid_to": "before valid_from"})
    if valid_to < today:
        raise ValidationFailed("the validity is over already", {"valid_to": "in the past"})
    return valid_from, valid_to


def file_request(
    session: Session, data: Any, caller: runtime.Caller, today: date | None = None
) -> PriceException:
    """Validate a request, check its prices and start its review (commits). A dealer user files
    only for its own company and a rep only for its dealers: any other dealer is ``NotFound``."""
    today = today or business_today()
    validate(load_schema(FORM), data)
    dealer = session.scalar(select(Dealer).where(Dealer.code == data["dealer"], dealer_clause(caller.scope)))
    if dealer is None:
        raise NotFound("no such dealer in your data scope", {"dealer": "not found"})
    valid_from, valid_to = _dates(data, today)
    lines = [
        {"sku": ln["sku"], "qty": ln["qty"], "unit_price": ln["requested_price"]} for ln in data["lines"]
    ]
    try:
        check = check_lines(session, dealer, lines, valid_from)
    except ValidationFailed as error:  # name the form's field: requested_price, not unit_price
        errors = {k.replace("unit_price", "requested_price"): v for k, v in error.errors.items()}
        raise ValidationFailed(error.message, errors) from None
    request = Request(
        requested_by=caller.name,
        requested_by_id=caller.id,
        reason_code=data["reason_code"],
        reason=data["reason"],
        valid_from=valid_from,
        valid_to=valid_to,
    )
    key = next_request_key(session)
    return start_review(session, kind=KIND, business_key=key, check=check, request=request, caller=caller)


def visible(session: Session, scope: DataScope):
    """A query of the price exceptions the scope covers (by their dealer), newest first."""
    in_scope = PriceException.dealer_id.in_(select(Dealer.id).where(dealer_clause(scope)))
    return select(PriceException).where(in_scope).order_by(PriceException.id.desc())


def find(session: Session, exception_id: int, scope: DataScope) -> PriceException:
    """One price exception the scope covers (``NotFound`` otherwise)."""
    found = session.scalar(visible(session, scope).where(PriceException.id == exception_id))
    if found is None:
        raise NotFound("no such price exception")
    return found


def as_json(exception: PriceException) -> dict[str, Any]:
    """JSON of a price exception with its lines (money and percentages as strings)."""

    def text(value: Any) -> str | None:
        return None if value is None else str(value)

    return {
        "id": exception.id,
        "business_key": exception.business_key,
        "kind": exception.kind,
        "dealer": exception.dealer.code,
        "status": exception.status,
        "level": exception.level,
        "escalated": exception.escalated,
        "requested_by": exception.requested_by,
        "reason_code": exception.reason_code,
        "reason": exception.reason,
        "valid_from": text(exception.valid_from),
        "valid_to": text(exception.valid_to),
        "instance_id": exception.instance_id,
        "decided_by": exception.decided_by,
        "decided_at": exception.decided_at.isoformat() if exception.decided_at else None,
        "decision_reason_code": exception.decision_reason_code,
        "decision_comment": exception.decision_comment,
        "created_at": exception.created_at.isoformat(),
        "lines": [
            {
                "sku": line.product.code,
                "qty": text(line.qty),
                "unit_price": text(line.unit_price),
                "policy_price": text(line.policy_price),
                "deviation_pct": text(line.deviation_pct),
                "deviation_amount": text(line.deviation_amount),
                "level": line.level,
            }
            for line in exception.lines
        ],
    }
