"""Validation of one submission (CONTRACT.md §1 "What bad input gets"): file rejection, row quarantine, warnings.

`file_identity` decides the file's 报送单位 and 统计月份 (or rejects the file); `validate_batch` runs every row rule
as a polars expression over the rows of many files at once (one pass per batch, not per file: a monthly file is a
few hundred rows, so per-file query overheads would dominate) and returns, per file, the typed rows to load, the
quarantined rows with their reasons, the warnings, and one issue list for the report. `validate_rows` is the same
for one file. Messages are Chinese and name the Excel row number, the column and the offending value, and say
what to fix.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import pairwise

import numpy as np
import polars as pl

from core import catalog, clock
from core.template import SUBMISSION_COLUMNS
from core.uscc import USCC_PATTERN
from etl.parse import AMOUNT, date_expr, number_expr, parse_month, uscc_check_char_expr, uscc_normalise_expr
from etl.read import ROW_NO, FileRejected, RawTable

REJECT, QUARANTINE, WARNING = "拒收", "隔离", "警告"

HEADER = {c.key: c.header for c in SUBMISSION_COLUMNS}
REQUIRED_VALUES = (
    "unit", "month", "project_id", "project_name", "chain", "investor_name", "fortune500", "fund_source",
    "project_type", "signing_date", "signed_amount_wan", "planned_investment_wan", "status", "funds_month_wan",
    "funds_cum_wan", "is_high_tech",
)
AMOUNTS = ("signed_amount_wan", "planned_investment_wan", "funds_month_wan", "funds_cum_wan")
DATES = ("signing_date", "start_date", "production_date")
FOREIGN = "境外"
NEEDS_START = ("在建", "已投产")
NEEDS_PRODUCTION = ("已投产",)
# Life-cycle order for "status going backwards"; 终止 is final, 停滞 may resume to anything.
STATUS_ORDER = {"已签约未开工": 0, "在建": 1, "已投产": 2}
TERMINATED = "终止"
FILE = "_file"  # position of a row's file in a batch

ISSUE_SCHEMA = {
    ROW_NO: pl.Int32, "project_id": pl.String, "column": pl.String, "value": pl.String,
    "severity": pl.String, "code": pl.String, "message": pl.String,
}
_BATCH_ISSUE_SCHEMA = {FILE: pl.Int32, **ISSUE_SCHEMA}
PROJECT_ROW_COLUMNS = (
    ROW_NO, "project_id", "project_name", "county", "chain", "investor_name", "investor_uscc", "investor_origin",
    "fortune500", "fund_source", "project_type", "signing_date", "signed_amount_wan", "planned_investment_wan",
    "status", "start_date", "production_date", "funds_month_wan", "funds_cum_wan", "is_high_tech", "remark",
)


@dataclass(frozen=True)
class ReferenceList:
    """The 三个500强 list that applies to the submission's year (that year, or the latest loaded before it)."""

    list_name: str
    year: int
    company_names: pl.Series
    usccs: pl.Series


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


