"""抽样核查 page through AppTest: the numbers equal the analytics, drawing records exactly the previewed sample,
results upload all-or-nothing, downloads exist, and only leaders and admins get in (only admins write)."""
from __future__ import annotations

import io
import json
import re

import openpyxl
import polars as pl
import pytest
from test_risk_rules import plant
from test_sampling_warehouse import Builder, background

from analytics.verification import results, sampling, scoring, worklist
from analytics.verification.sampling import Design
from tests.apptest_support import app_as, clear_caches, shown_text
from warehouse import accounts, store
from warehouse.queries import sampling as q

PAGE = "pages/verification.py"
QUARTER = "2025Q3"
TODAY = "2025-11-27"


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    """A read-only warehouse with planted risk cases (nothing written to it by the tests)."""
    b = Builder(tmp_path_factory.mktemp("pages_verification") / "w.duckdb")
    background(b, 50)   # enough amounts per unit for an informative digit test
    plant(b)
    return b.write()


@pytest.fixture
def seen(rich, monkeypatch):
    monkeypatch.setenv("DASHBOARD_TODAY", TODAY)
    monkeypatch.setenv("WAREHOUSE", str(rich))
    return rich


@pytest.fixture
def small(tmp_path, monkeypatch):
    """A fresh warehouse of 40 ordinary projects, for the tests that draw and import."""
    monkeypatch.setenv("DASHBOARD_TODAY", TODAY)
    b = Builder(tmp_path / "w.duckdb")
    background(b, 10, start="2025-04", months=6)
    path = b.write()
    monkeypatch.setenv("WAREHOUSE", str(path))
    return path


def render(username, warehouse, **state):
    at = app_as(username, warehouse, PAGE)
    at.session_state["quarter"] = QUARTER
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def metric(at, label) -> str:
    return next(m.value for m in at.metric if m.label == label)


