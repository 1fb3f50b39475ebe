"""The automatic checks an order runs on every submission, each stored as an ``OrderCheck`` with
the figures it was decided on (what the dealer and the reviewers see):

- **stock**: available-to-promise (on hand − reserved) of each line at the warehouse that serves
  the dealer; a short line gets the action of the decision table ``stock_shortage``
  (backorder / partial / refuse);
- **price**: the price monitoring check (``price_check.check_lines``) of each line's price;
- **credit**: open exposure (unpaid invoices + confirmed orders not yet invoiced + this order)
  against the credit limit;
- **diversion**: the diversion signal (ship-to region outside the dealer's authorisations, or far
  more than usual at a promotion price).

``evaluate`` runs them on an order's facts and writes nothing (a new order is checked before it is
written); ``store`` keeps them on the order; ``run_checks`` does both for a stored order. The
result holds the flow's ``checks`` (the inputs of the decision table ``order_approval``) and the
price check (to start a price-exception review when it says ``review``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select
from sqlalchemy.orm import Session, aliased

from app.adapters import diversion, receivables
from app.adapters.clock import business_today, day_start
from app.adapters.order_lines import ProductRef
from app.adapters.price_check import PriceCheck, check_lines
from app.domain import orders as od
from app.domain import receivables as rd
from app.domain.regions import is_within
from app.engine import decisions
from app.models import (
    Dealer,
    OrderCheck,
    OrderLine,
    Product,
    Region,
    SalesOrder,
    StockBalance,
    Warehouse,
)
from app.models.base import utcnow

PROCESS_KEY = "order_approval"
SHORTAGE_FILE, SHORTAGE_DECISION = "stock_shortage.dmn", "stock_shortage"
EXPOSED = ("confirmed", "partially_shipped", "shipped", "received")


_PARENT = aliased(Warehouse)
SERVING = (
    select(Warehouse, Region.path, _PARENT.kind, _PARENT.active)
    .outerjoin(Region, Warehouse.region_id == Region.id)
    .outerjoin(_PARENT, Warehouse.parent_id == _PARENT.id)
    .where(
        Warehouse.active.is_(True),
        or_(
            and_(Warehouse.dealer_id == bindparam("dealer_id"), Warehouse.parent_id.is_not(None)),
            Warehouse.kind.in_(("regional", "hq")),
        ),
    )
    .order_by(Warehouse.id)
)


def serving_warehouse(session: Session, dealer: Dealer) -> Warehouse | None:
    """The warehouse that serves ``dealer``: the parent of its own warehouse, else the regional
    warehouse of its region or the nearest region above, else the headquarters warehouse. One
    query: the dealer's own warehouses with their parent's kind, and every regional and HQ one."""
    rows = session.execute(SERVING, {"dealer_id": dealer.id}).all()
    own = next((w for w, _, _, _ in rows if w.dealer_id == dealer.id), None)
    if own is not None:
        kind, active = next((k, a) for w, _, k, a in rows if w is own)
        if kind != "dealer" and active:
            return session.get(Warehouse, own.parent_id)
    path = dealer.region.path
    covering = [
        (len(region), -w.id, w)
        for w, region, _, _ in rows
        if w.kind == "regional" and region and is_within(path, {region})
    ]
    if covering:
        return max(covering, key=lambda c: (c[0], c[1]))[2]
    return next((w for w, _, _, _ in rows if w.kind == "hq"), None)


AVAILABLE = select(StockBalance.product_id, StockBalance.on_hand - StockBalance.reserved).where(
    StockBalance.warehouse_id == bindparam("warehouse_id"),
    StockBalance.product_id.in_(bindparam("product_ids", expanding=True)),
)


def available_at(session: Session, warehouse: Warehouse | None, product_ids: list[int]) -> dict[int, int]:
    """Available (on hand − reserved) per product at ``warehouse`` (0 where nothing is stocked)."""
    if warehouse is None or not product_ids:
        return {}
    rows = session.execute(AVAILABLE, {"warehouse_id": warehouse.id, "product_ids": list(product_ids)}).all()
    return {pid: int(qty) for pid, qty in rows}


def _shortage_action(xml: bytes, tier: str | None, product_line: str | None, available_pct: Decimal) -> str:
    result = decisions.evaluate(
        xml,
        SHORTAGE_FILE,
        SHORTAGE_DECISION,
        {"tier": tier, "product_line": product_line, "available_pct": available_pct},
    )
    action = str(result.get("action") or "backorder")
    return action if action in od.SHORTAGE_ACTIONS else "backorder"


@dataclass(frozen=True)
class LineFacts:
    """What the checks read of one line: its product (with its product line), quantity, price,
    the policy's price and whether a promotion priced it."""

    product: Product | ProductRef
    qty: int
    unit_price: Decimal
    policy_price: Decimal | None
    promotion: bool


