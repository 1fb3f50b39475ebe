"""The price check (价格监控): compare each line's price with the policy price and ask the
decision table ``price_tolerance`` whether the deviation needs a review, and how deep.

    check = check_lines(session, dealer, [{"sku": "BEV-W-550", "qty": 10, "unit_price": "38.00"}])
    check.outcome          # "ok" or "review"
    check.level            # none / regional_manager / sales_director / executive / countersign
    check.lines[0].deviation_pct, check.lines[0].policy_price

Orders call it on every order line; special-price requests call it on the requested prices.
The table is the one of the newest deployed ``price_exception_review`` flow (so an edit in the
decision-table editor applies to the next check), or ``rules/price_tolerance.dmn`` before any
deploy; it runs through SpiffWorkflow's DMN engine with the expression sandbox, as a business
rule task would. A line without a policy price cannot be compared: it goes to ``NO_POLICY_LEVEL``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.adapters.pricing import policy_unit_price
from app.domain import price_monitoring as pm
from app.domain.errors import ValidationFailed
from app.engine import decisions
from app.models import Dealer, Product

PROCESS_KEY = "price_exception_review"
DECISION = "price_tolerance"
TABLE_FILE = "price_tolerance.dmn"
NO_POLICY_LEVEL = "executive"
MAX_LINES = 500

# (session, dealer, product, qty, on) -> the policy unit price, or None when no record applies.
PolicyPrice = Callable[[Session, Dealer, Product, Decimal, date], Decimal | None]


def pricing_policy_price(session: Session, dealer: Dealer, product: Product, qty: Decimal, on: date):
    """The policy price of the pricing module (``app/adapters/pricing.py``, special prices included)."""
    whole = int(qty) if qty == qty.to_integral_value() else qty  # the pricing module counts whole units
    return policy_unit_price(session, dealer, product, whole, on)


@dataclass(frozen=True)
class CheckedLine:
    """One line: its price against the policy price and the table's verdict."""

    sku: str
    product_line: str | None
    qty: Decimal
    unit_price: Decimal
    policy_price: Decimal | None
    deviation_pct: Decimal | None
    deviation_amount: Decimal
    outcome: str
    level: str


@dataclass(frozen=True)
class PriceCheck:
    """The lines, the overall outcome (``review`` when any line needs one) and the deepest level;
    ``deciding`` is the index of the line that set the level (the flow routes by it)."""

    dealer: str
    tier: str | None
    on: date
    lines: tuple[CheckedLine, ...]
    outcome: str
    level: str
    deciding: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (Decimals as strings, dates ISO); field by field (``asdict`` deep-copies)."""
        return {
            "dealer": self.dealer,
            "tier": self.tier,
            "on": self.on.isoformat(),
            "lines": [{f: _plain(getattr(line, f)) for f in LINE_FIELDS} for line in self.lines],
            "outcome": self.outcome,
            "level": self.level,
            "deciding": self.deciding,
        }

    def flow_inputs(self) -> dict[str, Any]:
        """The decision table's inputs for the deciding line (start data of the review flow)."""
        line = self.lines[self.deciding]
        deviation = line.deviation_pct if line.deviation_pct is not None else Decimal(-100)
        return {"tier": self.tier, "product_line": line.product_line, "deviation": deviation}


LINE_FIELDS = tuple(f.name for f in fields(CheckedLine))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValidationFailed(f"{where}: a number is required", {where: "a number is required"})
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationFailed(f"{where}: not a number", {where: "not a number"}) from None
    if not number.is_finite() or number.as_tuple().exponent < -4:  # type: ignore[operator]
        raise ValidationFailed(f"{where}: at most 4 decimals", {where: "at most 4 decimals"})
    return number


def table_xml(session: Session) -> bytes:
    """The tolerance table of the newest deployed review flow, else the shipped file."""
    return decisions.table_xml(session, PROCESS_KEY, TABLE_FILE)


def evaluate(xml: bytes, inputs: dict[str, Any]) -> dict[str, Any]:
    """Run the tolerance table on ``inputs`` (tier, product_line, deviation) in the sandbox;
    returns its outputs (``outcome``, ``review_level``, ``countersign``), ``{}`` when no rule matched."""
    return decisions.evaluate(xml, TABLE_FILE, DECISION, inputs)


