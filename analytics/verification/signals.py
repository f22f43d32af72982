"""The common ground of the risk rules (docs/METHODS.md §2): families, the signals frame, the rule context and
the formatting every rule's Chinese reason uses.

Every rule returns a signals frame (SIGNAL_SCHEMA): one row per hit with the project, its family, a machine
code, a severity in (0, 1] and a plain-Chinese reason. `analytics.verification.scoring` weighs and combines them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl
from scipy.stats import binom

FAMILIES = ("consistency", "digits", "timing", "duplication", "lifecycle", "model")
FAMILY_ZH = {
    "consistency": "数据一致性",
    "digits": "数字特征",
    "timing": "时间特征",
    "duplication": "重复与身份",
    "lifecycle": "项目生命周期",
    "model": "模型综合异常",
}
SIGNAL_SCHEMA = {
    "unit_code": pl.String, "project_id": pl.String, "family": pl.String,
    "code": pl.String, "severity": pl.Float64, "reason": pl.String,
}
KEY = ["unit_code", "project_id"]


@dataclass(frozen=True)
class RuleContext:
    """Everything the rules look at, prepared once (see `analytics.risk.prepare`).

    `pk` is an integer id per (unit_code, project_id) shared by history and population: rules group and join
    on it (much faster than on two strings) and emit signals under KEY.
    """

    quarter: str
    last_month: dt.date          # first day of the quarter's last month
    history: pl.DataFrame        # window rows of every project: pk, in_pop, funds_f, signed_f, sorted by pk, month
    pop_history: pl.DataFrame    # the rows of projects reported in the quarter
    population: pl.DataFrame     # one row per project reported in the quarter (with pk)
    warnings: pl.DataFrame
    revisions: pl.DataFrame
    five_hundred: pl.DataFrame   # 三个500强 list names (list_name, year, company_name)
    register: pl.DataFrame       # Gansu-registered companies of the enterprise register (investor_name, investor_uscc)
    settings: dict               # [risk] of config/sampling.toml
    unit_names: dict[str, str]

    @property
    def severity(self) -> dict:
        return self.settings["severity"]


# --------------------------------------------------------------------------- formatting

def fmt_wan(value) -> str:
    """'1,200 万元', '1,234.5 万元': exact decimal, at most two decimals, thousands separators."""
    q = Decimal(str(value)).quantize(Decimal("0.01"))
    text = f"{q:,.2f}".rstrip("0").rstrip(".")
    return f"{text} 万元"


def wan_expr(expr: pl.Expr) -> pl.Expr:
    """fmt_wan over an amount expression, for reasons built in polars ('32,000 万元', not '32000.0000')."""
    return expr.map_elements(fmt_wan, return_dtype=pl.String, skip_nulls=True).fill_null("—")


def month_zh(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def date_zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def month_index(col: str) -> pl.Expr:
    return pl.col(col).dt.year().cast(pl.Int32) * 12 + pl.col(col).dt.month().cast(pl.Int32)


def signals(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SIGNAL_SCHEMA)


def date_zh_expr(col: str) -> pl.Expr:
    return pl.format("{}年{}月{}日", pl.col(col).dt.year(), pl.col(col).dt.month(), pl.col(col).dt.day())


def emit(frame: pl.DataFrame, family: str, code: str, severity: pl.Expr, reason: pl.Expr) -> pl.DataFrame:
    """Signals from a frame with KEY columns, vectorised."""
    return frame.select(*KEY, family=pl.lit(family), code=pl.lit(code),
                        severity=severity.cast(pl.Float64), reason=reason.cast(pl.String))


def noisy_or(severity: float, count: int) -> float:
    """Severity of `count` independent hits of one rule."""
    return 1 - (1 - severity) ** count


def tail_strength(p: np.ndarray, p_max: float) -> np.ndarray:
    """0 at p = p_max, 1 at p ≤ 0.001 (log scale): how strongly a tail probability flags a pattern."""
    lo, hi = np.log10(0.001), np.log10(p_max)
    return np.clip((hi - np.log10(np.maximum(p, 1e-300))) / (hi - lo), 0.0, 1.0)


def binomial_flags(per: pl.DataFrame, p0: float, p_max: float, base: float) -> pl.DataFrame:
    """Rows of `per` (columns k trials, j hits) whose upper binomial tail P(X ≥ j | k, p0) ≤ p_max, with a
    severity from base/2 (at p_max) to base (at p ≤ 0.001)."""
    if per.is_empty():
        return per.with_columns(sev=pl.lit(0.0))
    p = binom.sf(per["j"].to_numpy() - 1, per["k"].to_numpy(), p0)
    return per.with_columns(p=pl.Series(p), sev=pl.Series(base * (0.5 + 0.5 * tail_strength(p, p_max)))).filter(
        pl.col("p") <= p_max)


# --------------------------------------------------------------------------- digits

def is_round(unit: float) -> pl.Expr:
    """Positive monthly funds that are a whole multiple of `unit` 万元."""
    return (pl.col("funds_f") > 0) & ((pl.col("funds_f") / unit).round(6) % 1 == 0)


