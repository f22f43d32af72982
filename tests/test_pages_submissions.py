"""数据报送 page through AppTest: completeness, upload → validation report → load, and the reporter's scope."""
from __future__ import annotations

import pytest

from etl.load import load_files
from tests.apptest_support import app_as, clear_caches, shown_text
from warehouse import store

PAGE = "pages/submissions.py"


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def loaded(tmp_path, monkeypatch, project_row, submission_bytes):
    monkeypatch.setenv("DASHBOARD_TODAY", "2025-06-15")
    wh = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("WAREHOUSE", str(wh))
    store.initialise(wh)
    rows = [project_row(i, 统计月份="2025-03") for i in range(1, 6)]
    rows.append(project_row(9, 统计月份="2025-03", **{"签约金额（万元）": "约500"}))
    load_files([("620100_2025-03.csv", submission_bytes(rows, "a.csv"))], warehouse=wh,
               received_at="2025-04-03T10:00:00")
    qy = [project_row(i, 报送单位="庆阳市", 统计月份="2025-03", 所在县区="西峰区", 项目编号=f"QY-{i}") for i in range(1, 3)]
    load_files([("621000_2025-03.csv", submission_bytes(qy, "b.csv"))], warehouse=wh,
               received_at="2025-04-20T10:00:00")
    return wh


def test_admin_sees_completeness_matrix_with_late_and_quarantine_marks(loaded):
    at = app_as("admin", loaded, PAGE).run()
    assert not at.exception
    assert "数据报送" in shown_text(at)
    matrix = at.dataframe[0].value
    by_unit = {r["被考核单位"]: r for r in matrix.to_dict("records")}
    assert by_unit["兰州市"]["3月"] == "✅⚠️"        # on time, one quarantined row
    assert by_unit["庆阳市"]["3月"] == "⏰"          # received after the 5th of April
    assert by_unit["白银市"]["3月"] == "❌"          # nothing received, deadline passed
    assert by_unit["兰州市"]["6月"] == "·"           # not yet due on 2025-06-15


def test_reporter_sees_only_own_unit(loaded):
    at = app_as("lanzhou", loaded, PAGE).run()
    assert not at.exception
    matrix = at.dataframe[0].value
    assert list(matrix["被考核单位"]) == ["兰州市"]
    history = at.dataframe[1].value
    assert set(history["文件名"]) == {"620100_2025-03.csv"}


def test_upload_shows_report_then_loads(loaded, project_row, submission_bytes):
    at = app_as("admin", loaded, PAGE).run()
    rows = [project_row(i, 统计月份="2025-04", **{"累计到位资金（万元）": "400"}) for i in range(1, 4)]
    rows.append(project_row(7, 统计月份="2025-04", **{"计划总投资（万元）": "5亿"}))
    at.file_uploader(key="uploads").upload("620100_2025-04.csv", submission_bytes(rows, "c.csv"), "text/csv")
    at.run()
    assert not at.exception
    report = at.dataframe[0].value.to_dict("records")[0]
    assert report["校验结论"] == "可入库"
    assert (report["输入行"], report["可入库行"], report["隔离行"]) == (4, 3, 1)
    assert any("5亿" in str(e.value) for e in at.dataframe)  # the issue table names the value
    assert [b.label for b in at.get("download_button")] == ["下载校验报告（xlsx）"]
    confirm = next(b for b in at.button if b.label.startswith("确认入库"))
    confirm.click()
    at.run()
    assert not at.exception
    assert any("620100_2025-04.csv" in s.value for s in at.success)
    snap = store.current_snapshot(loaded)
    got = store.frame(snap, "SELECT rows_loaded, rows_quarantined FROM mart_unit_month WHERE month = DATE '2025-04-01'")
    assert got.row(0) == (3, 1)
