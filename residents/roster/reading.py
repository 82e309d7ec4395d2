"""Recognise a roster file by its content and read it into rows of text."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from core.errors import ApplicationError

XLSX = "xlsx"
CSV = "csv"
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Excel .xls


def detect_kind(data: bytes) -> str:
    """Return XLSX or CSV by looking at the bytes, never at the file name.

    Raises ApplicationError (field "file") for anything else, e.g. an old .xls or a picture.
    """
    if not data.strip():
        raise ApplicationError(_("The file is empty."), field="file")
    if data.startswith(b"PK"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "[Content_Types].xml" in archive.namelist():
                    return XLSX
        except zipfile.BadZipFile:
            pass
        raise ApplicationError(_("This file is not an Excel (.xlsx) or CSV file."), field="file")
    if data.startswith(_OLE_MAGIC):
        raise ApplicationError(
            _("This is an old Excel (.xls) file. Please save it as .xlsx or CSV and upload it again."), field="file"
        )
    if b"\x00" in data:
        raise ApplicationError(_("This file is not an Excel (.xlsx) or CSV file."), field="file")
    decode_csv(data)
    return CSV


def decode_csv(data: bytes) -> str:
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ApplicationError(
        _("The CSV file could not be read. Please save it as UTF-8 or GB18030 (GBK) text."), field="file"
    )


def _cell_text(value) -> str:
    """Return a cell as the text a person sees: 13812345678 not 13812345678.0, 89.5 not 89.500001."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float) and abs(value) >= 1e15:
        # Excel keeps 15 digits: an ID number typed as a number is already rounded. Show it the way
        # Excel does, so validation can tell the user to store it as text.
        return f"{value:.14E}"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return str(Decimal(repr(value)))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def read_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """Return (spreadsheet row number, cells) for the header and every non-empty row.

    Row numbers are those the user sees in Excel: the header is normally row 1.
    Raises ApplicationError when the file cannot be read.
    """
    kind = detect_kind(data)
    rows: Iterable[list[str]]
    if kind == CSV:
        rows = csv.reader(io.StringIO(decode_csv(data), newline=""))
        return _keep_filled((number, [c.strip() for c in row]) for number, row in enumerate(rows, start=1))
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ApplicationError(_("The Excel file could not be read. Is it damaged?"), field="file") from exc
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs write a wrong size; read what is really there
        return _keep_filled(
            (number, [_cell_text(v) for v in row])
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1)
        )
    finally:
        workbook.close()


def _keep_filled(rows) -> list[tuple[int, list[str]]]:
    return [(number, cells) for number, cells in rows if any(cells)]
