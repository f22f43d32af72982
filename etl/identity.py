"""A file's identity (docs/CONTRACT.md §1): its one 报送单位 and its one 统计月份, or the reason the file is rejected."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache

import polars as pl

from core import catalog, clock, reporting
from etl.parse import parse_month, parse_month_span
from etl.read import ROW_NO, FileRejected, RawTable


def month_zh(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def _span_month(value: str, row: int, n: int) -> tuple[dt.date, bool] | None:
    """A 1—2月 统计月份 (扩展) -> (February, True); None when the text is no span; FileRejected for other spans."""
    span = parse_month_span(value)
    if span is None:
        return None
    year, first, last = span
    if (first, last) != (1, 2) or not 2000 <= year <= 2100:
        raise FileRejected(f"第 {row} 行「统计月份」值“{value}”跨越多个月份：只有1月和2月可以合并报送（如“{year}年1—2月”），"
                           f"其他月份请按月分别报送", rows_input=n)
    return dt.date(year, 2, 1), True


def _check_combined(month: dt.date, combined: bool, n: int) -> None:
    """1—2月合报 only in a year configured for it; in such a year January and February only as 1—2月 (扩展)."""
    year = month.year
    if combined and not reporting.combined_jan_feb(year):
        raise FileRejected(f"本文件统计月份为“{year}年1—2月”（1—2月合报），但{year}年规定1月、2月分别报送，"
                           f"请将1月和2月的数据拆分为两个文件，统计月份分别填写 {year}-01 和 {year}-02", rows_input=n)
    if not combined and month.month in (1, 2) and reporting.combined_jan_feb(year):
        raise FileRejected(f"{year}年1月、2月实行合并报送（1—2月合报），不单独报送{month.month}月："
                           f"请报送一个统计月份为“{year}年1—2月”的文件，本月到位资金填写1月、2月合计数", rows_input=n)


def _first_rows(frame: pl.DataFrame, keys: Sequence[str]) -> list[list[tuple[str, int]]]:
    """Per column, its distinct non-empty values with the first row each occurs in (one pass for all columns)."""
    firsts = frame.select(
        pl.struct(k, ROW_NO).filter(pl.col(k).is_not_null() & pl.col(k).is_first_distinct()).implode().alias(k)
        for k in keys
    ).row(0)
    return [[(v[k], v[ROW_NO]) for v in values] for k, values in zip(keys, firsts, strict=True)]


# A file holds one month spelling, a load a few dozen: parse each spelling once (the parser runs a query).
_month_of_text = lru_cache(maxsize=1024)(parse_month)


def file_identity(raw: RawTable) -> tuple[catalog.Unit, dt.date]:
    """The one 报送单位 and 统计月份 of the file, or FileRejected (docs/CONTRACT.md §1)."""
    n = raw.rows_input
    units, months = _first_rows(raw.frame, ("unit", "month"))
    if not units:
        raise FileRejected("「报送单位」一列全部为空，请在每行填写报送单位（如“兰州市”）", rows_input=n)
    resolved: dict[str, list[int]] = {}
    for value, row in units:
        unit = catalog.resolve_unit(value)
        if unit is None:
            raise FileRejected(
                f"第 {row} 行「报送单位」值“{value}”不是被考核单位，请填写 14 个市州或兰州新区的名称、简称或代码"
                f"（如“兰州市”“兰州”“620100”）", rows_input=n)
        resolved.setdefault(unit.code, []).append(row)
    if len(resolved) > 1:
        listing = "、".join(f"{catalog.unit_name(code)}（第 {min(rows)} 行起）" for code, rows in resolved.items())
        raise FileRejected(f"一个文件只能报送一个单位，本文件包含 {len(resolved)} 个：{listing}，"
                           f"请按单位拆分后分别报送", rows_input=n)
    unit = catalog.unit_lookup()[next(iter(resolved))]

    if not months:
        raise FileRejected("「统计月份」一列全部为空，请在每行填写统计月份（如 2025-03）", rows_input=n)
    parsed: dict[tuple[dt.date, bool], int] = {}
    for value, row in months:
        key = _span_month(value, row, n)
        if key is None:
            month = _month_of_text(value)
            if month is None:
                raise FileRejected(f"第 {row} 行「统计月份」值“{value}”无法识别，请填写如 2025-03 或 2025年3月 的月份",
                                   rows_input=n)
            key = (month, False)
        parsed.setdefault(key, row)
    if len(parsed) > 1:
        listing = "、".join(f"{m.year}年1—2月（第 {row} 行起）" if combined else f"{month_zh(m)}（第 {row} 行起）"
                           for (m, combined), row in parsed.items())
        raise FileRejected(f"一个文件只能报送一个统计月份，本文件包含：{listing}，请按月份拆分后分别报送", rows_input=n)
    month, combined = next(iter(parsed))
    earliest = dt.date.fromisoformat(catalog.etl_settings()["earliest_month"] + "-01")
    current = clock.today().replace(day=1)
    if month < earliest:
        raise FileRejected(f"统计月份 {month_zh(month)} 早于可报送的最早月份 {month_zh(earliest)}，请核对",
                           rows_input=n)
    if month > current:
        raise FileRejected(f"统计月份 {month_zh(month)} 晚于当前月份 {month_zh(current)}，不能报送未来月份，请核对",
                           rows_input=n)
    _check_combined(month, combined, n)
    return unit, month
