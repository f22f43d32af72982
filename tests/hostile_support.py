"""Hostile inputs shared by the hardening tests: the strings, rows and files built from them, the warehouse that
took them through every loader (`hostile`, `hostile_copy`), and helpers that read the warehouse back."""
from __future__ import annotations

import dataclasses
import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import csv_bytes, valid_uscc, xlsx_bytes

from core import catalog
from core.spreadsheet import FORMULA_PREFIXES
from etl.load import load_files
from etl.reference import FIVE_HUNDRED_COLUMNS, load_five_hundred
from tests.apptest_support import (
    clear_caches,
)
from warehouse import store

ROOT = Path(__file__).resolve().parents[1]
TODAY = "2025-06-15"
QUARTER = "2025Q1"
SUBMISSIONS_PAGE = "pages/submissions.py"

HOSTILE = (
    "'; DROP TABLE project_rows; --",
    '" OR 1=1 --',
    "Robert'); DELETE FROM units;--",
    "=cmd|' /C calc'!A0",
    "@SUM(1)",
    "+1",
    "-1",
    ("x'); DROP TABLE units; --" * 400)[:10_000],
    "nul\x00ctl\x01\x07\x1b\x7fend",
    "\u202eexe.fdp",
    "投资🚀👨‍👩‍👧🇨🇳",
    "[请重新登录](https://phish.example/login)",
    "![](https://tracker.example/p.png)<img src=x onerror=alert(1)>",
)
MARKDOWN_LINK = HOSTILE[11]
assert len(HOSTILE[7]) == 10_000
# A NUL byte makes a CSV binary: such a file is rejected whole (test_csv_with_a_nul_byte_is_rejected_whole).
HOSTILE_CSV = tuple(h for h in HOSTILE if "\x00" not in h)
BAD_QUARTER = "2025Q3'; DROP TABLE x;--"

# Free-text columns: whatever is written is stored as written.
VERBATIM_COLUMNS = {"项目编号": "project_id", "项目名称": "project_name", "投资方名称": "investor_name",
                    "投资方来源地": "investor_origin", "备注": "remark"}
# Columns with a fixed value set or format: a hostile value quarantines the row and is kept in its raw cells.
CHECKED_TEXT_COLUMNS = ("所在县区", "所属产业链", "投资方统一社会信用代码", "三个500强类别", "资金来源", "项目类型", "项目状态",
                        "高新技术项目")
CLAIMED_LIST = "世界500强"


# --------------------------------------------------------------------------- building inputs

def submission_row(n: int, unit: str = "兰州市", month: str = "2025-03", **changes) -> dict:
    """One valid contract row of `unit`; override any column by its header."""
    row = {
        "报送单位": unit, "统计月份": month, "项目编号": f"P-{n:04d}", "项目名称": f"示范项目{n}",
        "所在县区": catalog.resolve_unit(unit).counties[0], "所属产业链": "新材料", "投资方名称": f"示范投资有限公司{n}",
        "投资方统一社会信用代码": valid_uscc(n), "投资方来源地": "广东省", "三个500强类别": "无", "资金来源": "省外境内",
        "项目类型": "新建", "签约日期": "2025-01-15", "签约金额（万元）": "1000", "计划总投资（万元）": "2000",
        "项目状态": "在建", "开工日期": "2025-02-01", "投产日期": "", "本月到位资金（万元）": "100",
        "累计到位资金（万元）": "300", "高新技术项目": "否", "备注": "",
    }
    row.update(changes)
    return row


def hostile_rows(unit: str, strings: tuple[str, ...]) -> list[dict]:
    """Per hostile string: a row carrying it in every free-text column (and claiming 世界500强 for an investor of
    that name), and a row per checked column carrying it there; plus one claim of a company not on the list."""
    rows = [submission_row(i, unit, **dict.fromkeys(VERBATIM_COLUMNS, h), 三个500强类别=CLAIMED_LIST)
            for i, h in enumerate(strings)]
    rows.append(submission_row(900, unit, 项目编号="UNLISTED", 投资方名称="不在名录的公司", 三个500强类别=CLAIMED_LIST))
    rows += [submission_row(1000 + 100 * c + i, unit, **{column: h})
             for c, column in enumerate(CHECKED_TEXT_COLUMNS) for i, h in enumerate(strings)]
    return rows


