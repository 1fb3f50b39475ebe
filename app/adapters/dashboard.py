"""The home page's dashboard: what each role looks at first, inside the caller's data scope.

Everyone who may read sales sees the same figures computed for their own scope (an executive the
whole channel, a regional manager their region, a sales rep their dealers, a dealer itself):
sales this month against the same days of last month, the year so far, the last twelve months,
and the top regions and dealers. Reviewers see their open tasks; a dealer sees its latest
orders, its credit position and its stock. Sales figures come from the analytics store
(``analytics_query.sales``), so they equal the sales analytics pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters import order_checks
from app.adapters.analytics_query import sales
from app.adapters.analytics_terms import SalesQuery, add_months, first_of_month
from app.adapters.scope_sql import dealer_clause
from app.domain.scope import DataScope
from app.engine.inbox import inbox_query
from app.models import Dealer, SalesOrder, StockBalance, Warehouse

TOP = 5


@dataclass(frozen=True)
class Viewer:
    """Who looks: user id, role names, data scope, and the dealer of a dealer's own user."""

    user_id: int | None
    roles: frozenset[str]
    scope: DataScope
    dealer_id: int | None = None


def _amount(result: dict[str, Any]) -> Decimal:
    return Decimal(str(result["totals"].get("amount") or 0))


def _change_pct(now: Decimal, before: Decimal) -> Decimal | None:
    return None if not before else ((now - before) * 100 / before).quantize(Decimal("0.1"))


def _named(row: dict[str, Any], dimension: str) -> dict[str, Any]:
    name = row.get(f"{dimension}_name") or row[dimension]
    return {"code": row[dimension], "name": name, "name_en": row.get(f"{dimension}_name_en") or name,
            "amount": row["amount"]}  # fmt: skip


def _every_month(rows: list[dict[str, Any]], first: date, count: int) -> list[dict[str, Any]]:
    """One point per month from ``first`` (0 where nothing was sold), so the line is continuous."""
    sold = {r["month"]: r["amount"] for r in rows}
    months = [f"{add_months(first, i):%Y-%m}" for i in range(count)]
    return [{"month": m, "amount": sold.get(m, Decimal("0.00"))} for m in months]


def sales_overview(session: Session, scope: DataScope, today: date) -> dict[str, Any]:
    """Sales of this month so far (and the same days last month), the year so far, the last 12
    months by month, and the top regions and dealers of the last three months."""
    month = first_of_month(today)
    previous = add_months(month, -1)
    same_day = min(add_months(today, -1), month - timedelta(days=1))
    both = ("amount", "order_count")
    this = sales(session, scope, SalesQuery((), both, month, today), today)
    last = sales(session, scope, SalesQuery((), both, previous, same_day), today)
    year = sales(session, scope, SalesQuery((), ("amount",), date(today.year, 1, 1), today), today)
    trend = sales(session, scope, SalesQuery(("month",), ("amount",), add_months(month, -11), today), today)
    recent = add_months(month, -2)
    regions = sales(session, scope, SalesQuery(("region",), ("amount",), recent, today, limit=TOP), today)
    dealers = sales(session, scope, SalesQuery(("dealer",), ("amount",), recent, today, limit=TOP), today)
    now, before = _amount(this), _amount(last)
    return {
        "month_amount": now,
        "month_orders": this["totals"].get("order_count") or 0,
        "month_change_pct": _change_pct(now, before),
        "year_amount": _amount(year),
        "trend": _every_month(trend["rows"], add_months(month, -11), 12),
        "top_regions": [
            {"name": r.get("region_name") or r["region"], "amount": r["amount"]} for r in regions["rows"]
        ],
        "top_dealers": [
            {"name": r.get("dealer_name") or r["dealer"], "amount": r["amount"]} for r in dealers["rows"]
        ],
        "since": recent,
    }


def open_tasks(session: Session, viewer: Viewer) -> int:
    """How many tasks wait in the viewer's inbox."""
    query = inbox_query(viewer.user_id, viewer.roles, viewer.scope).order_by(None).subquery()
    return session.scalar(select(func.count()).select_from(query)) or 0


def dealer_corner(session: Session, dealer_id: int, today: date) -> dict[str, Any] | None:
    """A dealer's own: latest orders, credit position, stock in its own warehouses."""
    dealer = session.get(Dealer, dealer_id)
    if dealer is None:
        return None
    latest = session.execute(
        select(SalesOrder.id, SalesOrder.number, SalesOrder.status, SalesOrder.amount, SalesOrder.created_at)
        .where(SalesOrder.dealer_id == dealer_id)
        .order_by(SalesOrder.id.desc())
        .limit(TOP)
    ).all()
    credit = order_checks.exposure(session, dealer, Decimal(0), on=today)
    units, skus = session.execute(
        select(func.coalesce(func.sum(StockBalance.on_hand), 0), func.count(StockBalance.product_id))
        .join(Warehouse, StockBalance.warehouse_id == Warehouse.id)
        .where(Warehouse.dealer_id == dealer_id, StockBalance.on_hand > 0)
    ).one()
    return {
        "dealer": dealer,
        "orders": [dict(row._mapping) for row in latest],
        "credit": {
            "limit": credit.limit,
            "exposure": credit.exposure,
            "available": credit.available,
            "overdue_days": credit.overdue_days,
        },  # fmt: skip
        "stock_units": int(units or 0),
        "stock_skus": int(skus or 0),
    }


def in_scope_dealer(session: Session, scope: DataScope, dealer_id: int | None) -> int | None:
    """``dealer_id`` if the scope covers it (a dealer user's own company), else None."""
    if dealer_id is None:
        return None
    found = session.scalar(select(Dealer.id).where(Dealer.id == dealer_id, dealer_clause(scope)))
    return found
