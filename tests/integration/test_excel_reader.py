"""The Excel reader and file checks on real .xlsx files: bad files refused before openpyxl
opens them, formulas give cached values, full-width digits and text dates are read."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook

from app.adapters.excel.reader import SheetReader
from app.adapters.excel.safety import OLE_MAGIC, ExcelRefused, Limits, check_workbook
from app.adapters.excel.spec import Column, SheetSpec

SPEC = SheetSpec(
    kind="thing",
    title_zh="物品",
    title_en="Things",
    columns=(
        Column("code", "编码", "Code", "code", required=True),
        Column("qty", "数量", "Quantity", "int"),
        Column("price", "价格", "Price", "decimal"),
        Column("since", "日期", "Since", "date"),
        Column("status", "状态", "Status", "enum", choices=("active", "closed")),
    ),
)


def _xlsx(
    tmp_path: Path, rows: list[list], header=("编码", "Quantity", "价格 / Price", "日期", "Status")
) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    path = tmp_path / "things.xlsx"
    book.save(path)
    return path


def _rows(path: Path) -> list:
    check_workbook(path)
    with SheetReader(path, SPEC) as reader:
        return list(reader)


def test_full_width_digits_text_dates_and_numbers(tmp_path):
    path = _xlsx(
        tmp_path,
        [
            ["ａｂ－ １２３", "１２", "１,２３４.５", "2026/1/31", "Closed"],
            ["X-2", 3.0, 0.1, datetime(2026, 2, 1), None],
            ["X-3", "", None, "2026-13-01", "open"],
        ],
    )
    first, second, third = _rows(path)
    assert first.number == 2 and not first.problems
    assert first.values == {
        "code": "AB-123",
        "qty": 12,
        "price": Decimal("1234.5"),
        "since": date(2026, 1, 31),
        "status": "closed",
    }
    assert second.values["qty"] == 3 and second.values["price"] == Decimal("0.1")
    assert second.values["since"] == date(2026, 2, 1)
    assert third.problems == {"since": "a date such as 2026-01-31", "status": "one of active, closed"}


def test_formulas_give_cached_values_never_evaluated(tmp_path):
    path = _xlsx(tmp_path, [['="EVAL"&"UATED"', "=1+1", None, None, None]])
    patched = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = re.sub(
                    r'<c r="A2"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?',
                    r'<c r="A2" t="str"><f>\2</f><v>CACHED-1</v>',
                    text,
                )
                text = re.sub(
                    r'<c r="B2"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?', r'<c r="B2"><f>\2</f><v>7</v>', text
                )
                data = text.encode()
            dst.writestr(item, data)
    (row,) = _rows(patched)
    assert row.values["code"] == "CACHED-1"  # not EVALUATED
    assert row.values["qty"] == 7  # not 2


def test_headers_in_english_and_missing_required_column(tmp_path):
    path = _xlsx(tmp_path, [["A-1", 1]], header=("code", "QUANTITY"))
    assert _rows(path)[0].values["code"] == "A-1"
    path = _xlsx(tmp_path, [[1]], header=("数量",))
    with pytest.raises(ExcelRefused, match="missing columns in row 1: 编码\\* / Code\\*"):
        _rows(path)


def test_not_an_xlsx_and_damaged_files_refused(tmp_path):
    text = tmp_path / "a.xlsx"
    text.write_text("code,name\nA,B\n")
    with pytest.raises(ExcelRefused, match="not an Excel .xlsx file"):
        check_workbook(text)
    good = _xlsx(tmp_path, [["A-1"]]).read_bytes()
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(good[: len(good) // 2])
    with pytest.raises(ExcelRefused, match="damaged"):
        check_workbook(damaged)
    some_zip = tmp_path / "other.xlsx"
    with zipfile.ZipFile(some_zip, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ExcelRefused, match="not an Excel .xlsx file"):
        check_workbook(some_zip)


def test_macro_enabled_refused(tmp_path):
    path = _xlsx(tmp_path, [["A-1"]])
    with pytest.raises(ExcelRefused, match="macro"):
        check_workbook(path, "book.xlsm")
    with_vba = tmp_path / "vba.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(with_vba, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 64)
    with pytest.raises(ExcelRefused, match="macros"):
        check_workbook(with_vba)


def test_password_protected_and_old_xls_refused(tmp_path):
    encrypted = tmp_path / "secret.xlsx"
    encrypted.write_bytes(OLE_MAGIC + b"\x00" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 512)
    with pytest.raises(ExcelRefused, match="password-protected"):
        check_workbook(encrypted)
    old = tmp_path / "old.xlsx"
    old.write_bytes(OLE_MAGIC + b"\x00" * 2048)
    with pytest.raises(ExcelRefused, match="old .xls"):
        check_workbook(old)


def _bomb(tmp_path: Path, megabytes: int) -> Path:
    path = tmp_path / "bomb.xlsx"
    good = _xlsx(tmp_path, [["A-1"]])
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        with dst.open("xl/worksheets/sheet2.xml", "w") as member:
            chunk = b"0" * (1024 * 1024)
            for _ in range(megabytes):
                member.write(chunk)
    return path


def test_zip_bomb_refused_by_uncompressed_size_and_ratio(tmp_path):
    bomb = _bomb(tmp_path, 40)
    assert bomb.stat().st_size < 1024 * 1024  # a small file ...
    with pytest.raises(ExcelRefused, match="unpacks to 40 MB, more than 30 MB"):
        check_workbook(bomb, limits=Limits(max_uncompressed=30 * 1024 * 1024))
    with pytest.raises(ExcelRefused, match="more than 100 times its size"):
        check_workbook(bomb)  # ... that unpacks to ~1000 times its size


def test_template_round_trip_of_header(tmp_path):
    from app.adapters.excel.template import template_bytes

    content = template_bytes(SPEC, {})
    path = tmp_path / "template.xlsx"
    path.write_bytes(content)
    check_workbook(path)
    with SheetReader(path, SPEC) as reader:
        assert set(c.key for c in reader.columns.values()) == {"code", "qty", "price", "since", "status"}
        assert list(reader) == []
    assert BytesIO(content).read(4) == b"PK\x03\x04"


def test_text_with_control_characters_is_written_without_them():
    from io import BytesIO

    from openpyxl import load_workbook

    from app.adapters.excel.dealers import DEALER_SHEET
    from app.adapters.excel.template import write_rows

    target = BytesIO()
    write_rows(DEALER_SHEET, [["D-1", "名称\x01\x1f带控制符"]], target)
    sheet = load_workbook(BytesIO(target.getvalue()), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1] == "名称带控制符"
