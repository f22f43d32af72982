"""The validation report of a load: `FileReport`, its JSON form and an xlsx a unit reporter can act on."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import xlsxwriter

from core import catalog, reporting

OUTCOME_ZH = {"loaded": "已入库", "duplicate": "重复文件（未更改）", "rejected": "已拒收"}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Issue:
    row_no: int | None  # Excel row number as the reporter sees it; None for a file-level rejection
    column: str | None
    value: str | None
    severity: str       # 拒收 | 隔离 | 警告
    message: str
    code: str | None = None


@dataclass
class FileReport:
    """What happened to one file. rows_input = rows_loaded + rows_quarantined + rows_ignored, always."""

    file_name: str
    sha256: str | None
    outcome: str                      # loaded | duplicate | rejected (for a dry run: what a load would do)
    unit_code: str | None = None
    month: dt.date | None = None
    version: int | None = None
    is_late: bool | None = None
    received_at: dt.datetime | None = None
    rows_input: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_ignored: int = 0
    warnings: int = 0
    issues: list[Issue] = field(default_factory=list)
    deadline: dt.datetime | None = None
    superseded_version: int | None = None  # the version this one replaces
    dry_run: bool = False
    internal_error: bool = False           # the loader failed on this file (not the file's fault)

    @property
    def unit_name(self) -> str | None:
        return catalog.unit_name(self.unit_code) if self.unit_code else None

    @property
    def identity_holds(self) -> bool:
        return self.rows_input == self.rows_loaded + self.rows_quarantined + self.rows_ignored

    @property
    def counts_zh(self) -> str:
        return (f"输入 {self.rows_input} 行 = 入库 {self.rows_loaded} + 隔离 {self.rows_quarantined}"
                f" + 忽略 {self.rows_ignored}")

    @property
    def summary_zh(self) -> str:
        """One line in Chinese: the outcome, the row-count identity, warnings, lateness."""
        if self.outcome == "rejected":
            reason = next((i.message for i in self.issues if i.severity == "拒收"), "")
            return f"已拒收，整个文件未入库：{reason}（{self.counts_zh}）"
        who = f"{self.unit_name}{reporting.report_label(self.month)}"
        if self.outcome == "duplicate":
            return f"与已入库的{who}第 {self.version} 版内容完全相同，未做任何更改（该版本{self.counts_zh}）"
        verb = "预检通过，可以入库为" if self.dry_run else "已入库为"
        head = f"{who}{verb}第 {self.version} 版"
        if self.superseded_version:
            head += f"（取代第 {self.superseded_version} 版）"
        parts = [head, self.counts_zh, f"警告 {self.warnings} 条"]
        if self.is_late:
            parts.append(f"逾期报送（截止 {self.deadline:%Y-%m-%d %H:%M}，收到 {self.received_at:%Y-%m-%d %H:%M}）")
        return "；".join(parts)


def report_dict(report: FileReport) -> dict:
    """JSON-ready form of a FileReport (dates ISO, every issue included)."""
    return {
        "file_name": report.file_name,
        "sha256": report.sha256,
        "outcome": report.outcome,
        "dry_run": report.dry_run,
        "internal_error": report.internal_error,
        "unit_code": report.unit_code,
        "unit_name": report.unit_name,
        "month": report.month.strftime("%Y-%m") if report.month else None,
        "version": report.version,
        "superseded_version": report.superseded_version,
        "received_at": report.received_at.isoformat(timespec="seconds") if report.received_at else None,
        "deadline": report.deadline.isoformat(timespec="milliseconds") if report.deadline else None,
        "is_late": report.is_late,
        "rows_input": report.rows_input,
        "rows_loaded": report.rows_loaded,
        "rows_quarantined": report.rows_quarantined,
        "rows_ignored": report.rows_ignored,
        "identity_holds": report.identity_holds,
        "warnings": report.warnings,
        "summary_zh": report.summary_zh,
        "issues": [
            {"row_no": i.row_no, "column": i.column, "value": i.value, "severity": i.severity, "code": i.code,
             "message": i.message}
            for i in report.issues
        ],
    }


def neutralise(value: object) -> object:
    """Text that Excel would take for a formula gets a leading apostrophe (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _write_row(ws, row: int, values: list) -> None:
    for col, value in enumerate(values):
        value = neutralise(value)
        if value is None:
            ws.write_blank(row, col, None)
        elif isinstance(value, bool):
            ws.write_string(row, col, "是" if value else "否")
        elif isinstance(value, int):
            ws.write_number(row, col, value)
        else:
            ws.write_string(row, col, str(value))


def report_xlsx(reports: list[FileReport]) -> bytes:
    """A validation report workbook: 汇总 (one line per file) and 问题明细 (one line per issue)."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    summary = wb.add_worksheet("汇总")
    headers = ["文件名", "结果", "报送单位", "统计月份", "版本", "是否逾期", "收到时间", "输入行数", "入库行数",
               "隔离行数", "忽略行数", "警告条数", "说明"]
    summary.write_row(0, 0, headers, bold)
    for r, rep in enumerate(reports, start=1):
        _write_row(summary, r, [
            rep.file_name, OUTCOME_ZH[rep.outcome], rep.unit_name, rep.month.strftime("%Y-%m") if rep.month else None,
            rep.version, rep.is_late, rep.received_at.strftime("%Y-%m-%d %H:%M:%S") if rep.received_at else None,
            rep.rows_input, rep.rows_loaded, rep.rows_quarantined, rep.rows_ignored, rep.warnings, rep.summary_zh,
        ])
    summary.set_column(0, 0, 36)
    summary.set_column(1, 11, 11)
    summary.set_column(12, 12, 90)
    summary.freeze_panes(1, 0)

    detail = wb.add_worksheet("问题明细")
    detail.write_row(0, 0, ["文件名", "行号（Excel 中所见）", "列", "值", "类别", "说明"], bold)
    r = 1
    for rep in reports:
        for issue in rep.issues:
            _write_row(detail, r, [rep.file_name, issue.row_no, issue.column, issue.value, issue.severity,
                                   issue.message])
            r += 1
    detail.set_column(0, 0, 36)
    detail.set_column(1, 4, 14)
    detail.set_column(5, 5, 100)
    detail.freeze_panes(1, 0)
    if r > 1:
        detail.autofilter(0, 0, r - 1, 5)
    wb.close()
    return buf.getvalue()
