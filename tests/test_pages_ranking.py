"""实时排名, 月度通报 and 季度排名发布 through AppTest, on a hand-made warehouse of all 15 units (2024-01 .. 2025-09,
兰州新区 without September 2025), "today" 2025-10-20 (September's deadline has passed)."""
from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal

import pytest
from test_ranking_warehouse import HandWarehouse, month, project

from analytics.publication import monthly
from analytics.publication.archive import verify_publication
from analytics.ranking.attribution import attribute_quarter
from analytics.ranking.composite import rank_quarter
from analytics.ranking.explain import explain_all
from core import catalog
from tests.apptest_support import app_as, clear_caches, shown_text
from warehouse import accounts, store
from warehouse.queries import ranking as q

LIVE, MONTHLY, PUBLICATION = "pages/ranking_live.py", "pages/monthly_bulletin.py", "pages/publication.py"
QUARTER, XINQU, LANZHOU = "2025Q3", "620171", "620100"
TODAY = "2025-10-20"


def _fill(wh: HandWarehouse) -> None:
    """Every unit: one funded project reporting monthly, one unstarted project; figures vary by unit."""
    for k, u in enumerate(catalog.units()):
        base = Decimal(1000 + 150 * k)
        cum = Decimal(0)
        for y, m in [(2024, m) for m in range(1, 13)] + [(2025, m) for m in range(1, 10)]:
            if u.code == XINQU and (y, m) == (2025, 9):
                continue
            funds = base if y == 2024 else base * Decimal(1 + (k % 5 - 1) / 10)
            cum += funds
            wh.submit(u.code, month(y, m), [
                project(f"{u.code}-A", funds_month_wan=funds, funds_cum_wan=cum, signed_amount_wan="500000",
                        planned_investment_wan=60000 * (1 + k % 3), is_high_tech=k % 2 == 0),
                project(f"{u.code}-B", status="已签约未开工", start_date=None, funds_month_wan="0", funds_cum_wan="0",
                        signing_date=dt.date(2024, 1 + k % 6, 1), fortune500="世界500强" if k % 4 == 0 else "无",
                        chain="新能源及其装备制造" if k % 3 == 0 else "其他"),
            ], late=(k % 7 == 3 and m == 2))
    wh.write()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    wh = HandWarehouse(tmp_path_factory.mktemp("ranking-pages") / "warehouse.duckdb")
    _fill(wh)
    return wh.path


@pytest.fixture
def wh(built, tmp_path, monkeypatch):
    """A private copy of the built warehouse (pages may publish into it)."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built, path)
    shutil.copytree(built.with_name(built.stem + ".snapshots"), path.with_name(path.stem + ".snapshots"))
    monkeypatch.setenv("WAREHOUSE", str(path))
    monkeypatch.setenv("DASHBOARD_TODAY", TODAY)
    return path


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


def run(user: str, wh, page: str, quarter: str = QUARTER):
    at = app_as(user, wh, page)
    at.session_state["quarter"] = quarter  # the app shell's sidebar picker
    at.run()
    assert not at.exception, at.exception
    return at


def frame_with(at, column: str):
    """The first shown table that has `column` (pandas)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def snapshot():
    return store.current_snapshot()


# ----------------------------------------------------------------------------- 实时排名

