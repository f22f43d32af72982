"""Year-end forecast of province 到位资金 with a seasonal-share model, and its back-test.

Method (METHOD_VERSION): by the end of month m a year has brought in a typical share s(m) of its total
(December is large, so shares are far from m/12). For every complete past year y, r_y(m) = ln(total_y / cum_y(m)).
The year-end forecast is YTD × exp(mean r); with n ≥ 2 past years the prediction interval is
YTD × exp(mean r ± t_{n−1} · sd(r) · √(1 + 1/n)) — the spread of the share over past years, widened for the few
years behind the mean. With one past year there is a point but no interval; with none, no forecast. A later year
(e.g. 2026) compounds the year-end forecast by the mean log growth of complete years, its variance growing with
the horizon (random walk with drift). Floats live only inside this math; results are Decimal 万元.

Run the back-test reproducibly: `python -m analytics.forecast [--warehouse PATH] [--level 0.8]`.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
from dataclasses import dataclass, replace
from decimal import Decimal
from statistics import fmean, stdev

import numpy as np
import polars as pl
from scipy import stats

from core import reporting

METHOD_VERSION = "seasonal-share-1"
DEFINITION = (
    "季节占比法：以往各完整年度到第m月末累计到位资金占全年的比例（取对数平均），用本年年初至今到位资金除以该比例"
    "预测全年；区间来自以往年度该比例的离散程度（t分布预测区间，历史年度少时区间更宽）。"
)


def _wan(x: float) -> Decimal:
    return Decimal(f"{x:.4f}")


def province_monthly(unit_months: pl.DataFrame) -> pl.DataFrame:
    """The province series from unit-months (unit_code, month, funds_month_wan): month, units_reported,
    funds_month_wan (exact sums)."""
    return (unit_months.group_by("month")
            .agg(pl.len().cast(pl.Int32).alias("units_reported"), pl.col("funds_month_wan").sum())
            .sort("month"))


def monthly_table(monthly: pl.DataFrame) -> dict[int, dict[int, Decimal]]:
    """{year: {month_number: funds}} from a frame with `month` (DATE) and `funds_month_wan`."""
    table: dict[int, dict[int, Decimal]] = {}
    for m, v in monthly.select("month", "funds_month_wan").iter_rows():
        table.setdefault(m.year, {})[m.month] = Decimal(v)
    return table


def complete_years(table: dict[int, dict[int, Decimal]]) -> list[int]:
    """Years with all report months present (12, or 11 in a 1—2月合报 year) and a positive total."""
    return sorted(y for y, months in table.items()
                  if len(months) == reporting.months_per_year(y) and sum(months.values()) > 0)


def _cum(months: dict[int, Decimal], m: int) -> Decimal:
    return sum((months.get(i, Decimal(0)) for i in range(1, m + 1)), Decimal(0))


@dataclass(frozen=True)
class YearEndForecast:
    year: int
    month: int                       # data through the end of this month
    ytd_wan: Decimal
    point_wan: Decimal | None
    low_wan: Decimal | None
    high_wan: Decimal | None
    level: float
    history_years: tuple[int, ...]
    log_sd: float | None             # predictive sd of ln(total / YTD), when an interval exists
    messages: tuple[str, ...]
    definition: str = DEFINITION
    reliability: str = ""            # after `calibrate`: CHECKED, WIDENED or UNRELIABLE ("" before / no interval)
    reliability_note: str = ""       # the Chinese reason, shown beside the interval


def _growth_ratios(table: dict[int, dict[int, Decimal]], year: int, month: int,
                   to_month: int) -> tuple[list[int], list[float], list[str]]:
    """For every complete year before `year`: ln(cum(to_month) / cum(month)), how a past year grew from the end of
    `month` to the end of `to_month` (to_month 12: ln(total / YTD)). Years with a non-positive cumulative are skipped."""
    history, ratios, messages = [], [], []
    for y in complete_years(table):
        if y >= year:
            continue
        cum, later = _cum(table[y], month), _cum(table[y], to_month)
        if cum > 0 and later > 0:
            history.append(y)
            ratios.append(math.log(later / cum))
        else:
            messages.append(f"{y}年1–{month}月累计为零，不参与占比估计")
    return history, ratios, messages


def _extrapolate(ytd: Decimal, ratios: list[float], level: float) -> tuple[float, float | None, float | None, float | None]:
    """YTD × exp(mean r) and, with two or more ratios, the t prediction interval: (point, low, high, predictive sd)."""
    mean = fmean(ratios)
    point = float(ytd) * math.exp(mean)
    if len(ratios) < 2:
        return point, None, None, None
    n = len(ratios)
    sd = stdev(ratios) * math.sqrt(1 + 1 / n)
    half = stats.t.ppf((1 + level) / 2, n - 1) * sd
    return point, float(ytd) * math.exp(mean - half), float(ytd) * math.exp(mean + half), sd


def forecast_year_end(monthly: pl.DataFrame, year: int, month: int, level: float = 0.8) -> YearEndForecast:
    """Forecast `year`'s total from its data through `month`, using the complete years before it."""
    table = monthly_table(monthly)
    current = table.get(year, {})
    ytd = _cum(current, month)
    missing = [i for i in range(1, month + 1) if i not in current and reporting.has_own_report(dt.date(year, i, 1))]
    messages = [f"{year}年{'、'.join(f'{i}月' for i in missing)}无报送数据，年初至今数偏低"] if missing else []
    if month == 12 and not missing:  # 1—2月合报: February holds January's figures
        return YearEndForecast(year, month, ytd, ytd, ytd, ytd, level, (), 0.0, (f"{year}年已全年报送，为实际数",))
    history, ratios, skipped = _growth_ratios(table, year, month, 12)
    messages += skipped
    none = dict(point_wan=None, low_wan=None, high_wan=None, log_sd=None)
    if ytd <= 0:
        messages.append(f"{year}年1–{month}月到位资金为零，无法按季节占比外推全年")
        return YearEndForecast(year, month, ytd, level=level, history_years=tuple(history),
                               messages=tuple(messages), **none)
    if not ratios:
        messages.append(f"{year}年以前没有完整年度的数据，无法按季节占比预测全年")
        return YearEndForecast(year, month, ytd, level=level, history_years=(), messages=tuple(messages), **none)
    point, low, high, sd = _extrapolate(ytd, ratios, level)
    if sd is None:
        messages.append(f"仅有 {len(ratios)} 个完整历史年度（{history[0]}年），无法估计预测区间")
        return YearEndForecast(year, month, ytd, _wan(point), None, None, level, tuple(history), None,
                               tuple(messages))
    return YearEndForecast(year, month, ytd, _wan(point), _wan(low), _wan(high), level, tuple(history), sd,
                           tuple(messages))


