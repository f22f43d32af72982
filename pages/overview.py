"""总览 (the leader's landing page): one screen answering "how are we doing and who is behind", every tile leading to
its page. `?screen=1` is the 大屏 mode for a meeting-room screen (pages/screen.py)."""
from __future__ import annotations

import polars as pl
import streamlit as st

from analytics import overview
from core import clock, periods
from core.text import plain
from pages import auth, data, screen

UP, DOWN = "#c00000", "#2e7d32"  # red ▲ = moved up, green ▼ = moved down (the Chinese convention: red is good)

user = auth.require("view_overview")
if st.query_params.get("screen") == "1":
    screen.run()
    st.stop()

with st.spinner("正在汇总全省数据…"):
    o = data.load(overview.leader_overview, clock.today())
if o is None or o.as_of is None:
    st.title("总览")
    st.info("数据仓库中尚无报送数据。")
    st.stop()

st.title("总览")
st.caption(f"数据截至 {periods.month_label(o.as_of)}；排名为最近一个数据齐全、报送已截止的季度"
           f"（{periods.quarter_zh(o.quarter) if o.quarter else '暂无'}）。")


def rank_change(change) -> str:
    if change is None:
        return "—"
    if change > 0:
        return f'<span style="color:{UP}">▲{change}</span>'
    if change < 0:
        return f'<span style="color:{DOWN}">▼{-change}</span>'
    return "＝"


def ranking_tile(box) -> None:
    with box.container(border=True):
        st.markdown(f"**{periods.quarter_zh(o.quarter) if o.quarter else ''}综合排名**")
        if o.ranking.is_empty():
            st.info("尚无数据齐全的季度。")
            return
        rows = ["| 名次 | 单位 | 得分 | 较上季度 |", "|:-:|:-|-:|:-:|"]
        for r in o.ranking.iter_rows(named=True):
            rank = r["rank"] if r["rank"] is not None else "—"
            score = f"{r['score']:.2f}" if r["score"] is not None else "—"
            rows.append(f"| {rank} | {plain(r['unit_name'])} | {score} | {rank_change(r['rank_change'])} |")
        st.markdown("\n".join(rows), unsafe_allow_html=True)
        st.caption(f'<span style="color:{UP}">红色▲</span>为名次较上季度上升，<span style="color:{DOWN}">绿色▼</span>'
                   "为下降，数字为升降位次；＝为不变。" + (f"数据不完整：{'、'.join(o.incomplete)}。" if o.incomplete else ""),
                   unsafe_allow_html=True)
        st.page_link("pages/ranking_live.py", label="查看实时排名与得分构成", icon="🏆")
        st.page_link("pages/publication.py", label="查看已发布的季度排名", icon="📢")


def province_tile(box) -> None:
    with box.container(border=True):
        st.markdown(f"**全省到位资金（{o.as_of.year}年1—{o.as_of.month}月）**")
        a, b = st.columns(2)
        a.metric("累计到位资金（亿元）", str(o.ytd_yi) if o.ytd_yi is not None else "—")
        b.metric("完成年度目标", f"{o.completion_pct:.1f}%" if o.completion_pct is not None else "—",
                 delta=(f"{o.completion_pct - o.schedule_pct:+.1f} 个百分点（较序时进度）"
                        if o.completion_pct is not None and o.schedule_pct is not None else None), delta_color="off")
        if o.completion_pct is not None:
            st.progress(min(o.completion_pct / 100, 1.0),
                        text=f"年度目标 {o.target_yi} 亿元；序时进度 {o.schedule_pct:.1f}%")
        st.markdown(o.forecast_sentence)
        st.page_link("pages/targets.py", label="查看目标进度", icon="🎯")


def targets_tile(box) -> None:
    with box.container(border=True):
        st.markdown("**10亿元以上项目与三个500强（翻番目标）**")
        for p in o.targets:
            if p.share is None:
                st.caption(f"{p.label}：未配置翻番目标或暂无数据")
                continue
            behind = ("，基期数据不完整，暂不判断序时" if not p.basis_complete
                      else "" if p.on_track else "，落后序时")
            st.progress(min(p.share / 100, 1.0), text=f"{p.label}：{p.current}/{p.target}（{p.share:.0f}%{behind}）")
        st.page_link("pages/major_projects.py", label="查看重大项目与三个500强", icon="🏗️")


def lists_tile(box) -> None:
    with box.container(border=True):
        st.markdown(f"**红黑榜与落后序时进度的单位（{periods.month_label(o.as_of)}）**")
        st.markdown(f'<span style="color:{UP}">红榜</span>：{"、".join(o.red) or "无"}　　'
                    f'黑榜：{"、".join(o.black) or "无"}', unsafe_allow_html=True)
        if o.behind.is_empty():
            st.markdown("全部单位达到序时进度。")
        else:
            worst = "、".join(f"{r['unit_name']}（{r['gap_pct']:+.1f}）" for r in o.behind.head(6).iter_rows(named=True))
            more = f"等 {o.behind.height} 个单位" if o.behind.height > 6 else ""
            st.markdown(f"落后序时进度（百分点）：{worst}{more}")
        st.page_link("pages/monthly_bulletin.py", label="查看月度通报", icon="📰")


def changes_tile(box) -> None:
    since = auth.previous_visit(user)
    c = data.load(overview.changes_since, since)
    with box.container(border=True):
        st.markdown(f"**自上次登录以来**（{since:%Y-%m-%d %H:%M}）" if since else "**最近动态**（首次登录）")
        if c.files_loaded:
            units = "、".join(c.units[:5]) + (f"等 {len(c.units)} 个单位" if len(c.units) > 5 else "")
            st.markdown(f"新入库报表 {c.files_loaded} 份（{units}），最新为{periods.month_label(c.latest_month)}数据。")
        else:
            st.markdown("无新入库报表。")
        st.markdown(f"新发布排名：{'；'.join(c.publications)}。" if c.publications else "无新发布的排名。")
        st.page_link("pages/verification.py", label="查看核查结果", icon="🔍")


left, right = st.columns([5, 7], gap="medium")
ranking_tile(left)
province_tile(right)
r1, r2 = right.columns(2)
targets_tile(r1)
lists_tile(r2)
changes_tile(right)
if not o.ranking.is_empty():
    st.caption(f"得分为季度至今按当前数据计算的综合得分（0–100），共 {o.ranking.filter(pl.col('rank').is_not_null()).height} "
               "个单位参与排名。")
