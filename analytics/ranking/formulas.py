"""Indicator formulas of the composite ranking: a registry of named, documented computations over the warehouse.

A formula id in config/indicators.toml names one entry of `FORMULAS`; each entry carries its Chinese name and
formula text (shown in the UI next to the direction and weight), its allowed parameters, and a function that
turns the quarter's inputs (`FormulaInputs`, read from the warehouse by `warehouse.queries.ranking`) into one value
per unit. Money is summed exactly (Decimal 万元); a value becomes a float only as an indicator value for scoring.
Project indicators count 招商引资 projects only (资金来源 省外境内 / 境外, as 到位资金 does)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

import polars as pl

from analytics.targets import lifecycle, quotas
from analytics.targets.settings import load_settings
from core import catalog, money, periods, reporting
from core.periods import month_range

STARTED_STATUSES = ("在建", "已投产")


# --------------------------------------------------------------------------- money display

def _yi(wan: Decimal) -> str:
    return f"{money.wan_to_yi(wan)}亿元"


def _pct(x: float) -> str:
    return f"{x:.1f}%"


# --------------------------------------------------------------------------- inputs

@dataclass(frozen=True)
class FormulaInputs:
    """Everything a formula may read for one quarter and one group of units."""

    quarter: str
    year: int
    window_start: dt.date        # first month of the indicator window
    end_month: dt.date           # last month of the quarter
    units: tuple[str, ...]
    unit_months: pl.DataFrame    # warehouse.queries.ranking.unit_months, Jan of last year .. end_month
    ledger: pl.DataFrame         # warehouse.queries.ranking.project_ledger over the window
    findings: pl.DataFrame       # warehouse.queries.ranking.verification_findings over the window's quarters
    states: pl.DataFrame | None = None  # warehouse.queries.targets.project_states at end_month (项目全周期's view)

    @property
    def window_months(self) -> list[dt.date]:
        return month_range(self.window_start, self.end_month)

    @property
    def window_end(self) -> dt.date:
        """First day after the window."""
        return periods.add_months(self.end_month, 1)

    def signed_in_window(self) -> pl.DataFrame:
        return self.ledger.filter(
            (pl.col("signing_date") >= self.window_start) & (pl.col("signing_date") < self.window_end)
        )


@dataclass(frozen=True)
class Formula:
    id: str
    kind: str                    # "indicator" (a value to normalise) | "adjustment" (a count of items)
    name: str                    # Chinese name
    text: str                    # Chinese formula text, shown to users; {param} placeholders
    params: dict[str, float]     # allowed parameters and their defaults
    compute: Callable[[FormulaInputs, dict], dict[str, tuple[float | int | None, str]]]


FORMULAS: dict[str, Formula] = {}


def _register(id: str, kind: str, name: str, text: str, **params: float):
    def wrap(fn):
        FORMULAS[id] = Formula(id, kind, name, text, dict(params), fn)
        return fn
    return wrap


def _sums(frame: pl.DataFrame, by: str, **aggs: pl.Expr) -> dict[str, dict]:
    """Group `frame` by unit and return {unit_code: {name: value}}."""
    if frame.is_empty():
        return {}
    out = frame.group_by(by).agg(**aggs)
    return {row[by]: row for row in out.iter_rows(named=True)}


def _funds(unit_months: pl.DataFrame, first: dt.date, last: dt.date) -> dict[str, tuple[Decimal, int]]:
    """Per unit: exact Σ funds_month_wan and the number of months submitted in [first, last]."""
    rows = _sums(
        unit_months.filter(pl.col("month").is_between(first, last)),
        "unit_code",
        wan=pl.col("funds_month_wan").sum(),
        months=pl.len(),
    )
    return {u: (Decimal(r["wan"]), r["months"]) for u, r in rows.items()}


# --------------------------------------------------------------------------- indicator formulas

@dataclass(frozen=True)
class FundsProgress:
    """A unit's year-to-date 到位资金 through month m against its dispatched task and 序时进度 (exact 万元)."""

    month: int
    ytd_wan: Decimal
    last_year_same_period_wan: Decimal | None   # None unless every base month was submitted
    prior_months: int                           # months of last year submitted
    task_wan: Decimal | None                    # analytics.tasks.unit_task_wan

    @property
    def progress(self) -> Decimal:
        return quotas.calendar_progress(self.month)

    @property
    def task_problem(self) -> str | None:
        """Why no completion rate can be computed (Chinese), or None."""
        return quotas.task_problem(self.task_wan, self.prior_months)

    @property
    def completion(self) -> Decimal | None:
        """Share of the annual task done (ytd ÷ task)."""
        return None if self.task_problem else self.ytd_wan / self.task_wan

    @property
    def ahead(self) -> bool:
        """At or ahead of 序时进度, exactly: ytd ÷ task ≥ m/12."""
        return self.task_problem is None and self.ytd_wan * 12 >= self.task_wan * self.month

    @property
    def growth(self) -> Decimal | None:
        """Year-on-year growth of the year-to-date funds (a share, 0.12 = +12 %)."""
        base = self.last_year_same_period_wan
        return (self.ytd_wan - base) / base if base else None


