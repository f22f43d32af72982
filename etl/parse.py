"""Cell parsing (docs/CONTRACT.md §1 "Numbers" and "Dates"): vectorised polars expressions, usable per value too.

Every parser takes the cell text as the reader produced it (see etl.read) and returns a typed value, or null when
the text is not a valid value of that type. The per-value functions evaluate the very same expressions on a
one-element frame, so a single value and a whole column can never disagree.
"""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import polars as pl

from core.uscc import USCC_CHARS, USCC_PATTERN, USCC_VALUE, USCC_WEIGHTS

AMOUNT = pl.Decimal(18, 4)  # 万元, exact (DECIMAL(18,4) in the warehouse): one bounded cell always fits
# Cells are parsed wider than they are stored, so that an implausibly large amount is told apart from a word: it
# parses, and validation quarantines it as out of range (see etl.rules), before anything is cast to AMOUNT.
PARSED_AMOUNT = pl.Decimal(38, 4)

# Patterns use [0-9], not \d: \d is Unicode-aware and would take full-width digits for ASCII ones.
# Full-width ASCII (U+FF01..U+FF5E) -> half-width; the ideographic space and the minus sign U+2212 as well.
_FULL = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000", "\u2212"]
_HALF = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" ", "-"]
_TO_HALF = str.maketrans(dict(zip(_FULL, _HALF, strict=True)))

_NUMBER = r"^[+-]?(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]+)?$"
_PLAIN_NUMBER = r"^-?[0-9]+(?:\.[0-9]+)?$"
# 2025-03-15, 2025/3/15, 2025.3.15, 2025年3月15日; a time part is allowed (date cells that carry a time).
_DATE = (
    r"^([0-9]{4})\s*(?:[-/.]|年)\s*([0-9]{1,2})\s*(?:[-/.]|月)\s*([0-9]{1,2})\s*日?"
    r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
)
# 2025-03, 2025/3, 2025.3, 2025年3月
_MONTH = r"^([0-9]{4})\s*(?:[-/.]|年)\s*([0-9]{1,2})\s*月?$"
# 扩展 (1—2月合报): a span of months, 2025年1—2月, 2025年1-2月, 2025年1至2月, 2025-01—02, 2025.1~2. A bare
# 2025-01-02 stays a date (January): with digits and hyphens only, a span needs 年 or a dash other than "-".
_SPAN = re.compile(r"^([0-9]{4})\s*年\s*([0-9]{1,2})\s*(?:-+|—+|–|~|至|到)\s*([0-9]{1,2})\s*月?$"
                   r"|^([0-9]{4})\s*[-/.]\s*([0-9]{1,2})\s*(?:—+|–|~|至|到)\s*([0-9]{1,2})\s*月?$")
_SERIAL = r"^[0-9]{5}(?:\.[0-9]+)?$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Excel serial day numbers accepted as dates: 1950-01-01 .. 2099-12-31 (a bare "2025" is not a date).
_EXCEL_EPOCH = dt.date(1899, 12, 30)
SERIAL_MIN = (dt.date(1950, 1, 1) - _EXCEL_EPOCH).days
SERIAL_MAX = (dt.date(2099, 12, 31) - _EXCEL_EPOCH).days

# GB 32100-2015: 18 characters from this 31-character set; the 18th is a check character over the first 17.
def halfwidth(expr: pl.Expr) -> pl.Expr:
    """Full-width digits, letters and punctuation to half-width, then strip surrounding spaces."""
    return expr.str.replace_many(_FULL, _HALF).str.strip_chars()


def _unusual(expr: pl.Expr, common: pl.Expr) -> pl.Expr:
    """The cell text where `common` is false, else null: the slow path then only touches unusual spellings."""
    return pl.when(~common).then(expr)