def forecast_path(monthly: pl.DataFrame, year: int, month: int, level: float = 0.8) -> pl.DataFrame:
    """The expected cumulative 到位资金 at the end of every month from `month` to December (the forecast fan):
    month (DATE), forecast_wan, low_wan, high_wan. Same method as `forecast_year_end` (December's row is the
    year-end forecast; `month`'s row is the YTD itself). Empty when the year cannot be forecast."""
    table = monthly_table(monthly)
    ytd = _cum(table.get(year, {}), month)
    rows = []
    if ytd > 0:
        for k in range(month, 13):
            _, ratios, _ = _growth_ratios(table, year, month, k)
            if not ratios:
                break
            point, low, high, _ = _extrapolate(ytd, ratios, level)
            rows.append({"month": dt.date(year, k, 1), "forecast_wan": _wan(point),
                         "low_wan": None if low is None else _wan(low), "high_wan": None if high is None else _wan(high)})
    money = pl.Decimal(18, 4)
    return pl.DataFrame(rows, schema={"month": pl.Date, "forecast_wan": money, "low_wan": money, "high_wan": money})


@dataclass(frozen=True)
class YearForecast:
    """A later year's total (e.g. 2026) from this year's year-end forecast and past growth."""
    target_year: int
    point_wan: Decimal | None
    low_wan: Decimal | None
    high_wan: Decimal | None
    growth: float | None             # mean annual growth of complete years used (e.g. 0.21 = +21 %)
    growth_years: tuple[int, ...]
    messages: tuple[str, ...]
    definition: str = ("以本年全年预测为起点，按以往完整年度的平均增长率（对数平均）逐年外推；区间合并本年预测的不确定性"
                       "与年增长率的波动（随外推年数扩大）。")