def funds_progress(unit_months: pl.DataFrame, units, year: int, end_month: dt.date) -> dict[str, FundsProgress]:
    """Per unit: year-to-date funds through `end_month`, last year's same period, and the task.

    `unit_months` is `warehouse.queries.ranking.unit_months` over at least Jan of last year .. end_month.
    """
    ytd = _funds(unit_months, dt.date(year, 1, 1), end_month)
    base = _funds(unit_months, dt.date(year - 1, 1, 1), end_month.replace(year=year - 1))
    prior = _funds(unit_months, dt.date(year - 1, 1, 1), dt.date(year - 1, 12, 1))
    out = {}
    for u in units:
        prior_wan, prior_months = prior.get(u, (None, 0))
        base_wan, base_months = base.get(u, (Decimal(0), 0))
        out[u] = FundsProgress(
            month=end_month.month,
            ytd_wan=ytd.get(u, (Decimal(0), 0))[0],
            last_year_same_period_wan=base_wan if base_months == end_month.month else None,
            prior_months=prior_months,
            task_wan=quotas.unit_task_wan(u, year, prior_wan, prior_months),
        )
    return out


@_register(
    "task_completion_vs_schedule", "indicator", "到位资金任务完成率",
    "年初至季末累计到位资金 ÷ 年度下达任务 ÷ 序时进度（季末月份/12）× 100%；"
    "年度任务为上年全年实绩 × 下达倍数（默认 1.20），或经协商下达的任务",
)
def _task_completion(inp: FormulaInputs, params: dict) -> dict:
    out = {}
    for u, f in funds_progress(inp.unit_months, inp.units, inp.year, inp.end_month).items():
        if f.completion is None:
            out[u] = (None, f.task_problem)
            continue
        out[u] = (
            float(f.completion / f.progress * 100),
            f"累计到位 {_yi(f.ytd_wan)}，年度任务 {_yi(f.task_wan)}，完成 {_pct(float(f.completion) * 100)}，"
            f"序时进度 {_pct(float(f.progress) * 100)}",
        )
    return out


@_register(
    "funds_growth_yoy", "indicator", "到位资金同比增速",
    "（本期到位资金 − 上年同期到位资金）÷ 上年同期到位资金 × 100%；本期为指标期间（年初至季末或本季度）",
)
def _funds_yoy(inp: FormulaInputs, params: dict) -> dict:
    first, last = inp.window_start, inp.end_month
    base_first, base_last = first.replace(year=first.year - 1), last.replace(year=last.year - 1)
    now = _funds(inp.unit_months, first, last)
    base = _funds(inp.unit_months, base_first, base_last)
    expected = len(reporting.expected_months(base_first, base_last))
    out = {}
    for u in inp.units:
        wan, _ = now.get(u, (Decimal(0), 0))
        base_wan, base_months = base.get(u, (Decimal(0), 0))
        if base_months < expected:
            out[u] = (None, f"上年同期报表不全（{base_months}/{expected} 个月），增速无法计算")
        elif base_wan <= 0:
            out[u] = (None, "上年同期到位资金为零，增速无意义")
        else:
            growth = float((wan - base_wan) / base_wan * 100)
            out[u] = (growth, f"本期 {_yi(wan)}，上年同期 {_yi(base_wan)}，增长 {_pct(growth)}")
    return out


def _count_per_unit(inp: FormulaInputs, frame: pl.DataFrame, noun: str) -> dict:
    counts = {r["unit_code"]: r["n"] for r in frame.iter_rows(named=True)}
    return {u: (float(counts.get(u, 0)), f"{counts.get(u, 0)} {noun}") for u in inp.units}


@_register(
    "major_projects_signed", "indicator", "新签约10亿元以上项目",
    "指标期间内新签约、计划总投资 ≥ 10亿元（100,000万元）的省外境内/境外资金项目个数",
)
def _major_projects(inp: FormulaInputs, params: dict) -> dict:
    threshold = Decimal(str(quotas.targets_config()["tiers"]["major_threshold_wan"]))
    major = inp.signed_in_window().filter(pl.col("planned_investment_wan") >= threshold)
    return _count_per_unit(inp, major.group_by("unit_code").agg(n=pl.len()), "个")


