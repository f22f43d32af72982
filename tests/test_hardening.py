"""Hardening (issue 6): hostile text through every input, two uploads at once, upload limits, expired and forged
sessions in the real app.

1. Hostile strings (SQL fragments, spreadsheet formulas, a 10,000-character text, NUL and control characters, an RTL
   override, emoji, markdown and HTML) go through every text input: submission cells and file names
   (`etl.load.load_files`), the 500强 list, account names, the publish and sample command lines, quarter arguments and
   the pages' query functions. Every table survives with the expected row counts, data come back verbatim, every
   exported workbook holds no formula and no cell a spreadsheet would take for one, and a reporter's text reaches a
   leader's screen as text, never as a link. An AST scan checks that no SQL is built from anything but code constants
   (`SqlScan`, with its allow-lists and their reasons below).
2. Two processes load into one warehouse at the same moment; a forced interleaving makes the second really wait for
   the first's lock.
3. Upload limits hold on the server, whatever the browser let through.
4. An idle session and a forged username are refused by the real app.py.
"""
from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from analytics import bulletin, domain, lifecycle, publication, ranking, roles, sampling, sampling_cli
from analytics.cli import main as analytics_main
from analytics.spreadsheet import FORMULA_PREFIXES
from conftest import csv_bytes, valid_uscc, xlsx_bytes
from etl.load import load_files, validate_file
from etl.reference import FIVE_HUNDRED_COLUMNS, load_five_hundred
from etl.report import report_xlsx
from pages import auth, data
from tests.apptest_support import (
    APP,
    PASSWORD,
    app_as,
    clear_caches,
    ensure_users,
    shown_text,
)
from warehouse import accounts, store
from warehouse.queries import ranking as ranking_queries
from warehouse.queries import sampling as sampling_queries
from warehouse.queries import submissions as submission_queries

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
        "所在县区": domain.resolve_unit(unit).counties[0], "所属产业链": "新材料", "投资方名称": f"示范投资有限公司{n}",
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
    return store.query(store.current_snapshot(warehouse), sql, params).rows()


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


# --------------------------------------------------------------------------- 1. hostile text: submissions

def test_every_table_survives_with_the_expected_row_counts(hostile):
    counts = table_counts(hostile.warehouse)
    assert set(counts) == set(hostile.fresh_tables)
    quarantined = len(CHECKED_TEXT_COLUMNS) * (len(HOSTILE) + len(HOSTILE_CSV))
    loaded = len(hostile.lanzhou_rows) + len(hostile.qingyang_rows) - quarantined + len(HOSTILE)
    expected = {
        "units": len(domain.units()),
        "five_hundred_list": len(HOSTILE),
        "submission_versions": 2 + len(HOSTILE),
        "project_rows": loaded,
        "quarantine_rows": quarantined,
        "load_audit": 1 + 2 + len(HOSTILE),
        "row_warnings": 2,  # the control claim of a company not on the list, once per file
    }
    assert {k: counts[k] for k in expected} == expected
    untouched = {k: v for k, v in hostile.fresh_tables.items() if v != "view" and k not in expected}
    assert {k: counts[k] for k in untouched} == untouched  # schema_version, config tables, publications: as created


def test_free_text_cells_are_stored_verbatim(hostile):
    for unit_code, strings in (("620100", HOSTILE), ("621000", HOSTILE_CSV)):
        stored = rows(hostile.warehouse,
                      f"SELECT {', '.join(VERBATIM_COLUMNS.values())} FROM fact_project_month"
                      " WHERE unit_code = ? AND month = DATE '2025-03-01' AND project_id NOT LIKE 'P-%'"
                      " AND project_id <> 'UNLISTED' ORDER BY row_no", [unit_code])
        assert stored == [(h,) * len(VERBATIM_COLUMNS) for h in strings]


def test_hostile_values_in_checked_columns_are_quarantined_with_their_raw_text(hostile):
    for unit_code, strings in (("620100", HOSTILE), ("621000", HOSTILE_CSV)):
        quarantined = rows(hostile.warehouse,
                           "SELECT q.raw_json, q.reasons FROM quarantine_rows q JOIN submission_versions s"
                           " USING (submission_id) WHERE s.unit_code = ? ORDER BY q.row_no", [unit_code])
        expected = [(column, h) for column in CHECKED_TEXT_COLUMNS for h in strings]
        assert len(quarantined) == len(expected)
        assert [(column, json.loads(raw)[column]) for (raw, _), (column, _) in zip(quarantined, expected)] == expected
        assert all(f"「{column}」" in reasons for (_, reasons), (column, _) in zip(quarantined, expected))


def test_claims_match_the_500_list_exactly_as_written(hostile):
    assert sorted(r[0] for r in rows(hostile.warehouse, "SELECT company_name FROM five_hundred_list")) == sorted(HOSTILE)
    unverified = rows(hostile.warehouse, "SELECT project_id FROM row_warnings WHERE code = 'five_hundred_unverified'")
    assert unverified == [("UNLISTED",), ("UNLISTED",)]  # only the control company, in both files
    [(file_name, outcome)] = rows(hostile.warehouse, "SELECT file_name, outcome FROM load_audit WHERE kind = 'reference'")
    assert (file_name, outcome) == (hostile.reference_name, "loaded")


