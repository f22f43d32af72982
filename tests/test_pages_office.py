"""表扬与约谈 and 督办 pages through the real app."""
from __future__ import annotations

import pytest

from tests.apptest_support import app_as, clear_caches, shown_text
from tests.test_ranking_warehouse import HandWarehouse, fill

LISTS = "pages/office_lists.py"


@pytest.fixture
def wh(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    fill(HandWarehouse(path))
    monkeypatch.setenv("WAREHOUSE", str(path))
    monkeypatch.setenv("DASHBOARD_TODAY", "2025-10-20")
    clear_caches()
    yield path
    clear_caches()


def run(user, wh, page):
    at = app_as(user, wh, page, timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_lists_page_shows_the_rules_and_says_when_nothing_is_published(wh):
    at = run("leader", wh, LISTS)
    text = shown_text(at)
    assert "通报表扬：季度已发布综合排名前3位（含并列）" in text
    assert "综合排名尚未发布（或尚未签批）" in text and "拟约谈" in text
    reporter = run("lanzhou", wh, LISTS)
    assert "表扬与约谈" not in [t.value for t in reporter.title]


SUPERVISION = "pages/supervision.py"


def click(at, label: str):
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_supervision_round_trip_admin_dispatches_reporter_answers_admin_sees(wh):
    at = run("admin", wh, SUPERVISION)
    assert "目前没有督办清单。" in [i.value for i in at.info]
    at = click(at, "派发督办清单")
    assert any("已向 3 个单位派发2025年9月停滞项目督办清单" in s.value for s in at.success), shown_text(at)

    rep = run("lanzhou", wh, SUPERVISION)
    assert not [b for b in rep.button if b.label == "派发督办清单"]             # a reporter cannot dispatch
    projects = next(s for s in rep.selectbox if s.key == "ans_project")
    assert set(projects.options) == {"620100-2 项目620100-2", "620100-base 项目620100-base"}  # own unit only
    projects.set_value("620100-2")
    next(s for s in rep.selectbox if s.key == "ans_reply").set_value("已复工")
    next(t for t in rep.text_area if t.key == "ans_note").input("好")
    rep = click(rep, "提交答复")
    assert any("请填写情况说明" in e.value for e in rep.error)                 # refused, nothing written
    next(t for t in rep.text_area if t.key == "ans_note").input("10月18日已复工建设")
    rep = click(rep, "提交答复")
    assert any("已提交项目 620100-2 的答复“已复工”" in s.value for s in rep.success), shown_text(rep)

    admin = run("admin", wh, SUPERVISION)
    table = admin.dataframe[0].value
    row = table[table["项目编号"] == "620100-2"].iloc[0]
    assert (row["最新答复"], row["说明"], row["答复情况"]) == ("已复工", "10月18日已复工建设", "已答复")
    life = run("admin", wh, "pages/lifecycle.py")
    assert any("督办答复" in m.value for m in life.markdown)
