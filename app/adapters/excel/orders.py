"""Orders in Excel (订单批量导入): one row per order line; rows with the same order reference make
one order (they need not be adjacent). Insert only. Each row is checked like an API order line
(dealer in the importer's scope and active, SKU sold and priced for that dealer, quantity a whole
number above 0, a price with at most 4 decimals); the rows of one order must name the same dealer
and each SKU once. The import writes the orders as drafts in one transaction; once it has
committed, each is submitted (checks and the approval flow) through the engine outbox, as the
importer — the report counts the lines written, the orders page shows each order's outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters import order_lines, orders
from app.adapters.excel.reader import Row
from app.adapters.excel.runner import Plan
from app.adapters.excel.spec import Column, SheetSpec
from app.adapters.pricing import quote
from app.adapters.scope_sql import dealer_clause
from app.domain import orders as od
from app.domain.errors import ValidationFailed
from app.domain.scope import DataScope
from app.engine import outbox, runtime
from app.models import Dealer, OrderLine, Product, SalesOrder
from app.services.actor import current_actor

SUBMIT_HANDLER = "orders.submit_imported"

ORDER_SHEET = SheetSpec(
    kind="order",
    title_zh="订单",
    title_en="Orders",
    key="line_ref",
    columns=(
        Column(
            "order_ref",
            "订单参考号",
            "Order reference",
            "text",
            required=True,
            max_length=40,
            width=16,
            note_zh="同一参考号的行合成一张订单",
            note_en="rows with the same reference make one order",
        ),
        Column(
            "dealer",
            "经销商编码",
            "Dealer code",
            "code",
            required=True,
            max_length=32,
            width=14,
            lookup="dealers",
        ),
        Column("sku", "SKU", "SKU", "code", required=True, max_length=32, width=16, lookup="products"),
        Column(
            "qty",
            "数量",
            "Quantity",
            "int",
            required=True,
            width=10,
            note_zh="大于 0 的整数",
            note_en="a whole number above 0",
        ),
        Column(
            "unit_price",
            "单价",
            "Unit price",
            "decimal",
            width=12,
            note_zh="留空按价格政策；填写则需价格审核",
            note_en="empty: the policy price; given: price check",
        ),
        Column("ship_to", "收货地址标签", "Ship-to label", "text", max_length=100, width=16),
        Column("note", "备注", "Note", "text", max_length=500, width=24),
        Column(
            "line_ref",
            "行参考号",
            "Line reference",
            "text",
            max_length=60,
            width=14,
            note_zh="可选，填写则不可重复",
            note_en="optional; unique when given",
        ),
    ),  # fmt: skip
    notes_zh=(
        "每行一个订单行（仅新增）；订单参考号相同的行合成一张订单，须为同一经销商、同一 SKU 只出现一次。",
        "导入先保存为草稿（全部成功或全部不写），提交后逐单运行库存、价格、信用检查并进入审批流程。",
    ),
    notes_en=(
        "One order line per row (insert only); rows with the same order reference make one order, for one "
        "dealer, each SKU once.",
        "The import saves drafts (all or nothing); then each order is submitted: stock, price and credit "
        "checks and the approval flow.",
    ),
)


class OrderImport:
    """The order handler of the import runner, for one importer's data scope."""

    def __init__(self, session: Session, scope: DataScope) -> None:
        self.session = session
        self.dealers = {
            code: dealer_id
            for code, dealer_id in session.execute(
                select(Dealer.code, Dealer.id).where(dealer_clause(scope), Dealer.status == "active")
            )
        }
        self.refs: dict[str, tuple[str, set[str], int]] = {}  # order ref -> dealer, SKUs, first row
        self.drafts: dict[str, int] = {}  # order ref -> draft order id (write phase)
        self.lines: dict[str, list[od.RequestedLine]] = {}

    def _consistent(self, row: Row, ref: str, dealer: str, sku: str) -> str | None:
        known = self.refs.get(ref)
        if known is None:
            self.refs[ref] = (dealer, {sku}, row.number)
            return None
        if known[0] != dealer:
            return f"order {ref} is for dealer {known[0]} (row {known[2]})"
        if sku in known[1]:
            return f"{sku} is already a line of order {ref}"
        known[1].add(sku)
        return None

    def _priced(self, rows: list[Row]) -> None:
        """A row whose SKU has no price for its dealer is a problem of that row."""
        by_dealer: dict[str, list[Row]] = {}
        for row in rows:
            by_dealer.setdefault(str(row.values["dealer"]), []).append(row)
        for code, group in by_dealer.items():
            dealer = self.session.scalar(select(Dealer).where(Dealer.code == code))
            try:
                quote(self.session, dealer, [(str(r.values["sku"]), int(r.values["qty"])) for r in group])
            except ValidationFailed:
                for row in group:
                    try:
                        quote(self.session, dealer, [(str(row.values["sku"]), int(row.values["qty"]))])
                    except ValidationFailed:
                        row.problems.setdefault("sku", "no price for this dealer")

    def check(self, rows: list[Row], mode: str) -> list[Plan]:
        skus = {str(r.values["sku"]) for r in rows if r.values.get("sku")}
        sold = set(
            self.session.scalars(
                select(Product.code).where(Product.code.in_(skus), Product.status == "active")
            )
        )
        good = []
        for row in rows:
            problems, values = row.problems, row.values
            if mode != "insert":
                problems.setdefault("order_ref", "orders can only be inserted")
            if problems:
                continue
            dealer, sku = str(values["dealer"]), str(values["sku"])
            if dealer not in self.dealers:
                problems.setdefault("dealer", "unknown, inactive or outside your data scope")
            if sku not in sold:
                problems.setdefault("sku", "unknown or no longer sold")
            if values["qty"] is None or int(values["qty"]) <= 0 or int(values["qty"]) > od.MAX_QTY:
                problems.setdefault("qty", "a whole number above 0")
            price = values.get("unit_price")
            if price is not None and isinstance(od.parse_price(price), str):
                problems.setdefault("unit_price", str(od.parse_price(price)))
            if not problems:
                clash = self._consistent(row, str(values["order_ref"]).strip(), dealer, sku)
                if clash:
                    problems.setdefault("order_ref", clash)
            if not problems:
                good.append(row)
        self._priced(good)
        return [
            Plan(row.number, "insert", {k: row.values.get(k) for k in ("order_ref", "dealer", "sku", "qty",
                                                                       "unit_price", "ship_to", "note")})
            for row in good
            if not row.problems
        ]  # fmt: skip

    def _caller(self) -> runtime.Caller:
        actor = current_actor()
        return runtime.Caller(
            actor.id if actor else None, actor.name if actor else "excel", frozenset(), _ALL
        )

    def write(self, plans: list[Plan]) -> tuple[int, int]:
        """Create or extend the draft of each plan's order (priced again as it grows); flushed."""
        caller = self._caller()
        touched: dict[str, dict[str, Any]] = {}
        for plan in plans:
            data = plan.data
            ref = str(data["order_ref"]).strip()
            price = Decimal(str(data["unit_price"])) if data.get("unit_price") is not None else None
            self.lines.setdefault(ref, []).append(od.RequestedLine(str(data["sku"]), int(data["qty"]), price))
            touched.setdefault(ref, data)
        for ref, first in touched.items():
            order_id = self.drafts.get(ref)
            if order_id is None:
                raw = {
                    "dealer": first["dealer"],
                    "lines": [{"sku": line.sku, "qty": line.qty} for line in self.lines[ref][:1]],
                    **({"ship_to": first["ship_to"]} if first.get("ship_to") else {}),
                    **({"note": f"{first['note']} ({ref})" if first.get("note") else f"Excel {ref}"}),
                }
                order = orders.draft_order(self.session, raw, caller, source="excel")
                self.drafts[ref] = order.id
                outbox.queue(self.session, SUBMIT_HANDLER, {"order_id": order.id, "actor": caller.name,
                                                            "actor_id": caller.id})  # fmt: skip
            order = self.session.get(SalesOrder, self.drafts[ref])
            order_lines.price_lines(self.session, order, tuple(self.lines[ref]))
        self.session.flush()
        return len(plans), 0


