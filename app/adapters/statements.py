"""The dealer's statement (对账单) for a period: the opening balance (invoices issued less payments
received before the period), the period's invoices and payments by date with a running balance,
the closing balance; as JSON or an xlsx workbook. The dealer confirms (or disputes) it: a
``StatementConfirmation`` with the closing balance it was shown.

A dealer user sees only its own statement; anyone else the dealers of their data scope; any other
dealer is ``NotFound``.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.clock import business_today
from app.adapters.scope_sql import dealer_clause
from app.domain import receivables as rd
from app.domain.errors import NotFound
from app.engine import runtime
from app.models import Dealer, Invoice, Payment, SalesOrder, StatementConfirmation
from app.models.base import utcnow

HEADERS = ("date", "kind", "number", "reference", "debit", "credit", "balance")


def own_dealer(caller: runtime.Caller) -> int | None:
    """The one dealer a dealer user's scope holds (its company)."""
    scope = caller.scope
    if scope.unrestricted or scope.region_paths or len(scope.dealer_ids) != 1:
        return None
    return next(iter(scope.dealer_ids))


def dealer_of(session: Session, code: str | None, caller: runtime.Caller) -> Dealer:
    """The dealer named by ``code`` (a dealer user may leave it out) within the caller's scope."""
    query = select(Dealer).where(dealer_clause(caller.scope))
    if code:
        clean = rd.clean_code(code)
        dealer = session.scalar(query.where(Dealer.code == clean)) if clean else None
    else:
        own = own_dealer(caller)
        dealer = session.scalar(query.where(Dealer.id == own)) if own is not None else None
    if dealer is None:
        raise NotFound("no such dealer in your data scope", {"dealer": "not found"})
    return dealer


def _sum(session: Session, column, *where) -> Decimal:
    return Decimal(session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where)) or 0)


def statement_for(session: Session, dealer: Dealer, start: date, end: date) -> rd.Statement:
    """The dealer's statement from ``start`` to ``end`` (both included)."""
    live = Invoice.status != "cancelled"
    opening = _sum(session, Invoice.amount, Invoice.dealer_id == dealer.id, live, Invoice.issued_on < start)
    opening -= _sum(session, Payment.amount, Payment.dealer_id == dealer.id, Payment.received_on < start)
    invoices = session.execute(
        select(Invoice.issued_on, Invoice.number, Invoice.amount, SalesOrder.number)
        .join(SalesOrder, Invoice.order_id == SalesOrder.id)
        .where(Invoice.dealer_id == dealer.id, live, Invoice.issued_on.between(start, end))
    ).all()
    payments = session.execute(
        select(Payment.received_on, Payment.external_id, Payment.amount, Payment.reference).where(
            Payment.dealer_id == dealer.id, Payment.received_on.between(start, end)
        )
    ).all()
    entries = [
        rd.Entry(on, "invoice", number, Decimal(amount), order) for on, number, amount, order in invoices
    ]
    entries += [rd.Entry(on, "payment", ext, Decimal(amount), ref) for on, ext, amount, ref in payments]
    return rd.statement(opening, entries)


def confirmations(session: Session, dealer: Dealer, start: date, end: date) -> list[StatementConfirmation]:
    return list(
        session.scalars(
            select(StatementConfirmation)
            .where(
                StatementConfirmation.dealer_id == dealer.id,
                StatementConfirmation.period_from == start,
                StatementConfirmation.period_to == end,
            )
            .order_by(StatementConfirmation.id)
        )
    )


def confirmation_json(found: StatementConfirmation) -> dict[str, Any]:
    return {
        "id": found.id,
        "from": found.period_from.isoformat(),
        "to": found.period_to.isoformat(),
        "balance": str(found.balance),
        "status": found.status,
        "comment": found.comment,
        "confirmed_by": found.confirmed_by,
        "confirmed_at": found.confirmed_at.isoformat(),
    }


def as_json(
    session: Session, dealer: Dealer, start: date, end: date, statement: rd.Statement
) -> dict[str, Any]:
    """The statement as JSON (money as strings), with the confirmations of this period."""
    return {
        "dealer": {"code": dealer.code, "name": dealer.name},
        "from": start.isoformat(),
        "to": end.isoformat(),
        "opening_balance": str(statement.opening),
        "invoiced": str(rd.cents(statement.invoiced)),
        "paid": str(rd.cents(statement.paid)),
        "closing_balance": str(rd.cents(statement.closing)),
        "lines": [
            {
                "date": line.entry.on.isoformat(),
                "kind": line.entry.kind,
                "number": line.entry.number,
                "reference": line.entry.reference,
                "debit": str(rd.cents(line.debit)),
                "credit": str(rd.cents(line.credit)),
                "balance": str(rd.cents(line.balance)),
            }
            for line in statement.lines
        ],
        "confirmations": [confirmation_json(c) for c in confirmations(session, dealer, start, end)],
    }


def xlsx(
    dealer: Dealer, start: date, end: date, statement: rd.Statement, titles: dict[str, str] | None = None
) -> bytes:
    """The statement as a workbook: a title row, the opening balance, the lines, the closing balance."""
    titles = titles or {}
    book = Workbook()
    sheet = book.active
    sheet.title = "statement"
    sheet.append([f"{dealer.name} ({dealer.code})", f"{start.isoformat()} – {end.isoformat()}"])
    sheet.append([titles.get(h, h) for h in HEADERS])
    sheet.append([start, titles.get("opening", "opening balance"), None, None, None, None, statement.opening])
    for line in statement.lines:
        entry = line.entry
        sheet.append(
            [
                entry.on,
                titles.get(entry.kind, entry.kind),
                entry.number,
                entry.reference,
                line.debit or None,
                line.credit or None,
                line.balance,
            ]  # fmt: skip
        )
    sheet.append([end, titles.get("closing", "closing balance"), None, None,
                  statement.invoiced, statement.paid, statement.closing])  # fmt: skip
    for row in sheet.iter_rows(min_row=3):
        row[0].number_format = "yyyy-mm-dd"
        for cell in row[4:7]:
            cell.number_format = "#,##0.00"
    for letter, width in zip("ABCDEFG", (12, 16, 22, 22, 14, 14, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def confirm(
    session: Session, raw: Any, caller: runtime.Caller, today: date | None = None
) -> StatementConfirmation:
    """Record the dealer's confirmation (or dispute) of its statement for a period with the
    closing balance it shows now (commits)."""
    own = own_dealer(caller)
    default = session.scalar(select(Dealer.code).where(Dealer.id == own)) if own is not None else None
    code, date_from, date_to, status, comment = rd.parse_confirmation(raw, default)
    dealer = dealer_of(session, code, caller)
    start, end = rd.statement_period(date_from, date_to, today or business_today())
    statement = statement_for(session, dealer, start, end)
    found = StatementConfirmation(
        dealer_id=dealer.id,
        period_from=start,
        period_to=end,
        balance=rd.cents(statement.closing),
        status=status,
        comment=comment,
        confirmed_by=caller.name[:100],
        confirmed_at=utcnow(),
    )
    session.add(found)
    session.commit()
    return dealer, found