def month_zh(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


# --------------------------------------------------------------------------- file level

def _first_rows(frame: pl.DataFrame, keys: Sequence[str]) -> list[list[tuple[str, int]]]:
    """Per column, its distinct non-empty values with the first row each occurs in (one pass for all columns)."""
    firsts = frame.select(
        pl.struct(k, ROW_NO).filter(pl.col(k).is_not_null() & pl.col(k).is_first_distinct()).implode().alias(k)
        for k in keys
    ).row(0)
    return [[(v[k], v[ROW_NO]) for v in values] for k, values in zip(keys, firsts, strict=True)]


# A file holds one month spelling, a load a few dozen: parse each spelling once (the parser runs a query).
_month_of_text = lru_cache(maxsize=1024)(parse_month)


def file_identity(raw: RawTable) -> tuple[catalog.Unit, dt.date]:
    """The one 报送单位 and 统计月份 of the file, or FileRejected (CONTRACT.md §1)."""
    n = raw.rows_input
    units, months = _first_rows(raw.frame, ("unit", "month"))
    if not units:
        raise FileRejected("「报送单位」一列全部为空，请在每行填写报送单位（如“兰州市”）", rows_input=n)
    resolved: dict[str, list[int]] = {}
    for value, row in units:
        unit = catalog.resolve_unit(value)
        if unit is None:
            raise FileRejected(
                f"第 {row} 行「报送单位」值“{value}”不是被考核单位，请填写 14 个市州或兰州新区的名称、简称或代码"
                f"（如“兰州市”“兰州”“620100”）", rows_input=n)
        resolved.setdefault(unit.code, []).append(row)
    if len(resolved) > 1:
        listing = "、".join(f"{catalog.unit_name(code)}（第 {min(rows)} 行起）" for code, rows in resolved.items())
        raise FileRejected(f"一个文件只能报送一个单位，本文件包含 {len(resolved)} 个：{listing}，"
                           f"请按单位拆分后分别报送", rows_input=n)
    unit = catalog.unit_lookup()[next(iter(resolved))]

    if not months:
        raise FileRejected("「统计月份」一列全部为空，请在每行填写统计月份（如 2025-03）", rows_input=n)
    parsed: dict[dt.date, int] = {}
    for value, row in months:
        month = _month_of_text(value)
        if month is None:
            raise FileRejected(f"第 {row} 行「统计月份」值“{value}”无法识别，请填写如 2025-03 或 2025年3月 的月份",
                               rows_input=n)
        parsed.setdefault(month, row)
    if len(parsed) > 1:
        listing = "、".join(f"{month_zh(m)}（第 {row} 行起）" for m, row in parsed.items())
        raise FileRejected(f"一个文件只能报送一个统计月份，本文件包含：{listing}，请按月份拆分后分别报送", rows_input=n)
    month = next(iter(parsed))
    earliest = dt.date.fromisoformat(catalog.etl_settings()["earliest_month"] + "-01")
    current = clock.today().replace(day=1)
    if month < earliest:
        raise FileRejected(f"统计月份 {month_zh(month)} 早于可报送的最早月份 {month_zh(earliest)}，请核对",
                           rows_input=n)
    if month > current:
        raise FileRejected(f"统计月份 {month_zh(month)} 晚于当前月份 {month_zh(current)}，不能报送未来月份，请核对",
                           rows_input=n)
    return unit, month


# --------------------------------------------------------------------------- row rules

def _mapped(key: str, fn) -> pl.Expr:
    """Apply a Python function to each distinct value of a (low-cardinality) column; null where it returns None."""
    return pl.col(key).map_batches(
        lambda s: s.replace_strict({v: fn(v) for v in s.unique().drop_nulls().to_list()}, default=None,
                                   return_dtype=pl.String),
        return_dtype=pl.String,
    )


def _fortune500_canonical(text: str) -> str | None:
    parts = [p.strip() for p in text.split("、")]
    if parts == [catalog.NO_FIVE_HUNDRED]:
        return catalog.NO_FIVE_HUNDRED
    if any(p not in catalog.FIVE_HUNDRED_LISTS for p in parts):
        return None
    return "、".join(name for name in catalog.FIVE_HUNDRED_LISTS if name in parts)


def _enum(key: str, allowed: tuple[str, ...]) -> pl.Expr:
    return pl.when(pl.col(key).is_in(allowed)).then(pl.col(key))


def _amount_text(expr: pl.Expr) -> pl.Expr:
    """A Decimal as people write it: 1234.5000 -> 1234.5."""
    return expr.cast(pl.String).str.replace(r"(\.\d*?)0+$", "${1}").str.strip_suffix(".")


@cache
def _typed() -> tuple[pl.Expr, ...]:
    return (
        *[number_expr(pl.col(k)).alias(f"_{k}") for k in AMOUNTS],
        *[date_expr(pl.col(k)).alias(f"_{k}") for k in DATES],
        _mapped("chain", catalog.resolve_chain).alias("_chain"),
        _mapped("fortune500", _fortune500_canonical).alias("_fortune500"),
        _enum("fund_source", catalog.FUND_SOURCES).alias("_fund_source"),
        _enum("project_type", catalog.PROJECT_TYPES).alias("_project_type"),
        _enum("status", catalog.STATUSES).alias("_status"),
        _enum("is_high_tech", catalog.YES_NO).alias("_is_high_tech"),
        uscc_normalise_expr(pl.col("investor_uscc")).alias("_uscc"),
        pl.len().over(FILE, "project_id").alias("_dup_count"),
    )


def _county_hint(unit: catalog.Unit) -> str:
    if unit.counties:
        return f"请填写{unit.name}下辖县区（{'、'.join(unit.counties)}）或留空"
    return f"{unit.name}没有下辖县区，请留空"


def _unit_columns(files: Sequence[Submission]) -> list[pl.Expr]:
    """Per row, from its file's 报送单位: whether 所在县区 is one of its counties, and the words messages need."""
    allowed = [f"{i}|{county}" for i, f in enumerate(files) for county in f.unit.counties]

    def per_file(values: list[str]) -> pl.Expr:
        return pl.col(FILE).replace_strict(dict(enumerate(values)), return_dtype=pl.String)

    return [
        pl.concat_str(pl.col(FILE), pl.lit("|"), pl.col("county")).is_in(allowed).alias("_county_ok"),
        per_file([f.unit.name for f in files]).alias("_unit_name"),
        per_file([_county_hint(f.unit) for f in files]).alias("_county_hint"),
    ]


@dataclass(frozen=True)
class Rule:
    """A row rule: the rows it flags, and the issue fields (evaluated on the flagged rows only)."""

    mask: pl.Expr
    fields: tuple[pl.Expr, ...]


def _rule(code: str, key: str, mask: pl.Expr, message: str, *args: pl.Expr) -> Rule:
    """`message` holds {row}, {col} and optionally {value} (the cell text), then "{}" for each of `args`."""
    template = message.replace("{row}", "{}", 1).replace("{col}", f"「{HEADER[key]}」")
    parts = [pl.col(ROW_NO)]
    if "{value}" in template:
        template = template.replace("{value}", "“{}”", 1)
        parts.append(pl.col(key).fill_null(""))
    return Rule(mask, (
        pl.lit(HEADER[key]).alias("column"),
        pl.col(key).alias("value"),
        pl.lit(code).alias("code"),
        pl.format(template, *parts, *args).alias("message"),
    ))


@cache
def _quarantine_rules() -> tuple[Rule, ...]:
    c = pl.col
    allowed = {
        "fund_source": catalog.FUND_SOURCES, "project_type": catalog.PROJECT_TYPES, "status": catalog.STATUSES,
        "is_high_tech": catalog.YES_NO,
    }
    rules = [
        _rule("missing", k, c(k).is_null(), "第 {row} 行{col}为空，这是必填项，请填写") for k in REQUIRED_VALUES
    ]
    rules += [
        _rule("not_number", k, c(k).is_not_null() & c(f"_{k}").is_null(),
              "第 {row} 行{col}值{value}不是数字，请填写纯数字（单位：万元），不要带文字或单位")
        for k in AMOUNTS
    ]
    rules += [
        _rule("not_positive", k, c(f"_{k}") <= 0, "第 {row} 行{col}值{value}必须大于 0，请填写实际金额（单位：万元）")
        for k in ("signed_amount_wan", "planned_investment_wan")
    ]
    rules.append(_rule("negative_cumulative", "funds_cum_wan", c("_funds_cum_wan") < 0,
                       "第 {row} 行{col}值{value}为负数，累计到位资金不能小于 0，请核对后填写"))
    rules += [
        _rule("not_date", k, c(k).is_not_null() & c(f"_{k}").is_null(),
              "第 {row} 行{col}值{value}不是有效日期，请填写如 2025-03-15 的日期")
        for k in DATES
    ]
    rules += [
        _rule("not_allowed", k, c(k).is_not_null() & c(f"_{k}").is_null(),
              f"第 {{row}} 行{{col}}值{{value}}不在允许范围内，请填写以下之一：{'、'.join(values)}")
        for k, values in allowed.items()
    ]
    rules.append(_rule(
        "not_allowed", "chain", c("chain").is_not_null() & c("_chain").is_null(),
        f"第 {{row}} 行{{col}}值{{value}}不是已配置的重点产业链，请填写：{'、'.join(catalog.chains())}，"
        f"或“{catalog.other_chain()}”"))
    rules.append(_rule(
        "not_allowed", "fortune500", c("fortune500").is_not_null() & c("_fortune500").is_null(),
        f"第 {{row}} 行{{col}}值{{value}}不在允许范围内，请填写“{catalog.NO_FIVE_HUNDRED}”或 "
        f"{'、'.join(catalog.FIVE_HUNDRED_LISTS)} 中的一项或几项（多项用“、”分隔）"))
    rules.append(_rule("bad_county", "county", c("county").is_not_null() & ~c("_county_ok"),
                       "第 {row} 行{col}值{value}不是{}的县区，{}", c("_unit_name"), c("_county_hint")))
    rules.append(_rule(
        "uscc_missing", "investor_uscc", c("investor_uscc").is_null() & (c("_fund_source") != FOREIGN).fill_null(True),
        f"第 {{row}} 行{{col}}为空；只有资金来源为“{FOREIGN}”时可以不填，请补充投资方的 18 位统一社会信用代码"))
    rules.append(_rule(
        "uscc_format", "investor_uscc", c("investor_uscc").is_not_null() & ~c("_uscc_ok"),
        "第 {row} 行{col}值{value}不是 18 位统一社会信用代码（由数字和大写字母组成，不含 I、O、Z、S、V），请核对"))
    rules.append(_rule(
        "start_missing", "start_date", c("start_date").is_null() & c("_status").is_in(NEEDS_START),
        "第 {row} 行{col}为空；项目状态为“{}”时必须填写开工日期", c("_status")))
    rules.append(_rule(
        "production_missing", "production_date",
        c("production_date").is_null() & c("_status").is_in(NEEDS_PRODUCTION),
        "第 {row} 行{col}为空；项目状态为“已投产”时必须填写投产日期"))
    rules.append(_rule(
        "duplicate_project_id", "project_id", c("project_id").is_not_null() & (c("_dup_count") > 1),
        "第 {row} 行{col}值{value}在本文件中出现了 {} 次（第 {} 行），同一项目只能填一行，请合并或更正编号后重新报送",
        c("_dup_count"), c(ROW_NO).cast(pl.String).str.join("、").over(FILE, "project_id")))
    return tuple(rules)


@cache
def _row_warning_rules() -> tuple[Rule, ...]:
    """Warnings a row's own cells decide."""
    c = pl.col
    return (
        _rule("uscc_check_digit", "investor_uscc",
              c("_uscc_ok") & (uscc_check_char_expr(c("_uscc")) != c("_uscc").str.slice(17, 1)),
              "第 {row} 行{col}值{value}的校验位不正确（按 GB 32100-2015 末位应为“{}”），请核对代码是否抄错",
              uscc_check_char_expr(c("_uscc"))),
        _rule("negative_month_funds", "funds_month_wan", c("_funds_month_wan") < 0,
              "第 {row} 行{col}值{value}为负数，按更正处理已入库；请确认无误并在备注中说明原因"),
        _rule("cum_above_signed", "funds_cum_wan", c("_funds_cum_wan") > c("_signed_amount_wan"),
              "第 {row} 行{col}值{value}高于签约金额 {} 万元，请核对", _amount_text(c("_signed_amount_wan"))),
        _rule("start_before_signing", "start_date", c("_start_date") < c("_signing_date"),
              "第 {row} 行{col}值{value}早于签约日期 {}，请核对", c("_signing_date").cast(pl.String)),
    )


@cache
def _previous_month_rules() -> tuple[Rule, ...]:
    """Warnings against last month's submission (columns prev_status, prev_cum; null for a new project)."""
    c = pl.col
    expected = c("prev_cum") + c("_funds_month_wan")
    now = c("_status").replace_strict(STATUS_ORDER, default=None, return_dtype=pl.Int8)
    before = c("prev_status").replace_strict(STATUS_ORDER, default=None, return_dtype=pl.Int8)
    backwards = (now < before).fill_null(False) | ((c("prev_status") == TERMINATED) & (c("_status") != TERMINATED))
    return (
        _rule("cum_mismatch", "funds_cum_wan", c("prev_cum").is_not_null() & (c("_funds_cum_wan") != expected),
              "第 {row} 行{col}值{value}不等于上月累计 {} 加本月到位 {}（应为 {}），请核对累计数或本月数",
              _amount_text(c("prev_cum")), _amount_text(c("_funds_month_wan")), _amount_text(expected)),
        _rule("status_backwards", "status", backwards,
              "第 {row} 行{col}值{value}较上月的“{}”倒退，请核对项目状态", c("prev_status")),
    )


def _five_hundred_rules(files: Sequence[Submission]) -> list[Rule]:
    """One rule per reference list, applied to the files whose context holds it, in each context's list order."""
    c = pl.col
    users: dict[tuple[int, int], tuple[ReferenceList, list[int]]] = {}
    for i, f in enumerate(files):
        for position, ref in enumerate(f.context.five_hundred):
            users.setdefault((position, id(ref)), (ref, []))[1].append(i)
    rules = []
    for (_position, _), (ref, file_ids) in sorted(users.items(), key=lambda kv: kv[0][0]):
        claims = c("_fortune500").str.split("、").list.contains(ref.list_name)
        listed = c("_uscc").is_in(ref.usccs.implode()) | c("investor_name").is_in(ref.company_names.implode())
        mask = claims & ~listed.fill_null(False)
        if len(file_ids) < len(files):
            mask = mask & c(FILE).is_in(file_ids)
        rules.append(_rule(
            "five_hundred_unverified", "fortune500", mask,
            f"第 {{row}} 行{{col}}填报“{ref.list_name}”，但投资方“{{}}”不在 {ref.year} 年{ref.list_name}名录中"
            f"（按统一社会信用代码和企业名称核对），请核对类别或提供依据",
            c("investor_name")))
    return rules


def _issues(frame: pl.DataFrame, rules: Sequence[Rule], severity: str) -> pl.DataFrame:
    """One row per (row, failed rule), in file and row order then rule order.

    One pass finds the rows failing any rule; messages are then built for those few rows only. One chunk per
    column: polars 2.1 panics ("i < self.len()") in pl.format over a filtered frame chunked unevenly.
    """
    flagged = frame.filter(pl.any_horizontal(rule.mask for rule in rules)).rechunk() if rules else frame.clear()
    if flagged.height == 0:
        return pl.DataFrame(schema=_BATCH_ISSUE_SCHEMA)
    found = pl.concat_list(pl.when(rule.mask).then(pl.struct(*rule.fields)) for rule in rules)
    return (
        flagged.select(FILE, ROW_NO, "project_id", found.list.drop_nulls().alias("_issue"))
        .explode("_issue")
        .unnest("_issue")
        .select(FILE, ROW_NO, "project_id", "column", "value", pl.lit(severity).alias("severity"), "code", "message")
        .cast(_BATCH_ISSUE_SCHEMA)
    )


# --------------------------------------------------------------------------- whole files

def validate_rows(raw: RawTable, unit: catalog.Unit, month: dt.date, context: Context | None = None) -> Validated:
    """Apply every row rule of CONTRACT.md §1 to a file whose unit and month are known."""
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
    frame = frame.with_columns(*_typed(), *_unit_columns(files))
    frame = frame.with_columns(pl.col("_uscc").str.contains(USCC_PATTERN).alias("_uscc_ok"))
    quarantine_issues = _issues(frame, _quarantine_rules(), QUARANTINE)
    bad_rows = quarantine_issues.select(FILE, ROW_NO).unique()
    loaded = frame.join(bad_rows, on=[FILE, ROW_NO], how="anti", maintain_order="left")
    previous, month_rules = _previous(files), ()
    if previous is not None:
        loaded = loaded.join(previous, on=[FILE, "project_id"], how="left", maintain_order="left")
        month_rules = _previous_month_rules()
    warnings = _issues(loaded, [*_row_warning_rules(), *month_rules, *_five_hundred_rules(files)], WARNING)

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
        pl.col("_signed_amount_wan").alias("signed_amount_wan"),
        pl.col("_planned_investment_wan").alias("planned_investment_wan"),
        pl.col("_status").alias("status"), pl.col("_start_date").alias("start_date"),
        pl.col("_production_date").alias("production_date"),
        pl.col("_funds_month_wan").alias("funds_month_wan"), pl.col("_funds_cum_wan").alias("funds_cum_wan"),
        (pl.col("_is_high_tech") == "是").alias("is_high_tech"), "remark",
    )
    issues = pl.concat([quarantine_issues, warnings]).sort(FILE, ROW_NO, maintain_order=True)
    warnings = warnings.select(FILE, ROW_NO, "project_id", "code", pl.col("column").alias("column_name"), "value",
                               "message")
    n = len(files)
    return [
        Validated(unit=f.unit, month=f.month, rows=r, quarantine=q, warnings=w, issues=i,
                  rows_input=f.raw.rows_input, rows_ignored=f.raw.rows_ignored)
        for f, r, q, w, i in zip(files, _split(rows, n), _split(quarantine, n), _split(warnings, n),
                                 _split(issues, n), strict=True)
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