def test_upload_file_names_are_stored_verbatim(hostile):
    versions = rows(hostile.warehouse, "SELECT version, file_name FROM submission_versions"
                                       " WHERE unit_code = '620100' AND month = DATE '2025-01-01' ORDER BY version")
    assert versions == [(v, f"{h}.csv") for v, h in enumerate(HOSTILE, start=1)]
    audited = [r[0] for r in rows(hostile.warehouse, "SELECT file_name FROM load_audit WHERE kind = 'submission'")]
    assert sorted(audited) == sorted([f"{HOSTILE[3]}.xlsx", f"{HOSTILE[1]}.csv", *(f"{h}.csv" for h in HOSTILE)])


def test_hostile_unit_or_month_rejects_the_file_and_writes_nothing_but_the_audit(hostile_copy):
    before = table_counts(hostile_copy)
    files = [(f"unit{i}.csv", csv_bytes([submission_row(1, 报送单位=h)])) for i, h in enumerate(HOSTILE_CSV)]
    files += [(f"month{i}.csv", csv_bytes([submission_row(1, 统计月份=h)])) for i, h in enumerate(HOSTILE_CSV)]
    reports = load_files(files, warehouse=hostile_copy)
    assert [r.outcome for r in reports] == ["rejected"] * len(files)
    for r, h in zip(reports, [*HOSTILE_CSV, *HOSTILE_CSV]):
        [issue] = r.issues
        assert issue.severity == "拒收" and h in issue.message and not r.internal_error
    assert grown(before, table_counts(hostile_copy)) == {"load_audit": len(files)}
    safe_workbook_texts(report_xlsx(reports))


def test_csv_with_a_nul_byte_is_rejected_whole(hostile_copy):
    before = table_counts(hostile_copy)
    [report] = load_files([("nul.csv", csv_bytes([submission_row(1, 项目名称=HOSTILE[8])]))], warehouse=hostile_copy)
    assert report.outcome == "rejected" and "二进制" in report.issues[0].message
    assert grown(before, table_counts(hostile_copy)) == {"load_audit": 1}


def test_validation_report_has_no_formula_and_neutralises_hostile_text(hostile):
    texts = safe_workbook_texts(report_xlsx(hostile.reports))
    names = [f"{HOSTILE[3]}.xlsx", f"{HOSTILE[1]}.csv", *(f"{h}.csv" for h in HOSTILE)]
    assert {shown_in_sheet(n) for n in names} <= texts
    assert {shown_in_sheet(h) for h in HOSTILE} <= texts  # the quarantined values, in the 值 column
    assert "'=cmd|' /C calc'!A0" in texts and "'@SUM(1)" in texts and "'+1" in texts and "'-1" in texts


def test_500_list_with_a_hostile_list_name_is_rejected_without_change(hostile_copy, tmp_path):
    before = table_counts(hostile_copy)
    bad = tmp_path / f"{HOSTILE[2]}.csv"
    bad.write_bytes(csv_bytes([{"名录": h, "年度": "2025", "企业名称": "某公司"} for h in HOSTILE_CSV],
                              headers=[c.header for c in FIVE_HUNDRED_COLUMNS]))
    report = load_five_hundred(bad, warehouse=hostile_copy)
    assert report.outcome == "rejected" and len(report.issues) == len(HOSTILE_CSV)
    assert all(i.value == h and "不在允许范围内" in i.message for i, h in zip(report.issues, HOSTILE_CSV))
    assert grown(before, table_counts(hostile_copy)) == {"load_audit": 1}
    assert rows(hostile_copy, "SELECT file_name FROM load_audit ORDER BY load_id DESC LIMIT 1") == [(bad.name,)]


# --------------------------------------------------------------------------- 1. hostile text: accounts

def test_accounts_refuse_hostile_usernames_and_keep_hostile_display_names_verbatim(tmp_path):
    db = accounts.AccountStore(tmp_path / "accounts.sqlite")
    db.add_user("admin", "admin", PASSWORD)
    for h in HOSTILE:
        with pytest.raises(ValueError, match="用户名.*不合规"):
            db.add_user(h, "leader", PASSWORD)
    for i, h in enumerate(HOSTILE):
        db.add_user(f"user{i}", "leader", PASSWORD, display_name=h)
    with pytest.raises(ValueError, match="必须绑定一个被考核单位"):
        db.add_user("reporter1", "reporter", PASSWORD, unit=HOSTILE[2])
    with pytest.raises(ValueError, match="未知角色"):
        db.add_user("someone", HOSTILE[0], PASSWORD)
    assert {a.username: a.display_name for a in db.list_accounts()} == {
        "admin": "admin", **{f"user{i}": h for i, h in enumerate(HOSTILE)}}

    for h in (*HOSTILE, "admin' --", "admin' OR '1'='1", "admin\x00"):
        result = db.authenticate(h, "' OR '1'='1")
        assert not result.ok and result.message == "用户名或密码错误"
    assert db.recent_audit(1)[0].username == "admin\x00"  # the attempted name, as typed (normalised to lower case)
    token = db.start_session(db.authenticate("admin", PASSWORD).user)
    assert all(db.check_session(h, token).user is None for h in HOSTILE)
    assert db.check_session("admin", HOSTILE[0]).user is None
    assert db.check_session("admin", token).user.role == "admin"  # the real session still works

    with sqlite3.connect(db.path) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"accounts", "sessions", "audit_log"} <= tables
        assert con.execute("SELECT count(*) FROM accounts").fetchone()[0] == 1 + len(HOSTILE)
        assert con.execute("SELECT count(*) FROM sessions").fetchone()[0] == 1