def test_live_ranking_equals_the_engine_and_marks_the_unit_with_a_missing_report(wh):
    at = run("admin", wh, LIVE)
    expected = rank_quarter(snapshot(), QUARTER)
    shown = frame_with(at, "综合得分")
    assert list(shown["被考核单位"]) == expected.table["unit_name"].to_list()
    assert list(shown["排名"]) == expected.table["rank"].to_list()
    assert list(shown["综合得分"]) == pytest.approx(expected.table["score"].to_list())
    assert list(shown["排名区间"]) == [f"{a}–{b}" for a, b in expected.table.select("rank_q05", "rank_q95").iter_rows()]
    # 兰州新区 lacks September: ranked on what it sent (flag policy), marked, and never silently last
    xinqu = shown[shown["被考核单位"] == "兰州新区"].iloc[0]
    assert xinqu["报送情况"] == "缺报 2025年9月" and "数据不完整" in xinqu["备注"]
    assert xinqu["排名"] == expected.table.filter(expected.table["unit_code"] == XINQU)["rank"][0]
    assert any("兰州新区（缺报 2025年9月）" in w.value for w in at.warning)
    assert (shown.loc[shown["被考核单位"] != "兰州新区", "报送情况"] == "完整").all()
    assert at.metric[0].value == "15 个" and at.metric[1].value == "14/15 个"
    # rank change against the previous quarter, recomputed by the engine
    before = dict(rank_quarter(snapshot(), "2025Q2").table.select("unit_name", "rank").iter_rows())
    for name, now, arrow in shown[["被考核单位", "排名", "较上季"]].itertuples(index=False):
        moved = before[name] - now
        assert arrow == (f"▲ {moved}" if moved > 0 else f"▼ {-moved}" if moved < 0 else "持平"), name
    directions = frame_with(at, "方向")
    assert directions.loc[directions["指标"] == "停滞项目占比", "方向"].item() == "越低越好"
    assert "计算公式" in directions.columns
    assert [b.label for b in at.get("download_button")] == ["下载排名预览（xlsx，通报格式）", "下载本单位明细（xlsx）"]
    assert len(at.get("plotly_chart")) >= 4  # intervals, map, waterfall, history, attribution


def test_a_report_not_yet_due_is_not_called_missing(wh, monkeypatch):
    monkeypatch.setenv("DASHBOARD_TODAY", "2025-10-03")  # September is due on 5 October
    at = run("admin", wh, LIVE)
    # the page opens on the latest complete quarter; the one under way is one click away, marked 暂定
    radio = at.radio(key=f"live_quarter_{QUARTER}")
    assert radio.value == "2025Q2" and radio.options == ["2025年第二季度", "2025年第三季度（暂定，报送尚未截止）"]
    assert not any("暂定" in i.value for i in at.info)
    expected = rank_quarter(snapshot(), "2025Q2").table
    assert list(frame_with(at, "综合得分")["被考核单位"]) == expected["unit_name"].to_list()
    radio.set_value(QUARTER).run()
    assert not at.exception
    shown = frame_with(at, "综合得分")
    assert shown.loc[shown["被考核单位"] == "兰州新区", "报送情况"].item() == "2025年9月未到截止日"
    assert not any("缺报" in w.value for w in at.warning)
    assert any(i.value.startswith("暂定排名：2025年第三季度尚在进行，2025年9月报表尚未到截止日（次月 5 日）")
               for i in at.info)
    assert "2025年第三季度（暂定）" in shown_text(at)


def test_alternative_weights_are_labelled_and_ranked_by_the_engine(wh):
    at = run("leader", wh, LIVE)
    assert not any("备选权重方案" in w.value for w in at.warning)
    at.radio(key="live_scheme").set_value("critic").run()
    assert not at.exception
    assert any("备选权重方案（指标冲突性赋权法）" in w.value and "不作为正式排名" in w.value for w in at.warning)
    expected = rank_quarter(snapshot(), QUARTER, weight_scheme="critic").table
    shown = frame_with(at, "综合得分")
    assert list(shown["被考核单位"]) == expected["unit_name"].to_list()
    assert list(shown["综合得分"]) == pytest.approx(expected["score"].to_list())
    ranks = frame_with(at, "指标冲突性赋权法排名")
    assert {"专家权重（配置）排名", "熵权法排名"} <= set(ranks.columns)


