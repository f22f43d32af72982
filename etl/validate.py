"""Validation of one submission (docs/CONTRACT.md §1 "What bad input gets"): file rejection, row quarantine, warnings.

`file_identity` (etl.identity) decides the file's 报送单位 and 统计月份 (or rejects the file); `validate_batch` runs
every row rule (etl.rules) as a polars expression over the rows of many files at once (one pass per batch, not per
file: a monthly file is a few hundred rows, so per-file query overheads would dominate) and returns, per file, the
typed rows to load, the quarantined rows with their reasons, the warnings, and one issue list for the report.
`validate_rows` is the same for one file.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import polars as pl

from core import catalog
from core.uscc import USCC_PATTERN
from etl.identity import file_identity, month_zh
from etl.parse import AMOUNT
from etl.read import ROW_NO, RawTable
from etl.rules import (
    AMOUNTS,
    FILE,
    ISSUE_SCHEMA,
    QUARANTINE,
    WARNING,
    ReferenceList,
    file_columns,
    five_hundred_rules,
    issues,
    previous_month_rules,
    quarantine_rules,
    row_warning_rules,
    typed_columns,
)

REJECT = "拒收"
__all__ = ["REJECT", "QUARANTINE", "WARNING", "ISSUE_SCHEMA", "Context", "ReferenceList", "Submission", "Validated",
           "file_identity", "month_zh", "validate_rows", "validate_batch"]

PROJECT_ROW_COLUMNS = (
    ROW_NO, "project_id", "project_name", "county", "chain", "investor_name", "investor_uscc", "investor_origin",
    "fortune500", "fund_source", "project_type", "signing_date", "signed_amount_wan", "planned_investment_wan",
    "status", "start_date", "production_date", "funds_month_wan", "funds_cum_wan", "is_high_tech", "remark",
)


@dataclass
class Context:
    """What the warehouse knows that warnings need."""

    previous: pl.DataFrame | None = None  # project_id, prev_status, prev_cum: last month's current submission
    five_hundred: list[ReferenceList] = field(default_factory=list)


@dataclass(frozen=True)
class Submission:
    """One file to validate: its cells, its 报送单位 and 统计月份 (see file_identity), and its warehouse context."""

    raw: RawTable
    unit: catalog.Unit
    month: dt.date
    context: Context = field(default_factory=Context)


@dataclass
class Validated:
    unit: catalog.Unit
    month: dt.date
    rows: pl.DataFrame        # typed, PROJECT_ROW_COLUMNS
    quarantine: pl.DataFrame  # row_no, project_id, reasons, raw_json
    warnings: pl.DataFrame    # row_no, project_id, code, column_name, value, message
    issues: pl.DataFrame      # ISSUE_SCHEMA: quarantine reasons and warnings, in row order
    rows_input: int
    rows_ignored: int


# --------------------------------------------------------------------------- whole files

def validate_rows(raw: RawTable, unit: catalog.Unit, month: dt.date, context: Context | None = None) -> Validated:
    """Apply every row rule of docs/CONTRACT.md §1 to a file whose unit and month are known."""
    return validate_batch([Submission(raw, unit, month, context or Context())])[0]


def validate_batch(files: Sequence[Submission]) -> list[Validated]:
    """`validate_rows` for many files at once: the same rules, evaluated in one pass over all their rows.

    Each file keeps its own context: last month's rows are matched within the file, reference lists apply to the
    files whose context holds them, duplicate 项目编号 are looked for within each file.
    """
    if not files:
        return []
    frame = pl.concat([f.raw.frame for f in files], how="vertical_relaxed")
    frame = frame.hstack([_file_positions([f.raw.frame.height for f in files])])
    frame = frame.with_columns(*typed_columns(), *file_columns([(f.unit, f.month) for f in files]))
    frame = frame.with_columns(pl.col("_uscc").str.contains(USCC_PATTERN).alias("_uscc_ok"))
    quarantine_issues = issues(frame, quarantine_rules(), QUARANTINE)
    bad_rows = quarantine_issues.select(FILE, ROW_NO).unique()
    loaded = frame.join(bad_rows, on=[FILE, ROW_NO], how="anti", maintain_order="left")
    previous, month_rules = _previous(files), ()
    if previous is not None:
        loaded = loaded.join(previous, on=[FILE, "project_id"], how="left", maintain_order="left")
        month_rules = previous_month_rules()
    warnings = issues(loaded, [*row_warning_rules(), *month_rules,
                                *five_hundred_rules([f.context.five_hundred for f in files])], WARNING)

    quarantine = (
        quarantine_issues.group_by(FILE, ROW_NO, maintain_order=True)
        .agg(pl.col("project_id").first(), pl.col("message").str.join("；").alias("reasons"))
        .join(
            frame.join(bad_rows, on=[FILE, ROW_NO], how="semi", maintain_order="left").select(
                FILE, ROW_NO,
                pl.struct(pl.col(c.key).alias(c.header) for c in files[0].raw.columns).struct.json_encode()
                .alias("raw_json")),
            on=[FILE, ROW_NO], how="left", maintain_order="left",
        )
    )
    rows = loaded.select(
        FILE, ROW_NO, "project_id", "project_name", "county", pl.col("_chain").alias("chain"), "investor_name",
        pl.col("_uscc").alias("investor_uscc"), "investor_origin", pl.col("_fortune500").alias("fortune500"),
        pl.col("_fund_source").alias("fund_source"), pl.col("_project_type").alias("project_type"),
        pl.col("_signing_date").alias("signing_date"),
        *[pl.col(f"_{k}").cast(AMOUNT).alias(k) for k in AMOUNTS[:2]],
        pl.col("_status").alias("status"), pl.col("_start_date").alias("start_date"),
        pl.col("_production_date").alias("production_date"),
        *[pl.col(f"_{k}").cast(AMOUNT).alias(k) for k in AMOUNTS[2:]],
        (pl.col("_is_high_tech") == "是").alias("is_high_tech"), "remark",
    )
    found = pl.concat([quarantine_issues, warnings]).sort(FILE, ROW_NO, maintain_order=True)
    warnings = warnings.select(FILE, ROW_NO, "project_id", "code", pl.col("column").alias("column_name"), "value",
                               "message")
    n = len(files)
    return [
        Validated(unit=f.unit, month=f.month, rows=r, quarantine=q, warnings=w, issues=i,
                  rows_input=f.raw.rows_input, rows_ignored=f.raw.rows_ignored)
        for f, r, q, w, i in zip(files, _split(rows, n), _split(quarantine, n), _split(warnings, n),
                                 _split(found, n), strict=True)
    ]


def _file_positions(heights: Sequence[int]) -> pl.Series:
    """The FILE column of frames stacked in file order."""
    return pl.Series(FILE, np.repeat(np.arange(len(heights), dtype=np.int32), heights))


def _previous(files: Sequence[Submission]) -> pl.DataFrame | None:
    """Last month's rows of every file that has them (FILE, project_id, prev_status, prev_cum), or None."""
    frames = [f.context.previous for f in files]
    parts = [frame.select("project_id", "prev_status", "prev_cum") for frame in frames if frame is not None]
    if not parts:
        return None
    heights = [0 if frame is None else frame.height for frame in frames]
    return pl.concat(parts, how="vertical_relaxed").select(
        _file_positions(heights), pl.col("project_id").cast(pl.String), pl.col("prev_status").cast(pl.String),
        pl.col("prev_cum").cast(AMOUNT))


def _split(frame: pl.DataFrame, n: int) -> list[pl.DataFrame]:
    """A frame ordered by FILE -> one frame per file 0..n-1, without the FILE column (slices, no copies)."""
    bounds = frame.get_column(FILE).search_sorted(pl.int_range(0, n + 1, dtype=pl.Int32, eager=True),
                                                  side="left").to_list()
    body = frame.drop(FILE)
    return [body.slice(start, stop - start) for start, stop in pairwise(bounds)]
