"""Which months carry a report (docs/CONTRACT.md §1 扩展 "1—2月合报").

In a year listed in `combined_jan_feb_years` (config/etl.toml) January and February are reported together in one file,
stored as February: its 本月到位资金 is the two months' total, its deadline February's. January then carries no report
of its own: it is never expected, never missing, never late, and February is named "1—2月" wherever a month is shown.
Every other year: one report per calendar month (contract v1).
"""
from __future__ import annotations

import datetime as dt

from core import catalog, periods

COMBINED_ZH = "1—2月"


def combined_jan_feb(year: int) -> bool:
    """Whether `year` reports January and February together (config/etl.toml `combined_jan_feb_years`)."""
    return year in catalog.etl_settings().get("combined_jan_feb_years", ())


def has_own_report(month: dt.date) -> bool:
    """Whether a month is reported on its own: every month except January of a combined year."""
    return not (month.month == 1 and combined_jan_feb(month.year))


def is_combined(month: dt.date) -> bool:
    """Whether the report stored under `month` is a 1—2月 report (February of a combined year)."""
    return month.month == 2 and combined_jan_feb(month.year)


def expected_months(first: dt.date, last: dt.date) -> list[dt.date]:
    """The report months from `first` through `last` (January of a combined year left out)."""
    return [m for m in periods.month_range(first, last) if has_own_report(m)]


def months_per_year(year: int) -> int:
    """How many reports make a complete year: 12, or 11 in a combined year."""
    return 11 if combined_jan_feb(year) else 12


def previous_report_month(month: dt.date) -> dt.date:
    """The report before `month`'s: the month before, or December for the 1—2月 report of a combined year."""
    prev = periods.add_months(month, -1)
    return prev if has_own_report(prev) else periods.add_months(prev, -1)


def report_label(month: dt.date) -> str:
    """How a report month is named to users: '2025年9月', or '2025年1—2月' for a combined report."""
    return f"{month.year}年{COMBINED_ZH}" if is_combined(month) else periods.month_label(month)


def short_label(month: dt.date) -> str:
    """'9月', or '1—2月' for a combined report (column headings of a year's grid)."""
    return COMBINED_ZH if is_combined(month) else f"{month.month}月"