def line_facts(order: SalesOrder) -> list[LineFacts]:
    """The facts of a stored order's lines."""
    return [
        LineFacts(line.product, int(line.qty), line.unit_price, line.policy_price, line.promotion)
        for line in order.lines
    ]


def stock_check(
    session: Session, warehouse: Warehouse | None, lines: list[LineFacts], tier: str | None
) -> tuple[str, dict[str, Any], list[str | None]]:
    """Outcome (ok / backorder / partial / refuse), figures, and each line's shortage action
    (``None`` when it is not short, or refused)."""
    available = available_at(session, warehouse, [line.product.id for line in lines])
    xml = decisions.table_xml(session, PROCESS_KEY, SHORTAGE_FILE)
    checked, figures, shortages = [], [], []
    for line in lines:
        has = max(available.get(line.product.id, 0), 0)
        action = "ok"
        if has < line.qty:
            pct = (Decimal(has) * 100 / Decimal(line.qty)).quantize(Decimal("0.01"))
            product_line = line.product.product_line.code if line.product.product_line is not None else None
            action = _shortage_action(xml, tier, product_line, pct)
        shortages.append(None if action in ("ok", "refuse") else action)
        item = od.StockLine(line.product.code, line.qty, has, action)
        checked.append(item)
        figures.append(
            {"sku": item.sku, "qty": item.qty, "available": has, "short": item.short, "action": action}
        )
    outcome = od.stock_outcome(checked)
    return (
        outcome,
        {"warehouse": warehouse.code if warehouse is not None else None, "lines": figures},
        shortages,
    )


def exposure(
    session: Session,
    dealer: Dealer,
    this_order: Decimal,
    exclude_id: int | None = None,
    on: date | None = None,
) -> od.Credit:
    """The dealer's credit position on ``on`` (today) with ``this_order`` added: unpaid invoices
    (open and partially paid: amount − paid), orders from confirmation to receipt less what is
    invoiced of each (never below 0), against the credit limit plus the approved temporary
    increases in force; overdue days of the oldest unpaid invoice past due."""
    on = on or business_today()
    unpaid, oldest_due, open_orders, increase = receivables.credit_position(
        session, dealer.id, EXPOSED, exclude_id, on
    )
    return od.Credit(
        limit=od.money(Decimal(dealer.credit_limit or 0) + increase),
        unpaid_invoices=od.money(unpaid),
        open_orders=od.money(open_orders),
        this_order=od.money(this_order),
        overdue_days=rd.overdue_days(oldest_due, on),
        temporary_increase=od.money(increase),
    )


def credit_figures(credit: od.Credit) -> dict[str, Any]:
    return {
        "limit": str(credit.limit),
        "unpaid_invoices": str(credit.unpaid_invoices),
        "open_orders": str(credit.open_orders),
        "this_order": str(credit.this_order),
        "exposure": str(credit.exposure),
        "available": str(credit.available),
        "temporary_increase": str(credit.temporary_increase),
        "overdue_days": credit.overdue_days,
    }


def diversion_check(
    session: Session, dealer: Dealer, ship_to_region: Region, lines: list[LineFacts], on: date
) -> tuple[str, dict[str, Any]]:
    """Dealers with authorisations on file may sell only where those allow; without any, the
    region signal does not apply (authorisations are not managed for them)."""
    asked = [
        {
            "sku": line.product.code,
            "qty": line.qty,
            "promotion": line.promotion,
            "product_line": line.product.product_line.code if line.product.product_line is not None else None,
        }
        for line in lines
    ]
    flags = diversion.diversion_flags(
        session,
        dealer,
        ship_to_region.code,
        asked,
        on,
        unmanaged_regions=True,
        region_path=ship_to_region.path,
    )
    found = [{"kind": f.kind, "sku": f.sku, "message": f.message} for f in flags]
    return ("flag" if found else "ok"), {"ship_to_region": ship_to_region.code, "flags": found}


@dataclass(frozen=True)
class Checks:
    """The outcome and figures of each check, each line's shortage action, the flow's ``checks``
    and the price check behind ``checks["price"]``."""

    results: dict[str, tuple[str, dict[str, Any]]]
    shortages: list[str | None]
    flow: dict[str, Any]
    price: PriceCheck


