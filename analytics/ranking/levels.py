"""One ranking engine for every assessed level: 单位 (the 15), 县区 (within one 市州 or province-wide), 产业链.

The level is data: `rank_level(snapshot, quarter, level, unit_code)` builds the same `FormulaInputs` the unit
ranking reads, with `unit_code` holding the county code or the chain code, and hands them to the same formulas
(`indicators.values_from_inputs`) and the same scoring (`composite.rank_values`). What differs per level:

- the ranked entities: units (config/units.toml), counties with their statistical codes (units.toml
  `[unit.county_codes]`), key chains with their codes and lead departments (config/chains.toml `[chain_info]`);
- the indicator system: config/levels.toml names the subset of config/indicators.toml used for counties and chains
  (weights rescaled to sum to 1) and says why the others are dropped;
- the inputs: a county's monthly funds are the sums of its rows in its 市州's current submissions (the county
  "has a report" for a month when its 市州 has); a chain's are the sums of its rows over every unit's submissions,
  and a chain month is complete only when all 15 units have reported it.

Rows without 所在县区 (市州本级, or units without counties: 嘉峪关市, 兰州新区) belong to no county: they are in the
unit's figures and in the county view's reconciliation line, not in the county ranking.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from functools import lru_cache
from pathlib import Path

import polars as pl
from pydantic import Field

from analytics.ranking.composite import Ranking, rank_quarter, rank_values
from analytics.ranking.formulas import FormulaInputs
from analytics.ranking.indicator_config import Group, IndicatorConfig, load_indicator_config
from analytics.ranking.indicators import values_from_inputs, window_of
from analytics.ranking.normalise import RankingError
from core import catalog, config, periods, reporting
from core.config import Strict
from warehouse import store
from warehouse.queries import levels as lq
from warehouse.queries import ranking as rq
from warehouse.queries import targets as tq
from warehouse.store import Snapshot

LEVELS = {"unit": "被考核单位", "county": "县（市、区）", "chain": "重点产业链"}
PROVINCE_CODE, PROVINCE_NAME = "620000", "甘肃省"
WHAT = "考核层级配置"

# Formulas each sub-unit level can compute from its inputs (the others need unit-level facts: tasks, submissions,
# verification samples), and why not.
SUPPORTED = {
    "county": {"funds_growth_yoy", "major_projects_signed", "fortune500_investors", "high_tech_funds_share",
               "key_chain_funds_share", "start_rate", "funds_arrival_rate", "stalled_share",
               "funds_arrival_rate_lifecycle", "stalled_share_lifecycle"},
    "chain": {"funds_growth_yoy", "major_projects_signed", "fortune500_investors", "high_tech_funds_share",
              "start_rate", "funds_arrival_rate", "stalled_share", "funds_arrival_rate_lifecycle",
              "stalled_share_lifecycle"},
}
EXTRA_COLUMNS = {"level": pl.String, "parent_code": pl.String, "parent_name": pl.String,
                 "lead_department": pl.String}


class LevelError(RankingError):
    """A level, unit or chain the request cannot be served for (Chinese message)."""


class _LevelEntry(Strict):
    name: str = Field(title="层级名称 name", min_length=1)
    indicators: tuple[str, ...] = Field(title="指标 indicators", min_length=1)
    adjustments: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()


class _LevelsFile(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    county: _LevelEntry
    chain: _LevelEntry


@dataclasses.dataclass(frozen=True)
class Entity:
    """One ranked entity: a unit, a county or a chain, and what contains it."""

    code: str
    name: str
    parent_code: str
    parent_name: str
    lead_department: str = ""


def _where(path: str | None) -> str:
    return str(Path(path) if path else config.CONFIG_DIR / "levels.toml")


@lru_cache(maxsize=4)
def _levels_file(path: str | None = None) -> tuple[_LevelsFile, str, str]:
    text, raw = config.read_text(_where(path), WHAT)
    return config.parse_model(text, _LevelsFile, WHAT, _where(path)), text, hashlib.sha256(raw).hexdigest()


def level_config(level: str, base: IndicatorConfig | None = None, path: str | None = None) -> IndicatorConfig:
    """The indicator system of a level: indicators.toml itself for units, the configured subset otherwise."""
    check_level(level)
    base = base or load_indicator_config()
    if level == "unit":
        return base
    data, text, sha = _levels_file(path)
    entry: _LevelEntry = getattr(data, level)
    lines = config.TomlLines(text)
    where = _where(path)
    specs = {s.id: s for s in base.indicators}
    adjustments = {a.id: a for a in base.adjustments}
    for key, ids, known in (("indicators", entry.indicators, specs), ("adjustments", entry.adjustments, adjustments)):
        for i in ids:
            if i not in known:
                raise config.ConfigError(f"{entry.name}层级的“{i}”不是 config/indicators.toml 中的{'指标' if key == 'indicators' else '加减分项'} id",
                                         lines.find(level, key, value=i), where, WHAT)
            if known[i].formula not in SUPPORTED[level]:
                raise config.ConfigError(f"“{known[i].name}”（{i}）不能在{entry.name}层级计算：该公式需要市州层级的"
                                         "任务、报送或核查数据", lines.find(level, key, value=i), where, WHAT)
    total = sum(specs[i].weight for i in entry.indicators)
    return dataclasses.replace(
        base,
        version=f"{base.version}+{data.version}:{level}",
        title=f"{base.title}（{entry.name}层级）",
        sha256=hashlib.sha256((base.sha256 + sha + level).encode()).hexdigest(),
        text=base.text + "\n\n# ---- config/levels.toml ----\n" + text,
        indicators=tuple(dataclasses.replace(specs[i], weight=specs[i].weight / total) for i in entry.indicators),
        adjustments=tuple(adjustments[i] for i in entry.adjustments),
    )


def dropped_notes(level: str, path: str | None = None) -> tuple[str, ...]:
    """Why the level's indicator system is smaller than the units' (Chinese sentences from levels.toml)."""
    if level == "unit":
        return ()
    return getattr(_levels_file(path)[0], level).dropped


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise LevelError(f"未知的考核层级“{level}”，可选：unit（单位）、county（县区）、chain（产业链）")
    return level


def entities(level: str, unit_code: str | None = None) -> list[Entity]:
    """The ranked entities of a level in official order; `unit_code` narrows counties to one 市州."""
    check_level(level)
    if unit_code is not None and level != "county":
        raise LevelError(f"{LEVELS[level]}排名不按市州划分，--unit 只用于县区排名")
    if level == "unit":
        return [Entity(u.code, u.name, PROVINCE_CODE, PROVINCE_NAME) for u in catalog.units()]
    if level == "chain":
        return [Entity(c.code, c.name, PROVINCE_CODE, PROVINCE_NAME, c.lead_department)
                for c in catalog.chain_entries()]
    if unit_code is not None:
        unit = catalog.resolve_unit(unit_code)
        if unit is None:
            raise LevelError(f"未知的单位“{unit_code}”：请填写市州名称、简称或统计代码（如 620100）")
        if not unit.counties:
            raise LevelError(f"{unit.name}没有下辖县区，无法进行县区排名")
        chosen = catalog.counties_of(unit.code)
    else:
        chosen = catalog.counties()
    return [Entity(c.code, c.name, c.unit_code, catalog.unit_name(c.unit_code)) for c in chosen]


def _zero(frame: pl.DataFrame, column: str) -> pl.Expr:
    return pl.col(column).fill_null(pl.lit(0).cast(frame.schema[column]))


def _county_inputs(con, ents: list[Entity], first: dt.date, window_start: dt.date, end: dt.date):
    units = sorted({e.parent_code for e in ents})
    um = rq.unit_months(con, units, first, end)
    parts = lq.part_months(con, units, first, end, "county")
    counties = pl.DataFrame({"code": [e.code for e in ents], "part": [e.name for e in ents],
                             "unit_code": [e.parent_code for e in ents]})
    months = (counties.join(um.drop("funds_month_wan"), on="unit_code", how="inner")
              .join(parts, on=["unit_code", "part", "month"], how="left"))
    months = months.select(pl.col("code").alias("unit_code"), "month", _zero(months, "funds_month_wan"),
                           "received_at", "first_late", "rows_quarantined").sort("unit_code", "month")
    ledger = rq.project_ledger(con, units, window_start, end)
    ledger = (ledger.join(counties, left_on=["unit_code", "county"], right_on=["unit_code", "part"], how="inner")
              .with_columns(pl.col("code").alias("unit_code")).drop("code"))
    states = tq.project_states(con, end)
    states = (states.join(counties, left_on=["unit_code", "county"], right_on=["unit_code", "part"], how="inner")
              .with_columns(pl.col("code").alias("unit_code")).drop("code"))
    return months, ledger, None, states


def _chain_inputs(con, ents: list[Entity], first: dt.date, window_start: dt.date, end: dt.date):
    units = [u.code for u in catalog.units()]
    um = rq.unit_months(con, units, first, end)
    parts = lq.part_months(con, units, first, end, "chain").group_by("part", "month").agg(
        pl.col("funds_month_wan").sum())
    chains = pl.DataFrame({"unit_code": [e.code for e in ents], "part": [e.name for e in ents]})
    per_month = um.group_by("month").agg(pl.col("received_at").max(), pl.len().alias("units_in"))
    months = chains.join(per_month, how="cross").join(parts, on=["part", "month"], how="left")
    months = months.select("unit_code", "month", _zero(months, "funds_month_wan"), "received_at",
                           pl.lit(False).alias("first_late"), pl.lit(0, pl.Int32).alias("rows_quarantined"))
    ledger = rq.project_ledger(con, units, window_start, end)
    ledger = (ledger.join(chains, left_on="chain", right_on="part", how="inner"))
    ledger = ledger.with_columns(pl.col("unit_code_right").alias("unit_code")).drop("unit_code_right")
    states = tq.project_states(con, end).join(chains, left_on="chain", right_on="part", how="inner")
    states = states.with_columns(pl.col("unit_code_right").alias("unit_code")).drop("unit_code_right")
    complete_months = set(per_month.filter(pl.col("units_in") == len(units))["month"].to_list())
    return months.sort("unit_code", "month"), ledger, complete_months, states


def level_values(snapshot: Snapshot, quarter: str, level: str, cfg: IndicatorConfig, ents: list[Entity],
                 con=None):
    """The IndicatorValues of a county or chain ranking (same schema as the units')."""
    year, _ = periods.parse_quarter(quarter)
    window_start, end = window_of(quarter, cfg.window)
    first = dt.date(year - 1, 1, 1)
    build = _county_inputs if level == "county" else _chain_inputs
    with store.session(snapshot if con is None else con) as c:
        months, ledger, complete_months, states = build(c, ents, first, window_start, end)
    findings = pl.DataFrame(schema={"unit_code": pl.String, "discrepancies": pl.Int64, "unverifiable": pl.Int64})
    codes = tuple(e.code for e in ents)
    inputs = FormulaInputs(quarter, year, window_start, end, codes, months, ledger, findings, states)
    group = Group(f"{level}", LEVELS[level], codes)
    values = values_from_inputs(inputs, cfg, group, snapshot.identity, names={e.code: e.name for e in ents})
    if complete_months is not None:  # a chain month counts only when every unit has reported it
        window = reporting.expected_months(window_start, end)
        missing = [m for m in window if m not in complete_months]
        values = dataclasses.replace(values, units=values.units.with_columns(
            complete=pl.lit(not missing), months_submitted=pl.lit(len(window) - len(missing), pl.Int64),
            missing_months=pl.lit("、".join(reporting.report_label(m) for m in missing))))
    return values


def rank_level(snapshot: Snapshot, quarter: str, level: str = "unit", unit_code: str | None = None,
               config: IndicatorConfig | None = None, weight_scheme: str = "expert",
               levels_path: str | None = None) -> Ranking:
    """The composite ranking of one level; the table gains level, parent_code, parent_name, lead_department."""
    periods.parse_quarter(quarter)
    ents = entities(level, unit_code)
    base = config or load_indicator_config()
    if level == "unit":
        ranking = rank_quarter(snapshot, quarter, base, weight_scheme=weight_scheme)
    else:
        cfg = level_config(level, base, levels_path)
        values = level_values(snapshot, quarter, level, cfg, ents)
        if unit_code is not None:
            values = dataclasses.replace(values, group_id=f"county-{ents[0].parent_code}",
                                         group_name=f"{ents[0].parent_name}各县（市、区）")
        ranking = rank_values(values, cfg, weight_scheme)
    return with_parents(ranking, level, ents, levels_path)


def with_parents(ranking: Ranking, level: str, ents: list[Entity], levels_path: str | None = None) -> Ranking:
    by_code = {e.code: e for e in ents}
    table = ranking.table.with_columns(
        level=pl.lit(level),
        parent_code=pl.col("unit_code").replace_strict({c: e.parent_code for c, e in by_code.items()}, default=None,
                                                       return_dtype=pl.String),
        parent_name=pl.col("unit_code").replace_strict({c: e.parent_name for c, e in by_code.items()}, default=None,
                                                       return_dtype=pl.String),
        lead_department=pl.col("unit_code").replace_strict({c: e.lead_department for c, e in by_code.items()},
                                                           default="", return_dtype=pl.String),
    )
    notes = list(ranking.notes)
    if level != "unit":
        notes.append(f"{LEVELS[level]}层级指标体系：" + "；".join(ranking.indicators["name"].to_list())
                     + "。权重按全省指标体系的比例换算，合计为 1。")
        notes += [f"未采用 {d}" for d in dropped_notes(level, levels_path)]
    if level == "county":
        notes.append(f"县区代码：{catalog.county_codes_source()}。未填所在县区的项目（市州本级）计入市州，不参与县区排名。")
    if level == "chain" and catalog.chains_provisional():
        notes.append("产业链名单、代码和链长部门为暂定，待录入官方名单后更新。")
    return dataclasses.replace(ranking, table=table, notes=tuple(notes))