@_register(
    "fortune500_investors", "indicator", "新引进三个500强企业",
    "指标期间内新签约项目中，三个500强类别不为“无”的不同投资方个数（按统一社会信用代码识别，无代码时按名称）",
)
def _fortune500(inp: FormulaInputs, params: dict) -> dict:
    signed = inp.signed_in_window().filter(pl.col("fortune500") != catalog.NO_FIVE_HUNDRED)
    key = pl.when(pl.col("investor_uscc").str.strip_chars().str.len_chars() > 0) \
        .then(pl.col("investor_uscc")).otherwise(pl.col("investor_name"))
    agg = signed.group_by("unit_code").agg(n=key.n_unique(), projects=pl.len())
    projects = {r["unit_code"]: r["projects"] for r in agg.iter_rows(named=True)}
    out = _count_per_unit(inp, agg, "家")
    return {u: (v, f"{d}（{projects.get(u, 0)} 个项目）") for u, (v, d) in out.items()}


def _funds_share(inp: FormulaInputs, mask: pl.Expr, label: str) -> dict:
    sums = _sums(
        inp.ledger, "unit_code",
        total=pl.col("funds_window_wan").sum(),
        part=pl.col("funds_window_wan").filter(mask).sum(),
    )
    out = {}
    for u in inp.units:
        r = sums.get(u)
        total = Decimal(r["total"]) if r else Decimal(0)
        if total <= 0:
            out[u] = (None, "指标期间到位资金为零，占比无意义")
            continue
        part = Decimal(r["part"] or 0)
        share = float(part / total * 100)
        out[u] = (share, f"{label} {_yi(part)} / 到位资金 {_yi(total)}")
    return out


@_register(
    "high_tech_funds_share", "indicator", "高新技术项目到位资金占比",
    "指标期间高新技术项目到位资金 ÷ 指标期间到位资金 × 100%（项目属性取期间内最新一期报表）",
)
def _high_tech_share(inp: FormulaInputs, params: dict) -> dict:
    return _funds_share(inp, pl.col("is_high_tech"), "高新技术项目")


@_register(
    "key_chain_funds_share", "indicator", "重点产业链到位资金占比",
    "指标期间重点产业链项目到位资金 ÷ 指标期间到位资金 × 100%",
)
def _key_chain_share(inp: FormulaInputs, params: dict) -> dict:
    return _funds_share(inp, pl.col("chain").is_in(list(catalog.chains())), "重点产业链")


def _ratio(inp: FormulaInputs, rows: dict, none_text: str, fmt: Callable[[dict], str]) -> dict:
    out = {}
    for u in inp.units:
        r = rows.get(u)
        if not r or not r["den"]:
            out[u] = (None, none_text)
        else:
            out[u] = (float(Decimal(r["num"]) / Decimal(r["den"]) * 100), fmt(r))
    return out


@_register(
    "start_rate", "indicator", "签约6个月以上项目开工率",
    "截至季末签约满 {min_months} 个月的项目中，已开工（在建、已投产或填报了开工日期）的项目数 ÷ 项目数 × 100%",
    min_months=6,
)
def _start_rate(inp: FormulaInputs, params: dict) -> dict:
    months = int(params["min_months"])
    cutoff = periods.add_months(inp.end_month, 1 - months)
    eligible = inp.ledger.filter(pl.col("signing_date") < cutoff)
    started = pl.col("status").is_in(STARTED_STATUSES) | pl.col("start_date").is_not_null()
    rows = _sums(eligible, "unit_code", num=started.sum(), den=pl.len())
    return _ratio(inp, rows, f"无签约满 {months} 个月的项目",
                  lambda r: f"已开工 {r['num']} 个 / 签约满 {months} 个月 {r['den']} 个")


@_register(
    "funds_arrival_rate", "indicator", "资金到位率",
    "指标期间在报招商项目的累计到位资金 ÷ 签约金额 × 100%（取各项目期间内最新一期报表；2025年指标体系口径）",
)
def _arrival_rate(inp: FormulaInputs, params: dict) -> dict:
    rows = _sums(inp.ledger, "unit_code", num=pl.col("funds_cum_wan").sum(), den=pl.col("signed_amount_wan").sum())
    return _ratio(inp, rows, "无在报项目",
                  lambda r: f"累计到位 {_yi(Decimal(r['num']))} / 签约 {_yi(Decimal(r['den']))}")


