"""Units against their tasks, the province against 序时进度 and milestones, and bad target configs."""
from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from test_targets_warehouse import make_warehouse

from analytics import tables
from analytics.targets import province, quotas, settings, unit_tasks
from core import money

MARCH = dt.date(2025, 3, 1)


def _rows():
    rows = []
    # 兰州: all of 2024 (12 × 83333.3334 = 1,000,000.0008), then Jan–Mar 2025 = 300,000.0003
    for m in range(1, 13):
        rows.append({"unit_code": "620100", "month": f"2024-{m:02d}", "project_id": "LZ1",
                     "funds_month_wan": "83333.3334"})
    for m, v in ((1, "100000"), (2, "100000"), (3, "100000.0003")):
        rows.append({"unit_code": "620100", "month": f"2025-{m:02d}", "project_id": "LZ1", "funds_month_wan": v})
    # 嘉峪关: 120,000 in 2024, then 35,999.9999 in Jan–Mar 2025 (0.0001 short of 序时进度)
    for m in range(1, 13):
        rows.append({"unit_code": "620200", "month": f"2024-{m:02d}", "project_id": "JY1", "funds_month_wan": "10000"})
    for m, v in ((1, "12000"), (2, "12000"), (3, "11999.9999")):
        rows.append({"unit_code": "620200", "month": f"2025-{m:02d}", "project_id": "JY1", "funds_month_wan": v})
    # 金昌: configured task 0 (see _cfg), one month of 2025
    rows.append({"unit_code": "620300", "month": "2025-01", "project_id": "JC1", "funds_month_wan": "500"})
    # 白银: only Jul–Dec 2024, and 2025 without February
    for m in range(7, 13):
        rows.append({"unit_code": "620400", "month": f"2024-{m:02d}", "project_id": "BY1", "funds_month_wan": "1000"})
    for m in (1, 3):
        rows.append({"unit_code": "620400", "month": f"2025-{m:02d}", "project_id": "BY1", "funds_month_wan": "700"})
    # 省内市州外 money in 兰州 never counts
    rows.append({"unit_code": "620100", "month": "2025-02", "project_id": "LZ2", "funds_month_wan": "5000000",
                 "fund_source": "省内市州外"})
    return rows


def _cfg(**changes) -> dict:
    cfg = copy.deepcopy(quotas.targets_config())
    cfg["tasks"]["overrides"] = {"2025": {"620300": 0}}
    for path, value in changes.items():
        section, key = path.split(".")
        cfg.setdefault(section, {})[key] = value
    return cfg


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    return make_warehouse(tmp_path_factory.mktemp("targets"), _rows())


def _unit(result, code):
    return result.table.frame.filter(pl.col("unit_code") == code).row(0, named=True)


def test_completion_and_calendar_progress_are_exact_decimals(snap):
    result = unit_tasks.units_vs_tasks(snap, MARCH, settings.load_settings(_cfg()))
    lz = _unit(result, "620100")
    assert lz["task_wan"] == Decimal("1200000.0010")          # 1,000,000.0008 × 1.20, to 0.0001
    assert lz["ytd_wan"] == Decimal("300000.0003")
    assert lz["completion"] == Decimal("0.2500")
    assert lz["calendar_progress"] == Decimal("0.250000")
    assert lz["ahead"] is True and lz["gap_calendar_wan"] == Decimal("0")
    assert lz["gap_task_wan"] == Decimal("900000.0007")
    jy = _unit(result, "620200")
    # Displays the same 25.00 % completion, yet is 0.0001 万元 behind the calendar.
    assert jy["completion"] == Decimal("0.2500") and jy["ahead"] is False
    assert jy["gap_calendar_wan"] == Decimal("0.0001") and jy["gap_task_wan"] == Decimal("108000.0001")
    ahead = next(f for f in result.figures if f.label == "达到序时进度的单位")
    assert ahead.value == 1