def test_drill_down_explains_a_unit_score_and_its_change(wh):
    at = run("admin", wh, LIVE)
    at.selectbox(key="live_unit").set_value(LANZHOU).run()
    assert not at.exception
    ranking = rank_quarter(snapshot(), QUARTER)
    mine = ranking.contributions.filter(ranking.contributions["unit_code"] == LANZHOU)
    shown = frame_with(at, "标准化得分（0–100）")
    indicators = mine.filter(mine["kind"] == "indicator")
    assert list(shown["指标"]) == indicators["item_name"].to_list()
    assert list(shown["标准化得分（0–100）"]) == pytest.approx(indicators["normalised"].to_list())
    assert list(shown["贡献（分）"]) == pytest.approx(indicators["contribution"].to_list())
    adjustments = frame_with(at, "得分（分）")
    score = ranking.table.filter(ranking.table["unit_code"] == LANZHOU)["score"][0]
    assert shown["贡献（分）"].sum() + adjustments["得分（分）"].sum() == pytest.approx(score)
    summary = attribute_quarter(snapshot(), QUARTER).summary
    row = summary.filter(summary["unit_code"] == LANZHOU).row(0, named=True)
    text = shown_text(at)
    sentence = explain_all(attribute_quarter(snapshot(), QUARTER), ranking.indicators)[LANZHOU].text
    assert sentence in text                      # the one sentence, on the list and in the drill-down
    assert text.count(sentence) == 2
    assert row["reference_effect"] == pytest.approx(0, abs=1e-9) and "参照变动" not in text
    assert "单位得分只取决于本单位自身的数据" in text


def test_reporter_is_refused_the_live_pages(wh):
    for page in (LIVE, MONTHLY):
        at = run("lanzhou", wh, page)
        assert [e.value for e in at.error] == ["无权访问：您的角色（填报员）没有“查看实时排名”权限"]
        assert not at.dataframe and not at.get("plotly_chart")
    events = [(e.event, e.username) for e in accounts.recent_audit(2)]
    assert events == [("access_denied", "lanzhou"), ("access_denied", "lanzhou")]


# ----------------------------------------------------------------------------- 月度通报

def test_monthly_bulletin_shows_the_bulletin_figures(wh):
    at = run("leader", wh, MONTHLY)
    assert at.selectbox(key="bulletin_month").value == dt.date(2025, 9, 1)  # the latest month with data
    b = monthly.monthly_bulletin(snapshot(), dt.date(2025, 9, 1))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["本月到位资金（亿元）"] == str(b.total_month_yi)
    assert metrics["1—9月累计（亿元）"] == str(b.total_ytd_yi)
    assert metrics["达到序时进度（个）"] == str(b.ahead_count)
    assert metrics["已报本月报表（个）"] == "14/15"
    shown = frame_with(at, "累计到位资金（亿元）")
    assert list(shown["被考核单位"]) == b.table["unit_name"].to_list()
    assert [Decimal(str(v)) for v in shown["累计到位资金（亿元）"]] == b.table["funds_ytd_yi"].to_list()
    assert shown.loc[shown["被考核单位"] == "兰州新区", "本月报表"].item() == "未报"
    assert [s.value for s in at.success] == ["红榜：" + ("、".join(b.red) or "无")]
    assert [e.value for e in at.error] == ["黑榜：" + ("、".join(b.black) or "无")]
    assert any("本月报表尚未收到：兰州新区" in w.value for w in at.warning)
    assert [x.label for x in at.get("download_button")] == ["下载月度通报（xlsx）"]
    assert [x.label for x in at.button] == [  # documents are built on request, under a progress notice
        "生成月度通报（docx）", "生成月度通报（pdf）", "生成专报（docx）", "生成专报（pdf）"]
    at.selectbox(key="bulletin_month").set_value(dt.date(2025, 3, 1)).run()
    assert not at.exception
    assert at.metric[0].value == str(monthly.monthly_bulletin(snapshot(), dt.date(2025, 3, 1)).total_month_yi)


# ----------------------------------------------------------------------------- 季度排名发布

