"""Months and quarters: 'YYYYQn' strings, months as the first day of the month (DATE)."""
from __future__ import annotations

import datetime as dt
import re

_QUARTER = re.compile(r"^\s*(\d{4})\s*[Qq]\s*([1-4])\s*$")


def parse_quarter(text: str) -> tuple[int, int]:
    """'2025Q3' -> (2025, 3); ValueError with a Chinese message otherwise."""
    m = _QUARTER.match(text or "")
    if not m:
        raise ValueError(f"季度格式应为 2025Q3 这样的形式，收到“{text}”")
    return int(m.group(1)), int(m.group(2))


def quarter_label(year: int, q: int) -> str:
    return f"{year}Q{q}"


def quarter_of(month: dt.date) -> str:
    return quarter_label(month.year, (month.month - 1) // 3 + 1)


def quarter_months(quarter: str) -> list[dt.date]:
    """The three months (first days) of a quarter."""
    year, q = parse_quarter(quarter)
    return [dt.date(year, 3 * (q - 1) + i, 1) for i in (1, 2, 3)]


def previous_quarter(quarter: str) -> str:
    year, q = parse_quarter(quarter)
    return quarter_label(year - 1, 4) if q == 1 else quarter_label(year, q - 1)


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    idx = month.year * 12 + month.month - 1 + n
    return dt.date(idx // 12, idx % 12 + 1, 1)


def last_complete_month(today: dt.date) -> dt.date:
    return add_months(month_start(today), -1)


def quarter_zh(quarter: str) -> str:
    """'2025Q3' -> '2025年第三季度'."""
    year, q = parse_quarter(quarter)
    return f"{year}年第{'一二三四'[q - 1]}季度"


def month_label(month: dt.date) -> str:
    """'2025年9月': the one way a month is named to users."""
    return f"{month.year}年{month.month}月"


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """The months (first days) from `first` through `last`."""
    out, m = [], first
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out