def number_expr(expr: pl.Expr) -> pl.Expr:
    """Cell text -> Decimal(38,4) (rounded half-even to 4 places), or null if it is not a plain number (or has
    more than 34 digits before the point: see `number_shaped_expr`)."""
    plain = expr.str.contains(_PLAIN_NUMBER)  # the common spelling: cast directly
    t = halfwidth(_unusual(expr, plain))
    return pl.coalesce(
        pl.when(plain).then(expr.cast(PARSED_AMOUNT, strict=False)),
        pl.when(t.str.contains(_NUMBER)).then(
            t.str.replace_all(",", "", literal=True).cast(PARSED_AMOUNT, strict=False)),
    )


def number_shaped_expr(expr: pl.Expr) -> pl.Expr:
    """Whether the cell text is written as a number (digits, sign, point, thousands commas), whatever its size."""
    return expr.str.contains(_PLAIN_NUMBER) | halfwidth(expr).str.contains(_NUMBER)


def _serial_date(t: pl.Expr) -> pl.Expr:
    days = pl.when(t.str.contains(_SERIAL)).then(t).cast(pl.Float64).floor().cast(pl.Int64)
    return pl.when(days.is_between(SERIAL_MIN, SERIAL_MAX)).then(pl.lit(_EXCEL_EPOCH) + pl.duration(days=days))


def _ymd(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    return pl.format("{}-{}-{}", y, m, d).str.to_date("%Y-%m-%d", strict=False)


def date_expr(expr: pl.Expr) -> pl.Expr:
    """Cell text -> Date: ISO text of a date cell, 2025-03-15, 2025/3/15, 2025.3.15, 2025年3月15日, Excel serials."""
    iso = expr.str.contains(_ISO_DATE)  # the common spelling (and every date cell): parse directly
    t = halfwidth(_unusual(expr, iso))
    g = t.str.extract_groups(_DATE)
    return pl.coalesce(
        pl.when(iso).then(expr.str.to_date("%Y-%m-%d", strict=False)),
        _ymd(g.struct[0], g.struct[1], g.struct[2]),
        _serial_date(t),
    )


def month_expr(expr: pl.Expr) -> pl.Expr:
    """Cell text -> Date (first of month): 2025-03, 2025年3月, 2025/3, or any date (a date cell)."""
    t = halfwidth(expr)
    g = t.str.extract_groups(_MONTH)
    return pl.coalesce(_ymd(g.struct[0], g.struct[1], pl.lit("1")), date_expr(expr).dt.month_start())


def uscc_normalise_expr(expr: pl.Expr) -> pl.Expr:
    """Half-width, upper case, no spaces: how a USCC is compared and stored."""
    ok = expr.str.contains(USCC_PATTERN)
    return pl.coalesce(pl.when(ok).then(expr),
                       halfwidth(_unusual(expr, ok)).str.replace_all(r"\s", "").str.to_uppercase())


def uscc_check_char_expr(expr: pl.Expr) -> pl.Expr:
    """The check character the first 17 characters call for (expects a normalised, well-formed code)."""
    total = pl.sum_horizontal(
        expr.str.slice(i, 1).replace_strict(USCC_VALUE, default=None, return_dtype=pl.Int64) * w
        for i, w in enumerate(USCC_WEIGHTS)
    )
    return ((31 - total % 31) % 31).replace_strict(dict(enumerate(USCC_CHARS)), return_dtype=pl.String)


def _one(expr_fn, value: object):
    if value is None:
        return None
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
    else:
        text = str(value)
    return pl.select(expr_fn(pl.lit(text, dtype=pl.String))).item()


def parse_number(value: object) -> Decimal | None:
    return _one(number_expr, value)


def parse_date(value: object) -> dt.date | None:
    return _one(date_expr, value)


def parse_month(value: object) -> dt.date | None:
    return _one(month_expr, value)


def parse_month_span(value: object) -> tuple[int, int, int] | None:
    """A 统计月份 that spans months ('2025年1—2月') -> (year, first month, last month); None for anything else."""
    if value is None:
        return None
    m = _SPAN.match(str(value).translate(_TO_HALF).strip())
    if not m:
        return None
    y, a, b = (int(g) for g in (m.groups()[:3] if m.group(1) else m.groups()[3:]))
    return y, a, b