def table(at, column):
    """The first displayed table with this column header (a pandas frame)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def chart(at, key) -> dict:
    return json.loads(next(c.proto.spec for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")))


def downloads(at) -> list[str]:
    return [b.label for b in at.get("download_button")]


def button(at, label):
    return next(b for b in at.button if b.label == label)


def audit_events(warehouse) -> list[tuple[str, str, str]]:
    return [(e.event, e.username, e.detail) for e in accounts.recent_audit(50, warehouse=warehouse)]


# ---------------------------------------------------------------------------- reading


def test_overview_shows_the_quarters_risk_as_the_analytics_compute_it(seen):
    at = render("admin", seen)
    assert not at.exception
    result = sampling.quarter_risk(store.current_snapshot(seen), QUARTER)
    p = result.projects
    assert metric(at, "本季度项目") == f"{p.height:,} 个"
    assert metric(at, "高风险项目") == f"{int((p['risk_score'] >= scoring.HIGH_RISK).sum()):,} 个"
    assert metric(at, "有风险信号的项目") == f"{int((p['reasons'].list.len() > 0).sum()):,} 个"
    heat = chart(at, "vs_heatmap")["data"][0]
    assert heat["type"] == "heatmap" and len(heat["x"]) == 6 and len(heat["y"]) == 4
    cell = result.heatmap.filter((pl.col("unit_code") == "620500") & (pl.col("family") == "digits")).row(0, named=True)
    row, col = heat["y"].index(cell["unit_name"]), heat["x"].index(cell["family_name"])
    assert heat["text"][row][col] == cell["flagged"] >= 12          # the planted digit fabrications
    assert heat["z"][row][col] == pytest.approx(100 * cell["flagged"] / cell["projects"])
    units = table(at, "有风险信号（个）")
    high = dict(result.units.select("unit_name", "high_risk").iter_rows())
    assert dict(zip(units["被考核单位"], units["高风险（个）"])) == high
    assert "下载单位风险汇总（xlsx）" in downloads(at)


def test_benford_tab_shows_each_units_test_and_says_when_n_is_small(seen):
    at = render("admin", seen, vs_benford_period="近24个月", vs_benford_unit="620500")
    assert not at.exception
    report = scoring.digit_report(store.current_snapshot(seen), QUARTER)
    window = report.summary.filter(pl.col("period") == "近24个月")
    shown = table(at, "金额个数 N（个）")
    assert dict(zip(shown["被考核单位"], shown["金额个数 N（个）"])) == dict(window.select("unit_name", "n").rows())
    verdict = dict(zip(shown["被考核单位"], shown["结论"]))
    assert verdict["天水市"].startswith("明显偏离")                  # 620500: the planted digits
    bars = chart(at, "vs_benford_digits")["data"]
    observed = report.tables.filter((pl.col("unit_code") == "620500") & (pl.col("period") == "近24个月"))
    assert bars[0]["y"] == pytest.approx((observed["observed"] * 100).to_list())
    assert len(bars[1]["y"]) == 90                                  # first-two digits 10–99
    assert "MAD" in json.dumps(chart(at, "vs_benford_mad"))
    # the quarter alone has far fewer amounts than a digit test needs: the page says so
    at.radio(key="vs_benford_period").set_value(QUARTER).run()
    assert any("少于 300 个" in w.value and "说明力有限" in w.value for w in at.warning)
    at.radio(key="vs_benford_test").set_value("first").run()
    assert len(chart(at, "vs_benford_digits")["data"][0]["y"]) == 9
    assert "下载本福特检验结果（xlsx）" in downloads(at)


def test_risk_list_is_ranked_filtered_and_explained(seen):
    at = render("admin", seen, vs_list_units=["620500"], vs_list_families=["digits"])
    assert not at.exception
    result = sampling.quarter_risk(store.current_snapshot(seen), QUARTER)
    expected = scoring.project_table(result.projects, ("620500",), ("digits",))
    shown = table(at, "风险提示")
    assert list(shown["项目编号"]) == expected["project_id"].to_list()
    assert list(shown["风险排名"]) == expected["risk_rank"].to_list()
    assert set(shown["被考核单位"]) == {"天水市"} and all("数字特征" in f for f in shown["命中信号类别"])
    assert {f"FAB{k:02d}" for k in range(12)} <= set(shown["项目编号"])
    assert "下载风险项目清单（xlsx）" in downloads(at)
    # the first project's signals are listed in Chinese
    top = expected.row(0, named=True)
    assert all(re.sub(r"^【[^】]+】", "", reason).split("（")[0] in shown_text(at).replace("\\", "")
               for reason in top["reasons"][:1])


# ---------------------------------------------------------------------------- drawing


def test_admin_previews_then_records_exactly_the_previewed_sample(small):
    at = render("admin", small, vs_probability=8, vs_certainty=4, vs_seed=11, vs_lambda=0.7)
    assert not at.exception
    snap = store.current_snapshot(small)
    result = sampling.quarter_risk(snap, QUARTER)
    expected = sampling.draw(result.projects, QUARTER, Design.from_sizes(8, 4, 11, 0.7), result.weights)
    assert (metric(at, "样本量"), metric(at, "确定层"), metric(at, "概率层")) == ("12 个", "4 个", "8 个")
    assert metric(at, "概率层占比") == f"{8 / 12:.1%}"
    assert metric(at, "建议概率层样本量") == f"{sampling.attribute_sample_size(0.95, 0.05, 0.0)} 个"
    preview = table(at, "抽样原因")
    assert list(preview["项目编号"]) == expected.items["project_id"].to_list()
    assert list(preview["抽样层"][:4]) == ["确定层"] * 4
    assert downloads(at).count("下载核查清单（xlsx）") == 0       # a preview is not a work list

    button(at, "抽取并记录样本").click()
    at.run()
    assert not at.exception
    assert any("已记录样本 2025Q3-001" in s.value for s in at.success)
    recorded = sampling.load_sample(store.current_snapshot(small), "2025Q3-001")
    assert recorded.items["project_id"].to_list() == expected.items["project_id"].to_list()
    assert (recorded.seed, recorded.drawn_by, recorded.data_hash) == (11, "admin", expected.data_hash)
    assert recorded.params["lambda"] == 0.7 and recorded.certainty_size == 4
    assert downloads(at).count("下载核查清单（xlsx）") == 2       # right after drawing, and in the records tab
    history = table(at, "数据指纹（SHA-256）")
    assert list(history["样本编号"]) == ["2025Q3-001"] and list(history["随机种子"]) == [11]
    assert any(e == "sample" and u == "admin" and "2025Q3-001" in d for e, u, d in audit_events(small))

    # the same seed on the same data returns the recorded sample: nothing new is written
    button(at, "抽取并记录样本").click()
    at.run()
    assert any("未重复记录" in i.value for i in at.info)
    assert q.samples(store.current_snapshot(small)).height == 1


def test_invalid_parameters_are_explained_not_drawn(small):
    at = render("admin", small, vs_probability=5, vs_certainty=30)
    assert not at.exception
    assert any("确定层占比" in e.value for e in at.error)
    assert not [b for b in at.button if b.label == "抽取并记录样本"]


def test_adopting_the_suggested_size(small):
    at = render("admin", small, vs_probability=3)
    at.number_input(key="vs_size_tolerable").set_value(10.0).run()
    suggested = sampling.attribute_sample_size(0.95, 0.10, 0.0)           # 29
    assert metric(at, "建议概率层样本量") == f"{suggested} 个"
    button(at, "采用建议样本量").click()
    at.run()
    assert at.number_input(key="vs_probability").value == suggested
    assert at.number_input(key="vs_certainty").value == min(Design.default_certainty(suggested), 40 - suggested)


# ---------------------------------------------------------------------------- results


def filled(sample, bad_ids=(), outcome_of=None) -> bytes:
    """The sample's work list as the firm returns it: every row concluded."""
    wb = openpyxl.load_workbook(io.BytesIO(worklist.work_list_xlsx(sample)))
    ws = wb["核查清单"]
    col = {c.value: c.column for c in ws[1]}
    for r in range(2, ws.max_row + 1):
        pid = ws.cell(r, col["项目编号"]).value
        ws.cell(r, col["核查结论"], (outcome_of or {}).get(pid, "存在差异" if pid in bad_ids else "核实无误"))
        ws.cell(r, col["核实金额（万元）"], 88.5)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_admin_imports_results_and_sees_the_projection(small):
    s = sampling.record_draw(small, QUARTER, Design.from_sizes(8, 4, 5), "admin")
    bad = s.items.filter(pl.col("stratum") == "probability")["project_id"][:2].to_list()
    at = render("admin", small)
    assert metric(at, "概率层已核查") == "0/8 个" and metric(at, "推算差错率") == "—"
    at.file_uploader(key="vs_results_file").upload("核查结果.xlsx", filled(s, bad), "application/octet-stream")
    at.run()
    button(at, "导入核查结果").click()
    at.run()
    assert not at.exception
    assert any("导入 12 条核查结果" in m.value for m in at.success)
    projection = results.evaluate_sample(store.current_snapshot(small), s.sample_id)
    assert projection.errors == 2
    assert metric(at, "概率层已核查") == "8/8 个"
    assert metric(at, "推算差错率") == f"{projection.rate:.1%}"
    assert metric(at, "95% 置信上限") == f"{projection.upper:.1%}"
    findings = table(at, "核查结论")
    assert sorted(findings["核查结论"]) == sorted(["存在差异"] * 2 + ["核实无误"] * 10)
    precision = table(at, "命中率（%）")
    assert set(precision["层级"]) <= {"信号类别", "具体信号"} and precision["已核查项目（个）"].max() <= 12
    assert metric(at, "核查标签") == "12 条"
    assert {"下载核查结果（xlsx）", "下载信号命中率（xlsx）"} <= set(downloads(at))
    assert any(e == "import_results" and "导入 12 条" in d for e, _, d in audit_events(small))