@_register(
    "stalled_share", "indicator", "停滞项目占比",
    "在报未终止项目中，状态为“停滞”或签约满 {unstarted_months} 个月仍未开工的项目数 ÷ 项目数 × 100%"
    "（越低越好；2025年指标体系口径）",
    unstarted_months=12,
)
def _stalled_share(inp: FormulaInputs, params: dict) -> dict:
    months = int(params["unstarted_months"])
    cutoff = periods.add_months(inp.end_month, 1 - months)
    active = inp.ledger.filter(pl.col("status") != "终止")
    stalled = (pl.col("status") == "停滞") | (
        (pl.col("status") == "已签约未开工") & (pl.col("signing_date") < cutoff)
    )
    rows = _sums(active, "unit_code", num=stalled.sum(), den=pl.len())
    return _ratio(inp, rows, "无在报项目", lambda r: f"停滞 {r['num']} 个 / 在报 {r['den']} 个")


def _live_states(inp: FormulaInputs) -> pl.DataFrame:
    """Projects as 项目全周期 sees them at the quarter's end: every project the unit reported, latest state, not 终止."""
    states = inp.states.filter(pl.col("unit_code").is_in(list(inp.units)))
    return states.filter(pl.col("status") != lifecycle.TERMINATED)


@_register(
    "funds_arrival_rate_lifecycle", "indicator", "资金到位率",
    "截至季末各单位报送过的未终止项目（取最新一期报表）累计到位资金 ÷ 签约金额 × 100%，与“项目全周期”页同一口径",
)
def _arrival_rate_lifecycle(inp: FormulaInputs, params: dict) -> dict:
    rows = _sums(_live_states(inp), "unit_code", num=pl.col("funds_cum_wan").sum(),
                 den=pl.col("signed_amount_wan").sum())
    return _ratio(inp, rows, "无在报项目",
                  lambda r: f"累计到位 {_yi(Decimal(r['num']))} / 签约 {_yi(Decimal(r['den']))}")


@_register(
    "stalled_share_lifecycle", "indicator", "停滞项目占比",
    "截至季末符合任一停滞认定规则（签约未开工、开工后无到位资金、资金到位不足、报告停滞，与“项目全周期”页相同）的"
    "项目数 ÷ 未终止项目数 × 100%（越低越好）",
)
def _stalled_share_lifecycle(inp: FormulaInputs, params: dict) -> dict:
    live = _live_states(inp)
    hits = lifecycle.stall_rule_hits(live, load_settings().stall)
    stalled = hits.select("unit_code", "project_id").unique()
    counts = dict(stalled.group_by("unit_code").len().iter_rows())
    rows = {u: {"num": counts.get(u, 0), "den": n} for u, n in live.group_by("unit_code").len().iter_rows()}
    return _ratio(inp, rows, "无在报项目", lambda r: f"停滞 {r['num']} 个 / 在报未终止 {r['den']} 个")


# --------------------------------------------------------------------------- adjustment formulas (counts)

def _counts(inp: FormulaInputs, frame: pl.DataFrame, column: str, noun: str) -> dict:
    got = {r["unit_code"]: int(r[column] or 0) for r in frame.iter_rows(named=True)} if not frame.is_empty() else {}
    return {u: (got.get(u, 0), f"{got.get(u, 0)} {noun}") for u in inp.units}


@_register("late_submissions", "adjustment", "迟报次数",
           "指标期间各月报表中，首次报送晚于截止时间（次月5日）的月数")
def _late(inp: FormulaInputs, params: dict) -> dict:
    window = inp.unit_months.filter(pl.col("month") >= inp.window_start)
    agg = window.group_by("unit_code").agg(n=pl.col("first_late").sum())
    return _counts(inp, agg, "n", "次迟报")


@_register("quarantined_rows", "adjustment", "报表错误行数",
           "指标期间各月现行版本报表中未能入库（被隔离）的行数")
def _quarantined(inp: FormulaInputs, params: dict) -> dict:
    window = inp.unit_months.filter(pl.col("month") >= inp.window_start)
    agg = window.group_by("unit_code").agg(n=pl.col("rows_quarantined").sum())
    return _counts(inp, agg, "n", "行被隔离")


@_register("verified_discrepancies", "adjustment", "核查发现差异项目数",
           "指标期间各季度抽样核查中结论为“存在差异”的项目数")
def _discrepancies(inp: FormulaInputs, params: dict) -> dict:
    return _counts(inp, inp.findings, "discrepancies", "个项目核查存在差异")


@_register("verification_unverifiable", "adjustment", "核查无法核实项目数",
           "指标期间各季度抽样核查中结论为“无法核实”的项目数")
def _unverifiable(inp: FormulaInputs, params: dict) -> dict:
    return _counts(inp, inp.findings, "unverifiable", "个项目无法核实")