def forecast_year(monthly: pl.DataFrame, base: YearEndForecast, target_year: int) -> YearForecast:
    """Extend `base` (the current year's year-end forecast) to `target_year`."""
    k = target_year - base.year
    if k == 0:
        return YearForecast(target_year, base.point_wan, base.low_wan, base.high_wan, None, (), base.messages)
    if base.point_wan is None:
        return YearForecast(target_year, None, None, None, None, (), (f"{base.year}年全年无法预测，{target_year}年亦无法预测",))
    table = monthly_table(monthly)
    years = [y for y in complete_years(table) if y < base.year]
    pairs = [(a, b) for a, b in zip(years, years[1:]) if b == a + 1]
    growths = [math.log(sum(table[b].values()) / sum(table[a].values())) for a, b in pairs]
    used = tuple(b for _, b in pairs)
    if not growths:
        return YearForecast(target_year, None, None, None, None, (),
                            ("没有相邻的两个完整年度，无法估计年增长率，无法外推",))
    g = fmean(growths)
    point = float(base.point_wan) * math.exp(k * g)
    messages = []
    low = high = None
    if len(growths) >= 2 and base.log_sd is not None:
        n = len(growths)
        sd_g = stdev(growths)
        sd = math.sqrt(base.log_sd ** 2 + k * sd_g ** 2 + (k ** 2) * sd_g ** 2 / n)
        half = stats.t.ppf((1 + base.level) / 2, n - 1) * sd
        low, high = _wan(point * math.exp(-half)), _wan(point * math.exp(half))
    else:
        messages.append(f"用于估计增长率的完整年度过少（{len(growths)} 个增长率），无法给出区间")
    return YearForecast(target_year, _wan(point), low, high, math.exp(g) - 1, used, tuple(messages))


@dataclass(frozen=True)
class Backtest:
    detail: pl.DataFrame        # year, month, horizon, history_years, forecast_wan, actual_wan, ape, low_wan, high_wan, covered
    by_horizon: pl.DataFrame    # horizon, forecasts, mape, interval_forecasts, coverage
    level: float
    fingerprint: str            # sha256 of the input series, the method version and the level
    method: str = METHOD_VERSION


def fingerprint(monthly: pl.DataFrame, level: float) -> str:
    h = hashlib.sha256(f"{METHOD_VERSION}|{level}".encode())
    for m, v in monthly.select("month", "funds_month_wan").sort("month").iter_rows():
        h.update(f"|{m:%Y-%m}:{Decimal(v):f}".encode())
    return h.hexdigest()


def backtest(monthly: pl.DataFrame, level: float = 0.8) -> Backtest:
    """For every complete year with an earlier complete year and every month 1–11, forecast the year end from
    the data through that month (using only earlier years) and compare with the actual total."""
    table = monthly_table(monthly)
    years = complete_years(table)
    rows = []
    for y in years[1:]:
        actual = sum(table[y].values())
        for m in range(1, 12):
            f = forecast_year_end(monthly, y, m, level)
            if f.point_wan is None:
                continue
            covered = None if f.low_wan is None else f.low_wan <= actual <= f.high_wan
            rows.append({
                "year": y, "month": m, "horizon": 12 - m, "history_years": len(f.history_years),
                "forecast_wan": f.point_wan, "actual_wan": actual,
                "ape": abs(float(f.point_wan) - float(actual)) / float(actual),
                "low_wan": f.low_wan, "high_wan": f.high_wan, "covered": covered,
            })
    schema = {"year": pl.Int32, "month": pl.Int32, "horizon": pl.Int32, "history_years": pl.Int32,
              "forecast_wan": pl.Decimal(18, 4), "actual_wan": pl.Decimal(18, 4), "ape": pl.Float64,
              "low_wan": pl.Decimal(18, 4), "high_wan": pl.Decimal(18, 4), "covered": pl.Boolean}
    detail = pl.DataFrame(rows, schema=schema)
    by_horizon = (
        detail.group_by("horizon")
        .agg(pl.len().alias("forecasts"), pl.col("ape").mean().alias("mape"),
             pl.col("covered").count().alias("interval_forecasts"), pl.col("covered").mean().alias("coverage"))
        .sort("horizon")
    )
    return Backtest(detail, by_horizon, level, fingerprint(monthly, level))


# --------------------------------------------------------------------------- calibration by the back-test

CHECKED, WIDENED, UNRELIABLE = "区间经回测检验", "区间按回测误差放宽", "预测不可靠"
MIN_CHECKS = 3    # back-test intervals needed before a coverage can be called near nominal
MIN_ERRORS = 5    # back-test errors needed before an interval can be taken from their quantiles
SIGNIFICANCE = 0.05


def coverage_is_near_nominal(covered: int, checks: int, level: float) -> bool:
    """Enough checked intervals, and no evidence (one-sided binomial test at 5 %) that they cover less than `level`."""
    return checks >= MIN_CHECKS and stats.binom.cdf(covered, checks, level) >= SIGNIFICANCE


