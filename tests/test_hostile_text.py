"""Hostile strings (SQL fragments, spreadsheet formulas, a 10,000-character text, NUL and control characters, an RTL
override, emoji, markdown and HTML) through every text input: submission cells and file names, the 500强 list,
account names, the publish and sample command lines, quarter arguments and the pages' query functions. Every table
survives with the expected row counts, data come back verbatim, exported workbooks hold no formula, and a reporter's
text reaches a leader's screen as text, never as a link. (SQL built from strings is checked by ruff's S608 rule in
`make test`.)"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys

import pytest
from conftest import csv_bytes

from analytics.cli import main as analytics_main
from analytics.publication import archive, bulletin, workbook
from analytics.ranking import composite
from analytics.targets import lifecycle
from analytics.verification import sample_cli, sampling
from core import catalog
from etl.load import load_files
from etl.reference import FIVE_HUNDRED_COLUMNS, load_five_hundred
from etl.report import report_xlsx
from pages import data
from tests.apptest_support import (
    PASSWORD,
    app_as,
)
from tests.hostile_support import (  # noqa: F401 - fixtures are used by name
    BAD_QUARTER,
    CHECKED_TEXT_COLUMNS,
    HOSTILE,
    HOSTILE_CSV,
    MARKDOWN_LINK,
    QUARTER,
    ROOT,
    TODAY,
    VERBATIM_COLUMNS,
    _frozen_today_and_fresh_caches,
    grown,
    hostile,
    hostile_copy,
    rows,
    safe_workbook_texts,
    shown_in_sheet,
    submission_row,
    table_counts,
)
from warehouse import accounts, store
from warehouse.queries import ranking as ranking_queries
from warehouse.queries import sampling as sampling_queries
from warehouse.queries import submissions as submission_queries

# --------------------------------------------------------------------------- 1. hostile text: submissions

def test_every_table_survives_with_the_expected_row_counts(hostile):
    counts = table_counts(hostile.warehouse)
    assert set(counts) == set(hostile.fresh_tables)
    quarantined = len(CHECKED_TEXT_COLUMNS) * (len(HOSTILE) + len(HOSTILE_CSV))
    loaded = len(hostile.lanzhou_rows) + len(hostile.qingyang_rows) - quarantined + len(HOSTILE)
    expected = {
        "units": len(catalog.units()),
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
        "publications": len(HOSTILE), "published_ranking": len(HOSTILE) * len(catalog.units()),
        "publication_signoffs": len(HOSTILE),  # each prepared, waiting for a leader's 签批
        "publication_chain": 2 * len(HOSTILE)}  # the publication and its 'prepared' step, chained (issue 15)
    stored = rows(hostile_copy, "SELECT published_by, note, incomplete_reason FROM publications ORDER BY publication_id")
    assert stored == [(h, h, h) for h in HOSTILE]
    snapshot = store.current_snapshot(hostile_copy)
    for pid, h in zip(ids, HOSTILE):
        assert archive.verify_publication(snapshot, pid)
        texts = safe_workbook_texts(bulletin.publication_export(snapshot, pid, "xlsx"))
        assert any(f"发布人：{h}；" in t for t in texts) and any(f"发布理由：{h}" in t for t in texts)


def test_sample_cli_with_a_hostile_name_exports_a_safe_work_list(hostile_copy, tmp_path, capsys):
    population = sampling.quarter_risk(store.current_snapshot(hostile_copy), QUARTER).projects.height
    before = table_counts(hostile_copy)
    out = tmp_path / "核查清单.xlsx"
    code, _, err = cli(capsys, sample_cli.main, "--quarter", QUARTER, "--size", population, "--seed", 7,
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
    texts = safe_workbook_texts(workbook.ranking_xlsx(composite.rank_quarter(snapshot, QUARTER)))
    assert any("综合排名通报" in t for t in texts)


@pytest.mark.parametrize("quarter", [BAD_QUARTER, "2025Q3 OR 1=1", "2025Q3\n; DELETE FROM units", "2025Q5"])
def test_quarter_arguments_with_sql_are_refused_in_chinese(hostile_copy, tmp_path, capsys, quarter):
    before = table_counts(hostile_copy)
    commands = [
        (analytics_main, ["rank", "--quarter", quarter, "--warehouse", hostile_copy]),
        (analytics_main, ["publish", "--quarter", quarter, "--by", "张三", "--warehouse", hostile_copy]),
        (sample_cli.main, ["--quarter", quarter, "--size", 3, "--seed", 1, "--out", tmp_path / "s.xlsx",
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
            data.load(composite.rank_quarter, h)
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
