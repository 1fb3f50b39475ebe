"""A dealer's dynamic figures (sales, orders, inventory, credit): computed on every read from
the data that holds them, never stored by hand.

Each later module plugs its query in with ``register_figure_source(name, source)``: a source is
a function ``(session, dealer, today) -> {figure: value}``. Orders provide the sales and order
figures and ``credit_used``; the stock ledger provides ``inventory_on_hand`` (the dealer's own
warehouses). Until orders exist their built-in source returns zero. Derived figures (order
frequency, credit available) are computed here from the others.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.models import Dealer, StockBalance, Warehouse

FigureSource = Callable[[Session, Dealer, date], dict[str, Any]]

ZERO = Decimal("0.00")
FIGURES = (
    "sales_30d",
    "sales_90d",
    "sales_365d",
    "order_count_365d",
    "order_frequency_30d",
    "open_orders",
    "inventory_on_hand",
    "credit_limit",
    "credit_used",
    "credit_available",
)
MONEY = {"sales_30d", "sales_90d", "sales_365d", "credit_limit", "credit_used", "credit_available"}

_sources: dict[str, FigureSource] = {}


def register_figure_source(name: str, source: FigureSource) -> None:
    """Install (or replace) the source called ``name``; later sources win on the same figure."""
    _sources[name] = source


def _no_orders(session: Session, dealer: Dealer, today: date) -> dict[str, Any]:
    """Orders do not exist yet: no sales, no orders, no credit used."""
    return {
        "sales_30d": ZERO,
        "sales_90d": ZERO,
        "sales_365d": ZERO,
        "order_count_365d": 0,
        "open_orders": 0,
        "credit_used": ZERO,
    }


def _stock_on_hand(session: Session, dealer: Dealer, today: date) -> dict[str, Any]:
    """Units on hand in the dealer's own warehouses, from the balances the stock ledger keeps."""
    total = session.scalar(
        select(func.coalesce(func.sum(StockBalance.on_hand), 0))
        .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
        .where(Warehouse.dealer_id == dealer.id)
    )
    return {"inventory_on_hand": Decimal(int(total or 0))}


register_figure_source("orders", _no_orders)
register_figure_source("inventory", _stock_on_hand)


def dealer_figures(session: Session, dealer: Dealer, today: date | None = None) -> dict[str, Any]:
    """Every figure of ``dealer`` as of ``today`` (money as Decimal, counts as int)."""
    today = today or business_today()
    figures: dict[str, Any] = {}
    for source in _sources.values():
        figures.update(source(session, dealer, today))
    # a source may give the limit in force (the dealer's plus temporary increases, from orders)
    limit = Decimal(figures.get("credit_limit", dealer.credit_limit) or 0).quantize(ZERO)
    used = Decimal(figures.get("credit_used") or 0).quantize(ZERO)
    count = int(figures.get("order_count_365d") or 0)
    figures.update(
        credit_limit=limit,
        credit_used=used,
        credit_available=limit - used,
        order_frequency_30d=(Decimal(count) * 30 / 365).quantize(ZERO),
    )
    return {name: figures.get(name, 0) for name in FIGURES}


def as_json(figures: dict[str, Any]) -> dict[str, Any]:
    """Figures for JSON: money and other decimals as strings, counts as numbers."""
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in figures.items()}
