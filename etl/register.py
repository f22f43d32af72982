"""企业登记名录 (docs/CONTRACT.md §5.4, extension 16): validate a register extract and load it, replacing the one
loaded before. Like the 500强 lists it is loaded whole or not at all (any invalid row rejects the file), in one
transaction, with a `load_audit` row.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import ClassVar

import polars as pl

from core.template import Column
from core.uscc import uscc_is_valid
from etl.read import ROW_NO
from etl.reference import ReferenceReport, audit_reference, insert_rows, read_reference, row_issue
from etl.report import Issue
from warehouse import store

REGISTER_COLUMNS = (
    Column("企业名称", "company_name", True),
    Column("统一社会信用代码", "uscc", True),
    Column("登记机关", "authority", False),
)


class RegisterReport(ReferenceReport):
    TITLE_ZH: ClassVar[str] = "企业登记名录"

    @property
    def summary_zh(self) -> str:
        if self.outcome == "rejected":
            return super().summary_zh
        replaced = self.lists[0][3] if self.lists else 0
        return (f"已加载企业登记名录 {self.rows_loaded} 家" + (f"（替换原有 {replaced} 家）" if replaced else "")
                + f"（输入 {self.rows_input} 行 = 入库 {self.rows_loaded} + 忽略 {self.rows_ignored}）")


def _row_issues(row: dict, seen: dict[str, int]) -> list[Issue]:
    n = row[ROW_NO]
    out = []

    def bad(column: str, value, text: str) -> None:
        out.append(row_issue(n, column, value, text))

    if row["company_name"] is None:
        bad("企业名称", None, "这是必填项，请填写")
    if row["uscc"] is None or not uscc_is_valid(row["uscc"]):
        bad("统一社会信用代码", row["uscc"], "不是有效的 18 位统一社会信用代码（校验位不符或格式有误），请核对")
    elif row["uscc"] in seen:
        bad("统一社会信用代码", row["uscc"], f"与第 {seen[row['uscc']]} 行重复，请删除重复行")
    else:
        seen[row["uscc"]] = n
    return out


def validate_register(name: str, data: bytes) -> tuple[RegisterReport, pl.DataFrame | None]:
    """Check a register file; returns the report and, when valid, the rows to load."""
    report = RegisterReport(name, hashlib.sha256(data).hexdigest(), "rejected")
    frame = read_reference(report, data, REGISTER_COLUMNS, _row_issues)
    return report, None if frame is None else frame.select("company_name", "uscc", "authority")


def load_register(path: str | os.PathLike, *, warehouse=None, actor: str = "cli") -> RegisterReport:
    """Load an enterprise register extract; it replaces the register loaded before, in one transaction."""
    p = Path(path)
    data = p.read_bytes()
    report, rows = validate_register(p.name, data)
    with store.open_writer(warehouse) as writer, writer.transaction() as con:
        if rows is not None:
            old = con.sql("SELECT count(*) FROM enterprise_register").fetchall()[0][0]
            con.execute("DELETE FROM enterprise_register")
            report.lists.append(("企业登记名录", 0, rows.height, old))
            insert_rows(con, "enterprise_register", rows)
        audit_reference(con, report, data, actor)
    return report
