"""Refuse files openpyxl should never open, before it opens them.

Checked on the raw bytes and the zip's central directory only (nothing is decompressed
except ``[Content_Types].xml``, itself size-capped): an encrypted (password-protected)
workbook or an old .xls is an OLE compound file, not a zip; a macro-enabled workbook has
the ``macroEnabled`` content type or ``xl/vbaProject.bin``; a zip bomb declares more
uncompressed bytes, or a higher compression ratio, than any real workbook of that size.
Python's zipfile never inflates a member past its declared size, so the declared sizes
are a safe bound for what openpyxl will read.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
SHEET_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
MAX_CONTENT_TYPES = 256 * 1024


class ExcelRefused(ValueError):
    """The upload is not a workbook we will read; ``reason`` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    """Bounds for an uploaded workbook (uncompressed bytes, compression ratio, zip members)."""

    max_uncompressed: int = 300 * 1024 * 1024
    max_ratio: int = 100
    ratio_floor: int = 8 * 1024 * 1024  # below this many uncompressed bytes any ratio is fine
    max_members: int = 2000


def check_workbook(path: Path, filename: str | None = None, limits: Limits | None = None) -> None:
    """Return if ``path`` is a plain .xlsx within ``limits``; else raise ExcelRefused."""
    limits = limits or Limits()
    name = (filename or path.name).lower()
    if name.endswith((".xlsm", ".xltm", ".xlsb")):
        raise ExcelRefused("macro-enabled workbooks are not accepted: save it as .xlsx")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == OLE_MAGIC:
        raise ExcelRefused(_ole_reason(path))
    if not head.startswith(ZIP_MAGIC):
        raise ExcelRefused("not an Excel .xlsx file")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            _check_sizes(members, path.stat().st_size, limits)
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                raise ExcelRefused("not an Excel .xlsx file")
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise ExcelRefused("the workbook contains macros: save it as .xlsx without macros")
            types = archive.read("[Content_Types].xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError):
        raise ExcelRefused("the file is damaged or not an Excel .xlsx file") from None
    if MACRO_MAIN.encode() in types:
        raise ExcelRefused("the workbook contains macros: save it as .xlsx without macros")
    if SHEET_MAIN.encode() not in types:
        raise ExcelRefused("not an Excel .xlsx workbook")


def _check_sizes(members: list[zipfile.ZipInfo], size_on_disk: int, limits: Limits) -> None:
    if len(members) > limits.max_members:
        raise ExcelRefused(f"too many parts in the file ({len(members)})")
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed:
        raise ExcelRefused(
            f"the file unpacks to {total // (1024 * 1024)} MB, more than "
            f"{limits.max_uncompressed // (1024 * 1024)} MB"
        )
    for member in members:
        if member.filename == "[Content_Types].xml" and member.file_size > MAX_CONTENT_TYPES:
            raise ExcelRefused("the file is damaged or not an Excel .xlsx file")
    if total > limits.ratio_floor and total > limits.max_ratio * max(size_on_disk, 1):
        raise ExcelRefused(f"the file unpacks to more than {limits.max_ratio} times its size")


def _ole_reason(path: Path) -> str:
    """An OLE file is either an encrypted workbook (it has an EncryptionInfo stream) or an old .xls."""
    with path.open("rb") as handle:
        sample = handle.read(1024 * 1024)
    if "EncryptionInfo".encode("utf-16-le") in sample or "EncryptedPackage".encode("utf-16-le") in sample:
        return "the workbook is password-protected: remove the password and upload it again"
    return "old .xls files are not accepted: save it as .xlsx"
