"""Rank history over past quarters, rank changes, and each unit's reporting status in the ranked window."""
from __future__ import annotations

import datetime as dt

import polars as pl

from analytics.ranking.composite import Ranking, rank_values
from analytics.ranking.indicator_config import IndicatorConfig, load_indicator_config
from analytics.ranking.indicators import compute_indicator_values
from analytics.ranking.normalise import RankingError
from analytics.submissions import status
from core import periods, reporting
from warehouse import store
from warehouse.queries import ranking as queries
from warehouse.store import Snapshot

# --------------------------------------------------------------------------- history and reporting status

HISTORY_SCHEMA = {"quarter": pl.String, "unit_code": pl.String, "unit_name": pl.String, "score": pl.Float64,
                  "rank": pl.Int64, "ranked": pl.Boolean, "complete": pl.Boolean}


def history_quarters(quarter: str, first_month: dt.date | None, quarters: int) -> list[str]:
    """Up to `quarters` quarters ending at `quarter`, oldest first, none ending before the first month with data."""
    out = [quarter]
    while len(out) < quarters and first_month is not None:
        earlier = periods.previous_quarter(out[-1])
        if periods.quarter_months(earlier)[-1] < first_month:
            break
        out.append(earlier)
    return out[::-1]


def rank_history(snapshot: Snapshot, quarter: str, config: IndicatorConfig | None = None,
                 group_id: str | None = None, weight_scheme: str = "expert", quarters: int = 8) -> pl.DataFrame:
    """Every unit's score and nominal rank in each of up to `quarters` quarters ending at `quarter` (HISTORY_SCHEMA),
    recomputed on the snapshot's current data with the same config and weight scheme — not the published figures.

    A quarter in which the asked alternative weights cannot be computed is left out.
    """
    if config is None:
        config = load_indicator_config()
    frames = []
    with store.session(snapshot) as con:  # one connection: its buffer cache stays warm across the quarters
        for q in history_quarters(quarter, queries.first_month(con), quarters):
            values = compute_indicator_values(snapshot, q, config, group_id, con=con)
            try:
                table = rank_values(values, config, weight_scheme).table
            except RankingError:
                continue
            frames.append(table.select(pl.lit(q).alias("quarter"), *[c for c in HISTORY_SCHEMA if c != "quarter"]))
    return pl.concat(frames) if frames else pl.DataFrame(schema=HISTORY_SCHEMA)


def rank_changes(table: pl.DataFrame, history: pl.DataFrame, quarter: str) -> pl.DataFrame:
    """`table` (a ranking table) with rank_previous — the unit's rank in the quarter before `quarter` in `history`
    (`rank_history`) — and rank_change = rank_previous − rank (positive = moved up); null when either is missing."""
    before = history.filter(pl.col("quarter") == periods.previous_quarter(quarter)).select(
        "unit_code", pl.col("rank").alias("rank_previous"))
    return table.join(before, on="unit_code", how="left", maintain_order="left").with_columns(
        rank_change=pl.col("rank_previous") - pl.col("rank"))


def months_not_due(ranking: Ranking, today: dt.date) -> list[dt.date]:
    """The ranking window's months whose reporting deadline (analytics.submission_status) has not passed today."""
    window = reporting.expected_months(ranking.inputs.window_start, ranking.inputs.end_month)
    return [m for m in window if status.deadline_for(m).date() >= today]


def reporting_status(ranking: Ranking, today: dt.date) -> pl.DataFrame:
    """Per unit of the ranking, its missing monthly reports split by deadline (analytics.submission_status):
    overdue (缺报: the deadline has passed) and pending (not yet due: normal while a quarter is under way).

    Columns: unit_code, overdue, pending ('、'-joined month labels, '' when none), status (完整 / 缺报… / …未到截止日).
    """
    not_due = {reporting.report_label(m) for m in months_not_due(ranking, today)}
    rows = []
    for r in ranking.inputs.units.iter_rows(named=True):
        missing = [m for m in r["missing_months"].split("、") if m]
        overdue = [m for m in missing if m not in not_due]
        pending = [m for m in missing if m in not_due]
        parts = [f"缺报 {'、'.join(overdue)}"] if overdue else []
        parts += [f"{'、'.join(pending)}未到截止日"] if pending else []
        rows.append((r["unit_code"], "、".join(overdue), "、".join(pending), "；".join(parts) or "完整"))
    return pl.DataFrame(rows, orient="row", schema={"unit_code": pl.String, "overdue": pl.String,
                                                    "pending": pl.String, "status": pl.String})


# --------------------------------------------------------------------------- which quarter to show

def quarter_due(quarter: str, today: dt.date) -> bool:
    """Whether every month of the quarter is past its reporting deadline (the quarter's data can be complete)."""
    return all(status.deadline_for(m).date() < today for m in periods.quarter_months(quarter))


def latest_complete_quarter(quarter: str, today: dt.date, first_month: dt.date | None = None) -> str | None:
    """`quarter` itself when all its deadlines have passed, else the latest earlier quarter that has (None when that
    would end before `first_month`, the first month with data)."""
    q = quarter
    while not quarter_due(q, today):
        q = periods.previous_quarter(q)
    if first_month is not None and periods.quarter_months(q)[-1] < first_month:
        return None
    return q


def last_complete_month(ranking: Ranking) -> dt.date | None:
    """数据截至: the latest month of the ranking's window for which every unit's report is in (and all before it)."""
    missing = {m for r in ranking.inputs.units.iter_rows(named=True) for m in r["missing_months"].split("、") if m}
    out = None
    for m in reporting.expected_months(ranking.inputs.window_start, ranking.inputs.end_month):
        if reporting.report_label(m) in missing:
            break
        out = m
    return out