# --------------------------------------------------------------------------- 1. hostile text: command lines, queries

def cli(capsys, main, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_publish_cli_stores_hostile_names_and_notes_verbatim_and_exports_them_safely(hostile_copy, capsys):
    before = table_counts(hostile_copy)
    ids = []
    for h in HOSTILE:
        code, out, err = cli(capsys, analytics_main, "publish", "--quarter", QUARTER, "--warehouse", hostile_copy,
                             "--by", h, "--note", h, "--incomplete-reason", h)
        assert code == 0, err
        ids.append(re.search(r"发布编号：(\S+)", out).group(1))
    assert grown(before, table_counts(hostile_copy)) == {
        "publications": len(HOSTILE), "published_ranking": len(HOSTILE) * len(domain.units())}
    stored = rows(hostile_copy, "SELECT published_by, note, incomplete_reason FROM publications ORDER BY publication_id")
    assert stored == [(h, h, h) for h in HOSTILE]
    snapshot = store.current_snapshot(hostile_copy)
    for pid, h in zip(ids, HOSTILE):
        assert publication.verify_publication(snapshot, pid)
        texts = safe_workbook_texts(bulletin.publication_export(snapshot, pid, "xlsx"))
        assert any(f"发布人：{h}；" in t for t in texts) and any(f"发布理由：{h}" in t for t in texts)


def test_sample_cli_with_a_hostile_name_exports_a_safe_work_list(hostile_copy, tmp_path, capsys):
    population = sampling.quarter_risk(store.current_snapshot(hostile_copy), QUARTER).projects.height
    before = table_counts(hostile_copy)
    out = tmp_path / "核查清单.xlsx"
    code, _, err = cli(capsys, sampling_cli.main, "--quarter", QUARTER, "--size", population, "--seed", 7,
                       "--out", out, "--by", HOSTILE[3], "--warehouse", hostile_copy)
    assert code == 0, err
    changed = grown(before, table_counts(hostile_copy))
    assert changed["samples"] == 1 and changed["sample_items"] == population
    assert set(changed) == {"samples", "sample_items", "sample_strata"}
    assert rows(hostile_copy, "SELECT drawn_by FROM samples") == [(HOSTILE[3],)]
    texts = safe_workbook_texts(out.read_bytes())
    assert {shown_in_sheet(h) for h in HOSTILE} <= texts  # every hostile project name and id, neutralised
    assert shown_in_sheet(HOSTILE[3]) in texts             # 抽样人 on the 抽样说明 sheet


def test_ranking_export_has_no_formula(hostile):
    snapshot = store.current_snapshot(hostile.warehouse)
    texts = safe_workbook_texts(bulletin.ranking_xlsx(ranking.rank_quarter(snapshot, QUARTER)))
    assert any("综合排名通报" in t for t in texts)


@pytest.mark.parametrize("quarter", [BAD_QUARTER, "2025Q3 OR 1=1", "2025Q3\n; DELETE FROM units", "2025Q5"])
def test_quarter_arguments_with_sql_are_refused_in_chinese(hostile_copy, tmp_path, capsys, quarter):
    before = table_counts(hostile_copy)
    commands = [
        (analytics_main, ["rank", "--quarter", quarter, "--warehouse", hostile_copy]),
        (analytics_main, ["publish", "--quarter", quarter, "--by", "张三", "--warehouse", hostile_copy]),
        (sampling_cli.main, ["--quarter", quarter, "--size", 3, "--seed", 1, "--out", tmp_path / "s.xlsx",
                             "--warehouse", hostile_copy]),
    ]
    for main, argv in commands:
        code, out, err = cli(capsys, main, *argv)
        assert (code, out) == (1, "") and err.startswith("季度格式应为 2025Q3 这样的形式")
    assert grown(before, table_counts(hostile_copy)) == {}
    assert not (tmp_path / "s.xlsx").exists()


def test_the_real_command_refuses_a_quarter_with_sql(hostile):
    done = subprocess.run([sys.executable, "-m", "analytics", "rank", "--quarter", BAD_QUARTER,
                           "--warehouse", str(hostile.warehouse)], check=False, cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "DASHBOARD_TODAY": TODAY}, timeout=120)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith("季度格式应为 2025Q3 这样的形式")


def test_page_queries_bind_hostile_arguments_as_values(hostile, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(hostile.warehouse))
    before = table_counts(hostile.warehouse)
    for h in HOSTILE:
        assert data.load(submission_queries.submission_history, h).is_empty()
        assert data.load(submission_queries.submission_history, unit_code=h).is_empty()
        assert data.load(submission_queries.load_log, h).is_empty()
        assert data.load(ranking_queries.published_ranking, h).is_empty()
        assert data.load(ranking_queries.publications, h).is_empty()
        assert data.load(sampling_queries.samples, h).is_empty()
        assert data.load(sampling_queries.sample_items, h).is_empty()
        history = data.load(lifecycle.project_history, "620100", h)  # the drill-down finds the hostile project
        assert history.frame["project_name"].to_list() == [h]
        with pytest.raises(ValueError, match="季度格式应为"):
            data.load(ranking.rank_quarter, h)
    assert data.load(submission_queries.submission_history, "620100").height == 1 + len(HOSTILE)
    assert table_counts(hostile.warehouse) == before