def publish_click(at, *, confirm=True, note=None, reason=None):
    if note is not None:
        at.text_area(key="publish_note").input(note)
    if reason is not None:
        at.text_area(key="publish_reason").input(reason)
    if confirm:
        next(c for c in at.checkbox if c.key.startswith("publish_confirm_")).check()
    next(b for b in at.button if b.label == "确认发布").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_admin_previews_confirms_and_freezes_with_a_reason_for_incomplete_data(wh):
    at = run("admin", wh, PUBLICATION)
    assert "尚无已发布的季度排名。" in [i.value for i in at.info]
    assert any("缺报 2025年9月：兰州新区" in w.value for w in at.warning)
    preview = frame_with(at, "备注")
    assert list(preview["被考核单位"]) == rank_quarter(snapshot(), QUARTER).table["unit_name"].to_list()

    publish_click(at, confirm=False)
    assert "请先勾选“我已核对以上预览，确认冻结发布”。" in [e.value for e in at.error]
    publish_click(at)  # confirmed, but no reason for the incomplete data: the engine refuses
    assert any("兰州新区（缺2025年9月报表）" in e.value and "请填写发布理由" in e.value for e in at.error)
    assert q.publications(snapshot()).is_empty()

    publish_click(at, reason="新区9月报表经批准延期，先行发布")
    pubs = q.publications(snapshot())
    assert pubs["publication_id"].to_list() == ["2025Q3-01"]
    pub = pubs.row(0, named=True)
    assert pub["published_by"] == "admin" and pub["incomplete_reason"] == "新区9月报表经批准延期，先行发布"
    assert verify_publication(snapshot(), "2025Q3-01")
    assert any(s.value.startswith("已准备发布 2025年第三季度（14个市州和兰州新区）排名：编号 2025Q3-01")
               and pub["content_hash"] in s.value and "待领导签批" in s.value for s in at.success)
    audit = accounts.recent_audit(1)[0]
    assert (audit.event, audit.username) == ("publish", "admin") and pub["content_hash"] in audit.detail
    # the list shows it, verified, with its exports; the button is disabled for the rest of the session
    listing = frame_with(at, "内容哈希（SHA-256）")
    assert listing.iloc[0]["发布编号"] == "2025Q3-01" and listing.iloc[0]["校验"] == "✅ 一致"
    assert listing.iloc[0]["内容哈希（SHA-256）"] == pub["content_hash"]
    assert next(b for b in at.button if b.label == "确认发布").disabled
    assert [b.label for b in at.get("download_button")] == [
        "下载发布清单（xlsx）", "下载 xlsx 通报", "下载 HTML 通报", "下载 PDF 通报",
        "下载季度排名通报（docx）", "下载季度排名通报（pdf）"]
    published = frame_with(at, "数据")
    assert list(published["综合得分"]) == pytest.approx(q.published_ranking(snapshot(), "2025Q3-01")["score"].to_list())


def test_republishing_needs_a_note_and_both_publications_stay_visible(wh):
    first = run("admin", wh, PUBLICATION)
    publish_click(first, reason="先行发布")
    again = run("admin", wh, PUBLICATION)  # another session of the same quarter
    assert any("已发布：2025Q3-01" in w.value and "须填写更正说明" in w.value for w in again.warning)
    publish_click(again, reason="先行发布（第二次）")
    assert any("已发布：编号 2025Q3-01" in e.value and "请填写更正说明" in e.value for e in again.error)
    publish_click(again, reason="先行发布（第二次）", note="兰州新区9月报表补报后更正")
    pubs = q.publications(snapshot())
    assert pubs["publication_id"].to_list() == ["2025Q3-02", "2025Q3-01"]
    listing = frame_with(again, "状态")
    state = dict(zip(listing["发布编号"], listing["状态"]))
    assert state == {"2025Q3-02": "现行", "2025Q3-01": "已被 2025Q3-02 更正"}
    assert dict(zip(listing["发布编号"], listing["更正对象"]))["2025Q3-02"] == "2025Q3-01"
    again.selectbox(key="publication_pick").set_value("2025Q3-01").run()
    assert any("本发布已被 2025Q3-02 更正" in w.value for w in again.warning)