def evaluate(
    session: Session,
    dealer: Dealer,
    warehouse: Warehouse | None,
    ship_to_region: Region,
    lines: list[LineFacts],
    amount: Decimal,
    *,
    exclude_id: int | None = None,
    on: date | None = None,
) -> Checks:
    """Run every check on an order's facts: reads only, so a new order is checked before it is
    written (the write lock is held for less). ``exclude_id`` is the order itself once stored."""
    on = on or business_today()
    with session.no_autoflush:
        tier = dealer.tier.code if dealer.tier is not None else None
        stock, stock_figures, shortages = stock_check(session, warehouse, lines, tier)
        policy = {line.product.id: line.policy_price for line in lines}  # the quote of this order
        price = check_lines(
            session,
            dealer,
            [{"sku": line.product.code, "qty": line.qty, "unit_price": line.unit_price} for line in lines],
            on,
            policy_price=lambda _s, _d, product, _q, _on: policy.get(product.id),
            products={line.product.code: line.product for line in lines},
        )
        credit = exposure(session, dealer, amount, exclude_id=exclude_id)
        flagged, diversion_figures = diversion_check(session, dealer, ship_to_region, lines, on)
    results = {
        "stock": (stock, stock_figures),
        "price": (price.outcome, price.as_dict()),
        "credit": (credit.outcome, credit_figures(credit)),
        "diversion": (flagged, diversion_figures),
    }
    flow = {
        "amount": str(amount),
        "tier": tier,
        "stock": stock,
        "price": price.outcome,
        "credit": credit.outcome,
        "diversion": flagged,
    }
    return Checks(results, shortages, flow, price)


CHECK = OrderCheck.__table__
INSERT_CHECKS = insert(CHECK)


def store(session: Session, order: SalesOrder, checks: Checks) -> None:
    """Store the checks of a stored order under its current ``review_round`` (one statement;
    ``order.checks`` loads them when next read) and set its outcomes (its lines' shortage
    actions are the caller's: set on the lines, or written with them)."""
    now = utcnow()
    session.execute(
        INSERT_CHECKS,
        [
            {
                "order_id": order.id,
                "run": order.review_round,
                "kind": kind,
                "outcome": outcome,
                "figures": figures,
                "checked_at": now,
            }
            for kind, (outcome, figures) in checks.results.items()
        ],
    )
    session.expire(order, ["checks"])
    order.stock_outcome, order.price_outcome, order.credit_outcome = (
        checks.flow["stock"],
        checks.flow["price"],
        checks.flow["credit"],
    )


def run_checks(session: Session, order: SalesOrder, on: date | None = None) -> Checks:
    """Run every check on a stored ``order`` (its lines and warehouse set), store them under its
    current ``review_round``, set the outcomes on the order and the shortage on its lines. No
    commit."""
    checks = evaluate(
        session,
        order.dealer,
        order.warehouse,
        order.ship_to_region,
        line_facts(order),
        Decimal(order.amount),
        exclude_id=order.id,
        on=on,
    )
    for line, shortage in zip(order.lines, checks.shortages, strict=True):
        if line.shortage != shortage:  # an unchanged line stays clean (no update, no audit row)
            line.shortage = shortage
    store(session, order, checks)
    return checks


def flow_checks(order: SalesOrder) -> dict[str, Any]:
    """The flow's ``checks`` from what is stored on the order (after a price review ended)."""
    latest = {c.kind: c.outcome for c in order.checks if c.run == order.review_round}
    return {
        "amount": str(order.amount),
        "tier": order.dealer.tier.code if order.dealer.tier is not None else None,
        "stock": order.stock_outcome or latest.get("stock", "ok"),
        "price": order.price_outcome or latest.get("price", "ok"),
        "credit": order.credit_outcome or latest.get("credit", "ok"),
        "diversion": latest.get("diversion", "ok"),
    }


ORDER_HISTORY = (
    select(Product.code, OrderLine.qty)
    .join(SalesOrder, OrderLine.order_id == SalesOrder.id)
    .join(Product, OrderLine.product_id == Product.id)
    .where(
        SalesOrder.dealer_id == bindparam("dealer_id"),
        SalesOrder.status.in_(EXPOSED),
        SalesOrder.confirmed_at >= bindparam("since"),
        Product.code.in_(bindparam("skus", expanding=True)),
    )
)  # built once: building a statement costs more than running it


def order_history(session: Session, dealer: Dealer, skus: list[str], on: date) -> dict[str, list[Decimal]]:
    """Per SKU the quantities of the dealer's confirmed order lines in the last 180 days (the
    diversion signal's usual quantity), in one query."""
    since = day_start(on - timedelta(days=diversion.HISTORY_DAYS))
    rows = session.execute(ORDER_HISTORY, {"dealer_id": dealer.id, "since": since, "skus": list(skus)}).all()
    found: dict[str, list[Decimal]] = {}
    for code, qty in rows:
        found.setdefault(code, []).append(Decimal(qty))
    return found


diversion.set_history_provider(order_history)