def test_reporter_text_shown_to_a_leader_cannot_become_a_link_or_image(hostile_copy, monkeypatch):
    """The 项目全周期 drill-down titles a table with the project's id and name, as the reporter wrote them."""
    monkeypatch.setenv("WAREHOUSE", str(hostile_copy))
    at = app_as("leader", hostile_copy, "pages/lifecycle.py").run()
    at.selectbox(key="lc_drill_stage").select("signed").run()
    at.selectbox(key="lc_drill_unit").select("620100").run()
    at.selectbox(key="lc_drill_project").select(("620100", MARKDOWN_LINK)).run()
    assert not at.exception
    [title] = [m.value for m in at.markdown if "逐月报送记录" in m.value]
    body = title.removeprefix("**").removesuffix("**")
    assert not re.search(r"(?<!\\)[\[\]()!<>*_`]", body), title  # no markup a browser would render
    assert re.sub(r"\\(.)", r"\1", body) == f"兰州市 {MARKDOWN_LINK} {MARKDOWN_LINK}：逐月报送记录"  # reads as written


# --------------------------------------------------------------------------- 1. no SQL built from input (AST scan)

SQL_METHODS = frozenset({"execute", "executemany", "executescript", "sql", "query"})
SQL_KEYWORDS = frozenset({"query", "sql"})
# Expressions allowed in SQL text although not built from constants: (file, expression) -> why it is safe.
ALLOWED_SQL_EXPRESSIONS = {
    ("warehouse/store.py", "path.read_text(encoding='utf-8')"):
        "the schema migrations: files of the code base under warehouse/migrations (MIGRATIONS_DIR), not input",
}
# Functions that hand one of their parameters to SQL as text, and why each is safe. The scan checks every call of
# these with the same rules; a new one fails the test until it is reviewed and listed here.
SQL_PARAMETER_FUNCTIONS = {
    "warehouse.store.run": {"sql"},                   # the read door; callers pass constant SQL (checked)
    "warehouse.store.query": {"sql"},                 # the same, one connection per query
    "warehouse.queries.ranking._query": {"sql"},      # the ranking area's read helper
    "warehouse.accounts.AccountStore._update": {"sets"},  # SET clause with ? placeholders; callers pass literals
}


class Untrusted(Exception):
    """An expression in SQL text that is not built from code constants."""


def _element(value: ast.expr, i: int) -> ast.expr | None:
    """Element i of a tuple-valued expression (`a, b = (x, y) if c else (z, w)`)."""
    if isinstance(value, ast.Tuple):
        return value.elts[i]
    if isinstance(value, ast.IfExp):
        body, orelse = _element(value.body, i), _element(value.orelse, i)
        return ast.IfExp(value.test, body, orelse) if body and orelse else None
    return None


def _assignments(node: ast.AST):
    """(name, value) for each name a statement assigns."""
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Name):
                yield target.id, node.value
            elif isinstance(target, ast.Tuple):
                for i, el in enumerate(target.elts):
                    if isinstance(el, ast.Name):
                        yield el.id, _element(node.value, i) or node.value
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name) and node.value:
        yield node.target.id, node.value
    elif isinstance(node, ast.For):
        for name, values in _loop_bindings(node).items():
            for value in values:
                yield name, value


def _loop_bindings(gen: ast.comprehension | ast.For) -> dict[str, tuple[ast.expr, ...]]:
    """What each loop variable takes: `for a, b in (("x", v), ("y", w))` binds a to "x" and "y"
    and b to v and w; otherwise every variable may take anything the iterable holds."""
    target, rows = gen.target, gen.iter
    if (isinstance(target, ast.Tuple) and all(isinstance(t, ast.Name) for t in target.elts)
            and isinstance(rows, (ast.Tuple, ast.List))
            and all(isinstance(r, ast.Tuple) and len(r.elts) == len(target.elts) for r in rows.elts)):
        return {t.id: tuple(r.elts[i] for r in rows.elts) for i, t in enumerate(target.elts)}
    return {n.id: (rows,) for n in ast.walk(target) if isinstance(n, ast.Name)}


def _integer(placeholder: ast.FormattedValue) -> bool:
    """`{x:d}`: formats an int or raises, so it can only put digits (and a sign) into the text."""
    spec = placeholder.format_spec
    return spec is not None and [ast.unparse(v) for v in spec.values] == ["'d'"]


def _own_nodes(fn: ast.FunctionDef):
    """A function's nodes, not descending into nested functions, classes or lambdas."""
    stack = list(fn.body)
    while stack:
        node = stack.pop()
        yield node
        stack += [c for c in ast.iter_child_nodes(node)
                  if not isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda))]


def _params(fn: ast.FunctionDef) -> list[str]:
    return [p.arg for p in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs)]


class _Module:
    def __init__(self, root: Path, path: Path):
        self.rel = path.relative_to(root).as_posix()
        self.name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.imports: dict[str, str] = {}          # local name -> qualified name
        self.consts: dict[str, list[ast.expr]] = {}
        self.functions: dict[str, tuple[str, ast.FunctionDef]] = {}  # name -> (qualified name, def)
        for node in self.tree.body:
            for name, value in _assignments(node):
                self.consts.setdefault(name, []).append(value)
        self._index(self.tree, self.name)

    def _index(self, node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ImportFrom) and child.module:
                self.imports.update({a.asname or a.name: f"{child.module}.{a.name}" for a in child.names})
            elif isinstance(child, ast.Import):
                self.imports.update({a.asname or a.name: a.name for a in child.names})
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualified = f"{prefix}.{child.name}"
                if not isinstance(child, ast.ClassDef):
                    self.functions.setdefault(child.name, (qualified, child))
                self._index(child, qualified)
            else:
                self._index(child, prefix)


