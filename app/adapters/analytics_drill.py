"""Drilling into a cell of the sales figures: the orders behind it and their booked lines, read
from the store (so they add up to the cell) inside the caller's scope; and the xlsx workbooks of
any analytics table (money stays Decimal)."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.analytics_query import SOURCES, resolve_codes, where_clauses
from app.adapters.analytics_terms import CODE, SalesQuery, money
from app.domain.errors import ValidationFailed
from app.domain.scope import DataScope
from app.models import Dealer, Product, SaleLine, SalesOrder

PAGE_SIZE = 100
MAX_LINES = 5000


def _filtered(session: Session, scope: DataScope, q: SalesQuery, query, joined: tuple[str, ...] = ()):
    """``query`` over the booked lines limited to the cell's filters, period and ``scope``
    (joining the dealer or the product when a filter needs it and ``joined`` does not have it)."""
    found = resolve_codes(session, scope, dict(q.filters))
    if set(found) & {"tier", "region"} and "dealer" not in joined:
        query = query.join(Dealer, Dealer.id == SaleLine.dealer_id)
    if set(found) & {"product_line", "category"} and "product" not in joined:
        query = query.join(Product, Product.id == SaleLine.product_id)
    return query.where(*where_clauses(SOURCES["sale_line"], q, scope, found))


def orders(session: Session, scope: DataScope, q: SalesQuery, page: int = 0) -> dict[str, Any]:
    """The orders behind a cell (the filters and period of ``q``), largest first, a page at a time:
    number, day, dealer, status, lines, quantity and amount booked for the cell."""
    s = SaleLine
    base = select(
        s.order_id,
        func.min(s.day).label("day"),
        func.min(s.dealer_id).label("dealer_id"),
        func.count().label("lines"),
        func.sum(s.qty).label("qty"),
        func.sum(s.cents).label("cents"),
    )
    grouped = _filtered(session, scope, q, base).group_by(s.order_id).subquery()
    count = session.scalar(select(func.count()).select_from(grouped)) or 0
    rows = session.execute(
        select(grouped, SalesOrder.number, SalesOrder.status, Dealer.code, Dealer.name)
        .join(SalesOrder, SalesOrder.id == grouped.c.order_id)
        .join(Dealer, Dealer.id == grouped.c.dealer_id)
        .order_by(grouped.c.cents.desc(), grouped.c.order_id)
        .offset(page * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return {
        "count": count,
        "page": page,
        "page_size": PAGE_SIZE,
        "filters": dict(q.filters),
        "from": q.start.isoformat(),
        "to": q.end.isoformat(),
        "rows": [
            {
                "order_id": r.order_id,
                "number": r.number,
                "day": r.day.isoformat(),
                "dealer": r.code,
                "dealer_name": r.name,
                "status": r.status,
                "lines": r.lines,
                "quantity": int(r.qty),
                "amount": money(int(r.cents)),
            }
            for r in rows
        ],
    }


def lines(
    session: Session, scope: DataScope, q: SalesQuery, order_number: str | None = None
) -> dict[str, Any]:
    """The booked lines behind a cell (or of one order in it): order, day, dealer, SKU, quantity,
    unit price and amount; at most MAX_LINES (``truncated``)."""
    s = SaleLine
    query = select(
        SalesOrder.number, s.day, Dealer.code.label("dealer"), Product.code.label("sku"),
        Product.name.label("product_name"), s.qty, s.cents,
    )  # fmt: skip
    query = (
        query.select_from(s)
        .join(SalesOrder, SalesOrder.id == s.order_id)
        .join(Dealer, Dealer.id == s.dealer_id)
        .join(Product, Product.id == s.product_id)
    )
    query = _filtered(session, scope, q, query, joined=("dealer", "product"))
    if order_number:
        number = order_number.strip().upper()
        if not CODE.fullmatch(number):
            raise ValidationFailed("order: an order number", {"order": "an order number"})
        query = query.where(SalesOrder.number == number)
    rows = session.execute(query.order_by(s.day, SalesOrder.number, Product.code).limit(MAX_LINES + 1)).all()
    return {
        "filters": dict(q.filters),
        "order": order_number,
        "from": q.start.isoformat(),
        "to": q.end.isoformat(),
        "truncated": len(rows) > MAX_LINES,
        "rows": [
            {
                "number": r.number,
                "day": r.day.isoformat(),
                "dealer": r.dealer,
                "sku": r.sku,
                "product_name": r.product_name,
                "quantity": int(r.qty),
                "unit_price": (money(int(r.cents)) / int(r.qty)).quantize(money(1)) if r.qty else None,
                "amount": money(int(r.cents)),
            }
            for r in rows[:MAX_LINES]
        ],
    }


def xlsx(sheet_name: str, headers: list[str], keys: list[str], rows: list[dict[str, Any]]) -> bytes:
    """A one-sheet workbook: ``headers`` over the ``keys`` of each row; Decimal stays Decimal."""
    from openpyxl import Workbook

    from app.adapters.excel.template import cell_value

    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name[:31])
    sheet.append(headers)
    for row in rows:
        sheet.append([cell_value(row.get(k)) for k in keys])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