def _dealer(session: Session, dealer: Dealer | str) -> Dealer:
    if isinstance(dealer, Dealer):
        return dealer
    found = session.scalar(select(Dealer).where(Dealer.code == str(dealer)))
    if found is None:
        raise ValidationFailed(f"unknown dealer {dealer!r}", {"dealer": "unknown dealer"})
    return found


def check_lines(
    session: Session,
    dealer: Dealer | str,
    lines: Sequence[dict[str, Any]],
    on: date | None = None,
    *,
    policy_price: PolicyPrice | None = None,
    products: Mapping[str, Any] | None = None,
) -> PriceCheck:
    """Check ``lines`` (``{"sku", "qty", "unit_price"}``) of ``dealer`` (model or code) on ``on``
    (today by default) against the policy price and the tolerance table. ``products`` by code
    spares reading them again when the caller has them.

    Raises ``ValidationFailed`` naming the field (``lines/1/sku``) for an unknown SKU, a quantity
    ≤ 0, a negative price or a number with more than 4 decimals. Writes nothing.
    """
    on = on or business_today()
    price_of = policy_price or pricing_policy_price
    found = _dealer(session, dealer)
    if not lines or len(lines) > MAX_LINES:
        raise ValidationFailed("between 1 and 500 lines", {"lines": f"between 1 and {MAX_LINES} lines"})
    tier = found.tier.code if found.tier is not None else None
    xml = table_xml(session)
    skus = {str(line.get("sku") or "") for line in lines if isinstance(line, dict)}
    if products is None or not skus <= products.keys():  # the caller's products, if it has them all
        products = {p.code: p for p in session.scalars(select(Product).where(Product.code.in_(skus)))}
    verdicts: dict[tuple, dict[str, Any]] = {}  # the table's answer per (tier, line, deviation)

    def verdict(inputs: dict[str, Any]) -> dict[str, Any]:
        key = (inputs["tier"], inputs["product_line"], inputs["deviation"])
        if key not in verdicts:
            verdicts[key] = evaluate(xml, inputs)
        return verdicts[key]

    checked = []
    for index, line in enumerate(lines):
        sku = str(line.get("sku") or "")
        product = products.get(sku)
        if product is None:
            raise ValidationFailed(f"unknown SKU {sku!r}", {f"lines/{index}/sku": "unknown SKU"})
        qty = _decimal(line.get("qty"), f"lines/{index}/qty")
        price = _decimal(line.get("unit_price"), f"lines/{index}/unit_price")
        if qty <= 0:
            raise ValidationFailed("quantity must be above 0", {f"lines/{index}/qty": "must be above 0"})
        if price < 0:
            raise ValidationFailed("price must not be negative", {f"lines/{index}/unit_price": "negative"})
        checked.append(_check_line(session, found, product, qty, price, on, tier, verdict, price_of))
    levels = [line.level for line in checked]
    level = pm.deepest(levels)
    return PriceCheck(
        dealer=found.code,
        tier=tier,
        on=on,
        lines=tuple(checked),
        outcome="ok" if level == "none" else "review",
        level=level,
        deciding=levels.index(level),
    )


def _check_line(session, dealer, product, qty, price, on, tier, verdict, price_of) -> CheckedLine:
    line_code = product.product_line.code if product.product_line is not None else None
    policy = price_of(session, dealer, product, qty, on)
    if policy is None:
        return CheckedLine(
            product.code, line_code, qty, price, None, None, Decimal(0), "review", NO_POLICY_LEVEL
        )
    policy = Decimal(policy)
    deviation = pm.deviation_pct(price, policy)
    result = verdict({"tier": tier, "product_line": line_code, "deviation": deviation})
    if not result:
        raise ValidationFailed(f"{product.code}: the tolerance table has no rule for {deviation} %")
    level = pm.level_of(str(result.get("review_level") or "none"), bool(result.get("countersign")))
    outcome = "ok" if level == "none" else "review"
    amount = pm.deviation_amount(price, policy, qty)
    return CheckedLine(product.code, line_code, qty, price, policy, deviation, amount, outcome, level)
