"""目标进度, 重大项目与三个500强 and 项目全周期 through AppTest: the numbers equal the analytics, the drill-downs
lead to the projects behind them, every table downloads, and only leaders and admins get in."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from test_targets_warehouse import make_warehouse

from analytics.targets import doubling, lifecycle, province
from tests.apptest_support import app_as, clear_caches
from warehouse import store

TARGETS, MAJOR, LIFECYCLE = "pages/targets.py", "pages/major_projects.py", "pages/lifecycle.py"
MARCH, FEBRUARY = dt.date(2025, 3, 1), dt.date(2025, 2, 1)
LISTED_USCC = "91110000MA00000011"


def m(unit, mon, pid, **kw):
    return {"unit_code": unit, "month": mon, "project_id": pid, **kw}


def _rows():
    rows, cum = [], Decimal(0)
    # 兰州: one 10亿元 project signed in 2023 bringing money every month of 2023–2025Q1
    for y, amount in ((2023, "1000"), (2024, "1200"), (2025, "1500")):
        for i in range(1, 13 if y < 2025 else 4):
            cum += Decimal(amount)
            rows.append(m("620100", f"{y}-{i:02d}", "LZ1", signing_date="2023-01-10", planned_investment_wan="150000",
                          signed_amount_wan="100000", funds_month_wan=amount, funds_cum_wan=str(cum),
                          start_date="2023-02-01"))
    # 兰州: a 20亿元 project of a listed 世界500强 investor signed in February 2025, not started yet
    for mon in ("2025-02", "2025-03"):
        rows.append(m("620100", mon, "LZ2", signing_date="2025-02-10", planned_investment_wan="200000",
                      status="已签约未开工", start_date=None, investor_name="环球能源集团有限公司",
                      investor_uscc=LISTED_USCC, fortune500="世界500强", is_high_tech=True))
    # 嘉峪关: money through 2024 and 2025Q1; a signing of 2023 never started; an unverified 500强 claim in March
    cum = Decimal(0)
    for y, amount in ((2024, "500"), (2025, "600")):
        for i in range(1, 13 if y < 2025 else 4):
            cum += Decimal(amount)
            rows.append(m("620200", f"{y}-{i:02d}", "JY1", signed_amount_wan="20000", funds_month_wan=amount,
                          funds_cum_wan=str(cum)))
    for mon in ("2025-01", "2025-02", "2025-03"):
        rows.append(m("620200", mon, "JY2", signing_date="2023-06-01", status="已签约未开工", start_date=None))
    rows.append(m("620200", "2025-03", "JY3", signing_date="2025-03-05", investor_name="某某控股有限公司",
                  fortune500="中国企业500强", status="已签约未开工", start_date=None))
    # 金昌: a project reported 停滞 for the whole quarter
    for mon in ("2025-01", "2025-02", "2025-03"):
        rows.append(m("620300", mon, "JC1", status="停滞", start_date="2024-05-01", funds_cum_wan="10"))
    return rows


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    snap = make_warehouse(tmp_path_factory.mktemp("pages_targets"), _rows(),
                          five_hundred=[("世界500强", 2024, "环球能源集团有限公司", LISTED_USCC)])
    return snap.path.parent.parent / "wh.duckdb", snap


@pytest.fixture
def warehouse(built, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(built[0]))
    monkeypatch.setenv("DASHBOARD_TODAY", "2025-04-20")
    clear_caches()
    yield built[0]
    clear_caches()


@pytest.fixture
def snap(built):
    return built[1]


def run(user, warehouse, page, quarter="2025Q1"):
    at = app_as(user, warehouse, page)
    at.session_state["quarter"] = quarter          # what the sidebar's 考核季度 picker holds
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame_with(at, header: str, last: bool = False):
    """The first (or last) table on the page with this column header (pandas, as AppTest gives it)."""
    tables = [d.value for d in at.dataframe if header in d.value.columns]
    return tables[-1 if last else 0]


def chart(at, key: str) -> dict:
    return json.loads(next(c.proto.spec for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")))


def downloads(at) -> set[str]:
    return {b.proto.id.rsplit("-download_", 1)[-1] for b in at.get("download_button")}


def figure_checks(at, figures):
    shown = metrics(at)
    for f in figures:
        assert shown[f"{f.label}（{f.unit}）"] == f.text(), f.label


# ----------------------------------------------------------------------------- 目标进度

def test_targets_page_shows_the_analytics_numbers_and_every_table_downloads(warehouse, snap):
    at = run("admin", warehouse, TARGETS)
    progress = province.province_progress(snap, MARCH)
    figure_checks(at, progress.figures)
    figure_checks(at, (progress.backtest_error,))
    assert progress.backtest_error.value is not None                      # 2024 back-tested from 2023
    assert metrics(at)["年初至今到位资金（亿元）"] == "0.63"                  # 3 × 1500 + 3 × 600 万元
    units = frame_with(at, "任务完成率（%）")
    assert len(units) == 15
    by_unit = units.set_index("被考核单位")
    assert by_unit.loc["兰州市", "年初至今到位资金（亿元）"] == Decimal("0.45")
    assert by_unit.loc["兰州市", "任务完成率（%）"] == Decimal("26.04")     # 4500 ÷ (14400 × 1.2)
    assert by_unit.loc["甘南藏族自治州", "报送情况"] == "尚未报送2025年数据"
    assert "尚未报送2025年数据" in chart(at, "units_chart")["data"][0]["text"]   # marked in the chart too
    backtest = frame_with(at, "平均绝对百分比误差（%）")
    assert list(backtest["提前月数（个月）"]) == list(range(1, 12))
    assert downloads(at) == {"province_months", "milestones", "backtest", "units"}
    assert [t.get("name") for t in chart(at, "province_path")["data"]][-1] == "序时目标"


def test_the_month_picker_moves_every_figure(warehouse, snap):
    at = run("leader", warehouse, TARGETS)
    at.selectbox(key="targets_month_2025Q1").set_value(FEBRUARY).run()
    assert not at.exception
    figure_checks(at, province.province_progress(snap, FEBRUARY).figures)
    assert metrics(at)["年初至今到位资金（亿元）"] == "0.42"
    # the months offered follow the sidebar's quarter
    at = run("leader", warehouse, TARGETS, quarter="2024Q4")
    assert at.selectbox(key="targets_month_2024Q4").options == ["2024年12月", "2024年11月", "2024年10月"]
    figure_checks(at, province.province_progress(snap, dt.date(2024, 12, 1)).figures)
    assert metrics(at)["年初至今到位资金（亿元）"] == "2.04"                  # 12 × 1200 + 12 × 500 万元


def test_funds_drill_down_lists_the_projects_behind_the_figure(warehouse, snap):
    at = run("admin", warehouse, TARGETS)
    assert "全省年初至今到位资金（亿元）" not in metrics(at)                 # nothing loaded until asked
    at.selectbox(key="targets_funds_unit").set_value("").run()
    assert metrics(at)["全省年初至今到位资金（亿元）"] == metrics(at)["年初至今到位资金（亿元）"]
    at.selectbox(key="targets_funds_unit").set_value("620100").run()
    assert not at.exception
    assert metrics(at)["兰州市年初至今到位资金（亿元）"] == "0.45"
    assert any(m.value.startswith("**兰州市2025年1月至2025年3月到位资金项目明细（2 个项目）") for m in at.markdown)
    projects = frame_with(at, "期间到位资金（亿元）")
    assert set(projects["项目编号"]) == {"LZ1", "LZ2"}
    assert sum(projects["期间到位资金（亿元）"]) == Decimal("0.45")
    assert "funds_projects" in downloads(at)


# ----------------------------------------------------------------------------- 重大项目与三个500强

def test_major_page_counts_enterprises_once_and_marks_unverified_claims(warehouse, snap):
    at = run("admin", warehouse, MAJOR)
    overview = doubling.major_overview(snap, MARCH)
    figure_checks(at, overview.figures)
    assert metrics(at)["目标期10亿元以上项目（个）"] == "1"                  # LZ2; LZ1 was signed in the baseline
    assert metrics(at)["目标期三个500强企业（家）"] == "2"
    enterprises = frame_with(at, "企业标识").set_index("企业名称")
    assert enterprises.loc["环球能源集团有限公司", "已核实"] == "是"
    assert enterprises.loc["某某控股有限公司", "已核实"] == "否"
    new_this_month = frame_with(at, "名录核实")
    assert list(new_this_month["项目编号"]) == ["JY3"]                    # signed in March 2025
    summary = frame_with(at, "翻番目标")
    assert list(summary["指标"]) == list(overview.doubling.summary.frame["measure"])
    assert {"doubling_summary", "doubling_path", "by_unit", "by_chain", "new_month", "new_quarter",
            "enterprises"} <= downloads(at)
    assert any("未能在对应年度名录中核实" in w.value for w in at.warning)


def test_major_drill_down_from_a_count_to_its_projects(warehouse, snap):
    at = run("leader", warehouse, MAJOR)
    at.selectbox(key="major_drill_measure").set_value("10亿元以上")
    at.radio(key="major_drill_period").set_value("baseline")
    at.selectbox(key="major_drill_scope").set_value("unit:620100").run()
    assert not at.exception
    assert list(frame_with(at, "规模档次", last=True)["项目编号"]) == ["LZ1"]
    at.selectbox(key="major_drill_enterprise").set_value(LISTED_USCC).run()
    assert not at.exception
    assert list(frame_with(at, "名录核实", last=True)["项目编号"]) == ["LZ2"]
    assert {"doubling_projects", "enterprise_projects"} <= downloads(at)


# ----------------------------------------------------------------------------- 项目全周期

def test_lifecycle_page_funnel_stalled_list_and_a_project_history(warehouse, snap):
    at = run("admin", warehouse, LIFECYCLE)
    overview = lifecycle.lifecycle_overview(snap, MARCH)
    figure_checks(at, overview.figures)
    funnel = frame_with(at, "开工率（%）").set_index("被考核单位")
    expected = overview.funnel.display().to_pandas().set_index("被考核单位")
    assert funnel.loc["全省", "签约项目（个）"] == expected.loc["全省", "签约项目（个）"] == 6
    assert funnel.loc["嘉峪关市", "已开工（个）"] == 1
    stalled = frame_with(at, "停滞规则").set_index("项目编号")
    assert stalled.loc["JY2", "停滞规则"] == "签约未开工" and stalled.loc["JY2", "停滞时长（月）"] == 21
    assert stalled.loc["JC1", "停滞规则"] == "报告停滞"
    assert {"funnel", "by_rule", "stalled"} <= downloads(at)

    at.selectbox(key="lc_drill_stage").set_value("stalled")
    at.selectbox(key="lc_drill_unit").set_value("620200").run()
    assert not at.exception
    assert metrics(at)["嘉峪关市 · 停滞项目（个）"] == "1"
    at.selectbox(key="lc_drill_project").set_value(("620200", "JY2")).run()
    assert not at.exception
    history = frame_with(at, "报表行号")
    assert [str(x)[:7] for x in history["统计月份"]] == ["2025-01", "2025-02", "2025-03"]
    assert set(history["项目状态"]) == {"已签约未开工"}
    assert {"funnel_projects", "project_history"} <= downloads(at)


def test_lifecycle_cohort_filter(warehouse, snap):
    at = run("leader", warehouse, LIFECYCLE)
    assert at.selectbox(key="lc_cohort").options == ["全部项目", "2025年签约的项目", "2024年签约的项目",
                                                     "2023年签约的项目"]
    at.selectbox(key="lc_cohort").set_value(2025).run()
    assert not at.exception
    funnel = frame_with(at, "开工率（%）").set_index("被考核单位")
    assert funnel.loc["全省", "签约项目（个）"] == 2                       # LZ2 and JY3


# ----------------------------------------------------------------------------- access and empty data

@pytest.mark.parametrize("page", [TARGETS, MAJOR, LIFECYCLE])
def test_reporters_are_refused(warehouse, page):
    at = app_as("lanzhou", warehouse, page).run()
    assert not at.exception
    assert any("无权访问" in e.value for e in at.error)
    assert not at.dataframe and not at.metric


def test_empty_warehouse_says_so_on_every_page(tmp_path, monkeypatch):
    path = tmp_path / "empty.duckdb"
    store.initialise(path)
    monkeypatch.setenv("WAREHOUSE", str(path))
    clear_caches()
    for page in (TARGETS, MAJOR, LIFECYCLE):
        at = run("admin", path, page)
        assert any("尚无报送数据" in i.value for i in at.info) and not at.dataframe
    clear_caches()
