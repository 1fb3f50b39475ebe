"""Build real .xlsx files for the Excel import tests (openpyxl)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook, load_workbook

from app.adapters.excel.dealers import DEALER_SHEET
from app.domain.uscc import check_character

HEADERS = [c.header for c in DEALER_SHEET.columns]
KEYS = [c.key for c in DEALER_SHEET.columns]


def uscc(n: int) -> str:
    """A valid USCC, different for each ``n``."""
    first17 = f"91310000MA{n:07d}"
    return first17 + check_character(first17)


def workbook_bytes(rows: list[dict], headers: list[str] | None = None) -> bytes:
    """A dealer sheet with ``rows`` (dicts by column key) under the template's headers."""
    book = Workbook()
    sheet = book.active
    sheet.append(headers or HEADERS)
    for row in rows:
        sheet.append([row.get(k) for k in KEYS])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def read_rows(content: bytes) -> list[list]:
    """All rows of the first sheet (values, padded to the sheet's width)."""
    book = load_workbook(BytesIO(content), data_only=True)
    return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