def calibrate(f: YearEndForecast, bt: Backtest) -> YearEndForecast:
    """The forecast with an honest interval: the model interval when the back-test at this horizon covers near its
    nominal level; else an interval from the empirical quantiles of the back-test's log errors at this or longer
    horizons (never narrower than the model's); else no interval and UNRELIABLE. A forecast without a model interval,
    or an actual year, is returned as it is."""
    if f.point_wan is None or f.low_wan is None or f.point_wan == f.ytd_wan and f.month == 12:
        return f
    horizon = 12 - f.month
    at = bt.detail.filter(pl.col("horizon") == horizon)
    checks = at["covered"].drop_nulls()
    covered, n = int(checks.sum()), checks.len()
    coverage = f"回测中同一提前期的 {f.level:.0%} 区间覆盖实际 {covered}/{n} 次"
    if coverage_is_near_nominal(covered, n, f.level):
        return replace(f, reliability=CHECKED, reliability_note=f"{coverage}，接近名义水平")
    errors = bt.detail.filter(pl.col("horizon") >= horizon)
    logs = [math.log(float(a) / float(p)) for p, a in errors.select("forecast_wan", "actual_wan").iter_rows()]
    why = f"{coverage}，" + ("低于名义水平" if n >= MIN_CHECKS else "回测次数过少，无法检验")
    if len(logs) < MIN_ERRORS:
        return replace(f, low_wan=None, high_wan=None, reliability=UNRELIABLE,
                       reliability_note=f"{why}，且可用于估计误差的回测不足 {MIN_ERRORS} 次，区间不予显示，点预测仅供参考")
    q = np.quantile(logs, [(1 - f.level) / 2, (1 + f.level) / 2], method="inverted_cdf")
    point = float(f.point_wan)
    low = min(float(f.low_wan), point * math.exp(min(q[0], 0.0)))
    high = max(float(f.high_wan), point * math.exp(max(q[1], 0.0)))
    model_half = max(math.log(float(f.high_wan) / point), math.log(point / float(f.low_wan)))
    half = max(math.log(high / point), math.log(point / low))
    log_sd = f.log_sd * half / model_half if f.log_sd is not None and model_half > 0 else f.log_sd
    return replace(f, low_wan=_wan(low), high_wan=_wan(high), log_sd=log_sd,
                   reliability=WIDENED,
                   reliability_note=f"{why}，区间改按 {len(logs)} 次回测误差（提前 {horizon} 个月及以上）的经验分位数放宽")


def calibrate_path(path: pl.DataFrame, model: YearEndForecast, calibrated: YearEndForecast) -> pl.DataFrame:
    """The forecast fan made consistent with the calibrated year end: unchanged when checked, each month's bounds
    moved by the year end's widening factors when widened (December's row is then the calibrated interval), no
    interval when unreliable."""
    if calibrated.reliability in ("", CHECKED) or model.low_wan is None:
        return path
    if calibrated.reliability == UNRELIABLE:
        return path.with_columns(pl.lit(None, pl.Decimal(18, 4)).alias(c) for c in ("low_wan", "high_wan"))
    down = calibrated.low_wan / model.low_wan
    up = calibrated.high_wan / model.high_wan
    return path.with_columns((pl.col("low_wan").cast(pl.Float64) * float(down)).round(4).cast(pl.Decimal(18, 4)),
                             (pl.col("high_wan").cast(pl.Float64) * float(up)).round(4).cast(pl.Decimal(18, 4)))


def main(argv: list[str] | None = None) -> int:
    from warehouse import store
    from warehouse.queries import targets as queries

    ap = argparse.ArgumentParser(prog="python -m analytics.forecast", description="到位资金全年预测方法回测")
    ap.add_argument("--warehouse", help="数据仓库路径（默认 data/warehouse.duckdb 或环境变量 WAREHOUSE）")
    ap.add_argument("--level", type=float, default=0.8, help="预测区间置信水平（默认 0.8）")
    args = ap.parse_args(argv)
    snapshot = store.current_snapshot(args.warehouse)
    if snapshot is None:
        print("数据仓库中尚无数据")
        return 1
    result = backtest(province_monthly(queries.unit_months(snapshot)), args.level)
    print(f"方法 {result.method}，区间水平 {result.level:.0%}，数据指纹 {result.fingerprint[:16]}")
    if result.detail.is_empty():
        print("完整年度不足两个，无法回测")
        return 0
    print("提前月数  预测次数  MAPE      区间覆盖率")
    for h, n, mape, k, cov in result.by_horizon.iter_rows():
        cov_text = f"{cov:.0%}（{k} 次）" if k else "—"
        print(f"{h:>8}  {n:>8}  {mape:>7.2%}   {cov_text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
