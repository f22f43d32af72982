"""Resource bounds checked before a file is parsed (issue 15): no declared size is trusted.

An xlsx is a zip: every member is inflated here as a stream, counting the bytes that really come out, against a
budget (`max_inflated_mb`); the worksheets are scanned on the way for the cells a parser would allocate (the last
row and column any cell names, and the number of cells), since a parser lays out a grid of rows × columns. A CSV's
widest line and its number of cells are counted on the raw bytes. Anything past a limit is rejected with a Chinese
message naming the limit, before fastexcel or polars sees the file.
"""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator

import numpy as np

from core import catalog

CHUNK = 1 << 20     # inflated bytes per step
CHUNK_IN = 1 << 16  # compressed bytes per step
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml$")
_ROW = re.compile(rb'<row\b[^>]*?\sr="([0-9]+)"')
_CELL_FAR_ROW = re.compile(rb'<c\b[^>]*?\sr="[A-Z]{1,3}([0-9]{6,})"')  # cells in rows >= 100000: few in any file
_CELL_COLUMN = re.compile(rb'<c\b[^>]*?\sr="([A-Z]{1,3})[0-9]')
# A formula cell saved without its cached result (written by a program, never opened in Excel): parsers see it empty.
_FORMULA_NO_VALUE = re.compile(rb'<c\b[^>]*?\sr="([A-Z]{1,3}[0-9]+)"[^>]*>\s*<f\b[^>]*?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>)?\s*</c>')
FORMULAS_NAMED = 5
_TAIL = 256  # bytes kept between chunks so that a tag cut in two is still seen whole


class LimitExceeded(Exception):
    """Past a resource limit; `message` is Chinese and names the limit."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def limits() -> dict:
    s = catalog.etl_settings()
    return {"inflated": s["max_inflated_mb"] * 1024 * 1024, "columns": s["max_columns"], "cells": s["max_cells"],
            "rows": s["max_rows"]}


def column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def column_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def check_xlsx(name: str, data: bytes, row_slack: int) -> None:
    """Inflate every member as a stream against the budget; scan worksheets for the grid a parser would allocate.

    The zip's directory only says where members start: each deflate stream is inflated from its local header until
    the stream itself ends, whatever sizes the directory or the header declare (a forged size proves nothing).
    """
    lim = limits()
    budget = lim["inflated"]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError):
        raise LimitExceeded(f"“{name}”已损坏，无法打开，请重新导出后报送") from None
    for info in infos:
        sheet = _WORKSHEET.match(info.filename) is not None
        budget -= _inflate(name, data, info, budget, lim, row_slack if sheet else None)


def _member_chunks(name: str, data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's bytes as they inflate, CHUNK at most at a time (never trusting a declared size)."""
    start = info.header_offset
    if data[start:start + 4] != b"PK\x03\x04":
        raise LimitExceeded(f"“{name}”已损坏，无法打开，请重新导出后报送")
    name_len, extra_len = struct.unpack("<HH", data[start + 26:start + 30])
    pos = start + 30 + name_len + extra_len
    if info.compress_type == zipfile.ZIP_STORED:  # bounded by the file itself
        stored = data[pos:pos + info.compress_size]
        yield from (stored[i:i + CHUNK] for i in range(0, len(stored), CHUNK))
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise LimitExceeded(f"“{name}”使用了 Excel 不使用的压缩方式，疑似异常文件，请用 Excel 另存为 .xlsx 后重新报送")
    try:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        while not inflater.eof and pos < len(data):
            pending = data[pos:pos + CHUNK_IN]
            pos += len(pending)
            while pending and not inflater.eof:
                out = inflater.decompress(pending, CHUNK)
                pending = inflater.unconsumed_tail
                yield out
    except zlib.error as exc:
        if "Error -4 " in str(exc) or "memory" in str(exc):  # Z_MEM_ERROR: out of memory, the file may be fine
            raise MemoryError(str(exc)) from None
        raise LimitExceeded(f"“{name}”已损坏，无法打开，请重新导出后报送") from None


