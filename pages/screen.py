"""大屏 mode of the 总览 (`/overview?screen=1`): for a meeting-room screen. No sidebar or toolbar, large type, one view
at a time (ranking → map → targets) changing every ROTATE_SECONDS, and a full refresh as soon as a new serving
snapshot is published (a new load or publication): a fragment re-runs on a timer and compares the snapshot identity."""
from __future__ import annotations

import streamlit as st

from analytics import overview
from analytics.ranking import charts, composite
from core import clock, periods
from pages import data

ROTATE_SECONDS = 20
VIEWS = ("ranking", "map", "targets")
_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
[data-testid="stToolbar"] {display: none !important;}
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 1rem !important; max-width: 100% !important;}
[data-testid="stMain"] p, [data-testid="stMain"] li, [data-testid="stMain"] td, [data-testid="stMain"] th
  {font-size: 1.55rem !important; line-height: 1.5;}
[data-testid="stMain"] h1 {font-size: 2.6rem !important;}
[data-testid="stMetricValue"] {font-size: 3rem !important;}
</style>"""


def _ranking(o: overview.LeaderOverview) -> None:
    st.subheader(f"{periods.quarter_zh(o.quarter)}综合排名" if o.quarter else "综合排名")
    rows = o.ranking.filter(o.ranking["rank"].is_not_null())
    half = (rows.height + 1) // 2
    for col, part in zip(st.columns(2), (rows.head(half), rows.tail(rows.height - half))):
        lines = ["| 名次 | 单位 | 得分 | 较上季度 |", "|:-:|:-|-:|:-:|"]
        for r in part.iter_rows(named=True):
            ch = r["rank_change"]
            mark = ("—" if ch is None else f'<span style="color:#c00000">▲{ch}</span>' if ch > 0
                    else f'<span style="color:#2e7d32">▼{-ch}</span>' if ch < 0 else "＝")
            lines.append(f"| {r['rank']} | {r['unit_name']} | {r['score']:.2f} | {mark} |")
        col.markdown("\n".join(lines), unsafe_allow_html=True)
    st.caption("红色▲为名次较上季度上升，绿色▼为下降。")


def _map(o: overview.LeaderOverview) -> None:
    if not o.quarter:
        st.info("尚无数据齐全的季度。")
        return
    fig = charts.score_map_figure(data.load(composite.rank_quarter, o.quarter))
    fig.update_layout(height=820, font=dict(size=20))
    st.plotly_chart(fig, key="screen_map", config={"displayModeBar": False})


def _targets(o: overview.LeaderOverview) -> None:
    st.subheader(f"全省到位资金（{o.as_of.year}年1—{o.as_of.month}月）")
    a, b, c = st.columns(3)
    a.metric("累计到位资金（亿元）", str(o.ytd_yi))
    b.metric("完成年度目标", f"{o.completion_pct:.1f}%" if o.completion_pct is not None else "—")
    c.metric("序时进度", f"{o.schedule_pct:.1f}%" if o.schedule_pct is not None else "—")
    st.markdown(o.forecast_sentence)
    for p in o.targets:
        if p.share is not None:
            st.progress(min(p.share / 100, 1.0), text=f"{p.label}：{p.current}/{p.target}（{p.share:.0f}%）")
    st.markdown(f"红榜：{'、'.join(o.red) or '无'}　　黑榜：{'、'.join(o.black) or '无'}")


def run() -> None:
    st.html(_CSS)
    st.session_state.setdefault("screen_snapshot", data.snapshot_identity())
    st.session_state.setdefault("screen_tick", 0)

    @st.fragment(run_every=ROTATE_SECONDS)
    def rotate() -> None:
        if data.snapshot_identity() != st.session_state["screen_snapshot"]:
            st.session_state["screen_snapshot"] = data.snapshot_identity()
            st.rerun(scope="app")  # new data: redraw everything
        o = data.load(overview.leader_overview, clock.today())
        view = VIEWS[st.session_state["screen_tick"] % len(VIEWS)]
        st.session_state["screen_tick"] += 1
        st.title("甘肃省招商引资工作 · 总览")
        snapshot = str(data.snapshot_identity() or "").removeprefix("snapshot-").removesuffix(".duckdb")
        st.caption(f"数据截至 {periods.month_label(o.as_of)} · 快照 {snapshot} · "
                   f"每 {ROTATE_SECONDS} 秒轮换，新数据入库后自动刷新")
        {"ranking": _ranking, "map": _map, "targets": _targets}[view](o)

    rotate()