def test_every_unit_is_listed_and_one_without_submissions_says_so(snap):
    result = unit_tasks.units_vs_tasks(snap, MARCH, settings.load_settings(_cfg()))
    frame = result.table.frame
    assert frame.height == 15
    gn = _unit(result, "623000")
    assert gn["status"] == "尚未报送2025年数据" and gn["ytd_wan"] is None and gn["completion"] is None
    by = _unit(result, "620400")
    assert by["status"] == "缺报 2月" and by["ytd_wan"] == Decimal("1400")
    # Half a year of 2024 is no base for a task: unknown, with the reason, not a silently low task.
    assert by["task_wan"] is None and "上年仅报送 6 个月" in by["note"]
    # Units that can be ranked come first, best completion first.
    assert frame["unit_code"].to_list()[:2] == ["620100", "620200"]


def test_a_task_of_zero_gets_a_message_not_a_division_by_zero(snap):
    result = unit_tasks.units_vs_tasks(snap, MARCH, settings.load_settings(_cfg()))
    jc = _unit(result, "620300")
    assert jc["task_wan"] == Decimal("0") and jc["completion"] is None and jc["ahead"] is None
    assert "任务为 0 万元" in jc["note"]
    assert any(m.startswith("金昌市：任务为 0") for m in result.messages)
    assert any("2025年金昌市的任务为 0 万元" in m for m in result.messages)   # from checking the config


def test_bad_unit_keys_and_values_in_task_overrides_are_reported():
    cfg = _cfg()
    cfg["tasks"]["overrides"] = {"2025": {"兰州": 100, "999999": 5, "620200": "五百"}}
    messages = settings.load_settings(cfg).messages
    assert any("“兰州”不是被考核单位代码，应写作统计代码 620100" in m for m in messages)
    assert any("“999999”不是被考核单位代码" in m for m in messages)
    assert any("嘉峪关市的任务“五百”不是数字" in m for m in messages)
    # A non-numeric override does not take effect: the default rule applies.
    assert quotas.annual_task_wan("620200", 2025, Decimal("100"), cfg) == Decimal("120.0000")


def test_broken_sections_fall_back_with_messages():
    cfg = _cfg(**{"tiers.labels": ["一档"], "stalled.no_money_months": 0, "forecast.interval_level": 1.5})
    cfg["tasks"]["overrides"] = {}
    cfg["doubling"]["baseline"] = {"from": "2023-12", "to": "2021-01"}
    s = settings.load_settings(cfg)
    assert s.baseline is None and any("基期 baseline" in m for m in s.messages)
    assert [t.label for t in s.tiers] == ["10亿元以上", "20亿元以上", "50亿元以上", "100亿元以上"]
    assert s.stall.no_money_months == 3 and s.forecast_level == 0.8
    assert len(s.messages) == 4


def test_province_progress_month_by_month_against_a_milestone(snap):
    config = settings.load_settings(_cfg(**{"province.milestones_yi": {"2025": 100}}))  # 100亿 = 1,000,000 万元
    p = province.province_progress(snap, MARCH, config)
    assert p.target_wan == Decimal("1000000")
    rows = p.months.frame.to_dicts()
    assert [r["ytd_wan"] for r in rows] == [Decimal("113200"), Decimal("225200"), Decimal("337900.0002")]
    assert rows[2]["expected_wan"] == Decimal("250000.0000") and rows[2]["ahead"] is True
    assert rows[2]["completion"] == Decimal("0.3379")
    # Year on year: Jan–Mar 2024 was 3 × (83333.3334 + 10000) = 280000.0002
    assert rows[2]["yoy"] == (Decimal("337900.0002") / Decimal("280000.0002") - 1).quantize(Decimal("0.0001"))
    # One complete past year (2024): a point forecast, no interval, and it says so.
    assert rows[2]["forecast_wan"] is not None and rows[2]["forecast_low_wan"] is None
    assert any("无法估计预测区间" in m for m in p.messages)
    assert any("仅 3/15 个单位已报送" in m for m in p.messages)


def test_province_target_without_milestone_is_last_year_plus_required_growth(snap):
    config = settings.load_settings(_cfg(**{"province.milestones_yi": {}}))
    p = province.province_progress(snap, MARCH, config)
    total_2024 = Decimal("1000000.0008") + Decimal("120000") + Decimal("6000")
    assert p.target_wan == (total_2024 * Decimal("1.15")).quantize(Decimal("0.0001"))
    assert p.target_source == "上年实绩×(1+0.15)"


