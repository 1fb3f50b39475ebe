"""Dealer Excel import: 10,000 rows with full validation vs a raw openpyxl read-only pass.

The app is built like ``bench_api_list`` (temporary SQLite file, ``dms init``, the test
world). A 10,000-row dealer workbook (every column filled, valid USCCs, regions and tiers
of the world) is generated once. Ours: the safety check, ``SheetReader`` and
``run_import`` with the dealer handler (all-or-nothing insert: every row typed, cleaned by
``clean_dealer``, codes/USCCs checked against the file and the database in batches, then
10,000 ORM inserts with their audit rows, flushed), rolled back after each run so every
run inserts the same rows. Baseline: ``load_workbook(read_only=True, data_only=True)`` and
one pass over every cell value of the same file.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook, load_workbook

from bench.bench_api_list import build_app, temporary_instance
from bench.common import MIB, Report, Row, compare

ROWS = 10_000
TARGET_SECONDS, TARGET_MIB = 10.0, 300
REGIONS = ("SH", "JS", "GD")


def make_file(path: Path) -> Path:
    """The 10,000-row workbook in the template's columns (streamed with write-only mode)."""
    from app.adapters.excel.dealers import DEALER_SHEET
    from app.adapters.excel.template import header_row
    from app.domain.uscc import check_character

    book = Workbook(write_only=True)
    sheet = book.create_sheet("经销商")
    sheet.append(header_row(DEALER_SHEET))
    for i in range(ROWS):
        first17 = f"91310000MA{i:07d}"
        sheet.append(
            [
                f"IMP-{i:05d}",
                f"基准导入经销商第{i}号有限公司",
                first17 + check_character(first17),
                REGIONS[i % 3],
                None,
                None,
                "active",
                f"{(i % 500) * 1000}.50",
                30,
                5 + i % 50,
                120.5,
                "R2",
                f"基准导入经销商第{i}号有限公司",
                f"上海市浦东新区世纪大道 {i} 号",
                "021-12345678",
                "中国工商银行上海分行",
                f"62220202{i:011d}",
            ]
        )
    book.save(path)
    return path


def run() -> Report:
    from app.adapters.excel.dealers import DEALER_SHEET, DealerImport
    from app.adapters.excel.reader import SheetReader
    from app.adapters.excel.runner import ImportOptions, run_import
    from app.adapters.excel.safety import check_workbook
    from app.domain.scope import UNRESTRICTED
    from app.extensions import db
    from app.services.actor import Actor, acting_as

    with temporary_instance() as workdir:
        app = build_app(workdir)
        source = make_file(workdir / "dealers.xlsx")
        results = []

        def ours() -> None:
            with app.app_context(), acting_as(Actor(1, "bench")):
                check_workbook(source)
                with SheetReader(source, DEALER_SHEET) as reader:
                    report = run_import(reader, DealerImport(db.session, UNRESTRICTED), ImportOptions())
                db.session.rollback()
                db.session.remove()
            if report.inserted != ROWS or report.failed_rows:
                raise RuntimeError(f"import wrote {report.inserted} rows, {report.failed_rows} failed")
            results.append(report)

        def baseline() -> None:
            book = load_workbook(source, read_only=True, data_only=True)
            count = sum(1 for row in book.worksheets[0].iter_rows(values_only=True) for _ in row)
            book.close()
            if count < ROWS:
                raise RuntimeError("baseline read too few cells")

        mine, base = compare(ours, baseline, n=3, warmup=0, memory_n=1, rounds=3)
        seconds, base_seconds = mine.timing.p50, base.timing.p50
        peak = mine.memory.python_peak / MIB
        rss = (mine.timing.rss_peak or 0) / MIB
        size = source.stat().st_size / MIB
    memory = f"{mine.memory} / base {base.memory.python_peak / MIB:.2f} MiB"
    rows = [
        Row(f"import {ROWS:,} dealer rows (validate + insert), p50", seconds, "s", base_seconds, memory),
        Row("rows per second", ROWS / seconds, "rows/s", ROWS / base_seconds),
    ]
    met_time = "met" if max(mine.timing.samples) <= TARGET_SECONDS else "MISSED"
    met_memory = "met" if peak <= TARGET_MIB and rss <= TARGET_MIB else "MISSED"
    notes = [
        f"file: {ROWS:,} rows × 17 columns, {size:.1f} MiB; ours = check_workbook + SheetReader + run_import "
        "with DealerImport (all-or-nothing insert, batches of 500, ORM inserts with audit rows, flushed "
        "then rolled back) on SQLite; baseline = openpyxl read-only pass over every cell; 3 runs each, "
        "alternating.",
        f"slowest run {max(mine.timing.samples):.2f} s: target {met_time} (≤ {TARGET_SECONDS:.0f} s); "
        f"peak memory {peak:.1f} MiB Python (tracemalloc), process RSS high-water {rss:.0f} MiB: "
        f"target {met_memory} (≤ {TARGET_MIB} MB).",
    ]
    return Report("Dealer Excel import (SQLite)", rows, notes)
