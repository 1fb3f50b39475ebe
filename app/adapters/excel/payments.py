"""Payments in Excel (e.g. a bank statement finance exports): one payment per row, insert only,
identified by its external id (the bank or ERP transaction number). Each row goes through the same
checks as ``POST /api/v1/payment/`` (``app.domain.receivables.parse_payment``, the dealer in the
importer's scope, a referenced order of that dealer); an external id already recorded is a row
problem (import "valid rows only" to skip such rows). Written rows are allocated to invoices like
any payment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters import payments
from app.adapters.clock import business_today
from app.adapters.excel.reader import Row
from app.adapters.excel.runner import Plan
from app.adapters.excel.spec import Column, SheetSpec
from app.adapters.scope_sql import dealer_clause
from app.domain import receivables as rd
from app.domain.errors import ValidationFailed
from app.domain.scope import DataScope
from app.models import Dealer, Payment, SalesOrder
from app.services.actor import current_actor

FIELDS = ("external_id", "dealer", "amount", "received_on", "method", "reference")

PAYMENT_SHEET = SheetSpec(
    kind="payment",
    title_zh="回款",
    title_en="Payments",
    key="external_id",
    columns=(
        Column(
            "external_id",
            "回款流水号",
            "External id",
            "text",
            required=True,
            max_length=100,
            width=22,
            note_zh="银行或 ERP 流水号，不可重复",
            note_en="the bank or ERP transaction id, unique",
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
        Column(
            "amount",
            "金额",
            "Amount",
            "decimal",
            required=True,
            width=14,
            note_zh="大于 0，最多 2 位小数",
            note_en="above 0, at most 2 decimals",
        ),
        Column("received_on", "到账日期", "Received on", "date", required=True, width=12),
        Column(
            "method",
            "付款方式",
            "Method",
            "text",
            max_length=30,
            width=14,
            note_zh="如 银行转账、承兑汇票",
            note_en="e.g. bank transfer, bank acceptance",
        ),
        Column(
            "reference",
            "订单号/备注",
            "Reference",
            "text",
            max_length=100,
            width=22,
            note_zh="填订单号则先冲该订单的发票（定金）",
            note_en="an order number: its invoices first (deposit)",
        ),
    ),  # fmt: skip
    notes_zh=(
        "每行一笔回款（仅新增）；回款流水号已存在的行报错（选“仅有效行”可跳过这些行）。",
        "回款先冲所填订单的发票，再按到期日从早到晚冲其他发票；余额留待以后的发票。",
    ),
    notes_en=(
        "One payment per row (insert only); a row whose external id is already recorded is an error "
        "(choose 'valid rows only' to skip such rows).",
        "A payment pays the invoices of the referenced order first, then the oldest due; the rest waits "
        "for later invoices.",
    ),
)


class PaymentImport:
    """The payment handler of the import runner, for one importer's data scope."""

    def __init__(self, session: Session, scope: DataScope) -> None:
        self.session = session
        self.today = business_today()
        self.dealers = dict(session.execute(select(Dealer.code, Dealer.id).where(dealer_clause(scope))).all())

    def _orders(self, rows: list[Row]) -> dict[str, tuple[int, int]]:
        """Order number → (id, dealer id) of the orders the batch's references name."""
        refs = {str(r.values["reference"]) for r in rows if r.values.get("reference")}
        numbers = refs | {ref.upper() for ref in refs}
        found = self.session.execute(
            select(SalesOrder.number, SalesOrder.id, SalesOrder.dealer_id).where(
                SalesOrder.number.in_(numbers)
            )
        )
        return {number: (order_id, dealer_id) for number, order_id, dealer_id in found}

    def _target(self, request: rd.PaymentRequest, orders: dict[str, tuple[int, int]]) -> payments.Target:
        """The same checks as ``payments.check_target``, against what the batch looked up."""
        dealer_id = self.dealers.get(request.dealer)
        if dealer_id is None:
            raise ValidationFailed("unknown dealer", {"dealer": f"unknown dealer {request.dealer}"})
        ref = request.reference or ""
        order = orders.get(ref) or orders.get(ref.upper())
        if order is not None and order[1] != dealer_id:
            raise ValidationFailed("another dealer's order", {"reference": "an order of another dealer"})
        return payments.Target(dealer_id, request.dealer, order[0] if order is not None else None)

    def check(self, rows: list[Row], mode: str) -> list[Plan]:
        ids = [str(r.values["external_id"]) for r in rows if r.values.get("external_id")]
        taken = set(self.session.scalars(select(Payment.external_id).where(Payment.external_id.in_(ids))))
        orders = self._orders(rows)
        plans = []
        for row in rows:
            problems = row.problems
            if mode != "insert":
                problems.setdefault("external_id", "payments can only be inserted")
            if problems:
                continue
            raw = {k: row.values.get(k) for k in FIELDS if row.values.get(k) is not None}
            try:
                request = rd.parse_payment(raw, self.today)
                target = self._target(request, orders)
            except ValidationFailed as failed:
                for key, reason in failed.errors.items():
                    problems.setdefault(key, reason)
                continue
            if request.external_id in taken:
                problems.setdefault("external_id", "already recorded")
                continue
            data = {
                **{k: getattr(request, k) for k in FIELDS if k != "dealer"},
                "dealer": target.dealer_code,
                "dealer_id": target.dealer_id,
                "order_id": target.order_id,
            }
            plans.append(Plan(row.number, "insert", data))
        return plans

    def write(self, plans: list[Plan]) -> tuple[int, int]:
        """Record and allocate the planned payments through the ORM (audited); flushed."""
        actor = current_actor()
        name = actor.name if actor is not None else "excel"
        for plan in plans:
            data = plan.data
            request = rd.PaymentRequest(*(data[k] for k in FIELDS))
            target = payments.Target(data["dealer_id"], data["dealer"], data["order_id"])
            payments.add_payment(self.session, request, target, name, "excel")
        self.session.flush()
        return len(plans), 0


def export_rows(session: Session, scope: DataScope) -> Iterator[list[Any]]:
    """The payments of the dealers ``scope`` may see, in the sheet's column order."""
    query = (
        select(
            Payment.external_id,
            Dealer.code,
            Payment.amount,
            Payment.received_on,
            Payment.method,
            Payment.reference,
        )  # fmt: skip
        .join(Dealer, Payment.dealer_id == Dealer.id)
        .where(dealer_clause(scope))
        .order_by(Payment.received_on, Payment.id)
        .execution_options(yield_per=1000)
    )
    for row in session.execute(query):
        yield list(row)


def template_lists(session: Session, scope: DataScope) -> dict[str, list[tuple[str, str]]]:
    """Drop-down values: the dealers the importer may record payments for."""
    rows = session.execute(select(Dealer.code, Dealer.name).where(dealer_clause(scope)).order_by(Dealer.code))
    return {"dealers": [(c, n) for c, n in rows]}
