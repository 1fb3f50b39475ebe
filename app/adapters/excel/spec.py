"""Column specs of an import sheet: key, zh/en header, type, required, allowed values.

A value in a cell becomes a typed value through :func:`parse_cell` (text, code, int,
decimal, date, enum, reference); a problem becomes a reason naming what was expected.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.uscc import normalise_code

KINDS = ("text", "code", "int", "decimal", "date", "enum", "reference")
DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
ROWS_NOTE_ZH = "“全部或全不”（默认）：任一行有错则不写入任何数据；“仅有效行”：写入正确的行，报告错误的行。"
ROWS_NOTE_EN = "All or nothing (default): one bad row, nothing written; valid rows only: good rows written."


class CellProblem(ValueError):
    """A cell that cannot become a value of its column's type (the message is the reason)."""


@dataclass(frozen=True)
class Column:
    """One column: ``key`` in code, headers in zh and en, a kind, and how values are checked.

    ``choices`` (enum) are the allowed values; ``lookup`` (reference) names the list of the
    template's lists sheet that offers values (regions, tiers …); the reference itself is
    resolved by the entity's handler, which knows the database.
    """

    key: str
    zh: str
    en: str
    kind: str = "text"
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()
    lookup: str | None = None
    width: int = 16
    note_zh: str = ""
    note_en: str = ""
    normaliser: Callable[[str], str] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    @property
    def header(self) -> str:
        """The template's header cell: ``中文* / English*`` (the star marks a required column)."""
        star = "*" if self.required else ""
        return f"{self.zh}{star} / {self.en}{star}"

    @property
    def names(self) -> set[str]:
        """Header texts that select this column (compared after :func:`header_key`)."""
        return {header_key(self.zh), header_key(self.en), header_key(self.header), header_key(self.key)}


@dataclass(frozen=True)
class SheetSpec:
    """A sheet of one kind of record; ``key`` is the column holding the natural code."""

    kind: str
    title_zh: str
    title_en: str
    columns: Sequence[Column]
    key: str = "code"
    notes_zh: Sequence[str] = field(default_factory=tuple)
    notes_en: Sequence[str] = field(default_factory=tuple)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def modes_note_zh(key: str = "编码") -> str:
    """The instructions' note on the insert / update / upsert modes, in Chinese, for rows found by ``key``."""
    return f"导入方式：新增（{key}已存在则报错）、按{key}更新（更新时空单元格保留原值）、新增或更新。"


def modes_note_en(key: str = "code") -> str:
    """The instructions' note on the insert / update / upsert modes, in English, for rows found by ``key``."""
    return f"Modes: insert (an existing {key} is an error), update by {key} (empty cell = keep), upsert."


def header_key(text: Any) -> str:
    """A header cell reduced for matching: NFKC, no stars or spaces, lower case."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).replace("*", "").split()).lower()


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return unicodedata.normalize("NFC", str(value)).strip()


def _number_text(value: Any) -> str:
    return "".join(unicodedata.normalize("NFKC", str(value)).replace(",", "").split())


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise CellProblem("a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellProblem("a whole number")
    text = _number_text(value)
    if not re.fullmatch(r"-?\d{1,15}", text):
        raise CellProblem("a whole number")
    return int(text)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise CellProblem("a number")
    if isinstance(value, float):
        value = repr(value)  # shortest text that reads back as the same float (no binary noise)
    try:
        number = Decimal(_number_text(value))
    except InvalidOperation:
        raise CellProblem("a number") from None
    if not number.is_finite():
        raise CellProblem("a number")
    return number


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = DATE_TEXT.match(unicodedata.normalize("NFKC", str(value)).strip())
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise CellProblem("a date such as 2026-01-31")


def parse_cell(column: Column, value: Any) -> Any:
    """The typed value of a cell (None when empty); CellProblem with the reason if it does not fit."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if column.required:
            raise CellProblem("required")
        return None
    kind = column.kind
    if kind == "int":
        return _int(value)
    if kind == "decimal":
        return _decimal(value)
    if kind == "date":
        return _date(value)
    text = _text(value)
    if kind in ("code", "enum", "reference"):
        text = (
            normalise_code(text) if kind == "code" else "".join(unicodedata.normalize("NFKC", text).split())
        )
    if column.normaliser is not None:
        text = column.normaliser(text)
    if kind == "enum":
        match = next((c for c in column.choices if c.lower() == text.lower()), None)
        if match is None:
            raise CellProblem(f"one of {', '.join(column.choices)}")
        return match
    if column.max_length is not None and len(text) > column.max_length:
        raise CellProblem(f"at most {column.max_length} characters")
    return text