_ALL = DataScope(unrestricted=True)


def _submit_imported(session: Session, payload: dict[str, Any]) -> None:
    """Outbox handler: submit an imported draft as the importer (all scope: the import checked it)."""
    order = session.get(SalesOrder, int(payload["order_id"]))
    if order is None or order.status != "draft":
        return
    caller = runtime.Caller(payload.get("actor_id"), str(payload.get("actor") or "excel"), frozenset(), _ALL)
    orders.submit_order(session, order, caller)


outbox.register(SUBMIT_HANDLER, _submit_imported)


def export_rows(session: Session, scope: DataScope) -> Iterator[list[Any]]:
    """The order lines of the orders the importer may see, in the template's columns (the ship-to
    column stays empty: the order keeps the address text, not the label it was chosen by)."""
    query = (
        select(SalesOrder.number, Dealer.code, Product.code, OrderLine.qty, OrderLine.requested_price,
               SalesOrder.note, OrderLine.line_no)
        .join(SalesOrder, OrderLine.order_id == SalesOrder.id)
        .join(Dealer, SalesOrder.dealer_id == Dealer.id)
        .join(Product, OrderLine.product_id == Product.id)
        .where(dealer_clause(scope))
        .order_by(SalesOrder.id, OrderLine.line_no)
        .execution_options(yield_per=1000)
    )  # fmt: skip
    for number, dealer, sku, qty, price, note, line_no in session.execute(query):
        yield [number, dealer, sku, int(qty), price, None, note, f"{number}-{line_no}"]


def template_lists(session: Session, scope: DataScope) -> dict[str, list[tuple[str, str]]]:
    """Drop-down values: the importer's dealers and the products sold."""
    dealers = session.execute(
        select(Dealer.code, Dealer.name)
        .where(dealer_clause(scope), Dealer.status == "active")
        .order_by(Dealer.code)
    )
    products = session.execute(
        select(Product.code, Product.name)
        .where(Product.status == "active")
        .order_by(Product.code)
        .limit(5000)
    )
    return {"dealers": [(c, n) for c, n in dealers], "products": [(c, n) for c, n in products]}
