"""Replenishment: evaluate stock rules set-based, write suggestions, and decide on them.

``evaluate`` is one SELECT over the due rules joined with their balances (position = available +
in transit, below min, no open suggestion for the pair, a source warehouse known), one bulk
INSERT of the suggestions and one UPDATE stamping the rules as reviewed. Only while a seasonal
factor is registered does the "below min" test move from SQL to Python (the factor scales min).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from app.adapters.clock import business_day, business_zone, day_start
from app.adapters.scope_sql import scope_clause
from app.adapters.stock_ledger import apply_movements
from app.domain.errors import Conflict, NotFound, ValidationFailed
from app.domain.replenishment import (
    MAX_RULE_QTY,
    RuleFields,
    check_rule,
    min_from_demand,
    order_qty,
    seasonal_factor,
    seasonal_is_default,
)
from app.domain.scope import DataScope
from app.domain.stock import Movement
from app.models import ReplenishmentSuggestion, StockBalance, StockEntry, StockRule, Warehouse
from app.models.replenishment import OPEN_STATUSES

SUGGESTION = ReplenishmentSuggestion.__table__
OUTBOUND_KINDS = ("ship", "sell_out", "transfer_out")


@dataclass(frozen=True)
class Evaluation:
    reviewed: int
    suggested: int


def due_clause(session: Session, today: date):
    """Rules never reviewed, or whose last review is ``review_cycle_days`` or more business days
    ago (days in ``DMS_TIMEZONE``, like ``today``). SQLite has no time zones: the review time is
    shifted by the zone's offset on ``today`` (an hour off only around a daylight-saving change)."""
    r = StockRule
    zone = business_zone()
    if session.get_bind().dialect.name == "sqlite":
        offset = zone.utcoffset(datetime.combine(today, time(12)))
        shift = f"{int(offset.total_seconds()) if offset else 0:+d} seconds"
        days = literal("+") + cast(r.review_cycle_days, String) + " days"
        next_day = func.date(r.last_reviewed_at, shift, days)
        return or_(r.last_reviewed_at.is_(None), next_day <= today.isoformat())
    reviewed_on = cast(func.timezone(zone.key, r.last_reviewed_at), StockEntry.received_on.type)
    return or_(r.last_reviewed_at.is_(None), reviewed_on + r.review_cycle_days <= today)


def _candidates(session: Session, now: datetime, warehouse_ids=None):
    r, b, w, s = StockRule, StockBalance, Warehouse, ReplenishmentSuggestion
    on_hand, reserved, transit = (func.coalesce(c, 0) for c in (b.on_hand, b.reserved, b.in_transit))
    position = on_hand - reserved + transit
    source = func.coalesce(r.source_warehouse_id, w.parent_id)
    open_exists = exists().where(
        s.warehouse_id == r.warehouse_id, s.product_id == r.product_id, s.status.in_(OPEN_STATUSES)
    )
    query = (
        select(
            r.warehouse_id,
            r.product_id,
            source.label("source"),
            w.kind,
            position.label("position"),
            r.min_qty,
            r.max_qty,
            r.order_multiple,
            r.safety_stock,
            on_hand.label("on_hand"),
            reserved.label("reserved"),
            transit.label("in_transit"),
        )  # fmt: skip
        .select_from(r)
        .join(w, w.id == r.warehouse_id)
        .outerjoin(b, and_(b.warehouse_id == r.warehouse_id, b.product_id == r.product_id))
        .where(due_clause(session, business_day(now)), w.active.is_(True), source.is_not(None), ~open_exists)
    )
    if warehouse_ids is not None:
        query = query.where(r.warehouse_id.in_(warehouse_ids))
    if seasonal_is_default():
        query = query.where(position < r.min_qty, r.max_qty > position)
    return session.execute(query)


def evaluate(session: Session, now: datetime | None = None, warehouse_ids=None) -> Evaluation:
    """Write a suggestion for every due rule below its min (no commit); stamp due rules reviewed."""
    now = now or datetime.now(UTC)
    rows = []
    for c in _candidates(session, now, warehouse_ids):
        factor = seasonal_factor(c.product_id, c.warehouse_id, now.month)
        qty = order_qty(int(c.position), c.min_qty, c.max_qty, c.order_multiple, factor)
        if qty <= 0:
            continue
        figures = {
            "on_hand": int(c.on_hand), "reserved": int(c.reserved), "in_transit": int(c.in_transit),
            "position": int(c.position), "safety_stock": c.safety_stock, "min_qty": c.min_qty,
            "max_qty": c.max_qty, "order_multiple": c.order_multiple, "seasonal_factor": str(factor),
        }  # fmt: skip
        rows.append(
            {
                "kind": "dealer_order" if c.kind == "dealer" else "transfer",
                "warehouse_id": c.warehouse_id,
                "product_id": c.product_id,
                "source_warehouse_id": c.source,
                "qty": qty,
                "suggested_qty": qty,
                "reason": "below_safety" if c.position < c.safety_stock else "below_min",
                "figures": figures,
                "status": "proposed",
                "created_at": now,
            }
        )
    if rows:
        session.execute(insert(SUGGESTION), rows)
    stamp = update(StockRule).where(due_clause(session, business_day(now)))
    if warehouse_ids is not None:
        stamp = stamp.where(StockRule.warehouse_id.in_(warehouse_ids))
    reviewed = session.execute(stamp.values(last_reviewed_at=now)).rowcount
    return Evaluation(reviewed=reviewed, suggested=len(rows))


