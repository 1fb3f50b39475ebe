"""An order's lines: priced by the policy (or at a price asked for) and written.

``priced`` reads and prices requested lines into row values (refusals name the line) and writes
nothing, so a new order is priced and checked before its transaction writes; ``store`` inserts
the rows of a stored order in one statement with their audit rows; ``price_lines`` replaces the
lines of a stored order (a draft being edited, an Excel draft growing).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from app.adapters import audit
from app.adapters.pricing import quote
from app.domain import orders as od
from app.domain.errors import ValidationFailed
from app.domain.pricing_model import PROMO
from app.models import Dealer, OrderLine, Product, ProductLine, SalesOrder


class LineRef(NamedTuple):
    code: str


class ProductRef(NamedTuple):
    """What an order reads of a product (the checks read these attributes of a ``Product`` too)."""

    id: int
    code: str
    status: str
    product_line: LineRef | None


Row = tuple[dict[str, Any], ProductRef]  # a line's column values, and its product


PRODUCT_REFS = (
    select(Product.id, Product.code, Product.status, ProductLine.code)
    .outerjoin(ProductLine, Product.product_line_id == ProductLine.id)
    .where(Product.code.in_(bindparam("skus", expanding=True)))
)  # built once: building a statement costs more than running it


def product_refs(session: Session, skus: list[str]) -> dict[str, ProductRef]:
    """The products of ``skus`` by code, with their product line, in one plain query."""
    rows = session.execute(PRODUCT_REFS, {"skus": list(skus)})
    return {
        code: ProductRef(pid, code, status, LineRef(line) if line is not None else None)
        for pid, code, status, line in rows
    }


def priced(
    session: Session, dealer: Dealer, lines: tuple[od.RequestedLine, ...], on: date | None
) -> tuple[list[Row], Decimal]:
    """Each line priced by the policy (the quote's steps kept), or at the price asked for, as the
    values of its row with its product; and their sum. Refusals name the line."""
    skus = [line.sku for line in lines]
    products = product_refs(session, skus)
    errors = {}
    for index, line in enumerate(lines):
        product = products.get(line.sku)
        if product is None:
            errors[f"lines/{index}/sku"] = "unknown SKU"
        elif product.status != "active":
            errors[f"lines/{index}/sku"] = "no longer sold"
    if errors:
        first = next(iter(errors))
        raise ValidationFailed(f"{first}: {errors[first]}", errors)
    quoted_lines = quote(session, dealer, [(line.sku, line.qty) for line in lines], on).lines
    rows, total = [], Decimal(0)
    for number, (line, quoted) in enumerate(zip(lines, quoted_lines, strict=True), start=1):
        unit = line.unit_price if line.unit_price is not None else quoted.unit_price
        amount = od.money(unit * line.qty) if line.unit_price is not None else od.money(quoted.amount)
        product = products[line.sku]
        values = {
            "line_no": number,
            "product_id": product.id,
            "qty": line.qty,
            "unit_price": unit,
            "policy_price": quoted.unit_price,
            "requested_price": line.unit_price,
            "amount": amount,
            "promotion": any(step.get("type") == PROMO for step in quoted.steps),
            "shortage": None,
            "steps": list(quoted.steps),
            "reserved_qty": 0,
            "shipped_qty": 0,
            "received_qty": 0,
        }
        rows.append((values, product))
        total += amount
    return rows, od.money(total)


LINE = OrderLine.__table__
INSERT_LINES = insert(LINE).returning(LINE.c.id, sort_by_parameter_order=True)


def store(session: Session, order: SalesOrder, rows: list[Row]) -> None:
    """Insert the lines of a stored order in one statement, outside the unit of work (fifty
    objects cost more to flush than to write), with their audit rows; ``order.lines`` loads
    them when next read."""
    values = [{"order_id": order.id, **row} for row, _product in rows]
    ids = session.execute(INSERT_LINES, values).scalars().all() if values else []
    audit.record_inserts(session, OrderLine, [{"id": i, **row} for i, row in zip(ids, values, strict=True)])
    session.expire(order, ["lines"])


def price_lines(
    session: Session, order: SalesOrder, lines: tuple[od.RequestedLine, ...], on: date | None = None
) -> None:
    """Replace the lines of a stored order: each priced by the policy (the quote's steps kept), or
    at the price asked for; the order's amount is their sum."""
    rows, total = priced(session, order.dealer, lines, on)
    if order.lines:  # replacing: the old lines go first (their line numbers are reused)
        order.lines.clear()
        session.flush()
    store(session, order, rows)
    order.amount = total
