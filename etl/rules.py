"""Row rules of docs/CONTRACT.md §1 as polars expressions: what quarantines a row, what warns about it.

Each rule is a mask over the batch frame (every file's rows stacked, `FILE` telling them apart) plus the fields of
its issue, evaluated only on the flagged rows. Messages are Chinese and name the Excel row, the column and the
value, and say what to fix. Plausibility bounds (config/etl.toml) keep every accepted amount and date in a range
where no sum can overflow and no date is absurd.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

import polars as pl

from core import catalog
from core.periods import add_months
from core.template import SUBMISSION_COLUMNS
from etl.parse import date_expr, number_expr, number_shaped_expr, uscc_check_char_expr, uscc_normalise_expr
from etl.read import ROW_NO

QUARANTINE, WARNING = "隔离", "警告"
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
STORED_AMOUNT_MAX = Decimal("99999999999999.9999")  # DECIMAL(18,4): no bound may let a cell past it

ISSUE_SCHEMA = {
    ROW_NO: pl.Int32, "project_id": pl.String, "column": pl.String, "value": pl.String,
    "severity": pl.String, "code": pl.String, "message": pl.String,
}
BATCH_ISSUE_SCHEMA = {FILE: pl.Int32, **ISSUE_SCHEMA}


@dataclass(frozen=True)
class ReferenceList:
    """The 三个500强 list that applies to the submission's year (that year, or the latest loaded before it)."""

    list_name: str
    year: int
    company_names: pl.Series
    usccs: pl.Series


@dataclass(frozen=True)
class Bounds:
    """Plausible values (config/etl.toml): |amount| of one project-month, and dates from `earliest_date` to the end
    of the report month plus `date_horizon_months`."""

    max_amount_wan: Decimal
    earliest_date: dt.date
    date_horizon_months: int

    def latest_date(self, month: dt.date) -> dt.date:
        return add_months(month, self.date_horizon_months + 1) - dt.timedelta(days=1)


@cache
def bounds() -> Bounds:
    settings = catalog.etl_settings()
    return Bounds(min(Decimal(str(settings["max_amount_wan"])), STORED_AMOUNT_MAX),
                  dt.date.fromisoformat(settings["earliest_date"]), int(settings["date_horizon_months"]))


def amount_zh(value: Decimal) -> str:
    """10000000000 -> "10,000,000,000"; 1234.5000 -> "1,234.5"."""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


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
def typed_columns() -> tuple[pl.Expr, ...]:
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


def file_columns(files: Sequence[tuple[catalog.Unit, dt.date]]) -> list[pl.Expr]:
    """Per row, from its file's 报送单位 and 统计月份: whether 所在县区 is one of its counties, the words messages
    need, and the latest plausible date."""
    allowed = [f"{i}|{county}" for i, (unit, _) in enumerate(files) for county in unit.counties]

    def per_file(values: list, dtype: pl.DataType = pl.String) -> pl.Expr:
        return pl.col(FILE).replace_strict(dict(enumerate(values)), return_dtype=dtype)

    return [
        pl.concat_str(pl.col(FILE), pl.lit("|"), pl.col("county")).is_in(allowed).alias("_county_ok"),
        per_file([unit.name for unit, _ in files]).alias("_unit_name"),
        per_file([_county_hint(unit) for unit, _ in files]).alias("_county_hint"),
        per_file([bounds().latest_date(month) for _, month in files], pl.Date).alias("_date_max"),
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
def quarantine_rules() -> tuple[Rule, ...]:
    c = pl.col
    allowed = {
        "fund_source": catalog.FUND_SOURCES, "project_type": catalog.PROJECT_TYPES, "status": catalog.STATUSES,
        "is_high_tech": catalog.YES_NO,
    }
    rules = [
        _rule("missing", k, c(k).is_null(), "第 {row} 行{col}为空，这是必填项，请填写") for k in REQUIRED_VALUES
    ]
    limit = bounds()
    rules += [
        _rule("not_number", k, c(k).is_not_null() & c(f"_{k}").is_null() & ~number_shaped_expr(c(k)),
              "第 {row} 行{col}值{value}不是数字，请填写纯数字（单位：万元），不要带文字或单位")
        for k in AMOUNTS
    ]
    rules += [
        _rule("out_of_range", k,
              c(k).is_not_null() & (c(f"_{k}").is_null() & number_shaped_expr(c(k))
                                    | (c(f"_{k}").abs() > pl.lit(limit.max_amount_wan))),
              f"第 {{row}} 行{{col}}值{{value}}超出范围：单个项目每月的金额不能超过 {amount_zh(limit.max_amount_wan)} "
              f"万元，请核对金额单位（万元）和位数")
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
        _rule("date_out_of_range", k,
              (c(f"_{k}") < pl.lit(limit.earliest_date)) | (c(f"_{k}") > c("_date_max")),
              f"第 {{row}} 行{{col}}值{{value}}超出范围：日期应在 {limit.earliest_date.isoformat()} 至 {{}}（统计月份后"
              f" {limit.date_horizon_months} 个月的月末）之间，请核对年份", c("_date_max").cast(pl.String))
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
def row_warning_rules() -> tuple[Rule, ...]:
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
def previous_month_rules() -> tuple[Rule, ...]:
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


def five_hundred_rules(lists: Sequence[Sequence[ReferenceList]]) -> list[Rule]:
    """One rule per reference list, applied to the files (`lists`: each file's lists) that hold it, in order."""
    c = pl.col
    users: dict[tuple[int, int], tuple[ReferenceList, list[int]]] = {}
    for i, file_lists in enumerate(lists):
        for position, ref in enumerate(file_lists):
            users.setdefault((position, id(ref)), (ref, []))[1].append(i)
    rules = []
    for (_position, _), (ref, file_ids) in sorted(users.items(), key=lambda kv: kv[0][0]):
        claims = c("_fortune500").str.split("、").list.contains(ref.list_name)
        listed = c("_uscc").is_in(ref.usccs.implode()) | c("investor_name").is_in(ref.company_names.implode())
        mask = claims & ~listed.fill_null(False)
        if len(file_ids) < len(lists):
            mask = mask & c(FILE).is_in(file_ids)
        rules.append(_rule(
            "five_hundred_unverified", "fortune500", mask,
            f"第 {{row}} 行{{col}}填报“{ref.list_name}”，但投资方“{{}}”不在 {ref.year} 年{ref.list_name}名录中"
            f"（按统一社会信用代码和企业名称核对），请核对类别或提供依据",
            c("investor_name")))
    return rules


def issues(frame: pl.DataFrame, rules: Sequence[Rule], severity: str) -> pl.DataFrame:
    """One row per (row, failed rule), in file and row order then rule order.

    One pass finds the rows failing any rule; messages are then built for those few rows only. One chunk per
    column: polars 2.1 panics ("i < self.len()") in pl.format over a filtered frame chunked unevenly.
    """
    flagged = frame.filter(pl.any_horizontal(rule.mask for rule in rules)).rechunk() if rules else frame.clear()
    if flagged.height == 0:
        return pl.DataFrame(schema=BATCH_ISSUE_SCHEMA)
    found = pl.concat_list(pl.when(rule.mask).then(pl.struct(*rule.fields)) for rule in rules)
    return (
        flagged.select(FILE, ROW_NO, "project_id", found.list.drop_nulls().alias("_issue"))
        .explode("_issue")
        .unnest("_issue")
        .select(FILE, ROW_NO, "project_id", "column", "value", pl.lit(severity).alias("severity"), "code", "message")
        .cast(BATCH_ISSUE_SCHEMA)
    )