def five_hundred_xlsx(names: tuple[str, ...]) -> bytes:
    rows = [{"名录": CLAIMED_LIST, "年度": "2025", "排名": str(i + 1), "企业名称": name} for i, name in enumerate(names)]
    return xlsx_bytes(rows, headers=[c.header for c in FIVE_HUNDRED_COLUMNS])


def version_files(strings: tuple[str, ...]) -> list[tuple[str, bytes]]:
    """One 兰州市 2025-01 file per hostile string, named after it; each differs, so each is a new version."""
    return [(f"{h}.csv", csv_bytes([submission_row(500, month="2025-01", 项目名称=f"版本{i}")]))
            for i, h in enumerate(HOSTILE)]


# --------------------------------------------------------------------------- reading the warehouse back

def table_counts(warehouse: Path) -> dict[str, int]:
    """Rows per base table, and the names of the views, in the current snapshot."""
    with store.session(store.current_snapshot(warehouse)) as con:
        kinds = con.sql("SELECT table_name, table_type FROM information_schema.tables").fetchall()
        counts = {name: con.sql(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]  # names from the catalog
                  for name, kind in kinds if kind == "BASE TABLE"}
    return counts | {name: "view" for name, kind in kinds if kind == "VIEW"}


def grown(before: dict, after: dict) -> dict[str, int]:
    """Tables whose row count changed, with the change (after asserting that no table or view came or went)."""
    assert set(after) == set(before), f"tables changed: {set(before) ^ set(after)}"
    return {k: after[k] - before[k] for k in before if before[k] != "view" and after[k] != before[k]}


def rows(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    return store.frame(store.current_snapshot(warehouse), sql, params).rows()


def shown_in_sheet(text: str) -> str:
    """How a text must appear in an exported sheet: neutralised with an apostrophe if a spreadsheet would run it."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def safe_workbook_texts(content: bytes) -> set[str]:
    """Every text cell of a workbook, after asserting that no cell is a formula and none would be taken for one."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        for part in z.namelist():
            if part.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", z.read(part)), f"formula element in {part}"
    texts = set()
    for ws in openpyxl.load_workbook(io.BytesIO(content)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    value = _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), cell.value)  # OOXML control chars
                    assert not value.startswith(FORMULA_PREFIXES), f"{ws.title}!{cell.coordinate}: {value[:40]!r}"
                    texts.add(value)
    return texts


# --------------------------------------------------------------------------- the hostile warehouse

@dataclasses.dataclass(frozen=True)
class Hostile:
    warehouse: Path
    fresh_tables: dict            # a newly created warehouse's tables (all empty) and views
    reports: list                 # FileReports of every submission load
    lanzhou_rows: list[dict]
    qingyang_rows: list[dict]
    reference_name: str


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A warehouse that took hostile text through every loader (built once; tests that write use `hostile_copy`)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DASHBOARD_TODAY", TODAY)
        root = tmp_path_factory.mktemp("hostile")
        empty = root / "empty" / "warehouse.duckdb"
        store.initialise(empty)
        wh = root / "wh" / "warehouse.duckdb"
        reference = root / "in" / f"{HOSTILE[0]} 500强名录.xlsx"  # '/' is the only character a file name cannot hold
        reference.parent.mkdir(parents=True)
        reference.write_bytes(five_hundred_xlsx(HOSTILE))
        assert load_five_hundred(reference, warehouse=wh).outcome == "loaded"
        lanzhou, qingyang = hostile_rows("兰州市", HOSTILE), hostile_rows("庆阳市", HOSTILE_CSV)
        reports = load_files([(f"{HOSTILE[3]}.xlsx", xlsx_bytes(lanzhou)), (f"{HOSTILE[1]}.csv", csv_bytes(qingyang))],
                             warehouse=wh, received_at="2025-04-03T10:00:00")
        reports += load_files(version_files(HOSTILE), warehouse=wh, received_at="2025-02-03T10:00:00")
        yield Hostile(wh, table_counts(empty), reports, lanzhou, qingyang, reference.name)


@pytest.fixture
def hostile_copy(hostile, tmp_path):
    """A private copy of the hostile warehouse (data, snapshots, accounts) for a test that writes."""
    shutil.copytree(hostile.warehouse.parent, tmp_path / "wh")
    return tmp_path / "wh" / hostile.warehouse.name


@pytest.fixture(autouse=True)
def _frozen_today_and_fresh_caches(monkeypatch):
    monkeypatch.setenv("DASHBOARD_TODAY", TODAY)
    clear_caches()
    yield
    clear_caches()
