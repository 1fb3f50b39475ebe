"""The price-exceptions report: counts and deviation amounts by dealer, region or product over a
period (by the day the exception was raised), within the user's data scope; as rows or xlsx."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.adapters.clock import day_start
from app.adapters.scope_sql import dealer_clause
from app.domain.errors import ValidationFailed
from app.domain.scope import DataScope
from app.models import Dealer, PriceException, PriceExceptionLine, Product, Region

GROUPS = ("dealer", "region", "product")
HEADERS = ("code", "name", "exceptions", "approved", "rejected", "pending", "lines", "deviation_amount")


@dataclass(frozen=True)
class ReportRow:
    code: str
    name: str
    exceptions: int
    approved: int
    rejected: int
    pending: int
    lines: int
    deviation_amount: Decimal

    def as_dict(self) -> dict:
        return {**self.__dict__, "deviation_amount": str(self.deviation_amount)}


def period(date_from: str | None, date_to: str | None) -> tuple[date | None, date | None]:
    """Parse ``from``/``to`` (ISO dates, both optional); 422 naming the bad one."""
    result = []
    for name, value in (("from", date_from), ("to", date_to)):
        try:
            result.append(date.fromisoformat(value) if value else None)
        except ValueError:
            raise ValidationFailed(f"{name}: not a date (YYYY-MM-DD)", {name: "not a date"}) from None
    if result[0] and result[1] and result[1] < result[0]:
        raise ValidationFailed("'to' is before 'from'", {"to": "before from"})
    return result[0], result[1]


def report(
    session: Session,
    scope: DataScope,
    group_by: str,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[ReportRow]:
    """Rows per group, largest deviation amount first."""
    if group_by not in GROUPS:
        raise ValidationFailed(f"group_by must be one of {', '.join(GROUPS)}", {"group_by": "unknown"})
    key = {
        "dealer": (Dealer.code, Dealer.name),
        "region": (Region.code, Region.name),
        "product": (Product.code, Product.name),
    }[group_by]
    exc = PriceException

    def count(status: str):
        return func.count(func.distinct(case((exc.status == status, exc.id))))

    query = (
        select(
            *key,
            func.count(func.distinct(exc.id)),
            count("approved"),
            count("rejected"),
            count("pending"),
            func.count(PriceExceptionLine.id),
            func.coalesce(func.sum(PriceExceptionLine.deviation_amount), 0),
        )
        .select_from(PriceExceptionLine)
        .join(exc, PriceExceptionLine.exception_id == exc.id)
        .join(Dealer, exc.dealer_id == Dealer.id)
        .join(Region, Dealer.region_id == Region.id)
        .join(Product, PriceExceptionLine.product_id == Product.id)
        .where(exc.dealer_id.in_(select(Dealer.id).where(dealer_clause(scope))))
        .group_by(*key)
    )
    if date_from is not None:
        query = query.where(exc.created_at >= day_start(date_from))
    if date_to is not None:
        query = query.where(exc.created_at < day_start(date_to + timedelta(days=1)))
    rows = [
        ReportRow(code, name, n, ok, no, wait, lines, Decimal(str(amount)).quantize(Decimal("0.01")))
        for code, name, n, ok, no, wait, lines, amount in session.execute(query).all()
    ]
    return sorted(rows, key=lambda r: (-r.deviation_amount, r.code))


def xlsx(rows: list[ReportRow], group_by: str, titles: dict[str, str] | None = None) -> bytes:
    """The rows as an xlsx workbook (one sheet; amounts as numbers with two decimals)."""
    book = Workbook()
    sheet = book.active
    sheet.title = f"by {group_by}"
    sheet.append([(titles or {}).get(h, h) for h in HEADERS])
    for row in rows:
        sheet.append(
            [
                row.code,
                row.name,
                row.exceptions,
                row.approved,
                row.rejected,
                row.pending,
                row.lines,
                row.deviation_amount,
            ]
        )
        sheet.cell(sheet.max_row, len(HEADERS)).number_format = "#,##0.00"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
