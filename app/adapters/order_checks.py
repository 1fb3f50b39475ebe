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

``run_checks`` returns the flow's ``checks`` (the inputs of the decision table ``order_approval``)
and the price check (to start a price-exception review when it says ``review``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters import diversion, receivables
from app.adapters.price_check import PriceCheck, check_lines
from app.domain import orders as od
from app.domain import receivables as rd
from app.domain.regions import is_within
from app.engine import decisions
from app.models import (
    Dealer,
    DealerAuthorization,
    OrderCheck,
    OrderLine,
    Product,
    Region,
    SalesOrder,
    StockBalance,
    Warehouse,
)

PROCESS_KEY = "order_approval"
SHORTAGE_FILE, SHORTAGE_DECISION = "stock_shortage.dmn", "stock_shortage"
EXPOSED = ("confirmed", "partially_shipped", "shipped", "received")


def serving_warehouse(session: Session, dealer: Dealer) -> Warehouse | None:
    """The warehouse that serves ``dealer``: the parent of its own warehouse, else the regional
    warehouse of its region or the nearest region above, else the headquarters warehouse."""
    own = session.scalar(
        select(Warehouse)
        .where(Warehouse.dealer_id == dealer.id, Warehouse.active.is_(True), Warehouse.parent_id.is_not(None))
        .order_by(Warehouse.id)
        .limit(1)
    )
    if own is not None and own.parent is not None and own.parent.kind != "dealer" and own.parent.active:
        return own.parent
    path = dealer.region.path
    regional = session.execute(  # ids and region paths at once (no region loaded per warehouse)
        select(Warehouse.id, Region.path)
        .join(Region, Warehouse.region_id == Region.id)
        .where(Warehouse.kind == "regional", Warehouse.active.is_(True))
    ).all()
    covering = [(len(region), -wid, wid) for wid, region in regional if is_within(path, {region})]
    if covering:
        return session.get(Warehouse, max(covering)[2])
    return session.scalar(
        select(Warehouse)
        .where(Warehouse.kind == "hq", Warehouse.active.is_(True))
        .order_by(Warehouse.id)
        .limit(1)
    )


def available_at(session: Session, warehouse: Warehouse | None, product_ids: list[int]) -> dict[int, int]:
    """Available (on hand − reserved) per product at ``warehouse`` (0 where nothing is stocked)."""
    if warehouse is None or not product_ids:
        return {}
    rows = session.execute(
        select(StockBalance.product_id, StockBalance.on_hand - StockBalance.reserved).where(
            StockBalance.warehouse_id == warehouse.id, StockBalance.product_id.in_(product_ids)
        )
    ).all()
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


def stock_check(session: Session, order: SalesOrder, tier: str | None) -> tuple[str, dict[str, Any]]:
    """Outcome (ok / backorder / partial / refuse) and figures; marks each short line's action."""
    available = available_at(session, order.warehouse, [line.product_id for line in order.lines])
    xml = decisions.table_xml(session, PROCESS_KEY, SHORTAGE_FILE)
    checked, figures = [], []
    for line in order.lines:
        has = max(available.get(line.product_id, 0), 0)
        action = "ok"
        if has < line.qty:
            pct = (Decimal(has) * 100 / Decimal(line.qty)).quantize(Decimal("0.01"))
            product_line = line.product.product_line.code if line.product.product_line is not None else None
            action = _shortage_action(xml, tier, product_line, pct)
        shortage = None if action in ("ok", "refuse") else action
        if line.shortage != shortage:  # an unchanged line stays clean (no update, no audit row)
            line.shortage = shortage
        item = od.StockLine(line.product.code, int(line.qty), has, action)
        checked.append(item)
        figures.append(
            {"sku": item.sku, "qty": item.qty, "available": has, "short": item.short, "action": action}
        )
    outcome = od.stock_outcome(checked)
    warehouse = order.warehouse.code if order.warehouse is not None else None
    return outcome, {"warehouse": warehouse, "lines": figures}


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
    on = on or date.today()
    unpaid, oldest_due = receivables.unpaid_invoices(session, dealer.id)
    open_orders = receivables.uninvoiced_orders(session, dealer.id, EXPOSED, exclude_id)
    increase = receivables.increases_in_force(session, dealer.id, on)
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


def _region_restricted(session: Session, dealer: Dealer) -> bool:
    """Dealers with authorisations on file may sell only where those allow; without any, the
    region signal does not apply (authorisations are not managed for them)."""
    return (
        session.scalar(
            select(DealerAuthorization.id).where(DealerAuthorization.dealer_id == dealer.id).limit(1)
        )
        is not None
    )


def diversion_check(session: Session, order: SalesOrder, on: date) -> tuple[str, dict[str, Any]]:
    lines = [{"sku": line.product.code, "qty": line.qty, "promotion": line.promotion} for line in order.lines]
    flags = diversion.diversion_flags(session, order.dealer, order.ship_to_region.code, lines, on)
    if not _region_restricted(session, order.dealer):
        flags = [flag for flag in flags if flag.kind != "region"]
    found = [{"kind": f.kind, "sku": f.sku, "message": f.message} for f in flags]
    return ("flag" if found else "ok"), {"ship_to_region": order.ship_to_region.code, "flags": found}


@dataclass(frozen=True)
class Checks:
    """The flow's ``checks`` and the price check behind ``checks["price"]``."""

    flow: dict[str, Any]
    price: PriceCheck


def run_checks(session: Session, order: SalesOrder, on: date | None = None) -> Checks:
    """Run every check on ``order`` (its lines and warehouse set), store them under the order's
    current ``review_round`` and set the outcomes on the order. No commit."""
    on = on or date.today()
    with session.no_autoflush:  # the checks read; what they write is flushed once, at the end
        return _run_checks(session, order, on)


def _run_checks(session: Session, order: SalesOrder, on: date) -> Checks:
    tier = order.dealer.tier.code if order.dealer.tier is not None else None
    stock, stock_figures = stock_check(session, order, tier)
    policy = {line.product_id: line.policy_price for line in order.lines}  # the quote of this order
    price = check_lines(
        session,
        order.dealer,
        [{"sku": line.product.code, "qty": line.qty, "unit_price": line.unit_price} for line in order.lines],
        on,
        policy_price=lambda _s, _d, product, _q, _on: policy.get(product.id),
    )
    credit = exposure(session, order.dealer, Decimal(order.amount), exclude_id=order.id)
    flagged, diversion_figures = diversion_check(session, order, on)
    results = {
        "stock": (stock, stock_figures),
        "price": (price.outcome, price.as_dict()),
        "credit": (credit.outcome, credit_figures(credit)),
        "diversion": (flagged, diversion_figures),
    }
    for kind, (outcome, figures) in results.items():
        session.add(
            OrderCheck(order=order, run=order.review_round, kind=kind, outcome=outcome, figures=figures)
        )
    order.stock_outcome, order.price_outcome, order.credit_outcome = stock, price.outcome, credit.outcome
    flow = {
        "amount": str(order.amount),
        "tier": tier,
        "stock": stock,
        "price": price.outcome,
        "credit": credit.outcome,
        "diversion": flagged,
    }
    return Checks(flow, price)


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


def order_history(session: Session, dealer: Dealer, skus: list[str], on: date) -> dict[str, list[Decimal]]:
    """Per SKU the quantities of the dealer's confirmed order lines in the last 180 days (the
    diversion signal's usual quantity), in one query."""
    since = datetime.combine(on - timedelta(days=diversion.HISTORY_DAYS), time.min, tzinfo=UTC)
    rows = session.execute(
        select(Product.code, OrderLine.qty)
        .join(SalesOrder, OrderLine.order_id == SalesOrder.id)
        .join(Product, OrderLine.product_id == Product.id)
        .where(
            SalesOrder.dealer_id == dealer.id,
            SalesOrder.status.in_(EXPOSED),
            SalesOrder.confirmed_at >= since,
            Product.code.in_(skus),
        )
    ).all()
    found: dict[str, list[Decimal]] = {}
    for code, qty in rows:
        found.setdefault(code, []).append(Decimal(qty))
    return found


diversion.set_history_provider(order_history)
