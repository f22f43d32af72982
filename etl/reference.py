"""三个500强 reference lists (docs/CONTRACT.md §2): validate a list file and load it, replacing each (名录, 年度) it holds.

A list is loaded whole or not at all: any invalid row rejects the file (a half-loaded list would make the
"500强 claim not on the list" warning wrong). The load is one transaction and leaves a `load_audit` row.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import polars as pl

from core import catalog, clock
from core.template import Column
from core.uscc import uscc_is_valid
from etl.audit import next_load_id, write_audit
from etl.parse import uscc_normalise_expr
from etl.read import ROW_NO, FileRejected, read_table
from etl.report import Issue
from etl.validate import REJECT
from warehouse import store

FIVE_HUNDRED_COLUMNS = (
    Column("名录", "list_name", True),
    Column("年度", "year", True),
    Column("排名", "rank", False),
    Column("企业名称", "company_name", True),
    Column("统一社会信用代码", "uscc", False),
)
EARLIEST_YEAR = 1990


@dataclass
class ReferenceReport:
    TITLE_ZH: ClassVar[str] = "名录"   # what the file is, in the summary ("名录文件“x.csv”已拒收…")
    file_name: str
    sha256: str | None
    outcome: str                      # loaded | rejected
    lists: list[tuple[str, int, int, int]] = field(default_factory=list)  # 名录, 年度, rows loaded, rows replaced
    rows_input: int = 0
    rows_loaded: int = 0
    rows_ignored: int = 0
    issues: list[Issue] = field(default_factory=list)

    @property
    def summary_zh(self) -> str:
        if self.outcome == "rejected":
            rows = [i for i in self.issues if i.row_no is not None]
            reason = f"{len(rows)} 处错误，例如：{rows[0].message}" if rows else self.issues[0].message
            return f"{self.TITLE_ZH}文件“{self.file_name}”已拒收，未做任何更改：{reason}"
        parts = [f"{name} {year} 年 {n} 家" + (f"（替换原有 {old} 家）" if old else "")
                 for name, year, n, old in self.lists]
        return (f"已加载三个500强名录：{'；'.join(parts)}"
                f"（输入 {self.rows_input} 行 = 入库 {self.rows_loaded} + 忽略 {self.rows_ignored}）")

    def as_dict(self) -> dict:
        return {
            "file_name": self.file_name, "sha256": self.sha256, "outcome": self.outcome,
            "lists": [{"list_name": n, "year": y, "rows": r, "replaced": o} for n, y, r, o in self.lists],
            "rows_input": self.rows_input, "rows_loaded": self.rows_loaded, "rows_ignored": self.rows_ignored,
            "summary_zh": self.summary_zh,
            "issues": [{"row_no": i.row_no, "column": i.column, "value": i.value, "severity": i.severity,
                        "message": i.message} for i in self.issues],
        }


def _row_issues(row: dict, seen: dict[tuple, int]) -> list[Issue]:
    n = row[ROW_NO]
    out = []

    def bad(column: str, value, text: str) -> None:
        out.append(row_issue(n, column, value, text))

    if row["list_name"] not in catalog.FIVE_HUNDRED_LISTS:
        bad("名录", row["list_name"], f"不在允许范围内，请填写：{'、'.join(catalog.FIVE_HUNDRED_LISTS)}")
    year_ok = row["year"] is not None and re.fullmatch(r"\d{4}", row["year"]) \
        and EARLIEST_YEAR <= int(row["year"]) <= clock.today().year + 1
    if not year_ok:
        bad("年度", row["year"], f"不是有效年度，请填写 {EARLIEST_YEAR}–{clock.today().year + 1} 之间的四位年份")
    if row["rank"] is not None and not re.fullmatch(r"[1-9]\d*", row["rank"]):
        bad("排名", row["rank"], "不是正整数，请填写名次或留空")
    if row["company_name"] is None:
        bad("企业名称", None, "这是必填项，请填写")
    if row["uscc"] is not None and not uscc_is_valid(row["uscc"]):
        bad("统一社会信用代码", row["uscc"], "不是有效的 18 位统一社会信用代码（校验位不符或格式有误），请核对或留空")
    key = (row["list_name"], row["year"], row["company_name"])
    if row["company_name"] is not None and key in seen:
        bad("企业名称", row["company_name"], f"在同一名录同一年度中与第 {seen[key]} 行重复，请删除重复行")
    seen.setdefault(key, n)
    return out


def row_issue(row_no: int, column: str, value, text: str) -> Issue:
    """A rejecting issue of one row of a reference file, in the loader's wording."""
    shown = f"值“{value}”" if value is not None else "为空，"
    return Issue(row_no, column, value, REJECT, f"第 {row_no} 行「{column}」{shown}{text}")


