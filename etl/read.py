"""Reading submission files (docs/CONTRACT.md §1): xlsx or csv -> one frame of cell texts with Excel row numbers.

Every cell is read as the text the user sees (date cells as ISO dates, numeric cells as their number text),
stripped of surrounding spaces; whitespace-only cells are null. The header is the first row holding the
required column names; rows above it (title rows) are skipped. Blank rows and a trailing 合计 row are counted
as ignored. Anything that makes the whole file unusable raises `FileRejected` with a Chinese message.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePath

import fastexcel
import polars as pl

from core import catalog
from core.template import SUBMISSION_COLUMNS, Column
from etl import limits

HEADER_SEARCH_ROWS = 30
HEADER_SEARCH_BYTES = 262144  # of a CSV: where its header row is looked for
ROW_SLACK = 1000  # rows an xlsx may hold beyond the data-row limit (title, header, blank and total rows)
UTF8_BOM = b"\xef\xbb\xbf"
PREFERRED_SHEET = "项目明细"
TOTAL_LABELS = ("合计", "总计")
ROW_NO = "row_no"


class FileRejected(Exception):
    """The whole file is rejected; `message` says why, in Chinese."""

    def __init__(self, message: str, *, rows_input: int = 0):
        super().__init__(message)
        self.message = message
        self.rows_input = rows_input  # rows below the header, when the file was read that far


@dataclass
class RawTable:
    """Data rows of one file: `row_no` (Excel row number) plus one text column per contract column."""

    frame: pl.DataFrame
    columns: tuple[Column, ...]
    rows_input: int      # every row below the header, blank and total rows included
    rows_ignored: int    # blank rows and the trailing 合计 row
    header_row_no: int


@lru_cache(maxsize=4096)  # header cells repeat from file to file
def header_key(text: object) -> str:
    """How header cells are compared: no spaces, full-width and half-width brackets alike (NFKC)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or "")))


def check_size(name: str, size: int) -> None:
    """Reject a file above the configured size limit; call before reading it."""
    limit_mb = catalog.etl_settings()["max_file_mb"]
    if size > limit_mb * 1024 * 1024:
        raise FileRejected(
            f"文件“{name}”大小为 {size / 1024 / 1024:.1f} MB，超过上限 {limit_mb} MB，"
            f"请按报送单位和统计月份拆分后分别报送"
        )


def read_table(name: str, data: bytes, columns: Sequence[Column] = SUBMISSION_COLUMNS,
               *, sheet: str | None = PREFERRED_SHEET) -> RawTable:
    """Read an xlsx or csv file into a RawTable, or raise FileRejected. xlsx: `sheet` if present, else the first."""
    check_size(name, len(data))
    max_rows = catalog.etl_settings()["max_rows"]
    suffix = PurePath(name).suffix.lower()
    if suffix == ".xlsx":
        grid, first_row_no = _xlsx_grid(name, data, sheet, max_rows), 1
    elif suffix == ".csv":
        grid, first_row_no = _csv_grid(name, data, columns)
    elif suffix == ".xls":
        raise FileRejected(f"“{name}”是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后重新报送")
    else:
        raise FileRejected(f"“{name}”不是 xlsx 或 csv 文件（扩展名为“{suffix or '无'}”），"
                           f"请使用报表模板（.xlsx）或 CSV 报送")
    return _table_from_grid(name, grid, first_row_no, tuple(columns), max_rows)


# --------------------------------------------------------------------------- xlsx

def _xlsx_grid(name: str, data: bytes, sheet: str | None, max_rows: int) -> pl.DataFrame:
    if not data.startswith(b"PK\x03\x04"):
        if data.startswith(b"\xd0\xcf\x11\xe0"):
            raise FileRejected(f"“{name}”实际是旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后重新报送")
        raise FileRejected(f"“{name}”不是有效的 xlsx 文件（可能是改了扩展名的其他文件），"
                           f"请用 Excel 另存为 .xlsx 后重新报送")
    try:
        limits.check_xlsx(name, data, ROW_SLACK)  # real inflated bytes and the grid, before fastexcel sees it
    except limits.LimitExceeded as exc:
        raise FileRejected(exc.message) from None
    try:
        reader = fastexcel.read_excel(data)
        target = sheet if sheet in reader.sheet_names else 0
        loaded = reader.load_sheet(target, header_row=None, dtypes="string", skip_rows=0, whitespace_as_null=True,
                                   n_rows=max_rows + ROW_SLACK)
        if loaded.total_height > loaded.height:
            raise FileRejected(f"“{name}”超过 {max_rows:,} 行的上限，请拆分后分别报送")
        grid = loaded.to_polars()
    except fastexcel.FastExcelError as exc:
        raise FileRejected(f"“{name}”已损坏或不是有效的 xlsx 文件，无法读取（{_first_line(exc)}），"
                           f"请重新导出后报送") from None
    # Blank cells are already null; a date cell arrives as "YYYY-MM-DD 00:00:00": keep the ISO date the user sees.
    return grid.select(pl.all().str.strip_chars().str.strip_suffix(" 00:00:00"))


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --------------------------------------------------------------------------- csv

