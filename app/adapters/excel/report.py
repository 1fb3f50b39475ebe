"""The result of an import: counts and, per refused row, the column and the reason.

``to_json`` is the summary stored on the job (the first ``MAX_LISTED`` problems listed);
``write_error_workbook`` copies the uploaded rows and adds an error column, so a person
can fix the file and upload it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from app.adapters.excel.reader import raw_rows
from app.adapters.excel.spec import SheetSpec
from app.adapters.excel.template import cell_value

MAX_LISTED = 500
ERROR_HEADER = "错误 / Errors"
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")


@dataclass(frozen=True)
class RowError:
    """One problem: sheet row number, column key (``""`` for the whole row) and reason."""

    row: int
    column: str
    reason: str


@dataclass
class ImportReport:
    """Counts and problems of one import run."""

    spec: SheetSpec
    total_rows: int = 0
    inserted: int = 0
    updated: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    written: bool = False
    _errors: dict[int, list[RowError]] = field(default_factory=dict)
    error_count: int = 0

    def add(self, row: int, column: str, reason: str) -> None:
        self._errors.setdefault(row, []).append(RowError(row, column, reason))
        self.error_count += 1

    @property
    def failed_rows(self) -> int:
        return len(self._errors)

    def errors(self) -> Iterator[RowError]:
        for row in sorted(self._errors):
            yield from self._errors[row]

    def header_of(self, key: str) -> str:
        if not key:
            return ""
        return next((c.header for c in self.spec.columns if c.key == key), key)

    def row_text(self, row: int) -> str:
        """The error cell of a row: ``header: reason; …``."""
        return "; ".join(
            f"{self.header_of(e.column)}: {e.reason}" if e.column else e.reason
            for e in self._errors.get(row, ())
        )

    def to_json(self) -> dict[str, Any]:
        listed = []
        for error in self.errors():
            if len(listed) >= MAX_LISTED:
                break
            listed.append(
                {
                    "row": error.row,
                    "column": error.column,
                    "header": self.header_of(error.column),
                    "reason": error.reason,
                }
            )
        return {
            "total_rows": self.total_rows,
            "inserted": self.inserted,
            "updated": self.updated,
            "failed_rows": self.failed_rows,
            "error_count": self.error_count,
            "written": self.written,
            "ignored_columns": self.ignored_columns,
            "errors": listed,
            "errors_truncated": self.error_count > len(listed),
        }

    def write_error_workbook(self, source: Path, target: IO[bytes] | str) -> None:
        """The uploaded sheet's rows with an error column at the end (row numbers kept)."""
        book = Workbook(write_only=True)
        sheet = book.create_sheet("errors")
        width = 0
        for number, cells in enumerate(raw_rows(source), start=1):
            if number == 1:
                width = len(cells)
                header = [*cells, ERROR_HEADER]
                sheet.append(header)
                continue
            values = list(cells) + [None] * (width - len(cells))
            sheet.append([cell_value(v) for v in [*values[:width], self.row_text(number) or None]])
        sheet.freeze_panes = "A2"
        book.save(target)


def bold_header(sheet) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