def _inflate(name: str, data: bytes, info: zipfile.ZipInfo, budget: int, lim: dict, row_slack: int | None) -> int:
    """Real inflated size of one member; raises past the budget or (a worksheet) past the grid limits."""
    total, cells, max_row, max_col, tail = 0, 0, 0, 0, b""
    formulas: list[str] = []
    for chunk in _member_chunks(name, data, info):
        total += len(chunk)
        if total > budget:
            mb = lim["inflated"] // 1024 // 1024
            raise LimitExceeded(f"“{name}”解压后的内容超过 {mb} MB 的上限（按实际解压的字节计，不依据文件自报的大小），"
                                f"疑似异常文件，请删除多余内容或拆分后重新报送")
        if row_slack is None:
            continue
        text = tail + chunk
        cells += chunk.count(b"<c ") + chunk.count(b"<c>")
        rows = [int(r) for r in _ROW.findall(text)] + [int(r) for r in _CELL_FAR_ROW.findall(text)]
        max_row = max([max_row, *rows])
        cols = {c for c in _CELL_COLUMN.findall(text) if len(c) > 1}  # A..Z are always within the limit
        max_col = max([max_col, *(column_number(c) for c in cols)])
        if b"<f" in text and len(formulas) < FORMULAS_NAMED:
            formulas += [r.decode() for r in _FORMULA_NO_VALUE.findall(text) if r.decode() not in formulas]
        tail = text[-_TAIL:]
        _check_grid(name, lim, cells, max_row, max_col, row_slack)
    if formulas:
        raise LimitExceeded(f"“{name}”中单元格 {'、'.join(formulas[:FORMULAS_NAMED])} 是公式，但文件中没有保存公式的计算结果"
                            f"（文件可能由其他程序生成、未在 Excel 中保存过），无法读取其数值。请在 Excel 中打开该文件、"
                            f"保存后重新报送，或把公式改为数值")
    return total


def _check_grid(name: str, lim: dict, cells: int, max_row: int, max_col: int, row_slack: int) -> None:
    if max_col > lim["columns"]:
        raise LimitExceeded(f"“{name}”的工作表使用到第 {column_letters(max_col)} 列，超过 {lim['columns']} 列"
                            f"（{column_letters(lim['columns'])} 列）的上限，请删除多余的列后重新报送")
    if max_row > lim["rows"] + row_slack:
        raise LimitExceeded(f"“{name}”的工作表使用到第 {max_row:,} 行，超过 {lim['rows']:,} 行的上限，"
                            f"请删除多余的行或拆分后重新报送")
    if cells > lim["cells"]:
        raise LimitExceeded(f"“{name}”的单元格超过 {lim['cells']:,} 个的上限，请删除多余内容或拆分后重新报送")


def check_csv(name: str, utf8: bytes) -> None:
    """The widest physical line (fields = commas + 1) and every cell (commas + lines), counted on the bytes."""
    lim = limits()
    raw = np.frombuffer(utf8, dtype=np.uint8)
    commas = raw == ord(",")
    starts = np.concatenate(([0], np.flatnonzero(raw == ord("\n")) + 1))
    starts = starts[starts < len(raw)]
    widest = int(np.add.reduceat(commas, starts, dtype=np.int64).max()) + 1 if len(starts) else 0
    if widest > lim["columns"]:
        raise LimitExceeded(f"“{name}”有一行多达 {widest:,} 列，超过 {lim['columns']} 列的上限"
                            f"（报表模板为 22 列），请删除多余的列后重新报送")
    cells = int(commas.sum()) + len(starts)
    if cells > lim["cells"]:
        raise LimitExceeded(f"“{name}”的单元格超过 {lim['cells']:,} 个的上限，请删除多余内容或拆分后重新报送")


def check_record_width(name: str, records: list[list[str]]) -> None:
    """The records read from the head of a CSV (a quoted line break cannot hide a wide record from this)."""
    columns = limits()["columns"]
    widest = max((len(r) for r in records), default=0)
    if widest > columns:
        raise LimitExceeded(f"“{name}”有一行多达 {widest:,} 列，超过 {columns} 列的上限"
                            f"（报表模板为 22 列），请删除多余的列后重新报送")