def decode_text(name: str, data: bytes) -> tuple[str, bytes]:
    """(text, UTF-8 bytes without BOM): UTF-16 with its BOM, UTF-8 (with or without BOM), else GB18030 (GBK)."""
    data = _from_utf16(name, data)
    _check_text(name, data)
    try:
        text = data.decode("utf-8-sig")
        return text, data[3:] if data.startswith(UTF8_BOM) else data
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileRejected(f"“{name}”的文字编码无法识别（既不是 UTF-8 也不是 GBK/GB18030），"
                           f"请另存为 UTF-8 编码的 CSV 后报送") from None
    return text, text.encode("utf-8")


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _from_utf16(name: str, data: bytes) -> bytes:
    """A UTF-16 text file (with its BOM, as Excel's "Unicode 文本" and some exports write) -> UTF-8 bytes."""
    if not data.startswith(UTF16_BOMS):
        return data
    try:
        return data.decode("utf-16").encode("utf-8")
    except UnicodeDecodeError:
        raise FileRejected(f"“{name}”标记为 UTF-16 编码，但内容不是有效的 UTF-16 文本，请另存为 UTF-8 编码的 CSV 后报送") from None


def _check_text(name: str, data: bytes) -> None:
    head = data[:65536]
    odd, even = head[1::2].count(0), head[0::2].count(0)  # UTF-16 puts a NUL beside every ASCII character
    if max(odd, even) >= 8 and max(odd, even) > len(head) // 20 and min(odd, even) <= max(odd, even) // 20:
        raise FileRejected(f"“{name}”是 UTF-16 编码的文本（没有编码标记），请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后报送")
    if b"\x00" in head:
        raise FileRejected(f"“{name}”不是文本格式的 CSV 文件（含有二进制内容），请用 Excel 另存为 CSV 或 xlsx 后报送")


class _NotUtf8(Exception):
    pass


def _csv_grid(name: str, data: bytes, columns: Sequence[Column]) -> tuple[pl.DataFrame, int]:
    """Read from the header record on; returns the grid and the Excel row number of its first row.

    UTF-8 is tried first without decoding the whole file in Python (polars checks it strictly); a file that is
    not UTF-8 is decoded as GB18030 (Chinese Excel's "CSV") and read again.
    """
    data = _from_utf16(name, data)
    _check_text(name, data)
    try:
        limits.check_csv(name, data)  # columns and cells, before polars lays out a single one
    except limits.LimitExceeded as exc:
        raise FileRejected(exc.message) from None
    try:
        return _csv_grid_utf8(name, data[3:] if data.startswith(UTF8_BOM) else data, columns)
    except _NotUtf8:
        return _csv_grid_utf8(name, decode_text(name, data)[1], columns)


def _csv_grid_utf8(name: str, utf8: bytes, columns: Sequence[Column]) -> tuple[pl.DataFrame, int]:
    cut = utf8.rfind(b"\n", 0, HEADER_SEARCH_BYTES)
    try:
        head = utf8[: cut if cut > 0 and len(utf8) > HEADER_SEARCH_BYTES else len(utf8)].decode("utf-8")
    except UnicodeDecodeError:
        raise _NotUtf8 from None
    records, lines_before = [], []
    reader = csv.reader(io.StringIO(head))
    try:
        while len(records) < HEADER_SEARCH_ROWS:
            start = reader.line_num
            record = next(reader, None)
            if record is None:
                break
            lines_before.append(start)
            records.append(record)
    except csv.Error as exc:
        raise FileRejected(f"“{name}”的 CSV 格式有误（{exc}），请用 Excel 另存为 CSV 后重新报送") from None
    try:
        limits.check_record_width(name, records)
    except limits.LimitExceeded as exc:
        raise FileRejected(exc.message) from None
    header_idx, _ = _find_header(name, records, columns)
    try:
        grid = pl.read_csv(io.BytesIO(utf8), has_header=False, infer_schema=False, skip_lines=lines_before[header_idx],
                           truncate_ragged_lines=True, raise_if_empty=False)
    except pl.exceptions.PolarsError as exc:
        if isinstance(exc, pl.exceptions.ComputeError) and "utf-8" in str(exc).lower():
            raise _NotUtf8 from None
        raise FileRejected(f"“{name}”的 CSV 格式有误，无法读取（{_first_line(exc)}），"
                           f"请用 Excel 另存为 CSV 后重新报送") from None
    return grid.select(pl.all().str.strip_chars().replace("", None)), header_idx + 1  # empty cells are null