def test_the_same_request_twice_publishes_once(wh):
    one, two = run("admin", wh, PUBLICATION), run("admin", wh, PUBLICATION)
    publish_click(one, reason="先行发布")
    publish_click(two, reason="先行发布")  # the other tab had the form open with the same request
    assert q.publications(snapshot()).height == 1
    assert any("该排名已发布（编号 2025Q3-01），重复提交未再次发布" in s.value for s in two.success), shown_text(two)
    assert next(b for b in two.button if b.label == "确认发布").disabled


def test_new_data_after_confirming_unticks_the_confirmation(wh):
    at = run("admin", wh, PUBLICATION)
    at.text_area(key="publish_reason").input("先行发布")
    next(c for c in at.checkbox if c.key.startswith("publish_confirm_")).check()
    late = HandWarehouse(wh)
    late.next_id = 10_000  # after the built warehouse's submission ids
    late.submit(XINQU, month(2025, 9), [project(f"{XINQU}-A", funds_month_wan="900", funds_cum_wan="9000")],
                received_at=dt.datetime(2025, 10, 19, 9))
    late.write()  # 兰州新区 sends September while the admin is looking at the preview
    next(b for b in at.button if b.label == "确认发布").click()
    at.run()
    assert "请先勾选“我已核对以上预览，确认冻结发布”。" in [e.value for e in at.error], shown_text(at)
    assert q.publications(snapshot()).is_empty()
    assert not any("数据不完整" in w.value for w in at.warning)  # the preview now shows the new, complete data
    publish_click(at)
    assert q.publications(snapshot()).row(0, named=True)["all_complete"] is True


def test_reporter_and_leader_see_publications_but_cannot_publish(wh):
    publish_click(run("admin", wh, PUBLICATION), reason="先行发布")
    # prepared by the admin, not yet approved: a reporter sees nothing yet, the leader sees it waiting
    assert "尚无已发布的季度排名。" in [i.value for i in run("lanzhou", wh, PUBLICATION).info]
    at = run("leader", wh, PUBLICATION)
    assert any("待您签批的发布：2025Q3-01" in i.value for i in at.info)
    assert frame_with(at, "签批").iloc[0]["签批"] == "待签批"
    next(b for b in at.button if b.label == "签批发布").click()
    at.run()
    assert any("已签批发布 2025Q3-01（准备人 admin）" in s.value for s in at.success), shown_text(at)
    assert frame_with(at, "签批").iloc[0]["签批"] == "已签批（leader）"
    assert [(e.event, e.username) for e in accounts.recent_audit(2)] == [("approve", "leader"), ("publish", "admin")]
    for user in ("lanzhou", "leader"):
        at = run(user, wh, PUBLICATION)
        assert frame_with(at, "发布编号").iloc[0]["发布编号"] == "2025Q3-01"
        assert "下载 PDF 通报" in [b.label for b in at.get("download_button")]
        assert not [b for b in at.button if b.label == "确认发布"] and not at.checkbox
        assert not any("发布预览" in m.value for m in at.markdown)


def test_a_tampered_publication_is_flagged(wh):
    publish_click(run("admin", wh, PUBLICATION), reason="先行发布")
    with store.write_transaction(wh) as con:  # the test plays the forger; the product never updates these rows
        con.execute("UPDATE published_ranking SET score = score + 5 WHERE unit_code = '620100'")
    at = run("leader", wh, PUBLICATION)
    assert frame_with(at, "校验").iloc[0]["校验"] == "❌ 不一致"
    assert any("校验不一致" in e.value and "2025Q3-01" in e.value for e in at.error)