def test_funds_drill_down_adds_up_to_the_figure(snap):
    unit = unit_tasks.funds_projects(snap, MARCH, "620100")
    assert unit.frame["funds_wan"].sum() == Decimal("300000.0003")
    assert unit.frame["project_id"].to_list() == ["LZ1"]          # 省内市州外 project is not behind the figure
    whole = unit_tasks.funds_projects(snap, MARCH)
    assert whole.frame["funds_wan"].sum() == Decimal("337900.0002")


def test_display_shows_yi_with_two_decimals_and_percentages(snap):
    result = unit_tasks.units_vs_tasks(snap, MARCH, settings.load_settings(_cfg()))
    shown = result.table.display()
    assert "年度任务（亿元）" in shown.columns and "任务完成率（%）" in shown.columns
    lz = shown.row(0, named=True)
    assert lz["被考核单位"] == "兰州市"
    assert lz["年度任务（亿元）"] == Decimal("120.00") and lz["任务完成率（%）"] == Decimal("25.00")
    assert shown.row(1, named=True)["达到序时进度"] == "否"
    assert "序时进度（%）" in result.table.definitions()
    assert [f.text() for f in result.figures] == ["1", "134.40", "11"]    # 120 + 14.4 + 0 亿元 of tasks
    assert money.wan_to_yi(Decimal("12345.0000")) == Decimal("1.23")
    assert money.wan_to_yi(Decimal("15000")) == Decimal("1.50")
    assert money.wan_to_yi(Decimal("4950")) == Decimal("0.50")          # half up, as published


def test_empty_warehouse_gives_no_result(tmp_path):
    from warehouse import store
    store.initialise(tmp_path / "empty.duckdb")
    snap = store.current_snapshot(tmp_path / "empty.duckdb")
    assert unit_tasks.units_vs_tasks(snap) is None and province.province_progress(snap) is None


def test_the_chart_path_has_last_year_the_calendar_and_the_forecast_from_the_chosen_month(snap):
    config = settings.load_settings(_cfg(**{"province.milestones_yi": {"2025": 100}}))
    p = province.province_progress(snap, MARCH, config)
    rows = p.path.frame.to_dicts()
    assert [r["month"] for r in rows] == [dt.date(2025, m, 1) for m in range(1, 13)]
    assert [r["ytd_wan"] for r in rows[:3]] == [r["ytd_wan"] for r in p.months.frame.to_dicts()]
    assert all(r["ytd_wan"] is None for r in rows[3:])
    # 2024: 兰州 83333.3334 + 嘉峪关 10000 a month, 白银 1000 a month from July
    assert rows[0]["last_year_wan"] == Decimal("93333.3334")
    assert rows[11]["last_year_wan"] == Decimal("1000000.0008") + Decimal("120000") + Decimal("6000")
    assert rows[5]["calendar_wan"] == Decimal("500000.0000") and rows[11]["calendar_wan"] == Decimal("1000000")
    # the fan starts at the YTD in March and ends at the year-end forecast
    assert all(r["forecast_wan"] is None for r in rows[:2])
    assert rows[2]["forecast_wan"] == rows[2]["ytd_wan"].quantize(Decimal("0.0001"))
    assert rows[11]["forecast_wan"] == p.year_end.point_wan


def test_backtest_is_shown_with_its_error_at_this_horizon_or_why_not(snap):
    p = province.province_progress(snap, MARCH, settings.load_settings(_cfg()))
    assert p.backtest.frame.is_empty() and p.backtest_error.value is None
    assert "完整年度不足两个" in p.backtest_error.note
    # three complete years with different Decembers, then 2026 through October (horizon 2)
    shapes = {2023: "0.30", 2024: "0.40", 2025: "0.35"}
    rows = []
    for year, dec in shapes.items():
        rest = (Decimal(1100) * (1 - Decimal(dec)) / 11).quantize(Decimal("0.0001"))
        rows += [(dt.date(year, m, 1), rest) for m in range(1, 12)] + [(dt.date(year, 12, 1), Decimal(1100) * Decimal(dec))]
    rows += [(dt.date(2026, m, 1), Decimal(70)) for m in range(1, 11)]
    monthly = pl.DataFrame(rows, schema={"month": pl.Date, "funds_month_wan": pl.Decimal(18, 4)}, orient="row")
    table, figure = province.backtest_view(monthly, dt.date(2026, 10, 1), 0.8)
    assert table.frame["horizon"].to_list() == list(range(1, 12))
    assert table.frame["forecasts"].to_list() == [2] * 11             # 2024 and 2025 are back-tested
    at_two = table.frame.filter(pl.col("horizon") == 2).row(0, named=True)
    assert figure.label == "回测误差（提前 2 个月）" and figure.value == tables.percent(at_two["mape"])
    assert "2024–2025年 2 次回测" in figure.note and "1 次" in figure.note   # 2025 alone had an interval
    assert "平均绝对百分比误差（%）" in table.display().columns


