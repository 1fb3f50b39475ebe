"""Stream the rows of an uploaded workbook as typed values, one row at a time.

The workbook is opened with ``read_only=True, data_only=True``: rows are parsed lazily
from the sheet XML (memory stays flat for 100,000 rows), and a formula cell gives the value
Excel cached when it last saved the file — formulas are never evaluated (a formula never
calculated gives an empty cell). Call :func:`safety.check_workbook` first.
Headers (row 1) are matched in Chinese or English; columns not in the spec are ignored.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from app.adapters.excel.safety import ExcelRefused
from app.adapters.excel.spec import CellProblem, Column, SheetSpec, header_key, parse_cell


@dataclass
class Row:
    """One data row: its number in the sheet, typed values by key, and problems by key."""

    number: int
    values: dict[str, Any]
    problems: dict[str, str] = field(default_factory=dict)
    given: frozenset[str] = frozenset()  # keys of the cells that were not empty


class SheetReader:
    """The data sheet of a workbook (the first sheet), read against ``spec``."""

    def __init__(self, path: Path, spec: SheetSpec) -> None:
        self.spec = spec
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # openpyxl warns about styles/extensions it skips
                self._book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
        except Exception:  # openpyxl raises many types for damaged parts
            raise ExcelRefused("the file is damaged or not an Excel .xlsx file") from None
        self._sheet = self._book.worksheets[0]
        self._rows = self._sheet.iter_rows(values_only=True)
        self.columns, self.ignored = self._match_header(next(self._rows, None) or ())
        self.estimate = max(0, (self._sheet.max_row or 1) - 1) if self._sheet.max_row else None

    def _match_header(self, cells: tuple) -> tuple[dict[int, Column], list[str]]:
        by_name = {name: column for column in self.spec.columns for name in column.names}
        columns: dict[int, Column] = {}
        ignored = []
        for index, cell in enumerate(cells):
            if cell is None or not str(cell).strip():
                continue
            column = by_name.get(header_key(cell))
            if column is None:
                ignored.append(str(cell))
            elif column in columns.values():
                raise ExcelRefused(f"the column {column.header} appears twice")
            else:
                columns[index] = column
        missing = [c.header for c in self.spec.columns if c.required and c not in columns.values()]
        if missing:
            raise ExcelRefused("missing columns in row 1: " + ", ".join(missing))
        return columns, ignored

    def __iter__(self) -> Iterator[Row]:
        """Typed data rows; fully empty rows are skipped (their numbers too)."""
        for number, cells in enumerate(self._rows, start=2):
            if not any(c is not None and str(c).strip() for c in cells):
                continue
            values: dict[str, Any] = {}
            problems: dict[str, str] = {}
            given = set()
            for index, column in self.columns.items():
                raw = cells[index] if index < len(cells) else None
                if raw is not None and str(raw).strip():
                    given.add(column.key)
                try:
                    values[column.key] = parse_cell(column, raw)
                except CellProblem as problem:
                    problems[column.key] = str(problem)
                    values[column.key] = None
            yield Row(number, values, problems, frozenset(given))

    def close(self) -> None:
        self._book.close()

    def __enter__(self) -> SheetReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def raw_rows(path: Path) -> Iterator[tuple]:
    """Every row of the first sheet as raw cell values (for the error report)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        yield from book.worksheets[0].iter_rows(values_only=True)
    finally:
        book.close()
