"""10亿元以上 projects and 三个500强 enterprises against the doubling rule (the 重大项目与三个500强 page).

Counting rules (configured in config/targets.toml):
- A project counts once, in the period of its 签约日期, on the 到位资金 basis (资金来源 省外境内 / 境外) and unless
  its status is excluded (终止). Its size tier is by 计划总投资 (10亿元 = 100,000 万元).
- A 三个500强 enterprise is identified by its USCC, else by its normalised name (a name seen elsewhere with a USCC
  takes that USCC); with group matching on, an investor matched to a list entry by its group's name takes the
  entry's identity, so a group's subsidiaries are one enterprise. It counts once for the province, and once for
  each unit (or chain) it invests in. A claim is checked against the list of the signing year, else the latest
  earlier year; claims not found are kept and marked.
- Doubling: the count over the target period must reach factor × the count over the baseline period; the monthly
  path rises linearly from 0 to that target over the target period.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from analytics.tables import Column, Figure, Table, column, percent
from analytics.targets.five_hundred import claims_frame
from analytics.targets.settings import FIVE_HUNDRED_KEY, Period, Settings, default_as_of, load_settings
from core import catalog, periods
from warehouse.queries import targets as queries
from warehouse.store import Source

# --------------------------------------------------------------------------- doubling tracker

def counted_projects(projects: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Projects that count: 到位资金 basis and status not excluded."""
    return projects.filter(pl.col("counts_for_funds") & ~pl.col("status").is_in(list(settings.exclude_statuses)))


def _bounds(p: Period) -> tuple[dt.date, dt.date]:
    """[first day, day after the last month) of a period, for signing-date filters."""
    return p.first, periods.add_months(p.last, 1)


