"""Targets of 甘办发〔2024〕6号 as configuration, and progress against them (the 目标进度 page).

- `load_settings(cfg)`: config/targets.toml parsed and checked; problems become Chinese messages, never tracebacks.
- `units_vs_tasks(snapshot, as_of_month)`: every assessed unit's year-to-date 到位资金 against its dispatched task
  and 序时进度, with the gaps still to bring in.
- `province_progress(snapshot, as_of_month)`: the province month by month against 序时进度 and the milestones,
  the year-end and 2026 forecasts, the chart path (this year, last year, 序时目标, forecast fan), the forecast's
  back-test by months ahead, and the units against their tasks (how many are ahead of schedule).
- `funds_projects(snapshot, as_of_month, unit_code)`: the projects behind any of those 到位资金 figures.

Results are `Table`s (a frame in exact 万元 with English column names, plus Chinese labels, units and
definitions; `.display()` gives the frame a page shows, in 亿元, `.xlsx()` the same as a workbook, `.plotted(col)`
one column for a chart, `.where(...)` / `.sort_by(col)` a filtered or sorted copy) and `Figure`s (one number with its
unit and definition). Money is exact Decimal 万元 throughout.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from analytics import metrics
from analytics.tables import Column, Figure, Table
from analytics.targets import quotas
from analytics.targets.settings import Settings, default_as_of, load_settings
from core import catalog, money, reporting
from warehouse.queries import targets as queries
from warehouse.store import Source

RATIO = Decimal("0.0001")
YI = Decimal(money.YI_IN_WAN)


# --------------------------------------------------------------------------- units against tasks

UNIT_COLUMNS = (
    Column("unit_name", "被考核单位"),
    Column("status", "报送情况", definition="截至所选月份本年度的报送情况；尚未报送的单位不计完成率"),
    Column("task_wan", "年度任务", "亿元", "单位下达的到位资金年度任务：配置了协商任务的取配置数，否则为上年实绩×下达系数"),
    Column("task_source", "任务来源"),
    Column("ytd_wan", "年初至今到位资金", "亿元", "本年1月至所选月份各月到位资金之和（省外境内、境外资金，取各月最新版本）"),
    metrics.TASK_COMPLETION.column(),
    metrics.CALENDAR_PROGRESS.column(),
    Column("ahead", "达到序时进度", definition="任务完成率不低于序时进度"),
    Column("gap_calendar_wan", "距序时进度差额", "亿元", "年度任务×m÷12 − 年初至今到位资金，已达到的为 0"),
    Column("gap_task_wan", "距全年任务差额", "亿元", "年度任务 − 年初至今到位资金，已完成的为 0"),
    Column("note", "说明"),
)


@dataclass(frozen=True)
class UnitsProgress:
    year: int
    month: int
    table: Table
    figures: tuple[Figure, ...]
    messages: tuple[str, ...]


def unit_progress_frame(unit_months: pl.DataFrame, as_of_month: dt.date,
                        settings: Settings) -> tuple[pl.DataFrame, list[str]]:
    """Pure: one row per assessed unit (config order) at the end of `as_of_month`, from unit-months
    (unit_code, month, funds_month_wan) covering at least last year and this year through `as_of_month`."""
    year, m = as_of_month.year, as_of_month.month
    this_year = unit_months.filter((pl.col("month").dt.year() == year) & (pl.col("month") <= as_of_month))
    prior = {code: (Decimal(total), months) for code, months, total in
             unit_months.filter(pl.col("month").dt.year() == year - 1).group_by("unit_code")
             .agg(pl.len(), pl.col("funds_month_wan").sum()).iter_rows()}
    multiplier = settings.cfg.get("tasks", {}).get("dispatched_multiplier")
    expected_months = {i for i in range(1, m + 1) if reporting.has_own_report(dt.date(year, i, 1))}
    rows, messages = [], []
    for u in catalog.units():
        mine = this_year.filter(pl.col("unit_code") == u.code)
        reported = set(mine["month"].dt.month().to_list())
        prior_wan, prior_months = prior.get(u.code, (None, 0))
        task = quotas.unit_task_wan(u.code, year, prior_wan, prior_months, settings.cfg)
        if quotas.override_wan(u.code, year, settings.cfg) is not None:
            task_source = "配置任务"
        elif task is not None:
            task_source = f"上年实绩×{multiplier}"
        else:
            task_source = "—"
        problem = quotas.task_problem(task, prior_months)
        if problem:
            messages.append(f"{u.name}：{problem}")
        row = {"unit_code": u.code, "unit_name": u.name, "task_wan": task, "task_source": task_source,
               "prior_year_wan": prior_wan, "months_reported": len(reported),
               "calendar_progress": quotas.calendar_progress(m), "ytd_wan": None, "completion": None,
               "ahead": None, "gap_calendar_wan": None, "gap_task_wan": None}
        if not reported:
            row["status"] = f"尚未报送{year}年数据"
        else:
            missing = sorted(expected_months - reported)
            row["status"] = "已报送" if not missing else (
                f"缺报 {'、'.join(reporting.short_label(dt.date(year, i, 1)) for i in missing)}")
            ytd = Decimal(mine["funds_month_wan"].sum())
            row["ytd_wan"] = ytd
            if problem is None:
                row["completion"] = (ytd / task).quantize(RATIO, rounding=ROUND_HALF_UP)
                row["ahead"] = ytd * 12 >= task * m          # exact: completion ≥ m/12
                row["gap_calendar_wan"] = max(quotas.calendar_expected_wan(task, m) - ytd, Decimal(0))
                row["gap_task_wan"] = max(task - ytd, Decimal(0))
        row["note"] = problem or ""
        rows.append(row)
    schema = {"unit_code": pl.String, "unit_name": pl.String, "status": pl.String, "task_wan": pl.Decimal(18, 4),
              "task_source": pl.String, "prior_year_wan": pl.Decimal(18, 4), "months_reported": pl.Int32,
              "ytd_wan": pl.Decimal(18, 4), "completion": pl.Decimal(18, 4), "calendar_progress": pl.Decimal(18, 6),
              "ahead": pl.Boolean, "gap_calendar_wan": pl.Decimal(18, 4), "gap_task_wan": pl.Decimal(18, 4),
              "note": pl.String}
    frame = pl.DataFrame(rows, schema=schema).sort(
        pl.col("completion").is_null(), pl.col("completion"), descending=[False, True], maintain_order=True)
    return frame, messages


def units_vs_tasks(source: Source, as_of_month: dt.date | None = None,
                   settings: Settings | None = None) -> UnitsProgress | None:
    """All assessed units against their dispatched tasks at the end of `as_of_month` (default: latest data)."""
    settings = settings or load_settings()
    with queries.session(source) as con:
        as_of = as_of_month or default_as_of(con)
        if as_of is None:
            return None
        unit_months = queries.unit_months(con)
    return units_progress(unit_months, as_of, settings)


def units_progress(unit_months: pl.DataFrame, as_of: dt.date, settings: Settings) -> UnitsProgress:
    """Pure part of `units_vs_tasks`."""
    frame, messages = unit_progress_frame(unit_months, as_of, settings)
    return UnitsProgress(as_of.year, as_of.month, Table(f"{as_of.year}年1–{as_of.month}月各单位任务完成情况",
                                                        frame, UNIT_COLUMNS), unit_figures(frame),
                         (*settings.messages, *messages))


def unit_figures(frame: pl.DataFrame) -> tuple[Figure, ...]:
    with_task = frame.filter(pl.col("completion").is_not_null())
    return (
        Figure("达到序时进度的单位", int(with_task["ahead"].sum()), "个",
               f"任务完成率不低于序时进度的单位数（共 {with_task.height} 个单位可计算完成率）"),
        Figure("下达任务合计", money.wan_to_yi(frame["task_wan"].sum()) if frame["task_wan"].is_not_null().any() else None, "亿元",
               f"各单位年度到位资金任务之和（{frame['task_wan'].is_not_null().sum()} 个单位有任务）"),
        Figure("尚未报送的单位", frame.filter(pl.col("ytd_wan").is_null()).height, "个", "本年度尚无任何报送的单位数"),
    )


# --------------------------------------------------------------------------- drill-down

FUNDS_PROJECT_COLUMNS = (
    Column("unit_name", "被考核单位"),
    Column("project_id", "项目编号"),
    Column("project_name", "项目名称"),
    Column("chain", "所属产业链"),
    Column("investor_name", "投资方名称"),
    Column("fund_source", "资金来源"),
    Column("status", "项目状态"),
    Column("months_reported", "报送月数", "个"),
    Column("funds_wan", "期间到位资金", "亿元", "所选期间各月本月到位资金之和"),
)


def funds_projects(source: Source, as_of_month: dt.date, unit_code: str | None = None,
                   first_month: dt.date | None = None) -> Table:
    """The projects behind year-to-date 到位资金 (from January, or `first_month`, through `as_of_month`) of one unit
    or the province; their funds add up exactly to the figure."""
    first = first_month or dt.date(as_of_month.year, 1, 1)
    frame = queries.funds_by_project(source, first, as_of_month, unit_code)
    scope = catalog.unit_name(unit_code) if unit_code else "全省"
    return Table(f"{scope}{first:%Y年%-m月}至{as_of_month:%Y年%-m月}到位资金项目明细（{frame.height} 个项目）", frame,
                 FUNDS_PROJECT_COLUMNS, "期间内有到位资金记录（资金来源为省外境内、境外）的项目，其期间到位资金之和即该范围的到位资金")
