"""1—2月合报 (docs/CONTRACT.md §1 扩展): load, completeness grid, ranking completeness, targets — and refusals."""
import datetime as dt
from decimal import Decimal

import pytest

from analytics.ranking.indicators import compute_indicator_values
from analytics.submissions import status
from analytics.targets import province
from core import catalog, reporting
from etl.load import load_files
from etl.parse import parse_month_span
from tests.test_ranking_warehouse import small_config
from warehouse import store
from warehouse.queries import submissions as queries

pytestmark = pytest.mark.usefixtures("frozen_today")
LANZHOU, JIAYUGUAN = "620100", "620200"


@pytest.fixture
def combined_2025(monkeypatch):
    monkeypatch.setitem(catalog.etl_settings(), "combined_jan_feb_years", (2025,))


def _load(warehouse, submission_bytes, project_row, month, funds, cum, received, unit="兰州市", name="a.csv"):
    row = project_row(1, **{"报送单位": unit, "统计月份": month, "本月到位资金（万元）": funds,
                            "累计到位资金（万元）": cum, "签约日期": "2024-11-15", "开工日期": "2024-12-01"})
    [rep] = load_files([(name, submission_bytes([row], name))], warehouse=warehouse, received_at=received)
    return rep


@pytest.mark.parametrize("text", ["2025年1—2月", "2025-01—02", "2025年1-2月", "2025年１－２月", "2025.1~2",
                                  "2025年1至2月", "2025-1–2"])
def test_the_spellings_of_a_combined_month(text):
    assert parse_month_span(text) == (2025, 1, 2)


def test_a_date_is_not_a_span():
    assert parse_month_span("2025-01-02") is None and parse_month_span("2025-03") is None


def test_round_trip_load_grid_ranking_and_targets(combined_2025, warehouse, submission_bytes, project_row):
    dec = _load(warehouse, submission_bytes, project_row, "2024-12", "100", "200", "2025-01-03")
    feb = _load(warehouse, submission_bytes, project_row, "2025年1—2月", "150", "350", "2025-03-05T20:00:00")
    mar = _load(warehouse, submission_bytes, project_row, "2025-03", "50", "400", "2025-04-03")
    jyg = _load(warehouse, submission_bytes, project_row, "2025-03", "10", "10", "2025-04-03", unit="嘉峪关市")
    assert [r.outcome for r in (dec, feb, mar, jyg)] == ["loaded"] * 4
    # stored as February, February's deadline; the cumulative check runs against December (200 + 150 = 350)
    assert feb.month == dt.date(2025, 2, 1) and feb.deadline == dt.datetime(2025, 3, 5, 23, 59, 59, 999000)
    assert feb.is_late is False and not [i for i in feb.issues if "累计" in i.message]
    assert "兰州市2025年1—2月" in feb.summary_zh
    snap = store.current_snapshot(warehouse)

    grid = status.classify(queries.completeness(snap, 2025, reporting.combined_jan_feb(2025)),
                           dt.datetime(2025, 4, 20))
    assert dt.date(2025, 1, 1) not in grid["month"].to_list()  # January: no cell, never 缺报 or 迟报
    lz = grid.filter(grid["unit_code"] == LANZHOU)
    assert lz.filter(lz["month"] == dt.date(2025, 2, 1))["status"].to_list() == ["按时"]
    row = status.matrix(grid).row(0, named=True)
    assert "1月" not in row and row["1—2月"] == "✅" and row["3月"] == "✅" and row["按时率"] == "100%"
    jyg_row = status.matrix(grid).row(1, named=True)
    assert jyg_row["1—2月"] == "❌"  # 嘉峪关 sent no 1—2月 report: missing once, under its one name

    values = compute_indicator_values(snap, "2025Q1", small_config((LANZHOU, JIAYUGUAN)))
    units = {r["unit_code"]: r for r in values.units.iter_rows(named=True)}
    assert units[LANZHOU]["complete"] and units[LANZHOU]["months_expected"] == 2
    assert units[JIAYUGUAN]["missing_months"] == "2025年1—2月"

    feb_view = province.province_progress(snap, dt.date(2025, 2, 1))
    lz_task = feb_view.units.table.frame.filter(feb_view.units.table.frame["unit_code"] == LANZHOU).row(0, named=True)
    assert lz_task["ytd_wan"] == Decimal("150") and lz_task["status"] == "已报送"
    months = feb_view.months.frame
    assert months["month"].to_list() == [dt.date(2025, 2, 1)]  # January is part of 1—2月: no row of its own
    assert months["funds_month_wan"].to_list() == [Decimal("150")]


def test_separate_january_in_a_combined_year_is_refused(combined_2025, warehouse, submission_bytes, project_row):
    for month in ("2025-01", "2025年2月"):
        rep = _load(warehouse, submission_bytes, project_row, month, "100", "300", "2025-02-03")
        assert rep.outcome == "rejected" and "1—2月合报" in rep.summary_zh and "“2025年1—2月”" in rep.summary_zh


def test_combined_file_in_a_separate_months_year_is_refused(warehouse, submission_bytes, project_row):
    rep = _load(warehouse, submission_bytes, project_row, "2025年1—2月", "100", "300", "2025-03-03")
    assert rep.outcome == "rejected" and "2025年规定1月、2月分别报送" in rep.summary_zh
    assert "2025-01 和 2025-02" in rep.summary_zh


def test_other_spans_are_refused(combined_2025, warehouse, submission_bytes, project_row):
    rep = _load(warehouse, submission_bytes, project_row, "2025年1—3月", "100", "300", "2025-04-03")
    assert rep.outcome == "rejected" and "只有1月和2月可以合并报送" in rep.summary_zh


def test_reporting_months(combined_2025):
    assert reporting.expected_months(dt.date(2025, 1, 1), dt.date(2025, 3, 1)) == [dt.date(2025, 2, 1),
                                                                                   dt.date(2025, 3, 1)]
    assert reporting.previous_report_month(dt.date(2025, 2, 1)) == dt.date(2024, 12, 1)
    assert reporting.previous_report_month(dt.date(2024, 2, 1)) == dt.date(2024, 1, 1)
    assert reporting.report_label(dt.date(2025, 2, 1)) == "2025年1—2月"
    assert reporting.months_per_year(2025) == 11 and reporting.months_per_year(2024) == 12