# --------------------------------------------------------------------------- header and rows

def _looks_english(cell: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9_ ()./#-]*", cell))


def _find_header(name: str, rows: Sequence[Sequence[object]], columns: Sequence[Column]) -> tuple[int, dict[str, int]]:
    """Index of the first row holding every required column name, and key -> column position."""
    wanted = {header_key(c.header): c for c in columns}
    best: tuple[int, int, dict[str, int]] | None = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found: dict[str, int] = {}
        for pos, cell in enumerate(row):
            col = wanted.get(header_key(cell))
            if col is not None and col.key not in found:
                found[col.key] = pos
        if all(c.key in found for c in columns if c.required):
            return i, found
        if found and (best is None or len(found) > best[1]):
            best = (i, len(found), found)
    if not any(cell not in (None, "") for row in rows for cell in row):
        raise FileRejected(f"“{name}”是空表，没有任何内容，请使用报表模板填写后报送")
    english = [str(c) for row in rows[:HEADER_SEARCH_ROWS] for c in row if c and _looks_english(str(c).strip())]
    if best is None or best[1] < 2:
        if len(english) >= 3:
            raise FileRejected(
                f"“{name}”的表头似乎是英文（如 {'、'.join(english[:4])}），请使用模板中的中文列名："
                f"{'、'.join(c.header for c in columns if c.required)}"
            )
        raise FileRejected(
            f"“{name}”中找不到表头行（前 {HEADER_SEARCH_ROWS} 行中没有包含「{columns[0].header}」"
            f"「{columns[1].header}」等列名的行），请使用报表模板"
        )
    row_idx, _, found = best
    missing = [c.header for c in columns if c.required and c.key not in found]
    row_english = [str(c).strip() for c in rows[row_idx] if c and _looks_english(str(c).strip())]
    hint = f"；表头中有英文列名（{'、'.join(row_english[:4])}），请改用模板中的中文列名" if row_english else ""
    raise FileRejected(f"“{name}”第 {row_idx + 1} 行的表头缺少必需的列：{'、'.join(missing)}{hint}")


def _table_from_grid(name: str, grid: pl.DataFrame, first_row_no: int, columns: tuple[Column, ...],
                     max_rows: int) -> RawTable:
    """`grid`: every cell as stripped text, blank cells null; its first row is Excel row `first_row_no`."""
    header_idx, positions = _find_header(name, grid.head(HEADER_SEARCH_ROWS).rows(), columns)
    names = grid.columns
    rows_input = grid.height - header_idx - 1
    frame = (
        grid.lazy()
        .slice(header_idx + 1)
        .with_row_index(ROW_NO, offset=first_row_no + header_idx + 1)
        .select(
            pl.col(ROW_NO).cast(pl.Int32),
            *[(pl.col(names[positions[c.key]]) if c.key in positions else pl.lit(None, pl.String)).alias(c.key)
              for c in columns],
        )
        .filter(~pl.all_horizontal(pl.exclude(ROW_NO).is_null()))  # blank rows
        .collect()
    )
    if frame.height and _is_total_row(frame.row(-1)[1:]):
        frame = frame.slice(0, frame.height - 1)
    rows_ignored = rows_input - frame.height
    if frame.height == 0:
        raise FileRejected(f"“{name}”表头（第 {first_row_no + header_idx} 行）下面没有数据行，请填写项目明细后报送",
                           rows_input=rows_input)
    if frame.height > max_rows:
        raise FileRejected(f"“{name}”有 {frame.height:,} 行数据，超过 {max_rows:,} 行的上限，请拆分后分别报送",
                           rows_input=rows_input)
    return RawTable(frame, columns, rows_input, rows_ignored, first_row_no + header_idx)


def _is_total_row(cells: Sequence[object]) -> bool:
    return any(c is not None and re.sub(r"\s+", "", str(c)).rstrip(":：") in TOTAL_LABELS for c in cells)
