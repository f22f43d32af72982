"""One 市州's own view (本单位工作进展): its progress against its task and 序时进度, its counties, its stalled
projects and its place in the published rankings — and nothing of any other unit below the unit's own totals.

Every function here takes the unit and returns only that unit's rows: the page of an account bound to one unit
never receives another unit's project-level data, whatever it asks for.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from analytics.tables import Column, Table
from analytics.targets import lifecycle, parts, unit_tasks
from core import catalog
from warehouse.queries import levels as lq
from warehouse.queries.targets import Source

RANK_COLUMNS = (
    Column("quarter", "季度"),
    Column("group_id", "排名分组"),
    Column("rank", "名次"),
    Column("ranked_units", "参与排名单位数", "个"),
    Column("score", "得分"),
    Column("publication_id", "发布编号"),
)


@dataclass(frozen=True)
class UnitView:
    unit_code: str
    unit_name: str
    as_of: dt.date
    task: Table            # one row: the unit against its task and 序时进度
    counties: Table | None  # the unit's counties (None for a unit without counties)
    stalled: Table         # the unit's stalled projects
    ranks: Table           # the unit in every current published ranking
    messages: tuple[str, ...]


def unit_view(source: Source, unit_code: str, as_of_month: dt.date) -> UnitView:
    unit = catalog.resolve_unit(unit_code)
    if unit is None:
        raise ValueError(f"未知的单位“{unit_code}”")
    progress = unit_tasks.units_vs_tasks(source, as_of_month)
    task = progress.table.where(unit_code=unit.code)
    messages = tuple(m for m in progress.messages if m.startswith(unit.name))
    life = lifecycle.lifecycle_overview(source, as_of_month)
    stalled = life.stalled.where(unit_code=unit.code)
    counties = parts.part_figures(source, as_of_month, "county", unit.code) if unit.counties else None
    ranks = lq.unit_published_ranks(source, unit.code).with_columns(pl.col("score").round(2))
    return UnitView(unit.code, unit.name, as_of_month, task, counties, stalled,
                    Table(f"{unit.name}季度综合排名历程（已发布）", ranks, RANK_COLUMNS,
                          "各季度现行有效的发布结果（更正后以更正版为准）"), messages)