class SqlScan:
    """Finds SQL text built from anything but code constants.

    SQL text is the first argument of `.execute/.executemany/.executescript/.sql/.query`, or a parameter of a
    function that passes that parameter on as SQL text (found by the scan itself, to a fixed point). Trusted: string
    literals; f-strings, `+`, `%`, `.join`, `.format`, tuples, comprehensions and subscripts of trusted parts;
    `len(...)`; module constants (also imported ones) and local variables assigned only trusted values.
    """

    def __init__(self, root: Path, paths: list[str], allowed: dict[tuple[str, str], str]):
        files = [f for p in paths for f in ([root / p] if (root / p).is_file() else sorted((root / p).rglob("*.py")))]
        self.modules = {m.name: m for m in (_Module(root, f) for f in files)}
        self.allowed = allowed
        self.parameter_functions: dict[str, set[str]] = {}

    def _function(self, module: _Module, name: str) -> tuple[str, ast.FunctionDef] | None:
        mod, _, fn = name.rpartition(".")
        target = self.modules.get(mod) if mod != module.name else module
        return target.functions.get(fn) if target is not None else None

    def sql_arguments(self, module: _Module, call: ast.Call) -> list[ast.expr]:
        f, target, shift = call.func, None, 0
        if isinstance(f, ast.Name):
            target = self._function(module, module.imports.get(f.id, f"{module.name}.{f.id}"))
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
            if f.value.id in ("self", "cls"):
                target, shift = module.functions.get(f.attr), 1
            elif f.value.id in module.imports:
                target = self._function(module, f"{module.imports[f.value.id]}.{f.attr}")
        if target is not None and target[0] in self.parameter_functions:
            names = self.parameter_functions[target[0]]
            params = _params(target[1])[shift:]
            return ([a for a, p in zip(call.args, params) if p in names]
                    + [k.value for k in call.keywords if k.arg in names])
        if isinstance(f, ast.Attribute) and f.attr in SQL_METHODS:
            return call.args[:1] + [k.value for k in call.keywords if k.arg in SQL_KEYWORDS]
        return []

    def trust(self, module: _Module, fn, expr: ast.expr, bound=None, seen=frozenset()) -> set[str]:
        """The parameters of `fn` that `expr` depends on; raises Untrusted if it holds anything else.

        `bound`: comprehension variables in scope and the expressions they take."""
        bound = bound or {}
        if (module.rel, ast.unparse(expr)) in self.allowed:
            return set()

        def all_of(exprs, names=bound) -> set[str]:
            return set().union(*(self.trust(module, fn, e, names, seen) for e in exprs))

        match expr:
            case ast.Constant():
                return set()
            case ast.JoinedStr(values=values):
                return all_of(v.value for v in values if isinstance(v, ast.FormattedValue) and not _integer(v))
            case ast.Tuple(elts=elts) | ast.List(elts=elts) | ast.Set(elts=elts):
                return all_of(elts)
            case ast.Starred(value=value) | ast.Subscript(value=value):
                return all_of([value])
            case ast.BinOp(left=left, right=right):
                return all_of([left, right])
            case ast.IfExp(body=body, orelse=orelse):
                return all_of([body, orelse])
            case ast.GeneratorExp(elt=elt, generators=gens) | ast.ListComp(elt=elt, generators=gens):
                names = dict(bound)
                for g in gens:
                    names |= _loop_bindings(g)
                return all_of([elt], names)
            case ast.Call(func=ast.Name(id="len")):
                return set()
            case ast.Call(func=ast.Name(id="tuple" | "list" | "sorted"), args=args):
                return all_of(args)
            case ast.Call(func=ast.Attribute(attr="join" | "format", value=value), args=args, keywords=keywords):
                return all_of([value, *args, *(k.value for k in keywords)])
            case ast.Name(id=name):
                return self._name(module, fn, name, bound, seen, expr)
            case ast.Attribute(value=ast.Name(id=alias), attr=attr) if alias in module.imports:
                other = self.modules.get(module.imports[alias])
                if other is not None and attr in other.consts:
                    return self._name(other, None, attr, {}, seen, expr)
        raise Untrusted(ast.unparse(expr))

    def _name(self, module, fn, name, bound, seen, expr) -> set[str]:
        key = (module.name, fn.name if fn else None, name)
        if key in seen:
            return set()
        seen = seen | {key}
        if name in bound:
            return set().union(*(self.trust(module, fn, v, bound, seen) for v in bound[name]))
        if fn is not None:
            local = [v for node in _own_nodes(fn) for n, v in _assignments(node) if n == name]
            if local:
                return set().union(*(self.trust(module, fn, v, bound, seen) for v in local))
            if name in _params(fn):
                return {name}
        if name in module.consts:
            return set().union(*(self.trust(module, None, v, {}, seen) for v in module.consts[name]))
        origin, _, const = module.imports.get(name, "").rpartition(".")
        if origin in self.modules and const in self.modules[origin].consts:
            return self._name(self.modules[origin], None, const, {}, seen, expr)
        raise Untrusted(ast.unparse(expr))

    def _calls(self, node: ast.AST, fn=None, qualified=None):
        """(enclosing function, its qualified name, call) for every call."""
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call):
                yield fn, qualified, child
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield from self._calls(child, child, f"{qualified or ''}.{child.name}")
            elif isinstance(child, ast.ClassDef):
                yield from self._calls(child, fn, f"{qualified or ''}.{child.name}")
            else:
                yield from self._calls(child, fn, qualified)

    def findings(self) -> list[str]:
        """`file:line: expression` for every untrusted expression in SQL text."""
        while True:
            found, grew = set(), False
            for module in self.modules.values():
                for fn, qualified, call in self._calls(module.tree):
                    for arg in self.sql_arguments(module, call):
                        try:
                            params = self.trust(module, fn, arg)
                        except Untrusted as exc:
                            found.add(f"{module.rel}:{call.lineno}: {exc.args[0]}")
                            continue
                        name = f"{module.name}{qualified}" if fn is not None else None
                        if params and name and not params <= self.parameter_functions.get(name, set()):
                            self.parameter_functions.setdefault(name, set()).update(params)
                            grew = True
            if not grew:
                return sorted(found)