def test_a_bad_results_file_is_refused_whole_with_chinese_reasons(small):
    s = sampling.record_draw(small, QUARTER, Design.from_sizes(8, 4, 5), "admin")
    first = s.items["project_id"][0]
    at = render("admin", small)
    at.file_uploader(key="vs_results_file").upload("核查结果.xlsx", filled(s, outcome_of={first: "差不多"}),
                                                   "application/octet-stream")
    at.run()
    button(at, "导入核查结果").click()
    at.run()
    assert not at.exception
    message = next(e.value for e in at.error)
    assert "未写入任何数据" in message and "核查结论“差不多”无效" in message
    assert q.verification_results(store.current_snapshot(small)).is_empty()
    at.file_uploader(key="vs_results_file").upload("损坏.xlsx", b"not a workbook", "application/octet-stream")
    at.run()
    button(at, "导入核查结果").click()
    at.run()
    assert any("无法读取文件“损坏.xlsx”" in e.value for e in at.error)
    assert q.verification_results(store.current_snapshot(small)).is_empty()


# ---------------------------------------------------------------------------- who may do what


def test_leader_sees_everything_but_cannot_draw_or_import(small):
    sampling.record_draw(small, QUARTER, Design.from_sizes(8, 4, 5), "admin")
    at = render("leader", small, vs_probability=8, vs_certainty=4)
    assert not at.exception
    assert not [b for b in at.button if b.label in ("抽取并记录样本", "导入核查结果")]
    assert not at.get("file_uploader")
    text = shown_text(at)
    assert "当前账户只能预览" in text and "导入核查结果需要" in text
    assert downloads(at).count("下载核查清单（xlsx）") == 1        # the recorded sample's work list
    assert metric(at, "样本量") == "12 个"                          # the preview


def test_reporter_is_refused(small):
    at = render("lanzhou", small)
    assert not at.exception
    assert any("无权访问" in e.value for e in at.error)
    assert not at.dataframe and not at.get("plotly_chart") and not at.get("download_button")
    assert any(e == "access_denied" and u == "lanzhou" for e, u, _ in audit_events(small))


def test_leaders_read_plain_chinese_without_config_paths_or_method_names(seen):
    """A leader's page names no config file and no English method name; strengths are said in words. The
    method names live only in the admins' 技术信息 expander."""
    at = render("leader", seen)
    assert not at.exception
    text = shown_text(at) + "\n".join(str(c.value) for c in at.caption)
    for word in ("config/", "sampling.toml", "ECOD", "logistic", "AICPA", "Nigrini", "jfa"):
        assert word not in text, word
    assert "先验权重（配置）" in text and "强证据" in text
    assert not [e for e in at.expander if e.label == "技术信息"]
    admin = render("admin", seen)
    assert [e for e in admin.expander if e.label == "技术信息"]
