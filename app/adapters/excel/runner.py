"""Run an import: stream rows, validate in batches, then write — the generic part.

Phase 1 reads the sheet in batches of ``batch_size`` rows; per batch the handler looks
up what it needs in the database (one query per reference kind), checks every row and
plans an insert or update for each good one; the plans are spooled to a temporary file,
so memory stays bounded however long the sheet. Duplicate keys within the file are
caught here. Phase 2 writes the spooled plans through the handler in batches (the ORM,
so the audit log records every change) — unless the run is all-or-nothing and a row
failed: then nothing is written at all. The caller commits once (one transaction).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from app.adapters.excel.reader import Row, SheetReader
from app.adapters.excel.report import ImportReport
from app.adapters.excel.safety import ExcelRefused

MODES = ("insert", "update", "upsert")


@dataclass(frozen=True)
class ImportOptions:
    mode: str = "insert"
    all_or_nothing: bool = True
    batch_size: int = 500
    max_rows: int = 100_000

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")


@dataclass
class Plan:
    """What to do with one good row: ``insert`` or ``update`` with JSON-able ``data``."""

    row: int
    action: str
    data: dict[str, Any]


class Handler(Protocol):
    """The entity-specific part: check a batch of rows, write a batch of plans."""

    def check(self, rows: list[Row], mode: str) -> list[Plan]:
        """Add each bad row's problems to ``row.problems``; plans for the rows without any."""
        ...

    def write(self, plans: list[Plan]) -> tuple[int, int]:
        """Apply the plans (flushed, not committed); (inserted, updated)."""
        ...


Progress = Callable[[int, int | None], None]


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    raise TypeError(f"cannot spool {type(value).__name__}")


def _json_hook(obj: dict) -> Any:
    if "$decimal" in obj:
        return Decimal(obj["$decimal"])
    if "$date" in obj:
        return date.fromisoformat(obj["$date"])
    return obj


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_import(
    reader: SheetReader,
    handler: Handler,
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate every row, then write the good ones (or none); the report of the run."""
    report = ImportReport(reader.spec, ignored_columns=list(reader.ignored))
    key = reader.spec.key
    seen: dict[str, int] = {}
    order = {column.key: index for index, column in enumerate(reader.spec.columns)}  # report in column order
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        planned = 0
        for batch in _batches(reader, options.batch_size):
            report.total_rows += len(batch)
            if report.total_rows > options.max_rows:
                raise ExcelRefused(f"more than {options.max_rows} rows: split the file")
            for row in batch:
                code = row.values.get(key)
                if code and code.upper() in seen:
                    row.problems.setdefault(key, f"duplicate in this file (also in row {seen[code.upper()]})")
                elif code:
                    seen[code.upper()] = row.number
            plans = handler.check(batch, options.mode)
            bad = set()
            for row in batch:
                for column in sorted(row.problems, key=lambda key: order.get(key, len(order))):
                    report.add(row.number, column, row.problems[column])
                if row.problems:
                    bad.add(row.number)
            for plan in plans:
                if plan.row in bad:
                    continue
                spool.write(json.dumps([plan.row, plan.action, plan.data], default=_json_default) + "\n")
                planned += 1
            if progress is not None:
                progress(report.total_rows, reader.estimate)
        if not planned or (options.all_or_nothing and report.failed_rows):
            return report
        spool.seek(0)
        spooled = (Plan(*json.loads(line, object_hook=_json_hook)) for line in spool)
        for batch in _batches(spooled, options.batch_size):
            inserted, updated = handler.write(batch)
            report.inserted += inserted
            report.updated += updated
        report.written = True
    return report
