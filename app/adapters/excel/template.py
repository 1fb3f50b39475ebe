"""Write workbooks in a spec's columns: the import template and exports.

The template has the data sheet (bilingual header, frozen, sized columns, text format on
text/code columns so Excel keeps leading zeros and long numbers), a sheet of instructions
in Chinese and English, and a hidden ``lists`` sheet feeding the drop-down lists (data
validation) of enum and reference columns. Exports use openpyxl's write-only mode, so a
large export streams rows instead of building the whole sheet in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from io import BytesIO
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from app.adapters.excel.spec import Column, SheetSpec

LISTS_SHEET = "lists"
INSTRUCTIONS_SHEET = "说明 Instructions"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
TYPE_TEXT = {
    "text": ("文本", "text"),
    "code": ("编码（全角自动转半角，去空格）", "code (full-width converted, spaces removed)"),
    "int": ("整数", "whole number"),
    "decimal": ("数字", "number"),
    "date": ("日期，如 2026-01-31 或 2026/1/31", "date, e.g. 2026-01-31 or 2026/1/31"),
    "enum": ("从下拉列表选择", "pick from the list"),
    "reference": ("已有记录的编码（下拉列表）", "code of an existing record (list)"),
}
DEFAULT_NOTES_ZH = (
    "第 1 行是表头（中文或英文均可），数据从第 2 行开始；带 * 的列必填。",
    "公式不会被计算：读取 Excel 上次保存时的结果值。",
    "只接受 .xlsx 文件；不接受加密、含宏（.xlsm）的文件。",
)
DEFAULT_NOTES_EN = (
    "Row 1 is the header (Chinese or English); data starts in row 2; columns marked * are required.",
    "Formulas are never calculated: the value Excel saved last is read.",
    "Only .xlsx files; password-protected and macro-enabled (.xlsm) files are refused.",
)


def header_row(spec: SheetSpec) -> list[str]:
    return [c.header for c in spec.columns]


def _style_data_sheet(sheet, spec: SheetSpec) -> None:
    sheet.append(header_row(spec))
    for index, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = REQUIRED_FILL if column.required else HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[letter].width = column.width
        if column.kind in ("text", "code", "reference", "enum"):
            sheet.column_dimensions[letter].number_format = "@"
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "A2"


def _add_lists(
    book: Workbook, sheet, spec: SheetSpec, lists: Mapping[str, Sequence[tuple[str, str]]]
) -> None:
    holder = book.create_sheet(LISTS_SHEET)
    holder.sheet_state = "hidden"
    list_column = 0
    for index, column in enumerate(spec.columns, start=1):
        values = list(column.choices) if column.kind == "enum" else None
        names: list[str] = []
        if column.kind == "reference" and column.lookup:
            pairs = lists.get(column.lookup, ())
            values, names = [code for code, _ in pairs], [name for _, name in pairs]
        if not values:
            continue
        list_column += 2  # codes in one column, their names (if any) in the next
        letter = get_column_letter(list_column - 1)
        holder.cell(row=1, column=list_column - 1, value=column.header)
        for row, value in enumerate(values, start=2):
            holder.cell(row=row, column=list_column - 1, value=cell_value(value))
        for row, name in enumerate(names, start=2):
            holder.cell(row=row, column=list_column, value=cell_value(name))
        ref = f"{quote_sheetname(LISTS_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
        validation = DataValidation(type="list", formula1=ref, allow_blank=not column.required)
        validation.error = "请从列表中选择 / Pick a value from the list"
        validation.showErrorMessage = True
        validation.add(f"{get_column_letter(index)}2:{get_column_letter(index)}1048576")
        sheet.add_data_validation(validation)


def _instruction_rows(column: Column) -> list[Any]:
    zh_type, en_type = TYPE_TEXT[column.kind]
    allowed = ", ".join(column.choices) if column.choices else ""
    return [
        column.zh,
        column.en,
        "是 / yes" if column.required else "",
        f"{zh_type} / {en_type}",
        allowed,
        column.note_zh,
        column.note_en,
    ]


def _add_instructions(book: Workbook, spec: SheetSpec) -> None:
    sheet = book.create_sheet(INSTRUCTIONS_SHEET)
    sheet.append([f"{spec.title_zh}导入说明", f"{spec.title_en}: how to fill in this template"])
    sheet.append([])
    for zh, en in zip((*DEFAULT_NOTES_ZH, *spec.notes_zh), (*DEFAULT_NOTES_EN, *spec.notes_en), strict=True):
        sheet.append([zh, en])
    sheet.append([])
    sheet.append(
        ["列（中文）", "Column (English)", "必填 Required", "类型 Type", "可选值 Allowed", "说明", "Notes"]
    )
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in spec.columns:
        sheet.append(_instruction_rows(column))
    sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
    for letter, width in zip("ABCDEFG", (44, 44, 14, 30, 30, 40, 40), strict=True):
        sheet.column_dimensions[letter].width = width


def template_bytes(spec: SheetSpec, lists: Mapping[str, Sequence[tuple[str, str]]]) -> bytes:
    """The import template of ``spec``; ``lists`` gives (code, name) pairs for each ``lookup``."""
    book = Workbook()
    sheet = book.active
    sheet.title = spec.title_zh[:31]
    _style_data_sheet(sheet, spec)
    _add_lists(book, sheet, spec, lists)
    _add_instructions(book, spec)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def cell_value(value: Any) -> Any:
    """A value a worksheet can hold: control characters (which Excel refuses) removed from text."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def write_rows(
    spec: SheetSpec, rows: Iterable[Sequence[Any]], target: IO[bytes] | str, extra: Sequence[str] = ()
) -> None:
    """Stream ``rows`` (cell values in spec order, then ``extra`` columns) under the spec's header."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(spec.title_zh[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(spec.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.append([*header_row(spec), *extra])
    for row in rows:
        sheet.append([cell_value(v) for v in row])
    book.save(target)
