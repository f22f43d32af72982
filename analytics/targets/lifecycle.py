"""Project life cycle (签约 → 开工 → 投产) and stalled projects (停滞项目), for the 项目全周期 page.

Every project reported up to the chosen month is taken in its latest reported state. Durations are whole
calendar months up to its unit's latest submitted month (the reference month), so a unit that is late with
this month's report is not charged for it. The stall rules and their thresholds come from [stalled] in
config/targets.toml:

- 签约未开工: status 已签约未开工 and more than `not_started_months` months since the signing month;
- 开工后无到位资金: status 在建 and no 到位资金 in the last `no_money_months` or more months, counted from the
  last month with money, or from the start month when money has not arrived since the start;
- 资金到位不足: status 在建, `low_funds_after_months` or more months since the start month, and 累计到位资金 below
  `low_funds_share` of 签约金额;
- 报告停滞: status 停滞 (its duration is counted from the first month of the current run of 停滞 reports).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from analytics import metrics
from analytics.tables import Column, Figure, Table, percent
from analytics.targets.settings import Settings, StallRules, default_as_of, load_settings
from core import catalog
from warehouse.queries import targets as queries
from warehouse.store import Source

NOT_STARTED, BUILDING, PRODUCING, STALLED, TERMINATED = "已签约未开工", "在建", "已投产", "停滞", "终止"
assert {NOT_STARTED, BUILDING, PRODUCING, STALLED, TERMINATED} == set(catalog.STATUSES)

RULES = {
    "not_started": "签约未开工",
    "no_money": "开工后无到位资金",
    "low_funds": "资金到位不足",
    "reported": "报告停滞",
}


IS_STARTED = pl.col("start_date").is_not_null() | pl.col("status").is_in([BUILDING, PRODUCING])
IS_PRODUCING = (pl.col("status") == PRODUCING) | pl.col("production_date").is_not_null()


def months_between(first: pl.Expr, last: pl.Expr) -> pl.Expr:
    """Calendar months from first's month to last's month (2024-03-xx → 2025-04-xx = 13)."""
    return ((last.dt.year() - first.dt.year()) * 12 + last.dt.month().cast(pl.Int32)
            - first.dt.month().cast(pl.Int32)).cast(pl.Int32)


def stall_rule_hits(projects: pl.DataFrame, rules: StallRules) -> pl.DataFrame:
    """Pure: one row per (project, rule it meets) with `rule`, `rule_code`, `months_stuck` and a Chinese `detail`."""
    ref = pl.col("unit_last_month")
    start = pl.col("start_date").dt.truncate("1mo")
    money = pl.col("last_money_month")
    quiet = pl.col("last_not_stalled_month")
    building = (pl.col("status") == BUILDING) & pl.col("start_date").is_not_null()
    p = projects.with_columns(
        months_between(pl.col("signing_date"), ref).alias("_since_signing"),
        months_between(pl.when(money >= start).then(money).otherwise(start.dt.offset_by("-1mo")), ref).alias("_dry"),
        months_between(start, ref).alias("_since_start"),
        (months_between(pl.when(quiet.is_not_null()).then(quiet.dt.offset_by("1mo"))
                        .otherwise(pl.col("first_month")), ref) + 1).alias("_stalled_for"),
        # shown truncated, so a share just under the limit never reads as the limit itself
        ((pl.col("funds_cum_wan") * 10000 / pl.col("signed_amount_wan")).cast(pl.Float64).floor() / 100).alias("_share"),
    )
    low = f"{(rules.low_funds_share * 100).normalize():f}%"
    checks = (  # rule code, condition, months stuck, detail
        ("not_started", (pl.col("status") == NOT_STARTED) & (pl.col("_since_signing") > rules.not_started_months),
         "_since_signing", pl.format(f"签约已 {{}} 个月仍未开工（超过 {rules.not_started_months} 个月）",
                                     pl.col("_since_signing"))),
        ("no_money", building & (pl.col("_dry") >= rules.no_money_months),
         "_dry", pl.format(f"连续 {{}} 个月无到位资金（达到 {rules.no_money_months} 个月）", pl.col("_dry"))),
        ("low_funds", building & (pl.col("_since_start") >= rules.low_funds_after_months)
         & (pl.col("funds_cum_wan") < pl.col("signed_amount_wan") * pl.lit(rules.low_funds_share)),
         "_since_start", pl.format(f"开工 {{}} 个月，累计到位资金仅为签约金额的 {{}}%（低于 {low}）",
                                   pl.col("_since_start"), pl.col("_share"))),
        ("reported", pl.col("status") == STALLED,
         "_stalled_for", pl.format("已连续 {} 个月报告为停滞", pl.col("_stalled_for"))),
    )
    return pl.concat([
        p.filter(condition).select("unit_code", "project_id", pl.lit(RULES[code]).alias("rule"),
                                   pl.lit(code).alias("rule_code"), pl.col(months).alias("months_stuck"),
                                   detail.alias("detail"))
        for code, condition, months, detail in checks
    ])


STALLED_COLUMNS = (
    Column("unit_name", "被考核单位"),
    Column("project_id", "项目编号"),
    Column("project_name", "项目名称"),
    Column("chain", "所属产业链"),
    Column("investor_name", "投资方名称"),
    Column("status", "项目状态"),
    Column("signing_date", "签约日期"),
    Column("start_date", "开工日期"),
    Column("signed_amount_wan", "签约金额", "亿元"),
    Column("funds_cum_wan", "累计到位资金", "亿元"),
    Column("rules", "停滞规则", definition="符合的停滞认定规则（可能不止一条）"),
    Column("months_stuck", "停滞时长", "月", "各条规则所计月数中的最大值"),
    Column("detail", "情况说明"),
    Column("unit_last_month", "依据报送月份", definition="所在单位截至所选月份最近一次报送的月份"),
)
FUNNEL_COLUMNS = (
    Column("unit_name", "被考核单位"),
    Column("signed", "签约项目", "个", "截至所选月份报送过的项目数（不含终止）"),
    Column("started", "已开工", "个", "已填开工日期，或状态为在建、已投产的项目"),
    Column("producing", "已投产", "个", "状态为已投产或已填投产日期的项目"),
    Column("start_rate", "开工率", "%", "已开工 ÷ 签约项目"),
    Column("production_rate", "投产率", "%", "已投产 ÷ 签约项目"),
    metrics.FUNDS_RATE.column(),
    metrics.STALLED.column(),
    Column("terminated", "已终止", "个"),
)


@dataclass(frozen=True)
class Lifecycle:
    as_of: dt.date
    funnel: Table
    stalled: Table
    by_rule: Table
    figures: tuple[Figure, ...]
    messages: tuple[str, ...]
    signing_years: tuple[int, ...] = ()   # the signing years of the projects shown, newest first (cohort choices)


def stalled_projects(projects: pl.DataFrame, hits: pl.DataFrame) -> pl.DataFrame:
    """Pure: one row per stalled project (from `stall_rule_hits`) with every rule it meets and the longest duration."""
    per_project = hits.group_by("unit_code", "project_id").agg(
        pl.col("rule").str.join("、").alias("rules"),
        pl.col("rule_code").alias("rule_codes"),
        pl.col("months_stuck").max(),
        pl.col("detail").str.join("；"),
    )
    return (projects.join(per_project, on=["unit_code", "project_id"])
            .sort("months_stuck", "unit_code", "project_id", descending=[True, False, False]))


def funnel_frame(projects: pl.DataFrame, stalled: pl.DataFrame) -> pl.DataFrame:
    """Pure: the 签约 → 开工 → 投产 funnel per unit (config order) plus a 全省 row."""
    flagged = stalled.select("unit_code", "project_id", pl.lit(True).alias("is_stalled"))
    p = projects.join(flagged, on=["unit_code", "project_id"], how="left").with_columns(
        (pl.col("status") == TERMINATED).alias("is_terminated"),
        IS_STARTED.alias("is_started"),
        IS_PRODUCING.alias("is_producing"),
        pl.col("is_stalled").fill_null(False),
    )
    live = p.filter(~pl.col("is_terminated"))
    agg = [pl.len().alias("signed"), pl.col("is_started").sum().alias("started"),
           pl.col("is_producing").sum().alias("producing"), pl.col("is_stalled").sum().alias("stalled"),
           pl.col("funds_cum_wan").sum().alias("funds_cum_wan"), pl.col("signed_amount_wan").sum().alias("signed_wan")]
    per_unit = {r["unit_code"]: r for r in live.group_by("unit_code").agg(agg).iter_rows(named=True)}
    terminated = dict(p.filter(pl.col("is_terminated")).group_by("unit_code").len().iter_rows())
    total = live.select(agg).row(0, named=True)
    rows = []
    for code, name, r in [*((u.code, u.name, per_unit.get(u.code)) for u in catalog.units()), ("", "全省", total)]:
        r = r if r and r["signed"] else None
        rows.append({
            "unit_code": code, "unit_name": name,
            "signed": r["signed"] if r else 0, "started": r["started"] if r else 0,
            "producing": r["producing"] if r else 0, "stalled": r["stalled"] if r else 0,
            "terminated": terminated.get(code, 0) if code else sum(terminated.values()),
            "start_rate": _ratio(r["started"], r["signed"]) if r else None,
            "production_rate": _ratio(r["producing"], r["signed"]) if r else None,
            "funds_rate": _ratio(r["funds_cum_wan"], r["signed_wan"]) if r else None,
        })
    return pl.DataFrame(rows, schema={
        "unit_code": pl.String, "unit_name": pl.String, "signed": pl.Int64, "started": pl.Int64,
        "producing": pl.Int64, "stalled": pl.Int64, "terminated": pl.Int64, "start_rate": pl.Decimal(18, 4),
        "production_rate": pl.Decimal(18, 4), "funds_rate": pl.Decimal(18, 4)})


RULE_COUNT_COLUMNS = (
    Column("unit_name", "被考核单位"),
    *(Column(code, label, "个") for code, label in RULES.items()),
    Column("stalled", "停滞项目合计", "个", "符合任一规则的项目数（一个项目只计一次）"),
)


def rule_counts(hits: pl.DataFrame) -> pl.DataFrame:
    """Pure: per unit (config order), the number of projects meeting each rule and in total."""
    per_rule = {(u, r): n for u, r, n in hits.group_by("unit_code", "rule_code").len().iter_rows()}
    totals = dict(hits.group_by("unit_code").agg(pl.col("project_id").n_unique()).iter_rows())
    rows = [{"unit_code": u.code, "unit_name": u.name, **{r: per_rule.get((u.code, r), 0) for r in RULES},
             "stalled": totals.get(u.code, 0)} for u in catalog.units()]
    return pl.DataFrame(rows, schema={"unit_code": pl.String, "unit_name": pl.String,
                                      **{r: pl.Int64 for r in RULES}, "stalled": pl.Int64})


def _ratio(a, b) -> Decimal | None:
    return (Decimal(a) / Decimal(b)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP) if b else None


def _cohort(projects: pl.DataFrame, signing_year: int | None) -> pl.DataFrame:
    return projects if signing_year is None else projects.filter(pl.col("signing_date").dt.year() == signing_year)


def lifecycle_overview(source: Source, as_of_month: dt.date | None = None, signing_year: int | None = None,
                       settings: Settings | None = None) -> Lifecycle | None:
    """Funnel by unit, stalled projects with their rules, and counts by rule, as of `as_of_month` (default: latest
    data), optionally for the projects signed in `signing_year` only."""
    settings = settings or load_settings()
    with queries.session(source) as con:
        as_of = as_of_month or default_as_of(con)
        if as_of is None:
            return None
        projects = _cohort(queries.project_states(con, as_of), signing_year)
    hits = stall_rule_hits(projects, settings.stall)
    stalled = stalled_projects(projects, hits)
    cohort = f"{signing_year}年签约项目" if signing_year else "全部项目"
    funnel = funnel_frame(projects, stalled)
    total = funnel.row(funnel.height - 1, named=True)
    figures = (
        metrics.STALLED.figure(stalled.height),
        Figure("开工率", percent(total["start_rate"]), "%", "已开工 ÷ 签约项目（参考：兰洽会项目约 82.98%）"),
        Figure("投产率", percent(total["production_rate"]), "%", "已投产 ÷ 签约项目"),
        metrics.FUNDS_RATE.figure(percent(total["funds_rate"]), note="参考：兰洽会项目约 45.59%"),
    )
    return Lifecycle(
        as_of,
        Table(f"项目全周期漏斗（{cohort}，截至{as_of:%Y年%-m月}）", funnel, FUNNEL_COLUMNS),
        Table(f"停滞项目清单（{cohort}，截至{as_of:%Y年%-m月}）", stalled, STALLED_COLUMNS, _rules_text(settings.stall)),
        Table("各单位停滞项目（按规则）", rule_counts(hits), RULE_COUNT_COLUMNS, "一个项目可能同时符合多条规则"),
        figures, settings.messages,
        tuple(sorted(projects["signing_date"].dt.year().unique().to_list(), reverse=True)))


def _rules_text(r: StallRules) -> str:
    return (f"停滞认定：签约超过 {r.not_started_months} 个月未开工；在建项目连续 {r.no_money_months} 个月及以上无到位资金；"
            f"开工 {r.low_funds_after_months} 个月及以上累计到位资金低于签约金额的 {(r.low_funds_share * 100).normalize():f}%；"
            "或报告状态为停滞。月数按自然月计至所在单位最近一次报送的月份。")


STAGES = {"signed": "签约项目", "started": "已开工", "producing": "已投产", "stalled": "停滞项目", "terminated": "已终止"}


def funnel_projects(source: Source, stage: str, unit_code: str | None = None, as_of_month: dt.date | None = None,
                    signing_year: int | None = None, settings: Settings | None = None) -> Table:
    """Drill-down: the projects behind one funnel cell (stage in STAGES; unit_code None = 全省)."""
    settings = settings or load_settings()
    with queries.session(source) as con:
        projects = _cohort(queries.project_states(con, as_of_month or default_as_of(con)), signing_year)
    if unit_code:
        projects = projects.filter(pl.col("unit_code") == unit_code)
    if stage not in STAGES:
        raise ValueError(f"未知的环节“{stage}”，应为 {'、'.join(STAGES)} 之一")
    live = projects.filter(pl.col("status") != TERMINATED)
    if stage == "stalled":
        chosen = stalled_projects(live, stall_rule_hits(live, settings.stall))
    elif stage == "terminated":
        chosen = projects.filter(pl.col("status") == TERMINATED)
    else:
        chosen = live.filter({"signed": pl.lit(True), "started": IS_STARTED, "producing": IS_PRODUCING}[stage])
    columns = STALLED_COLUMNS if stage == "stalled" else tuple(
        c for c in STALLED_COLUMNS if c.name not in ("rules", "months_stuck", "detail"))
    return Table(f"{STAGES[stage]}明细", chosen, columns)


HISTORY_COLUMNS = (
    Column("month", "统计月份"),
    Column("version", "版本", definition="该月报表的现行版本号（重报后取最新版本）"),
    Column("row_no", "报表行号", definition="该项目在报送文件中的行号（Excel 中所见）"),
    Column("project_name", "项目名称"),
    Column("status", "项目状态"),
    Column("start_date", "开工日期"),
    Column("production_date", "投产日期"),
    Column("funds_month_wan", "本月到位资金", "万元", "报表填报值，与报送文件一致"),
    Column("funds_cum_wan", "累计到位资金", "万元", "报表填报值，与报送文件一致"),
    Column("deduction_wan", "核减", "万元", "经抽样核查核减、计入该月的到位资金（统计数据按核减后计算；填报值不变）"),
    Column("signed_amount_wan", "签约金额", "万元"),
    Column("planned_investment_wan", "计划总投资", "万元"),
    Column("fortune500", "三个500强类别"),
)


def project_history(source: Source, unit_code: str, project_id: str) -> Table:
    """Drill-down: one project's month-by-month reports (current versions), oldest first, in 万元 as submitted."""
    frame = queries.project_months(source, unit_code, project_id)
    name = frame["project_name"][-1] if frame.height else "（无报送记录）"
    return Table(f"{catalog.unit_name(unit_code)} {project_id} {name}：逐月报送记录", frame, HISTORY_COLUMNS,
                 "每月一行，取该月现行版本；金额为报送单位填报的万元数")
