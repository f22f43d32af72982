"""Where investment comes from: 投资方来源地 grouped into the policy's regions (core.origins, config/origins.toml)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from analytics.tables import Column, Table
from core import catalog, origins, reporting
from warehouse.queries import origins as queries
from warehouse.store import Source

TOTAL = "合计"
REGION_COLUMNS = (
    Column("region", "来源地区域"),
    Column("projects", "在报项目", "个", "期间内报送过的项目数，按项目最近一次所填投资方来源地归入区域"),
    Column("funds_wan", "到位资金", "亿元", "期间内各月本月到位资金之和（省外境内、境外资金来源）"),
    Column("share", "到位资金占比", "%", "该区域到位资金 ÷ 合计到位资金"),
)
DEFINITION = ("区域：长三角（上海、江苏、浙江、安徽）、珠三角/粤港澳（广东、香港、澳门）、京津冀（北京、天津、河北）、"
              "成渝（四川、重庆）、省内（甘肃）、其他省份、境外（非我国省级名称的来源地）、未填。各区域互不重叠，"
              "相加等于合计；“其中”行（东西部协作省份）跨区域统计，不计入合计。")


def with_regions(projects: pl.DataFrame) -> pl.DataFrame:
    """Pure: add `region` (the partition region of investor_origin) to per-project rows."""
    names = projects["investor_origin"].unique().to_list()
    mapping = {n: origins.region_of(n) for n in names}
    return projects.with_columns(pl.col("investor_origin").replace_strict(mapping, return_dtype=pl.String)
                                 .alias("region"))


def region_frame(projects: pl.DataFrame) -> pl.DataFrame:
    """Pure: per partition region (config order), then 合计, then the overlay rows ("其中：…"): projects, funds_wan,
    share. The partition rows add up to 合计 exactly (Decimal money, integer counts)."""
    tagged = with_regions(projects)
    by = {r: (n, Decimal(f)) for r, n, f in tagged.group_by("region").agg(pl.len(), pl.col("funds_wan").sum())
          .iter_rows()}
    total_n, total_f = projects.height, Decimal(projects["funds_wan"].sum() or 0)
    rows = [(r, *by.get(r, (0, Decimal(0)))) for r in origins.partition()]
    rows.append((TOTAL, total_n, total_f))
    for name, _, provisional in origins.overlays():
        part = tagged.filter(pl.col("investor_origin").map_elements(lambda t, n=name: origins.in_overlay(t, n),
                                                                    return_dtype=pl.Boolean))
        label = f"其中：{name}" + ("（暂定）" if provisional else "")
        rows.append((label, part.height, Decimal(part["funds_wan"].sum() or 0)))
    frame = pl.DataFrame(rows, schema={"region": pl.String, "projects": pl.Int64, "funds_wan": pl.Decimal(38, 4)},
                         orient="row")
    share = (pl.col("funds_wan").cast(pl.Float64) / float(total_f)) if total_f else pl.lit(None, pl.Float64)
    return frame.with_columns(share.alias("share"))


def units_by_region(projects: pl.DataFrame) -> pl.DataFrame:
    """Pure: one row per unit (official order) with its 到位资金 (万元) per partition region and 合计."""
    tagged = with_regions(projects)
    regions = origins.partition()
    wide = tagged.group_by("unit_code", "region").agg(pl.col("funds_wan").sum())
    rows = []
    for u in catalog.units():
        mine = {r: f for _, r, f in wide.filter(pl.col("unit_code") == u.code).iter_rows()}
        amounts = [Decimal(mine.get(r, 0) or 0) for r in regions]
        rows.append((u.name, *amounts, sum(amounts, Decimal(0))))
    schema = {"unit_name": pl.String, **{r: pl.Decimal(38, 4) for r in regions}, TOTAL: pl.Decimal(38, 4)}
    return pl.DataFrame(rows, schema=schema, orient="row")


def origin_view(source: Source, as_of: dt.date, unit_code: str | None = None) -> tuple[Table, Table]:
    """The regions of one unit (or the province) from January through `as_of`, and every unit's funds by region."""
    first = dt.date(as_of.year, 1, 1)
    projects = queries.project_origins(source, first, as_of)
    mine = projects if unit_code is None else projects.filter(pl.col("unit_code") == unit_code)
    who = "全省" if unit_code is None else catalog.unit_name(unit_code)
    period = f"{as_of.year}年1—{as_of.month}月" if not reporting.is_combined(as_of) else reporting.report_label(as_of)
    regions = Table(f"{who}{period}投资来源地分布", region_frame(mine), REGION_COLUMNS, DEFINITION)
    matrix = units_by_region(projects)
    columns = (Column("unit_name", "被考核单位"),
               *(Column(r, r, "亿元") for r in (*origins.partition(), TOTAL)))
    return regions, Table(f"{period}各单位到位资金按来源地区域", matrix, columns, DEFINITION)