def test_no_sql_is_built_from_input():
    scan = SqlScan(ROOT, ["etl", "warehouse", "analytics", "pages", "app.py"], ALLOWED_SQL_EXPRESSIONS)
    assert scan.findings() == []
    unreviewed = {f: p for f, p in scan.parameter_functions.items() if not p <= SQL_PARAMETER_FUNCTIONS.get(f, set())}
    assert unreviewed == {}


def test_sql_scan_catches_sql_built_from_input(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(textwrap.dedent('''
        import os
        from pkg.good import COLUMNS

        def by_name(con, name):
            return con.execute(f"SELECT * FROM t WHERE name = '{name}'").fetchall()

        def by_env(con):
            con.execute("SET threads = " + os.environ["THREADS"])

        def by_id(con, request):
            con.execute(f"SELECT * FROM t WHERE id = {request.args['id']:d}")  # an int or an exception
            con.execute(f"SELECT * FROM t WHERE id = {request.args['id']}")

        def caller(con, request):
            by_name(con, request.args["name"])
            by_name(con, "constant is fine")
            for table in request.tables:
                con.sql(f"SELECT {', '.join(COLUMNS)} FROM {table}")
    '''), encoding="utf-8")
    (tmp_path / "pkg" / "good.py").write_text(textwrap.dedent('''
        COLUMNS = ("a", "b")
        TABLE = "t"

        def insert(con, rows):
            marks = ", ".join("?" * len(COLUMNS))
            sql = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({marks})"
            con.executemany(sql, rows)
            con.execute("SELECT * FROM t WHERE a = ?", [rows[0][0]])
            for table, frame in (("t", rows), ("u", [row[::-1] for row in rows])):
                con.execute(f"INSERT INTO {table} SELECT * FROM frame")
            con.execute(";".join(f"DELETE FROM {table} WHERE {rows}" for table, rows in (("t", "a"), ("u", "b"))))
    '''), encoding="utf-8")
    scan = SqlScan(tmp_path, ["pkg"], {})
    assert scan.findings() == [
        "pkg/bad.py:13: request.args",
        "pkg/bad.py:16: request.args",
        "pkg/bad.py:19: request.tables",
        "pkg/bad.py:9: os.environ",
    ]
    assert scan.parameter_functions == {"pkg.bad.by_name": {"name"}}


# --------------------------------------------------------------------------- 2. two uploads at once

# Each child loads one file when the parent says go. Whichever gets the writer lock first keeps it until the other
# has found it taken (its flock attempt failed), so the two loads really contend; the code path is the real one.
CHILD = """
import fcntl, json, sys, time
from pathlib import Path
from etl.load import load_files
from warehouse import store

me, other, work, warehouse, path = sys.argv[1:]
work = Path(work)
real_flock, real_connect = fcntl.flock, store.connect_writer

def flock(fd, operation):
    try:
        return real_flock(fd, operation)
    except BlockingIOError:
        (work / f"{me}.blocked").touch()
        raise

def connect_then_wait(p):
    con = real_connect(p)
    (work / f"{me}.held").touch()
    deadline = time.monotonic() + 60
    while not any((work / f"{other}.{state}").exists() for state in ("held", "blocked", "done")):
        if time.monotonic() > deadline:
            raise SystemExit("the other process never tried to write")
        time.sleep(0.01)
    return con

fcntl.flock, store.connect_writer = flock, connect_then_wait
(work / f"{me}.ready").touch()
while not (work / "go").exists():
    time.sleep(0.005)
try:
    [report] = load_files([path], warehouse=warehouse, received_at="2025-04-03T10:00:00", actor=me)
finally:
    (work / f"{me}.done").touch()  # also when it failed: the other process stops waiting for it
print(json.dumps({"outcome": report.outcome, "version": report.version, "superseded": report.superseded_version,
                  "internal_error": report.internal_error, "file": report.file_name,
                  "blocked": (work / f"{me}.blocked").exists()}))
"""


def load_at_once(tmp_path: Path, warehouse: Path, files: dict[str, bytes]) -> dict[str, dict]:
    """Two processes, each loading one of two files into `warehouse` at the same moment; their reports by name."""
    work = tmp_path / "sync"
    work.mkdir()
    paths = []
    for name, content in files.items():
        paths.append(tmp_path / name)
        paths[-1].write_bytes(content)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "DASHBOARD_TODAY": TODAY}
    procs = {me: subprocess.Popen([sys.executable, "-c", CHILD, me, other, str(work), str(warehouse), str(path)],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for me, other, path in (("a", "b", paths[0]), ("b", "a", paths[1]))}
    while not all((work / f"{me}.ready").exists() or procs[me].poll() is not None for me in procs):
        time.sleep(0.01)
    (work / "go").touch()
    results = {}
    for me, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "lock" not in err.lower(), err
        results[me] = json.loads(out.strip().splitlines()[-1])
    assert sorted(r["blocked"] for r in results.values()) == [False, True]  # one waited for the other's lock
    return results


def test_two_uploads_of_different_units_at_once_both_load(tmp_path):
    warehouse = tmp_path / "wh" / "warehouse.duckdb"  # not created yet: the two processes race to create it too
    lanzhou = [submission_row(i, **{"本月到位资金（万元）": "100"}) for i in range(1, 41)]
    qingyang = [submission_row(i, "庆阳市", **{"本月到位资金（万元）": "7"}) for i in range(1, 31)]
    results = load_at_once(tmp_path, warehouse, {"620100_2025-03.csv": csv_bytes(lanzhou),
                                                 "621000_2025-03.xlsx": xlsx_bytes(qingyang)})
    assert [(r["outcome"], r["version"], r["internal_error"]) for r in results.values()] == [("loaded", 1, False)] * 2
    assert sorted(rows(warehouse, "SELECT actor, file_name, outcome FROM load_audit")) == [
        ("a", "620100_2025-03.csv", "loaded"), ("b", "621000_2025-03.xlsx", "loaded")]
    assert rows(warehouse, "SELECT unit_code, version, funds_month_wan, rows_loaded FROM mart_unit_month"
                           " ORDER BY unit_code") == [("620100", 1, Decimal(4000), 40), ("621000", 1, Decimal(210), 30)]


def test_two_uploads_of_the_same_unit_and_month_at_once_become_versions_1_and_2(tmp_path):
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    store.initialise(warehouse)
    first = [submission_row(i, **{"本月到位资金（万元）": "100"}) for i in range(1, 41)]
    second = [submission_row(i, **{"本月到位资金（万元）": "250"}) for i in range(1, 21)]
    files = {"兰州_3月_初报.csv": csv_bytes(first), "兰州_3月_更正.csv": csv_bytes(second)}
    totals = {"兰州_3月_初报.csv": (Decimal(4000), 40), "兰州_3月_更正.csv": (Decimal(5000), 20)}
    results = load_at_once(tmp_path, warehouse, files)
    assert sorted((r["version"], r["superseded"]) for r in results.values()) == [(1, None), (2, 1)]
    assert all(r["outcome"] == "loaded" and not r["internal_error"] for r in results.values())
    latest = next(r["file"] for r in results.values() if r["version"] == 2)
    versions = rows(warehouse, "SELECT version, file_name FROM submission_versions ORDER BY version")
    assert [v for v, _ in versions] == [1, 2] and {f for _, f in versions} == set(files)
    assert sorted(rows(warehouse, "SELECT file_name, outcome FROM load_audit")) == sorted(
        (name, "loaded") for name in files)
    assert rows(warehouse, "SELECT version, funds_month_wan, rows_loaded FROM mart_unit_month") == [
        (2, *totals[latest])]
    assert rows(warehouse, "SELECT count(*) FROM project_rows") == [(60,)]  # the superseded version is kept


# --------------------------------------------------------------------------- 3. upload limits on the server

def limit_bytes() -> int:
    return domain.etl_settings()["max_file_mb"] * 1024 * 1024


def test_oversized_file_is_rejected_before_it_is_read(hostile_copy, tmp_path):
    big = tmp_path / "620100_2025-04.csv"
    with open(big, "wb") as fh:
        fh.truncate(limit_bytes() + 1)  # sparse: costs no disk and no time
    before = table_counts(hostile_copy)
    [report] = load_files([big], warehouse=hostile_copy)
    limit_mb = domain.etl_settings()["max_file_mb"]
    assert report.outcome == "rejected" and f"超过上限 {limit_mb} MB" in report.issues[0].message
    assert report.sha256 is None  # never hashed, so never read
    assert grown(before, table_counts(hostile_copy)) == {"load_audit": 1}
    assert rows(hostile_copy, "SELECT outcome, file_bytes FROM load_audit ORDER BY load_id DESC LIMIT 1") == [
        ("rejected", limit_bytes() + 1)]


@pytest.mark.parametrize("name, head", [("big.csv", b"\xef\xbb\xbf"), ("big.xlsx", b"PK\x03\x04")])
def test_oversized_upload_is_refused_by_the_dry_run_before_parsing(hostile, name, head):
    over = validate_file(name, head + bytes(limit_bytes() + 1 - len(head)), warehouse=hostile.warehouse)
    assert over.outcome == "rejected" and "超过上限" in over.issues[0].message
    at_limit = validate_file(name, head + bytes(limit_bytes() - len(head)), warehouse=hostile.warehouse)
    assert at_limit.outcome == "rejected" and "超过上限" not in at_limit.issues[0].message  # parsed, then refused


RENAMED = {
    "照片.xlsx": (b"\x89PNG\r\n\x1a\n" + bytes(64), "可能是改了扩展名的其他文件"),
    "程序.csv": (b"\x7fELF\x02\x01\x01" + bytes(64), "含有二进制内容"),
    "压缩包.xlsx": (None, "已损坏或不是有效的 xlsx 文件"),
    "旧表.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "旧版 Excel"),
    "报表.exe": (csv_bytes([submission_row(1)]), "不是 xlsx 或 csv 文件"),
}


def plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "不是工作簿")
    return buf.getvalue()


