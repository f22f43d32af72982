"""Spreadsheets: the formula-injection guard (OWASP "CSV injection") and the one writer of a table as xlsx.

A text cell starting with = + - @ TAB or CR would be taken by Excel/WPS for a formula; it gets a leading apostrophe,
so it stays text. `unneutralise` undoes it when a work list comes back filled in.
"""
from __future__ import annotations

import datetime as dt
import io
import re

import polars as pl
import xlsxwriter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text that Excel would take for a formula gets a leading apostrophe; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unneutralise(value):
    """Undo `neutralise` on a text read back from an exported sheet."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


class Sheet:
    """Writes strings through `neutralise` and never as formulas."""

    def __init__(self, ws, fmt):
        self.ws, self.fmt = ws, fmt

    def put(self, row: int, col: int, value, style: str | None = None) -> None:
        f = self.fmt.get(style) if style else None
        if value is None:
            self.ws.write_blank(row, col, None, f)
        elif isinstance(value, str):
            self.ws.write_string(row, col, neutralise(value), f)
        elif isinstance(value, bool):
            self.ws.write_boolean(row, col, value, f)
        else:
            self.ws.write_number(row, col, float(value), f)

    def banner(self, row: int, last_col: int, text: str, style: str) -> None:
        if last_col == 0:  # one column: nothing to merge
            self.ws.write_string(row, 0, neutralise(text), self.fmt[style])
        else:
            self.ws.merge_range(row, 0, row, last_col, neutralise(text), self.fmt[style])


def workbook(buf: io.BytesIO):
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    fmt = {
        "bold": wb.add_format({"bold": True}),
        "title": wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}),
        "meta": wb.add_format({"font_size": 10, "text_wrap": True}),
        "head": wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "align": "center",
                               "valign": "vcenter", "text_wrap": True}),
        "text": wb.add_format({"border": 1, "text_wrap": True, "valign": "top"}),
        "score": wb.add_format({"border": 1, "num_format": "0.00", "valign": "top"}),
        "int": wb.add_format({"border": 1, "num_format": "0", "align": "center", "valign": "top"}),
        "pct": wb.add_format({"border": 1, "num_format": "0.0", "valign": "top"}),
    }
    return wb, fmt


def sheet_name(index: int, name: str) -> str:
    """Excel sheet names: at most 31 characters, none of [ ] : * ? / or backslash; the index keeps them unique."""
    return re.sub(r"[\[\]:*?/\\]", "", f"{index}.{name}")[:31]


def cell_value(value):
    """A frame value as an xlsx cell value: dates and times as text, Decimal as a number."""
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def table_xlsx(title: str, frame: pl.DataFrame, notes: tuple[str, ...] | list[str] = (),
               definitions: dict[str, str] | None = None) -> bytes:
    """Any displayed table (columns already labelled in Chinese) as a one-sheet workbook: title, notes, the table
    (filter and frozen header), then the 口径说明 (column -> definition). The one table-to-xlsx writer."""
    buf = io.BytesIO()
    wb, fmt = workbook(buf)
    ws = wb.add_worksheet(sheet_name(1, title))
    s = Sheet(ws, fmt)
    last = max(frame.width - 1, 0)
    ws.set_column(0, last, 16)
    s.banner(0, last, title, "title")
    for row, note in enumerate(notes, start=1):
        s.banner(row, last, note, "meta")
    head = 1 + len(notes)
    styles = ["int" if dtype.is_integer() else "score" if dtype.is_numeric() else "text" for dtype in frame.dtypes]
    for col, name in enumerate(frame.columns):
        s.put(head, col, name, "head")
    for row, values in enumerate(frame.iter_rows(), start=head + 1):
        for col, (value, style) in enumerate(zip(values, styles)):
            s.put(row, col, cell_value(value), style)
    row = head + frame.height
    ws.autofilter(head, 0, row, last)
    ws.freeze_panes(head + 1, 0)
    if definitions:
        row += 2
        s.put(row, 0, "口径说明", "bold")
        for header, text in definitions.items():
            row += 1
            s.put(row, 0, f"{header}：{text}")
    wb.close()
    return buf.getvalue()