def test_table_helpers_filter_sort_plot_and_format(snap):
    result = unit_tasks.units_vs_tasks(snap, MARCH, settings.load_settings(_cfg()))
    table = result.table
    assert table.where(unit_code="620200").frame["unit_name"].to_list() == ["嘉峪关市"]
    by_gap = table.sort_by("gap_task_wan")
    assert by_gap.frame["unit_code"].to_list()[:2] == ["620100", "620200"]   # largest gap first, unknown last
    assert by_gap.frame["gap_task_wan"].to_list()[-1] is None
    assert table.plotted("task_wan")[:2] == [120.0, 14.4]                  # 亿元 as shown, for a chart
    assert table.plotted("completion")[0] == 25.0
    formats = table.column_formats()
    assert formats["年度任务（亿元）"] == ("number", "%.2f") and "被考核单位" not in formats
    months = province.province_progress(snap, MARCH, settings.load_settings(_cfg())).months
    assert months.column_formats()["月份"] == ("date", "YYYY-MM")


def test_xlsx_is_the_table_as_shown_with_its_definitions_and_no_formulas(snap):
    import io

    import openpyxl

    result = unit_tasks.units_vs_tasks(snap, MARCH, settings.load_settings(_cfg()))
    book = openpyxl.load_workbook(io.BytesIO(result.table.xlsx()))
    ws = book.active
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0][0] == result.table.title
    header = rows[1]
    assert header[:3] == ["被考核单位", "报送情况", "年度任务（亿元）"]
    body = {r[0]: dict(zip(header, r)) for r in rows[2:17]}
    assert len(body) == 15 and body["兰州市"]["年度任务（亿元）"] == 120.0 and body["兰州市"]["达到序时进度"] == "是"
    assert body["甘南藏族自治州"]["报送情况"] == "尚未报送2025年数据" and body["甘南藏族自治州"]["任务完成率（%）"] is None
    notes = [r[0] for r in rows[18:]]
    assert notes[0] == "口径说明" and any(n.startswith("序时进度（%）：") for n in notes)
    evil = tables.Table("=HYPERLINK(\"x\")", pl.DataFrame({"a": ["=1+1", "+cmd", "正常"]}), (tables.Column("a", "名称"),))
    cells = [c.value for c in openpyxl.load_workbook(io.BytesIO(evil.xlsx())).active["A"]]
    assert cells[:4] == ["'=HYPERLINK(\"x\")", "名称", "'=1+1", "'+cmd"] and cells[4] == "正常"


def test_one_sentence_says_why_the_province_and_its_units_differ(snap):
    config = settings.load_settings(_cfg(**{"province.milestones_yi": {"2025": 100}}))
    p = province.province_progress(snap, MARCH, config)
    tasks = p.units.table.frame["task_wan"].drop_nulls()
    total = tasks.sum()
    assert total > p.target_wan          # units' tasks (last year × 1.2 each) sum above the province target
    sentence = province.gap_sentence(p)
    assert f"各单位下达任务合计 {money.wan_to_yi(total):,} 亿元（{tasks.len()} 个单位）" in sentence
    assert f"高于全省年度目标 100.00 亿元（省定目标（2025年））{money.wan_to_yi(total - p.target_wan):,} 亿元" in sentence
    assert "上年实绩×" in sentence and "全省完成率以全省目标为分母，单位完成率以各自任务为分母" in sentence
    assert "当前全省达到序时进度" in sentence, sentence