def test_renamed_binaries_are_rejected_with_a_chinese_reason(hostile_copy):
    files = [(name, content or plain_zip()) for name, (content, _) in RENAMED.items()]
    dry = [validate_file(name, content, warehouse=hostile_copy) for name, content in files]
    before = table_counts(hostile_copy)
    loaded = load_files(files, warehouse=hostile_copy)
    for report in (*dry, *loaded):
        expected = RENAMED[report.file_name][1]
        assert report.outcome == "rejected" and not report.internal_error
        assert expected in report.issues[0].message and report.file_name in report.issues[0].message
    assert grown(before, table_counts(hostile_copy)) == {"load_audit": len(files)}


def test_reporter_cannot_load_another_units_file_through_the_page(hostile_copy, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(hostile_copy))
    own = csv_bytes([submission_row(i, month="2025-05") for i in range(1, 4)])
    foreign = csv_bytes([submission_row(i, "庆阳市", month="2025-05") for i in range(1, 4)])
    at = app_as("lanzhou", hostile_copy, SUBMISSIONS_PAGE).run()
    before = table_counts(hostile_copy)

    at.file_uploader(key="uploads").set_value([("庆阳_2025-05.csv", foreign, "text/csv")])
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["以下文件不是本单位的报表，不能由本账户报送：庆阳_2025-05.csv"]
    assert not [b for b in at.button if b.label.startswith("确认入库")]

    at.file_uploader(key="uploads").set_value([("庆阳_2025-05.csv", foreign, "text/csv"),
                                              ("兰州_2025-05.csv", own, "text/csv")])
    at.run()
    confirm = next(b for b in at.button if b.label.startswith("确认入库"))
    assert confirm.label == "确认入库（1 个文件）"
    confirm.click()
    at.run()
    assert not at.exception
    assert [s.value.split("：")[0] for s in at.success] == ["兰州_2025-05.csv"]
    assert grown(before, table_counts(hostile_copy)) == {"submission_versions": 1, "project_rows": 3, "load_audit": 1}
    assert rows(hostile_copy, "SELECT unit_code, file_name, actor FROM load_audit ORDER BY load_id DESC LIMIT 1") == [
        ("620100", "兰州_2025-05.csv", "lanzhou")]


