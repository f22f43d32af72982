"""What a person sees in a real browser (Debian's Chromium) on the real server with the demo warehouse.

Screenshots of every page land in test-artifacts/e2e/ (kept by CI as artifacts).
"""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import shot

pytestmark = pytest.mark.timeout(600)

MENU = {
    "admin": ["本月工作", "总览", "本单位工作进展", "数据报送", "实时排名", "月度通报", "季度排名发布", "年度考核", "表扬与约谈",
              "目标进度", "重大项目与三个500强", "项目全周期", "停滞项目督办", "抽样核查", "县区与产业链"],
    "leader": ["总览", "本单位工作进展", "实时排名", "月度通报", "季度排名发布", "年度考核", "表扬与约谈", "目标进度", "重大项目与三个500强",
               "项目全周期", "停滞项目督办", "抽样核查", "县区与产业链"],
    "lanzhou": ["本单位", "本单位工作进展", "数据报送", "季度排名发布", "年度考核", "停滞项目督办"],
}


# Text each page shows once its data are on screen (not just its title).
READY = {
    "总览": "自上次登录以来|最近动态", "本月工作": "本月应收", "本单位": "本月应报",
    "数据报送": "上传与校验", "实时排名": "综合排名", "月度通报": "招商引资到位资金通报", "季度排名发布": "已发布的季度排名",
    "年度考核": "已发布的年度考核结果", "表扬与约谈": "拟约谈", "本单位工作进展": "任务与序时进度", "县区与产业链": "综合排名（预览，未发布）",
    "目标进度": "全省进度", "重大项目与三个500强": "翻番进度", "项目全周期": "全周期漏斗", "停滞项目督办": "停滞项目督办", "抽样核查": "各单位 × 风险信号类别",
}


def open_page(page, title: str) -> None:
    page.locator("[data-testid='stSidebar']").get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=re.compile(title)).first.wait_for(timeout=60_000)
    page.get_by_text(re.compile(READY[title])).first.wait_for(timeout=180_000)
    wait_idle(page)


def wait_idle(page) -> None:
    """Until Streamlit has finished running the script (the status widget disappears)."""
    page.wait_for_timeout(500)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=120_000)


def assert_no_exception(page) -> None:
    assert page.locator("[data-testid='stException']").count() == 0, page.locator(
        "[data-testid='stException']").first.inner_text()


def grid_cells(page, index: int = 0) -> list[str]:
    grid = page.locator("[data-testid='stDataFrame']").nth(index)
    grid.wait_for(timeout=60_000)
    return grid.locator("[role='gridcell']").all_inner_texts()


def menu_items(page) -> list[str]:
    page.get_by_text("退出登录").wait_for(timeout=60_000)
    page.locator("[data-testid='stSidebarNavLink']").first.wait_for(timeout=60_000)
    return page.locator("[data-testid='stSidebar']").get_by_role("link").all_inner_texts()


def test_wrong_password_is_refused(browser, server):
    page = browser.new_page(locale="zh-CN")
    page.goto(server, wait_until="networkidle")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("用户名或密码错误").wait_for(timeout=30_000)
    assert page.get_by_text("退出登录").count() == 0
    shot(page, "login-refused")
    page.close()


@pytest.mark.parametrize("username", ["admin", "leader", "lanzhou"])
def test_every_page_of_each_role_renders(login, username):
    page = login(username)
    expected = [t for t in MENU[username]]
    shown = [re.sub(r"^\W+", "", t).strip() for t in menu_items(page)]
    assert [t for t in expected if any(t in s for s in shown)] == expected
    if username == "lanzhou":
        assert not any("实时排名" in s or "抽样核查" in s for s in shown)
    for title in expected:
        open_page(page, title)
        assert_no_exception(page)
        shot(page, f"{username}-{title}")


