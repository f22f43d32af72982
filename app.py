"""Entry point: login gate, navigation by role, and the shared sidebar (数据截至, reporting count, quarter)."""
from __future__ import annotations

import streamlit as st

from core import periods
from pages import auth, data
from warehouse.queries import submissions as submission_queries

st.set_page_config(page_title="甘肃省招商引资工作考核平台", page_icon="📊", layout="wide")

# (file, title, icon, permission) — a page appears only for roles holding its permission;
# every page checks the permission again itself (server-side), the menu is not the guard.
PAGES = [
    ("pages/submissions.py", "数据报送", "📥", "view_submissions_own"),
    ("pages/ranking_live.py", "实时排名", "🏆", "view_ranking_live"),
    ("pages/monthly_bulletin.py", "月度通报", "📰", "view_ranking_live"),
    ("pages/publication.py", "季度排名发布", "📢", "view_ranking_published"),
    ("pages/annual.py", "年度考核", "🏅", "view_ranking_published"),
    ("pages/targets.py", "目标进度", "🎯", "view_targets"),
    ("pages/major_projects.py", "重大项目与三个500强", "🏗️", "view_targets"),
    ("pages/lifecycle.py", "项目全周期", "🔄", "view_targets"),
    ("pages/verification.py", "抽样核查", "🔍", "view_verification"),
]


def sidebar(user) -> None:
    with st.sidebar:
        auth.logout_button(user)
        st.divider()
        fresh = data.load(submission_queries.data_freshness)
        if fresh is None or fresh["latest_month"] is None:
            st.info("数据仓库中尚无报送数据")
            return
        latest = fresh["latest_month"]
        st.metric("数据截至", f"{latest.year}年{latest.month}月")
        st.caption(
            f"{latest.year}年{latest.month}月已报送 {fresh['units_reported']}/{fresh['units_total']} 个单位；"
            f"最近收件 {fresh['last_received_at']:%Y-%m-%d %H:%M}"
        )
        months = data.load(submission_queries.months_with_data)
        quarters = sorted({periods.quarter_of(m) for m in months}, reverse=True)
        if st.session_state.get("quarter") not in quarters:
            st.session_state["quarter"] = quarters[0]
        st.selectbox("考核季度", quarters, key="quarter", format_func=periods.quarter_zh)


user = auth.current_user()
if user is None:
    # A hidden one-page navigation: without it Streamlit would list every file under pages/ before login.
    st.navigation([st.Page(auth.login_form, title="登录", icon="🔐")], position="hidden").run()
    st.stop()

allowed = [st.Page(path, title=title, icon=icon) for path, title, icon, perm in PAGES if user.can(perm)]
if not allowed:
    st.error("当前账户没有可访问的页面，请联系管理员。")
    st.stop()
sidebar(user)
st.navigation(allowed).run()
