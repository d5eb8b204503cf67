"""Sheets that read well in Excel: real number formats by unit (pounds with thousands separators, percentages,
years without separators), bold frozen header rows, filters, columns wide enough to read, and a file that is
the same bytes for the same content (fixed document times and zip entry times), so a re-run changes nothing.

`leftshift.report.workbook` decides what goes on the sheets; this module only lays them out (openpyxl).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.functions import tostring

from leftshift.io.tables import NOISE

GBP = '"£"#,##0;-"£"#,##0'
WHOLE = "#,##0"
ONE_DECIMAL = "#,##0.0"
RATIO = "0.00"
PERCENT = "0.0%"
YEAR = "0"
GENERAL = "General"
FORMATS = {"GBP": GBP, "people": WHOLE, "days": WHOLE, "person-years": ONE_DECIMAL, "ratio": RATIO,
           "share": PERCENT, "percent": PERCENT, "year": YEAR}  # fmt: skip
"""The number format of each unit `leftshift.analysis.measures` names."""
FIXED_TIME = dt.datetime(2000, 1, 1)
"""The workbook's created and modified times: fixed, so the same results give the same file."""
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
CORE = "docProps/core.xml"
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
MIN_WIDTH, MAX_WIDTH = 8, 60


def number_format(unit: str) -> str:
    return FORMATS.get(unit, GENERAL)


def cell_value(value: Any) -> Any:
    """A value as openpyxl writes it: numpy scalars as Python numbers, NaN and None as an empty cell, text
    without the control characters a workbook cannot hold."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, float) and abs(value) < NOISE:
        return 0.0  # no float noise, never -0.0 (as the CSV files: leftshift.io.tables)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def put(sheet: Worksheet, row: int, column: int, value: Any, number: str | None = None) -> Any:
    """Write one cell (1-based); text is always text, even when it starts with '=' (a scenario's name or
    note is never run as a formula)."""
    cell = sheet.cell(row=row, column=column, value=cell_value(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"
    if number is not None:
        cell.number_format = number
    return cell


def new_workbook() -> Workbook:
    book = Workbook()
    book.remove(book.active)
    book.properties.creator = "leftshift"
    book.properties.created = book.properties.modified = FIXED_TIME
    return book


def _widths(sheet: Worksheet, rows: Iterable[Sequence[Any]]) -> None:
    """Each column as wide as its longest line (numbers as they show, roughly), within limits."""
    widest: dict[int, int] = {}
    for row in rows:
        for i, value in enumerate(row, start=1):
            text = f"{value:,.2f}" if isinstance(value, float) else str(value if value is not None else "")
            widest[i] = max(widest.get(i, 0), *(len(line) for line in text.splitlines() or [""]))
    for i, width in widest.items():
        sheet.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))


def add_table(
    book: Workbook, title: str, frame: pd.DataFrame, formats: Mapping[str, str] | None = None,
    unit_column: str | None = None, wrap: Sequence[str] = (),
) -> Worksheet:  # fmt: skip
    """A sheet holding `frame` under a bold, frozen, filterable header row. `formats`: number format by column;
    other number columns take the format of the unit in `unit_column` (row by row), if given; `wrap` columns
    wrap their text."""
    sheet = book.create_sheet(title)
    formats = dict(formats or {})
    headers = [str(c) for c in frame.columns]
    for c, header in enumerate(headers, start=1):
        put(sheet, 1, c, header).font = BOLD
    rows = [[cell_value(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    units = frame[unit_column].astype(str).tolist() if unit_column else []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            column = headers[c]
            number = formats.get(column)
            if number is None and unit_column and isinstance(value, int | float) and not isinstance(value, bool):
                number = number_format(units[r])
            cell = put(sheet, r + 2, c + 1, value, number)
            if column in wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
    _widths(sheet, [headers, *rows])
    return sheet


def deterministic_bytes(book: Workbook) -> bytes:
    """The workbook as .xlsx bytes with its modified time and the zip entries' times fixed (openpyxl stamps
    both with the clock when it saves)."""
    raw = io.BytesIO()
    book.save(raw)
    book.properties.modified = FIXED_TIME
    core = tostring(book.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, core if entry.filename == CORE else source.read(entry.filename))
    return out.getvalue()


__all__ = ["FORMATS", "GBP", "PERCENT", "RATIO", "WHOLE", "YEAR", "add_table", "cell_value", "deterministic_bytes",
           "new_workbook", "number_format", "put"]  # fmt: skip
