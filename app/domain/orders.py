"""Sales orders (订单): the lifecycle state machine, the order request as the API, the portal and
the Excel upload give it, and the digest that makes a retried request idempotent.

Lifecycle (``transition(status, action)``)::

    draft ─submit─▶ submitted ─review─▶ in_review ─approve─▶ confirmed ─ship─▶ partially_shipped
                      │  ▲ approve/reject     │ return                │ ship_all       │ ship_all
                      │  └──── resubmit ── returned                   ▼                ▼
                      └──────────────────────────────────────────▶ shipped ─receive─▶ received

A submitted order is routed by the approval flow: approved at once, blocked (rejected) or put in
review; a reviewer may return it to the dealer, whose revision is submitted again.

``reject`` ends submitted / in_review orders as ``rejected``; ``cancel`` ends any order before it
is confirmed, and a confirmed order not yet shipped (back office only: a dealer cancels only
before confirmation, ``DEALER_CANCELLABLE``). Lines may change only in ``draft`` and ``returned``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.errors import Conflict, ValidationFailed
from app.domain.uscc import normalise_code

STATUSES = (
    "draft",
    "submitted",
    "in_review",
    "returned",
    "confirmed",
    "partially_shipped",
    "shipped",
    "received",
    "rejected",
    "cancelled",
)
OPEN_STATUSES = ("submitted", "in_review", "returned", "confirmed", "partially_shipped")
EDITABLE = ("draft", "returned")
DEALER_CANCELLABLE = ("draft", "submitted", "in_review", "returned")
FINAL = ("received", "rejected", "cancelled")

TRANSITIONS: dict[str, dict[str, str]] = {
    "submit": {"draft": "submitted"},
    "review": {"submitted": "in_review"},
    "return": {"in_review": "returned"},
    "resubmit": {"returned": "submitted"},
    "approve": {"submitted": "confirmed", "in_review": "confirmed"},
    "reject": {"submitted": "rejected", "in_review": "rejected", "returned": "rejected"},
    "ship": {"confirmed": "partially_shipped", "partially_shipped": "partially_shipped"},
    "ship_all": {"confirmed": "shipped", "partially_shipped": "shipped"},
    "receive": {"shipped": "received"},
    "cancel": {
        "draft": "cancelled",
        "submitted": "cancelled",
        "in_review": "cancelled",
        "returned": "cancelled",
        "confirmed": "cancelled",
    },
}

SOURCES = ("portal", "api", "excel")
MAX_LINES = 500
MAX_QTY = 10**9
MAX_NOTE = 500
SHORTAGE_ACTIONS = ("backorder", "partial", "refuse")


def transition(status: str, action: str) -> str:
    """The status after ``action``; ``Conflict`` naming the current status when it is not allowed."""
    allowed = TRANSITIONS.get(action)
    if allowed is None:
        raise ValueError(f"unknown order action {action!r}")
    new = allowed.get(status)
    if new is None:
        raise Conflict(
            f"an order that is {status} cannot be {_PAST.get(action, action)}",
            {"status": f"is {status}"},
        )
    return new


_PAST = {
    "submit": "submitted",
    "review": "reviewed",
    "return": "returned",
    "resubmit": "resubmitted",
    "approve": "approved",
    "reject": "rejected",
    "ship": "shipped",
    "ship_all": "shipped",
    "receive": "received",
    "cancel": "cancelled",
}


@dataclass(frozen=True)
class RequestedLine:
    sku: str
    qty: int
    unit_price: Decimal | None = None  # a price asked for; None: the policy price applies


@dataclass(frozen=True)
class OrderRequest:
    """What a caller asks for: the dealer, lines, where to ship, a note."""

    dealer: str
    lines: tuple[RequestedLine, ...]
    ship_to: str | None = None
    note: str | None = None
    errors: dict[str, str] = field(default_factory=dict, compare=False)


def _qty(value: Any) -> int | str:
    if isinstance(value, bool) or value is None or value == "":
        return "required, a whole number"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,10}\s*", value):
        value = int(value)
    if not isinstance(value, int):
        return "must be a whole number"
    if value <= 0:
        return "must be above 0"
    if value > MAX_QTY:
        return "too large"
    return value


def parse_price(value: Any) -> Decimal | str:
    """A unit price: a number ≥ 0 with at most 4 decimals, or the reason it is not one."""
    if isinstance(value, bool) or value is None or value == "":
        return "a number is required"
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return "not a number"
    if not number.is_finite():
        return "not a number"
    if number.as_tuple().exponent < -4:  # type: ignore[operator]
        return "at most 4 decimals"
    if number < 0:
        return "must not be negative"
    if number >= Decimal(10) ** 10:
        return "too large"
    return number


def _lines(raw: Any, errors: dict[str, str]) -> list[RequestedLine]:
    if not isinstance(raw, list) or not raw:
        errors["lines"] = "at least one line"
        return []
    if len(raw) > MAX_LINES:
        errors["lines"] = f"at most {MAX_LINES} lines"
        return []
    lines: list[RequestedLine] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        where = f"lines/{index}"
        if not isinstance(item, dict):
            errors[where] = "an object with sku and qty"
            continue
        unknown = set(item) - {"sku", "qty", "unit_price"}
        if unknown:
            errors[f"{where}/{sorted(unknown)[0]}"] = "unknown field"
        sku = normalise_code(str(item.get("sku") or "")) if isinstance(item.get("sku"), str | int) else ""
        if not sku:
            errors[f"{where}/sku"] = "required"
        elif sku in seen:
            errors[f"{where}/sku"] = f"the same SKU as line {seen[sku] + 1}: put the quantities together"
        else:
            seen[sku] = index
        qty = _qty(item.get("qty"))
        if isinstance(qty, str):
            errors[f"{where}/qty"] = qty
        price: Decimal | str | None = None
        if item.get("unit_price") is not None:
            price = parse_price(item["unit_price"])
            if isinstance(price, str):
                errors[f"{where}/unit_price"] = price
        if sku and isinstance(qty, int) and not isinstance(price, str):
            lines.append(RequestedLine(sku, qty, price))
    return lines


def parse_request(raw: Any, *, dealer: str | None = None) -> OrderRequest:
    """An order request from JSON-like data; ``ValidationFailed`` names every bad field
    (``lines/2/qty``). ``dealer`` fills in the dealer when the caller has exactly one."""
    if not isinstance(raw, dict):
        raise ValidationFailed("the order must be a JSON object", {"body": "a JSON object"})
    errors: dict[str, str] = {}
    unknown = set(raw) - {"dealer", "lines", "ship_to", "note"}
    for name in sorted(unknown):
        errors[name] = "unknown field"
    code = raw.get("dealer", dealer)
    code = normalise_code(str(code)) if isinstance(code, str | int) and not isinstance(code, bool) else ""
    if not code:
        errors["dealer"] = "required"
    lines = _lines(raw.get("lines"), errors)
    ship_to = raw.get("ship_to")
    if ship_to is not None and not isinstance(ship_to, str | int):
        errors["ship_to"] = "the label or id of one of the dealer's addresses"
    note = raw.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        errors["note"] = f"text of at most {MAX_NOTE} characters"
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first]}", errors)
    return OrderRequest(
        dealer=code,
        lines=tuple(lines),
        ship_to=str(ship_to).strip() or None if ship_to is not None else None,
        note=(note or "").strip() or None,
    )


def request_digest(raw: Any) -> str:
    """SHA-256 of the request body in canonical JSON: the same key with another body is a conflict."""
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def money(value: Decimal) -> Decimal:
    """Round to cents, half up (amounts on orders and invoices)."""
    return value.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")


@dataclass(frozen=True)
class StockLine:
    """Stock check of one line at the serving warehouse."""

    sku: str
    qty: int
    available: int
    action: str  # ok / backorder / partial / refuse

    @property
    def short(self) -> int:
        return max(self.qty - self.available, 0)

    @property
    def confirmable(self) -> int:
        """What the order can hold now: all when in stock, what is there for partial/backorder."""
        return self.qty if self.short == 0 else min(self.qty, max(self.available, 0))


def stock_outcome(lines: list[StockLine]) -> str:
    """``ok`` when every line is in stock; else the hardest action of the short lines
    (refuse > partial > backorder)."""
    actions = {line.action for line in lines if line.short}
    for action in ("refuse", "partial", "backorder"):
        if action in actions:
            return action
    return "ok"


@dataclass(frozen=True)
class Credit:
    """Credit exposure: unpaid invoices + confirmed orders not yet invoiced + this order,
    against the limit (the dealer's limit plus temporary increases in force)."""

    limit: Decimal
    unpaid_invoices: Decimal
    open_orders: Decimal
    this_order: Decimal
    overdue_days: int = 0  # the oldest unpaid invoice's days past due
    temporary_increase: Decimal = Decimal("0.00")  # approved increases in force, part of ``limit``

    @property
    def exposure(self) -> Decimal:
        return self.unpaid_invoices + self.open_orders + self.this_order

    @property
    def available(self) -> Decimal:
        return self.limit - self.unpaid_invoices - self.open_orders

    @property
    def outcome(self) -> str:
        return "over" if self.exposure > self.limit else "ok"