# --------------------------------------------------------------------------- 4. expired session, forged state

def age_sessions(warehouse: Path, username: str, idle: dt.timedelta) -> None:
    """Make a user's sessions look unused for `idle` (as the account store's clock sees time)."""
    with sqlite3.connect(accounts.accounts_path(warehouse)) as con:
        con.execute("UPDATE sessions SET last_seen = ? WHERE username = ?",
                    [(accounts.now() - idle).isoformat(sep=" "), username])


def sees_login_form_only(at: AppTest) -> bool:
    return ([t.label for t in at.text_input] == ["用户名", "密码"] and not at.dataframe and not at.metric
            and auth.TOKEN_KEY not in at.session_state)


def test_idle_session_in_the_real_app_returns_to_the_login_form(hostile_copy, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(hostile_copy))
    at = app_as("admin", hostile_copy, SUBMISSIONS_PAGE).run()
    assert not at.exception and at.dataframe and at.metric and "数据报送" in shown_text(at)
    age_sessions(hostile_copy, "admin", roles.login_policy().session_idle + dt.timedelta(minutes=1))
    at.run()
    assert not at.exception
    assert "会话已超时，请重新登录" in [w.value for w in at.warning]
    assert sees_login_form_only(at) and "数据报送" not in shown_text(at)
    last = accounts.open_accounts(hostile_copy).recent_audit(1)[0]
    assert (last.event, last.username) == ("session_timeout", "admin")


def test_session_just_inside_the_idle_limit_still_works(hostile_copy, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(hostile_copy))
    at = app_as("admin", hostile_copy, SUBMISSIONS_PAGE).run()
    age_sessions(hostile_copy, "admin", roles.login_policy().session_idle - dt.timedelta(minutes=1))
    at.run()
    assert not at.exception and at.dataframe and not at.warning


def test_forged_admin_username_with_a_reporters_token_is_refused(hostile_copy, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(hostile_copy))
    at = app_as("lanzhou", hostile_copy, SUBMISSIONS_PAGE).run()
    assert list(at.dataframe[0].value["被考核单位"]) == ["兰州市"]  # the reporter's own view
    at.session_state[auth.USERNAME_KEY] = "admin"
    at.run()
    assert not at.exception and sees_login_form_only(at)
    last = accounts.open_accounts(hostile_copy).recent_audit(1)[0]
    assert (last.event, last.username, last.detail) == ("access_denied", "admin", "会话令牌属于另一账户 lanzhou")


def test_forged_token_or_role_keys_grant_nothing(hostile_copy, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(hostile_copy))
    ensure_users(hostile_copy)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[auth.USERNAME_KEY] = "admin"
    at.session_state[auth.TOKEN_KEY] = HOSTILE[0]
    at.session_state["role"] = "admin"
    at.run()
    assert not at.exception and sees_login_form_only(at)
    at.text_input[0].input("admin' --")
    at.text_input[1].input("' OR '1'='1")
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == ["用户名或密码错误"] and sees_login_form_only(at)