def test_live_ranking_table_equals_warehouse(login, demo_env):
    from analytics.ranking import composite, history
    from core import clock, periods
    from warehouse import store
    from warehouse.queries import submissions

    snap = store.current_snapshot(demo_env["warehouse"])
    months = submissions.months_with_data(snap)
    # the page opens on the latest complete quarter (all reporting deadlines passed)
    quarter = history.latest_complete_quarter(periods.quarter_of(max(months)), clock.today(), min(months))
    expected = composite.rank_quarter(snap, quarter).table.sort("rank", nulls_last=True)

    page = login("leader")
    open_page(page, "实时排名")
    top = expected.row(0, named=True)["unit_name"]
    for _ in range(120):  # the grid fills its cells after the page has settled; wait for the data, not a timer
        cells = grid_cells(page)
        if top in cells:
            break
        page.wait_for_timeout(500)
    for row in expected.head(5).iter_rows(named=True):
        i = cells.index(row["unit_name"])
        assert cells[i - 2] == str(row["rank"])
        assert float(cells[i + 1]) == pytest.approx(row["score"], abs=1e-9)

    page.get_by_role("tab", name=re.compile("得分地图")).click()
    page.locator(".js-plotly-plot .textpoint").first.wait_for(timeout=60_000)  # SVG labels: no WebGL, no tiles
    labels = page.locator(".js-plotly-plot .textpoint").all_text_contents()
    assert any("酒泉市" in t for t in labels) and any("陇南市" in t for t in labels)
    shot(page, "ranking-map")


def test_upload_a_wrong_file_shows_its_report(login, demo_env):
    bad = sorted((demo_env["demo"] / "submissions").rglob("bad_*"))[0]
    page = login("admin")
    open_page(page, "数据报送")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(bad))
    page.get_by_text("校验结果").wait_for(timeout=60_000)
    wait_idle(page)
    cells = grid_cells(page)
    assert bad.name in cells and "拒收" in cells
    assert page.get_by_role("button", name=re.compile("下载校验报告")).count() == 1
    shot(page, "upload-rejected-file")


def test_publish_a_quarter_shows_it_frozen_and_verified(login):
    page = login("admin")
    open_page(page, "季度排名发布")
    reason = page.get_by_label("数据不完整时的发布理由")
    if reason.is_enabled():
        reason.fill("季度进行中，按已报数据发布测试通报")
    page.get_by_text("我已核对以上预览，确认冻结发布").click()
    page.get_by_role("button", name="确认发布").click()
    # the frozen publication is listed with its content hash, verified against the stored record
    page.get_by_text(re.compile("校验一致")).first.wait_for(timeout=180_000)
    wait_idle(page)
    assert_no_exception(page)
    assert page.get_by_text(re.compile("校验不一致")).count() == 0
    shot(page, "published")
    # The export buttons are there; their files are checked cell by cell and page by page in
    # tests/test_ranking_bulletin.py (downloading the PDF here timed out on a loaded 2-core machine).
    for label in ("xlsx", "HTML", "PDF"):
        assert page.get_by_role("button", name=re.compile(f"下载 {label}", re.I)).count() >= 1


def test_draw_a_sample_and_download_the_work_list(login, tmp_path, demo_env):
    import openpyxl

    page = login("admin")
    open_page(page, "抽样核查")
    page.get_by_role("tab", name="抽样", exact=True).click()
    page.get_by_role("button", name="抽取并记录样本").click()
    page.get_by_text(re.compile("已记录样本|未重复记录")).first.wait_for(timeout=180_000)
    wait_idle(page)
    assert_no_exception(page)
    shot(page, "sample-drawn")
    with page.expect_download(timeout=120_000) as dl:
        page.get_by_role("button", name="下载核查清单（xlsx）").first.click()
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    ws = openpyxl.load_workbook(path).worksheets[0]
    header = next(r for r in ws.iter_rows(values_only=True) if r and "报送单位代码" in r)
    assert list(header[:7]) == ["报送单位代码", "项目编号", "项目名称", "抽样层", "入样概率", "风险分", "抽样原因"]