def scoped_suggestion(session: Session, scope: DataScope, suggestion_id: int) -> ReplenishmentSuggestion:
    """The suggestion if its warehouse is in ``scope`` (NotFound otherwise)."""
    found = session.scalar(
        select(ReplenishmentSuggestion)
        .join(Warehouse, Warehouse.id == ReplenishmentSuggestion.warehouse_id)
        .where(ReplenishmentSuggestion.id == suggestion_id, scope_clause(Warehouse, scope))
    )
    if found is None:
        raise NotFound("no such suggestion in your data scope", {"id": "not found"})
    return found


def decide(
    session: Session, scope: DataScope, suggestion_id: int, action: str, actor: str, qty: Any = None
) -> ReplenishmentSuggestion:
    """Accept (a transfer moves the stock now), edit the quantity, or reject (no commit; audited)."""
    if action not in ("accept", "edit", "reject"):
        raise ValidationFailed("action must be accept, edit or reject", {"action": "accept, edit or reject"})
    suggestion = scoped_suggestion(session, scope, suggestion_id)
    if suggestion.status not in OPEN_STATUSES:
        raise Conflict(f"the suggestion is already {suggestion.status}", {"status": suggestion.status})
    if action == "edit" or (action == "accept" and qty not in (None, "")):
        suggestion.qty = _qty(qty)
        suggestion.status = "edited"
    if action == "accept":
        if suggestion.kind == "transfer":
            reference = f"RS-{suggestion.id}"
            move = Movement(
                kind="transfer_out",
                warehouse=suggestion.source_warehouse.code,
                sku=suggestion.product.code,
                qty=suggestion.qty,
                to_warehouse=suggestion.warehouse.code,
                reference=reference,
                reason="replenishment",
            )
            apply_movements(session, [move], actor)
            suggestion.reference = reference
        suggestion.status = "accepted"
    elif action == "reject":
        suggestion.status = "rejected"
    suggestion.decided_by = actor
    suggestion.decided_at = datetime.now(UTC)
    session.flush()
    return suggestion


def _qty(value: Any) -> int:
    try:
        qty = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed("qty: a whole number above 0", {"qty": "a whole number above 0"}) from None
    if not 0 < qty <= MAX_RULE_QTY:
        raise ValidationFailed("qty: a whole number above 0", {"qty": "a whole number above 0"})
    return qty


def rules_from_demand(session: Session, scope: DataScope, today: date, days: int = 90) -> int:
    """Set min = safety stock + lead-time demand (average daily outbound of the last ``days``)
    and max ≥ min + one review cycle's demand, for the rules in ``scope``; the rules changed."""
    e = StockEntry
    since = day_start(today - timedelta(days=days))
    outbound = dict(
        ((w, p), int(q or 0))
        for w, p, q in session.execute(
            select(e.warehouse_id, e.product_id, func.sum(-e.on_hand))
            .where(e.at >= since, e.kind.in_(OUTBOUND_KINDS), e.on_hand < 0)
            .group_by(e.warehouse_id, e.product_id)
        )
    )
    rules = session.scalars(
        select(StockRule)
        .join(Warehouse, Warehouse.id == StockRule.warehouse_id)
        .where(scope_clause(Warehouse, scope))
    )
    changed = 0
    for rule in rules:
        demand = outbound.get((rule.warehouse_id, rule.product_id), 0)
        low = min_from_demand(rule.safety_stock, demand, days, rule.lead_time_days)
        high = max(rule.max_qty, min_from_demand(low, demand, days, rule.review_cycle_days))
        if (low, high) != (rule.min_qty, rule.max_qty):
            check_rule(RuleFields(rule.safety_stock, low, high, rule.order_multiple, rule.review_cycle_days,
                                  rule.lead_time_days))  # fmt: skip
            rule.min_qty, rule.max_qty = low, high
            changed += 1
    session.flush()
    return changed