def _events(counted: pl.DataFrame, claims: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Long frame: one row per (measure, counted project) with unit, chain, signing month, period and the key
    that is counted (the project for tiers, the enterprise for 三个500强)."""
    cols = ["unit_code", "unit_name", "chain", "signing_date",
            (pl.col("unit_code") + "|" + pl.col("project_id")).alias("project_key")]
    parts = []
    for tier in settings.tiers:
        part = counted.filter(pl.col("planned_investment_wan") >= tier.level_wan)
        parts.append(part.select(pl.lit(tier.label).alias("measure"), *cols,
                                 (pl.col("unit_code") + "|" + pl.col("project_id")).alias("key")))
    five = claims.filter(pl.col("verified")) if settings.verified_only else claims
    parts.append(five.select(pl.lit(FIVE_HUNDRED_KEY).alias("measure"), *cols, pl.col("enterprise_id").alias("key")))
    period = pl.lit(None, pl.String)
    for name, p in (("target", settings.target), ("baseline", settings.baseline)):
        if p:
            period = pl.when(pl.col("signing_date").is_between(*_bounds(p), closed="left")).then(pl.lit(name)).otherwise(period)
    return pl.concat(parts).with_columns(period.alias("period"),
                                         pl.col("signing_date").dt.truncate("1mo").alias("month"))


DOUBLING_COLUMNS = (
    Column("measure", "指标"),
    Column("unit", "单位"),
    Column("baseline_count", "基期数", definition="基期内签约的项目数（或有项目签约的三个500强企业数）"),
    Column("baseline_source", "基期数来源"),
    Column("baseline_coverage", "基期数据覆盖", "%", "基期各月中仓库有报送数据的月份比例；不足100%时基期数可能偏低"),
    Column("target_count", "翻番目标", definition="基期数 × 翻番倍数（向上取整）"),
    Column("current_count", "目标期累计", definition="目标期开始至所选月份签约的项目数（企业数）"),
    Column("path_count", "序时目标", definition="翻番目标 × 目标期已过月数 ÷ 目标期总月数（向上取整）"),
    Column("progress", "翻番进度", "%", "目标期累计 ÷ 翻番目标"),
    Column("verdict", "达到序时", definition="目标期累计不低于序时目标；基期数据不完整（且未配置基期实数）时不作判断"),
)
INCOMPLETE_BASIS = "基期数据不完整"
BREAKDOWN_COLUMNS = (
    Column("measure", "指标"),
    Column("group", "分组"),
    Column("baseline_count", "基期数"),
    Column("target_count", "翻番目标"),
    Column("current_count", "目标期累计"),
    Column("progress", "翻番进度", "%"),
)
PATH_COLUMNS = (
    Column("month", "月份"),
    Column("measure", "指标"),
    Column("cumulative", "目标期累计"),
    Column("path_count", "翻番路径", definition="翻番目标 × 目标期已过月数 ÷ 目标期总月数（向上取整）"),
)


@dataclass(frozen=True)
class Doubling:
    summary: Table
    path: Table
    by_unit: Table
    by_chain: Table
    messages: tuple[str, ...]


def _target(baseline: int | None, factor: Decimal) -> int | None:
    return None if baseline is None else math.ceil(Decimal(baseline) * factor)


def _path_count(target: int | None, elapsed: int, months: int) -> int | None:
    """The count the linear path expects after `elapsed` of `months` months (a count: rounded up)."""
    return None if target is None else math.ceil(Decimal(target) * elapsed / months)


def _progress(current: int, target: int | None) -> Decimal | None:
    return None if not target else (Decimal(current) / target).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def doubling_tracker(events: pl.DataFrame, data_months: list[dt.date], as_of: dt.date,
                     settings: Settings) -> Doubling:
    """Pure: counts per measure in the baseline and target periods, the path, and breakdowns by unit and chain."""
    b, t = settings.baseline, settings.target
    messages: list[str] = []
    if b is None or t is None:
        empty = Table("翻番进度", pl.DataFrame(), ())
        return Doubling(empty, empty, empty, empty, ("翻番规则配置有误，无法计算翻番进度",))
    have = set(data_months)
    covered = sum(1 for m in b.month_list() if m in have)
    coverage = Decimal(covered) / b.months
    elapsed = min(max((as_of.year - t.first.year) * 12 + as_of.month - t.first.month + 1, 0), t.months)
    measures = [*(tier.label for tier in settings.tiers), FIVE_HUNDRED_KEY]
    units_of = {tier.label: "个" for tier in settings.tiers} | {FIVE_HUNDRED_KEY: "家"}
    counts = (events.filter(pl.col("period").is_not_null())
              .group_by("measure", "period").agg(pl.col("key").n_unique().alias("n")))
    lookup = {(m, p): n for m, p, n in counts.iter_rows()}
    if 0 < covered < b.months:
        messages.append(
            f"基期（{b.label}，共 {b.months} 个月）仓库中仅有 {covered} 个月的数据（最早 {min(have):%Y-%m}），"
            "由仓库计算的基期数可能偏低，是否达到序时暂不判断（显示“基期数据不完整”）；可由管理员在目标任务配置中填写基期实数")
    rows, unknown, zero = [], [], []
    for m in measures:
        configured = settings.baseline_counts.get(m)
        complete = configured is not None or covered == b.months
        if configured is not None:
            base, source = configured, "配置值"
        elif covered == 0:
            base, source = None, "无数据"
            unknown.append(m)
        else:
            base, source = lookup.get((m, "baseline"), 0), "仓库数据" if covered == b.months else "仓库数据（不完整）"
        target = _target(base, settings.factor)
        if base == 0:
            zero.append(m)
        current = lookup.get((m, "target"), 0)
        path = _path_count(target, elapsed, t.months)
        on_track = None if path is None or not target or not complete else current >= path
        verdict = (None if path is None or not target else INCOMPLETE_BASIS if not complete
                   else "是" if on_track else "否")
        rows.append({"measure": m, "unit": units_of[m], "baseline_count": base, "baseline_source": source,
                     "baseline_coverage": coverage.quantize(Decimal("0.0001")), "target_count": target,
                     "current_count": current, "path_count": path, "progress": _progress(current, target),
                     "on_track": on_track, "basis_complete": complete, "verdict": verdict})
    if unknown:
        messages.append(f"基期（{b.label}）仓库中没有数据，且管理员未在目标任务配置中"
                        f"填写基期数，无法计算翻番目标：{'、'.join(unknown)}")
    if zero:
        messages.append(f"基期数为 0，翻番目标无意义，仅显示目标期累计：{'、'.join(zero)}")
    summary = pl.DataFrame(rows, schema={
        "measure": pl.String, "unit": pl.String, "baseline_count": pl.Int64, "baseline_source": pl.String,
        "baseline_coverage": pl.Decimal(18, 4), "target_count": pl.Int64, "current_count": pl.Int64,
        "path_count": pl.Int64, "progress": pl.Decimal(18, 4), "on_track": pl.Boolean,
        "basis_complete": pl.Boolean, "verdict": pl.String})
    targets_by_measure = {r["measure"]: r["target_count"] for r in rows}
    partial = ("" if covered == b.months else
               f"；基期 {b.months} 个月中仓库仅有 {covered} 个月的数据，此处基期数只含此后仍在报送的基期签约项目，可能偏低")
    title = f"翻番进度（基期 {b.label}，目标期 {t.label}，截至 {as_of:%Y-%m}）"
    return Doubling(
        Table(title, summary, DOUBLING_COLUMNS,
              f"目标期累计应达到基期的 {settings.factor.normalize():f} 倍；项目按签约日期归期，只计一次"),
        Table("翻番路径（逐月）", _path(events, t, as_of, targets_by_measure, measures), PATH_COLUMNS),
        Table("按单位", _breakdown(events, "unit_name", measures, settings), BREAKDOWN_COLUMNS,
              "三个500强企业在每个有其项目的单位各计一次；单位基期数取自仓库数据" + partial),
        Table("按产业链", _breakdown(events, "chain", measures, settings), BREAKDOWN_COLUMNS,
              "产业链基期数取自仓库数据" + partial),
        tuple(messages),
    )


def _path(events: pl.DataFrame, t: Period, as_of: dt.date, targets: dict, measures: list[str]) -> pl.DataFrame:
    """Cumulative count per measure and month of the target period (an item counts from its first signing
    in the period), beside the linear doubling path."""
    new_per_month = (events.filter(pl.col("period") == "target").group_by("measure", "key")
                     .agg(pl.col("month").min()).group_by("measure", "month").len())
    seen = {(m, month): n for m, month, n in new_per_month.iter_rows()}
    months = [m for m in t.month_list() if m <= as_of]
    rows = []
    for measure in measures:
        cumulative, target = 0, targets.get(measure)
        for i, m in enumerate(months, start=1):
            cumulative += seen.get((measure, m), 0)
            rows.append({"month": m, "measure": measure, "cumulative": cumulative,
                         "path_count": _path_count(target, i, t.months)})
    return pl.DataFrame(rows, schema={"month": pl.Date, "measure": pl.String, "cumulative": pl.Int64,
                                      "path_count": pl.Int64})


def _breakdown(events: pl.DataFrame, by: str, measures: list[str], settings: Settings) -> pl.DataFrame:
    counts = (events.filter(pl.col("period").is_not_null())
              .group_by("measure", by, "period").agg(pl.col("key").n_unique().alias("n")))
    wide = counts.pivot(on="period", index=["measure", by], values="n")
    for p in ("baseline", "target"):
        if p not in wide.columns:
            wide = wide.with_columns(pl.lit(0, pl.UInt32).alias(p))
    rows = []
    for m, group, base, cur in wide.select("measure", by, "baseline", "target").iter_rows():
        base, cur = base or 0, cur or 0
        target = _target(base, settings.factor)
        rows.append({"measure": m, "group": group, "baseline_count": base, "target_count": target,
                     "current_count": cur, "progress": _progress(cur, target)})
    order = {m: i for i, m in enumerate(measures)}
    frame = pl.DataFrame(rows, schema={"measure": pl.String, "group": pl.String, "baseline_count": pl.Int64,
                                       "target_count": pl.Int64, "current_count": pl.Int64,
                                       "progress": pl.Decimal(18, 4)})
    return (frame.with_columns(pl.col("measure").replace_strict(order, return_dtype=pl.Int32).alias("_o"))
            .sort("_o", "current_count", "group", descending=[False, True, False]).drop("_o"))


# --------------------------------------------------------------------------- lists and shares

PROJECT_COLUMNS = (
    Column("unit_name", "被考核单位"),
    Column("project_id", "项目编号"),
    Column("project_name", "项目名称"),
    Column("chain", "所属产业链"),
    Column("investor_name", "投资方名称"),
    Column("signing_date", "签约日期"),
    Column("planned_investment_wan", "计划总投资", "亿元"),
    Column("signed_amount_wan", "签约金额", "亿元"),
    Column("status", "项目状态"),
    Column("tier", "规模档次", definition="按计划总投资划分"),
    Column("fortune500", "三个500强类别"),
    Column("verification", "名录核实", definition="按签约年度（无则取此前最近年度）的三个500强名录核实"),
    Column("is_high_tech", "高新技术项目"),
)
ENTERPRISE_COLUMNS = (
    Column("enterprise_name", "企业名称"),
    Column("enterprise_id", "企业标识", definition="统一社会信用代码；无代码时为规范化名称"),
    Column("lists", "三个500强类别"),
    Column("verified", "已核实", definition="至少一个项目的申报类别在对应年度名录中找到"),
    Column("units", "投资单位"),
    Column("unit_count", "投资单位数", "个"),
    Column("projects", "项目数", "个"),
    Column("planned_investment_wan", "计划总投资", "亿元"),
    Column("first_signing", "首次签约日期"),
)


def tier_label(planned_wan: Decimal, settings: Settings) -> str | None:
    label = None
    for tier in settings.tiers:
        if planned_wan >= tier.level_wan:
            label = tier.label
    return label


def project_list(projects: pl.DataFrame, claims: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """Counted projects with tier and 500强 verification columns."""
    verif = claims.select("unit_code", "project_id", "verification")
    tiers = pl.lit(None, pl.String)
    for tier in settings.tiers:
        tiers = pl.when(pl.col("planned_investment_wan") >= tier.level_wan).then(pl.lit(tier.label)).otherwise(tiers)
    return (projects.join(verif, on=["unit_code", "project_id"], how="left")
            .with_columns(tiers.alias("tier")).sort("signing_date", "unit_code", "project_id", descending=[True, False, False]))


def new_projects(listed: pl.DataFrame, first: dt.date, last: dt.date, settings: Settings) -> pl.DataFrame:
    """Major (≥ the 10亿 threshold) or 三个500强 projects signed in the months [first, last]."""
    return listed.filter(
        pl.col("signing_date").is_between(first, periods.add_months(last, 1), closed="left")
        & ((pl.col("planned_investment_wan") >= settings.major_threshold_wan)
           | (pl.col("fortune500") != catalog.NO_FIVE_HUNDRED)))


def enterprise_table(claims: pl.DataFrame, first: dt.date | None = None, last: dt.date | None = None) -> pl.DataFrame:
    """One row per 三个500强 enterprise with projects signed in [first, last] months (all when None)."""
    c = claims
    if first and last:
        c = c.filter(pl.col("signing_date").is_between(first, periods.add_months(last, 1), closed="left"))
    return (c.group_by("enterprise_id").agg(
        pl.col("enterprise_name").first(),
        pl.col("fortune500").str.split("、").list.explode(keep_nulls=False, empty_as_null=False).unique().sort().str.join("、").alias("lists"),
        pl.col("verified").any(),
        pl.col("unit_name").unique().sort().str.join("、").alias("units"),
        pl.col("unit_code").n_unique().alias("unit_count"),
        pl.len().alias("projects"),
        pl.col("planned_investment_wan").sum(),
        pl.col("signing_date").min().alias("first_signing"),
    ).sort("projects", "planned_investment_wan", "enterprise_id", descending=[True, True, False]))


def high_tech_figures(counted: pl.DataFrame, as_of: dt.date) -> tuple[Figure, ...]:
    """Share of 高新技术 projects in the year of as_of: by counted 到位资金 and by number of projects signed."""
    funds_total = counted["funds_ytd_counted_wan"].sum()
    funds_ht = counted.filter(pl.col("is_high_tech"))["funds_ytd_counted_wan"].sum()
    signed = counted.filter(pl.col("signing_date").is_between(dt.date(as_of.year, 1, 1),
                                                              periods.add_months(as_of, 1), closed="left"))
    n_ht = signed["is_high_tech"].sum()
    return (
        Figure("高新技术项目到位资金占比", percent(funds_ht / funds_total) if funds_total else None, "%",
               f"{as_of.year}年1–{as_of.month}月高新技术项目到位资金 ÷ 全部到位资金"),
        Figure("高新技术项目数占比", percent(Decimal(n_ht) / signed.height) if signed.height else None, "%",
               f"{as_of.year}年1–{as_of.month}月签约项目中高新技术项目所占比例（共 {signed.height} 个项目）"),
    )


# --------------------------------------------------------------------------- page level

@dataclass(frozen=True)
class MajorOverview:
    as_of: dt.date
    doubling: Doubling
    new_this_month: Table
    new_this_quarter: Table
    enterprises: Table
    figures: tuple[Figure, ...]
    messages: tuple[str, ...]


def _summary_row(doubling: Doubling, measure: str) -> dict | None:
    frame = doubling.summary.frame
    rows = frame.filter(pl.col("measure") == measure) if not frame.is_empty() else frame
    return rows.row(0, named=True) if rows.height else None


def _counted_and_claims(con: Source, as_of: dt.date, settings: Settings) -> tuple[pl.DataFrame, pl.DataFrame]:
    counted = counted_projects(queries.project_states(con, as_of), settings)
    return counted, claims_frame(counted, queries.five_hundred_reference(con), settings.group_match)


def major_overview(source: Source, as_of_month: dt.date | None = None,
                   settings: Settings | None = None) -> MajorOverview | None:
    """Everything the 重大项目与三个500强 page shows, as of `as_of_month` (default: latest data)."""
    settings = settings or load_settings()
    with queries.session(source) as con:
        as_of = as_of_month or default_as_of(con)
        if as_of is None:
            return None
        counted, claims = _counted_and_claims(con, as_of, settings)
        data_months = queries.submitted_months(con)
    doubling = doubling_tracker(_events(counted, claims, settings), data_months, as_of, settings)
    listed = project_list(counted, claims, settings)
    quarter = periods.quarter_of(as_of)
    q_first = periods.quarter_months(quarter)[0]
    month_new = new_projects(listed, as_of, as_of, settings)
    quarter_new = new_projects(listed, q_first, as_of, settings)
    t = settings.target
    enterprises = enterprise_table(claims, t.first, min(t.last, as_of)) if t else enterprise_table(claims)
    major = _summary_row(doubling, settings.tiers[0].label)
    five = _summary_row(doubling, FIVE_HUNDRED_KEY)
    figures = (
        Figure(f"目标期{settings.tiers[0].label}项目", major and major["current_count"], "个",
               column(DOUBLING_COLUMNS, "current_count").definition,
               note=f"翻番目标 {major['target_count']}" if major and major["target_count"] is not None else ""),
        Figure("目标期三个500强企业", five and five["current_count"], "家",
               "目标期内有项目签约的三个500强企业数，全省只计一次",
               note=f"其中已核实 {int(enterprises['verified'].sum())} 家" if enterprises.height else ""),
        Figure("本月新签约重大及500强项目", month_new.height, "个", "本月签约的10亿元以上项目或三个500强项目"),
        *high_tech_figures(counted, as_of),
    )
    unverified = claims.filter(~pl.col("verified")).height
    messages = [*settings.messages, *doubling.messages]
    if unverified:
        messages.append(f"有 {unverified} 个项目申报的三个500强类别未能在对应年度名录中核实，见“名录核实”列")
    return MajorOverview(
        as_of, doubling,
        Table(f"{as_of:%Y年%-m月}新签约重大及三个500强项目", month_new, PROJECT_COLUMNS),
        Table(f"{periods.quarter_zh(quarter)}（截至{as_of:%-m月}）新签约重大及三个500强项目", quarter_new, PROJECT_COLUMNS),
        Table("目标期三个500强企业", enterprises, ENTERPRISE_COLUMNS,
              "同一企业（统一社会信用代码相同，或名称规范化后相同）在多个单位投资，全省只计一次"),
        figures, tuple(messages))


def doubling_projects(source: Source, measure: str, period: str = "target", as_of_month: dt.date | None = None,
                      unit_code: str | None = None, chain: str | None = None,
                      settings: Settings | None = None) -> Table:
    """Drill-down: the projects behind one doubling count (measure = a tier label or 三个500强企业;
    period = 'baseline' | 'target'), optionally for one unit or one chain."""
    settings = settings or load_settings()
    with queries.session(source) as con:
        counted, claims = _counted_and_claims(con, as_of_month or default_as_of(con), settings)
    events = _events(counted, claims, settings).filter((pl.col("measure") == measure) & (pl.col("period") == period))
    if unit_code:
        events = events.filter(pl.col("unit_code") == unit_code)
    if chain:
        events = events.filter(pl.col("chain") == chain)
    listed = project_list(counted, claims, settings)
    rows = listed.filter((pl.col("unit_code") + "|" + pl.col("project_id")).is_in(events["project_key"].implode()))
    scope = "、".join(x for x in (unit_code and catalog.unit_name(unit_code), chain) if x) or "全省"
    count = (f"{events['key'].n_unique()} 家企业、{rows.height} 个项目" if measure == FIVE_HUNDRED_KEY
             else f"{rows.height} 个项目")
    return Table(f"{measure}：{'基期' if period == 'baseline' else '目标期'}项目明细（{scope}，{count}）", rows,
                 PROJECT_COLUMNS, "三个500强企业按统一社会信用代码（无则按规范化名称）识别，同一企业只计一次"
                 if measure == FIVE_HUNDRED_KEY else "项目按签约日期归期，只计一次")


def enterprise_projects(source: Source, enterprise_id: str, as_of_month: dt.date | None = None,
                        settings: Settings | None = None) -> Table:
    """Drill-down: every counted project of one 三个500强 enterprise, in every unit."""
    settings = settings or load_settings()
    with queries.session(source) as con:
        counted, claims = _counted_and_claims(con, as_of_month or default_as_of(con), settings)
    keys = claims.filter(pl.col("enterprise_id") == enterprise_id).select("unit_code", "project_id")
    rows = project_list(counted, claims, settings).join(keys, on=["unit_code", "project_id"])
    return Table(f"三个500强企业 {enterprise_id} 的项目", rows, PROJECT_COLUMNS)
