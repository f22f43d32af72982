"""A unit's or the province's figures split by county (县区) or by key chain (产业链): the county and chain views.

`part_figures(source, as_of_month, level, unit_code)` gives one row per county of a 市州 (or of every 市州) or per
key chain, plus the rows that belong to none — 未填县区（市州本级）, 其他（非重点产业链） — so that the rows add up
exactly (Decimal 万元) to the unit's or the province's year-to-date 到位资金, and a 合计 row that shows it.

Figures per row, year to date (January through `as_of_month`), projects of 省外境内/境外 funds as for 到位资金:
到位资金 (each month's row counted in the county or chain it names that month), projects reported, 10亿元以上
projects, distinct 三个500强 investors, and the start rate of projects signed at least 6 months before the month's end
(a project's county and chain are those of its latest row in the period).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from analytics.tables import Column, Table
from analytics.targets import quotas
from core import catalog, periods
from warehouse import store
from warehouse.queries import levels as lq
from warehouse.queries import ranking as ranking_queries
from warehouse.queries.targets import Source

UNASSIGNED_COUNTY = "未填县区（市州本级）"
OTHER_CHAIN = "其他（非重点产业链）"
TOTAL = "合计"
STARTED = ("在建", "已投产")
START_MONTHS = 6

COLUMNS = (
    Column("code", "代码"),
    Column("name", "名称"),
    Column("parent", "所属"),
    Column("funds_wan", "年初至今到位资金", "亿元", "1月至截至月份各月本月到位资金之和（省外境内、境外），按各月所填县区/产业链归属"),
    Column("projects", "在报项目", "个", "期间内报送过的省外境内、境外资金项目数"),
    Column("major", "10亿元以上项目", "个", "计划总投资 ≥ 10亿元的在报项目数"),
    Column("fortune500", "三个500强企业", "家", "在报项目中三个500强类别不为“无”的不同投资方数（按统一社会信用代码，无代码按名称）"),
    Column("start_rate", "开工率", "%", f"签约满 {START_MONTHS} 个月的在报项目中已开工（在建、已投产或填有开工日期）的比例"),
)


def _threshold() -> Decimal:
    return Decimal(str(quotas.targets_config().get("tiers", {}).get("major_threshold_wan", 100000)))


def _project_figures(ledger: pl.DataFrame, by: str, cutoff: dt.date, threshold: Decimal) -> dict:
    if ledger.is_empty():
        return {}
    investor = pl.when(pl.col("investor_uscc").str.strip_chars().str.len_chars() > 0) \
        .then(pl.col("investor_uscc")).otherwise(pl.col("investor_name"))
    eligible = pl.col("signing_date") < cutoff
    started = pl.col("status").is_in(STARTED) | pl.col("start_date").is_not_null()
    out = ledger.group_by(by).agg(
        projects=pl.len(),
        major=(pl.col("planned_investment_wan") >= threshold).sum(),
        fortune500=investor.filter(pl.col("fortune500") != catalog.NO_FIVE_HUNDRED).n_unique(),
        eligible=eligible.sum(),
        started=(eligible & started).sum(),
    )
    return {r[by]: r for r in out.iter_rows(named=True)}


def part_figures(source: Source, as_of_month: dt.date, level: str = "county", unit_code: str | None = None) -> Table:
    """The county or chain view of one 市州 (`unit_code`) or of the province (None)."""
    if level not in ("county", "chain"):
        raise ValueError(f"未知的分项层级“{level}”，可选：county（县区）、chain（产业链）")
    units = [unit_code] if unit_code else [u.code for u in catalog.units()]
    first = dt.date(as_of_month.year, 1, 1)
    with store.session(source) as con:
        parts = lq.part_months(con, units, first, as_of_month, level)
        ledger = ranking_queries.project_ledger(con, units, first, as_of_month)
    cutoff = periods.add_months(as_of_month, 1 - START_MONTHS)
    threshold = _threshold()
    if level == "county":
        entries = [(c.code, c.name, c.unit_code, catalog.unit_name(c.unit_code))
                   for c in catalog.counties() if c.unit_code in units]
        rest = [(None, UNASSIGNED_COUNTY, u, catalog.unit_name(u)) for u in units]
        keys = [f"{e[2]}|{e[1]}" for e in entries] + [f"{u}|" for u in units]
        key = pl.concat_str(pl.col("unit_code"), pl.lit("|"), pl.col("county").fill_null(""))
        funds_key = pl.concat_str(pl.col("unit_code"), pl.lit("|"), pl.col("part").fill_null(""))
    else:
        entries = [(c.code, c.name, "620000", c.lead_department) for c in catalog.chain_entries()]
        rest = [(None, OTHER_CHAIN, "620000", "")]
        keys = [e[1] for e in entries] + [""]
        key, funds_key = pl.col("chain"), pl.col("part")
    known = set(keys)

    def normalise(k: str) -> str:
        """A row's key; a county or chain outside the list goes to the unassigned row (unit|, or '')."""
        return k if k in known else (k.split("|")[0] + "|" if level == "county" else "")

    funds: dict[str, Decimal] = {}
    for k, wan in parts.select(funds_key.alias("k"), "funds_month_wan").iter_rows():
        funds[normalise(k)] = funds.get(normalise(k), Decimal(0)) + Decimal(wan)
    ledger = ledger.with_columns(key.map_elements(normalise, return_dtype=pl.String).alias("_k")) \
        if not ledger.is_empty() else ledger.with_columns(pl.lit("").alias("_k"))
    figures = _project_figures(ledger, "_k", cutoff, threshold)
    rows = []
    for k, (code, name, _parent_code, parent) in zip(keys, [*entries, *rest]):
        f = figures.get(k, {})
        rate = Decimal(f["started"]) / Decimal(f["eligible"]) if f.get("eligible") else None
        rows.append((code, name, parent, funds.get(k, Decimal(0)), f.get("projects", 0), f.get("major", 0),
                     f.get("fortune500", 0), rate))
    total_investors = _project_figures(ledger.with_columns(pl.lit("all").alias("_k")), "_k", cutoff, threshold)
    t = total_investors.get("all", {})
    rows.append((None, TOTAL, "", sum((r[3] for r in rows), Decimal(0)), ledger.height, t.get("major", 0),
                 t.get("fortune500", 0), Decimal(t["started"]) / Decimal(t["eligible"]) if t.get("eligible") else None))
    frame = pl.DataFrame(rows, orient="row", schema={
        "code": pl.String, "name": pl.String, "parent": pl.String, "funds_wan": pl.Decimal(18, 4),
        "projects": pl.Int64, "major": pl.Int64, "fortune500": pl.Int64, "start_rate": pl.Decimal(18, 8)})
    scope = catalog.unit_name(unit_code) if unit_code else "全省"
    what = "各县（市、区）" if level == "county" else "各重点产业链"
    parent_label = "所属市州" if level == "county" else "链长部门（暂定）" if catalog.chains_provisional() else "链长部门"
    columns = tuple(Column(c.name, parent_label) if c.name == "parent" else c for c in COLUMNS)
    note = (f"县区代码：{catalog.county_codes_source()}。“{UNASSIGNED_COUNTY}”为未填所在县区的项目，"
            "各行相加等于合计，合计等于市州（全省）年初至今到位资金。" if level == "county" else
            "产业链名单、代码和链长部门为暂定，待录入官方名单后更新。"
            f"“{OTHER_CHAIN}”为所属产业链填“其他”的项目；各行相加等于合计。")
    return Table(f"{scope}{what}招商引资情况（{as_of_month.year}年1—{as_of_month.month}月）", frame, columns, note)
