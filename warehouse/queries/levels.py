"""Read queries of the assessed levels below and beside the 15 units: 县区 (所在县区) and 产业链 (所属产业链).

Every row of a current submission carries its 所在县区 (a county name of the reporting unit, or empty) and its
所属产业链 (a configured chain or 其他). These queries group the same facts the unit-level queries read by that
column, so that a county's or a chain's figures are exact parts of the units' figures (DECIMAL 万元, no rounding).
`key` is "county" or "chain": the column of fact_project_month to group by.
"""
from __future__ import annotations

import datetime as dt

import polars as pl

from warehouse import store
from warehouse.store import Source

_PART_SQL = """
    SELECT unit_code, {col} AS part, month,
           coalesce(sum(funds_month_wan) FILTER (WHERE counts_for_funds), 0)::DECIMAL(18,4) AS funds_month_wan
    FROM fact_project_month
    WHERE month BETWEEN $first AND $last AND list_contains($units, unit_code)
    GROUP BY unit_code, {col}, month
    ORDER BY unit_code, month
"""
# The grouping column is one of two fixed names, never user text.
PART_SQL = {key: _PART_SQL.replace("{col}", key) for key in ("county", "chain")}
KEYS = tuple(PART_SQL)


def part_months(source: Source, units: list[str], first_month: dt.date, last_month: dt.date,
                key: str) -> pl.DataFrame:
    """Σ 本月到位资金 (counted sources) per (unit, county or chain, month) of the current submissions.

    Columns: unit_code, part (the county name or chain name; null for rows without 所在县区), month,
    funds_month_wan (DECIMAL). Only (unit, part, month) with at least one row appear; a unit-month's parts sum
    to its mart_unit_month.funds_month_wan exactly.
    """
    if key not in PART_SQL:
        raise ValueError(f"未知的分组列“{key}”，可选：{'、'.join(KEYS)}")
    return store.frame(source, PART_SQL[key], {"first": first_month, "last": last_month, "units": units})




def unit_published_ranks(source: Source, unit_code: str) -> pl.DataFrame:
    """One unit's place in every current (not corrected) published ranking: quarter, group, rank, score, of how many."""
    return store.frame(
        source,
        """
        SELECT r.quarter, r.group_id, r.publication_id, r.published_at, r.rank, r.score, r.complete,
               (SELECT count(*) FROM mart_published_ranking a
                WHERE a.publication_id = r.publication_id AND a.rank IS NOT NULL) AS ranked_units
        FROM mart_published_ranking r
        WHERE r.is_current AND r.unit_code = $u
        ORDER BY r.quarter, r.group_id
        """,
        {"u": unit_code},
    )