def read_reference(report: ReferenceReport, data: bytes, columns: tuple[Column, ...],
                   row_issues: Callable[[dict, dict], list[Issue]]) -> pl.DataFrame | None:
    """Read a reference file (USCCs normalised) and check every row into `report`; the frame when every row is
    valid (report loaded), else None (report rejected: a reference is loaded whole or not at all)."""
    try:
        raw = read_table(report.file_name, data, columns, sheet=None)
    except FileRejected as exc:
        report.issues = [Issue(None, None, None, REJECT, exc.message)]
        return None
    frame = raw.frame.with_columns(uscc_normalise_expr(pl.col("uscc")).alias("uscc"))
    report.rows_input, report.rows_ignored = raw.rows_input, raw.rows_ignored
    seen: dict = {}
    report.issues = [issue for row in frame.iter_rows(named=True) for issue in row_issues(row, seen)]
    if report.issues:
        report.rows_ignored = report.rows_input
        return None
    report.outcome, report.rows_loaded = "loaded", frame.height
    return frame


def insert_rows(con, table: str, rows: pl.DataFrame) -> None:
    """Append a validated frame to a reference table (its columns by name)."""
    columns = ", ".join(rows.columns)
    con.register("_etl_reference", rows.to_arrow())
    try:
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _etl_reference")  # noqa: S608 - table and columns are this module's constants
    finally:
        con.unregister("_etl_reference")


def audit_reference(con, report: ReferenceReport, data: bytes, actor: str) -> None:
    """The load_audit row of a reference load (loaded or rejected), in the caller's transaction."""
    write_audit(con, load_id=next_load_id(con), actor=actor, file_name=report.file_name, sha256=report.sha256,
                file_bytes=len(data), outcome=report.outcome, message=report.summary_zh,
                report_json=json.dumps(report.as_dict(), ensure_ascii=False), kind="reference",
                counts=(report.rows_input, report.rows_loaded, 0, report.rows_ignored, 0))


def validate_five_hundred(name: str, data: bytes) -> tuple[ReferenceReport, pl.DataFrame | None]:
    """Check a list file; returns the report and, when valid, the rows to load."""
    report = ReferenceReport(name, hashlib.sha256(data).hexdigest(), "rejected")
    frame = read_reference(report, data, FIVE_HUNDRED_COLUMNS, _row_issues)
    if frame is None:
        return report, None
    return report, frame.select(
        pl.col("list_name"), pl.col("year").cast(pl.Int32), pl.col("rank").cast(pl.Int32),
        pl.col("company_name"), pl.col("uscc"),
    )


def load_five_hundred(path: str | os.PathLike, *, warehouse=None, actor: str = "cli") -> ReferenceReport:
    """Load a 三个500强 list file; each (名录, 年度) in it replaces the one already loaded, in one transaction."""
    p = Path(path)
    data = p.read_bytes()
    report, rows = validate_five_hundred(p.name, data)
    with store.open_writer(warehouse) as writer, writer.transaction() as con:
        if rows is not None:
            for (list_name, year), part in rows.partition_by(["list_name", "year"], as_dict=True,
                                                             maintain_order=True).items():
                old = con.sql("SELECT count(*) FROM five_hundred_list WHERE list_name = ? AND year = ?",
                              params=[list_name, year]).fetchall()[0][0]
                con.execute("DELETE FROM five_hundred_list WHERE list_name = ? AND year = ?", [list_name, year])
                report.lists.append((list_name, int(year), part.height, old))
            insert_rows(con, "five_hundred_list", rows)
        audit_reference(con, report, data, actor)
    return report
