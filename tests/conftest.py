"""Shared fixtures: a temporary warehouse, a frozen "today", and writers of contract-format submission files."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
from decimal import Decimal

import pytest
import xlsxwriter

from core.template import SUBMISSION_COLUMNS
from core.uscc import uscc_check_char

# The publication chain's key (warehouse/chain.py) for the whole test process, module fixtures included: many tests
# copy a built warehouse without the key file beside it. tests/test_publication_chain.py unsets it to test the file.
os.environ["DASHBOARD_SECRET"] = "test-publication-chain-key"
# No background precomputation after each test's writes (tests of it call analytics.precompute.run directly).
os.environ.setdefault("DASHBOARD_PRECOMPUTE", "off")

HEADERS = [c.header for c in SUBMISSION_COLUMNS]
FROZEN_TODAY = "2025-06-15"


def valid_uscc(n: int, region: str = "620100") -> str:
    body = f"91{region}MA{n:07d}"
    return body + uscc_check_char(body)


@pytest.fixture
def frozen_today(monkeypatch):
    """core.clock.today() returns 2025-06-15."""
    monkeypatch.setenv("DASHBOARD_TODAY", FROZEN_TODAY)
    return dt.date.fromisoformat(FROZEN_TODAY)


@pytest.fixture
def contract_headers() -> list[str]:
    """The 22 column headers of docs/CONTRACT.md §1, in order."""
    return list(HEADERS)


@pytest.fixture
def warehouse(tmp_path):
    """Path of a fresh (not yet created) warehouse file."""
    return tmp_path / "wh" / "warehouse.duckdb"


@pytest.fixture
def project_row():
    """Factory of one valid submission row (兰州市, 2025-03, 在建) keyed by contract header; override any column."""

    def make(i: int = 1, **changes) -> dict:
        row = {
            "报送单位": "兰州市", "统计月份": "2025-03", "项目编号": f"LZ-{i:04d}", "项目名称": f"示范项目{i}",
            "所在县区": "城关区", "所属产业链": "新材料", "投资方名称": f"示范投资有限公司{i}",
            "投资方统一社会信用代码": valid_uscc(i), "投资方来源地": "广东省", "三个500强类别": "无",
            "资金来源": "省外境内", "项目类型": "新建", "签约日期": "2025-01-15", "签约金额（万元）": "1000",
            "计划总投资（万元）": "2000", "项目状态": "在建", "开工日期": "2025-02-01", "投产日期": "",
            "本月到位资金（万元）": "100", "累计到位资金（万元）": "300", "高新技术项目": "否", "备注": "",
        }
        row.update(changes)
        return row

    return make


def csv_bytes(rows: list[dict], *, encoding: str = "utf-8", title: str | None = None,
              headers: list[str] | None = None, trailer: list[list[str]] = ()) -> bytes:
    headers = headers or HEADERS
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if title:
        w.writerow([title])
    w.writerow(headers)
    for r in rows:
        w.writerow(["" if r.get(h) is None else str(r.get(h)) for h in headers])
    for extra in trailer:
        w.writerow(extra)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: list[dict], *, title: str | None = None, headers: list[str] | None = None,
               sheet: str = "项目明细", before_sheets: tuple[str, ...] = (), trailer: list[list] = ()) -> bytes:
    """Typed cells: int/float/Decimal as numbers, date/datetime as date cells, the rest as text."""
    headers = headers or HEADERS
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    for name in before_sheets:
        wb.add_worksheet(name).write(0, 0, "说明")
    ws = wb.add_worksheet(sheet)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    r = 0
    if title:
        ws.merge_range(0, 0, 0, len(headers) - 1, title)
        r = 1
    ws.write_row(r, 0, headers)
    for row in [*[[x.get(h) for h in headers] for x in rows], *trailer]:
        r += 1
        for c, v in enumerate(row):
            if isinstance(v, (dt.date, dt.datetime)):
                ws.write_datetime(r, c, v if isinstance(v, dt.datetime) else dt.datetime.combine(v, dt.time()),
                                  date_fmt)
            elif isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
                ws.write_number(r, c, float(v))
            elif v not in (None, ""):
                ws.write_string(r, c, str(v))
    wb.close()
    return buf.getvalue()


def submission_file(rows: list[dict], name: str, **options) -> bytes:
    return xlsx_bytes(rows, **options) if name.endswith(".xlsx") else csv_bytes(rows, **options)


@pytest.fixture
def submission_bytes():
    """submission_bytes(rows, name="x.xlsx" | "x.csv", **options) -> the file's bytes, in contract format."""
    return submission_file


@pytest.fixture
def write_submission(tmp_path):
    """write_submission(rows, name="x.xlsx" | "x.csv", **options) -> Path (under tmp_path/in/)."""

    def write(rows: list[dict], name: str = "submission.xlsx", **options):
        path = tmp_path / "in" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(submission_file(rows, name, **options))
        return path

    return write
