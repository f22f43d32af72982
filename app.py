"""Entry point: login gate, navigation by role (pages/nav.py), and the shared sidebar (数据截至, reporting count,
quarter). Served by serve.py (which adds the HttpOnly login-cookie routes); `streamlit run app.py` also works."""
from __future__ import annotations

import streamlit as st

from analytics import metrics
from core import periods
from pages import auth, data, nav
from warehouse.queries import submissions as submission_queries

st.set_page_config(page_title="甘肃省招商引资工作考核平台", page_icon="📊", layout="wide",
                   initial_sidebar_state="auto")


def sidebar(user) -> None:
    with st.sidebar:
        auth.logout_button(user)
        st.divider()
        fresh = data.load(submission_queries.data_freshness)
        if fresh is None or fresh["latest_month"] is None:
            st.info("数据仓库中尚无报送数据")
            return
        latest = fresh["latest_month"]
        complete = fresh.get("complete_month")
        st.metric(metrics.DATA_CUTOFF.label, f"{complete.year}年{complete.month}月" if complete else "—",
                  help=metrics.DATA_CUTOFF.definition)
        st.caption(
            f"最新报送月份 {latest.year}年{latest.month}月（已报送 {fresh['units_reported']}/{fresh['units_total']} 个单位）；"
            f"最近一次加载 {fresh['last_received_at']:%Y-%m-%d %H:%M}"
        )
        months = data.load(submission_queries.months_with_data)
        quarters = sorted({periods.quarter_of(m) for m in months}, reverse=True)
        if st.session_state.get("quarter") not in quarters:
            st.session_state["quarter"] = quarters[0]
        st.selectbox("考核季度", quarters, key="quarter", format_func=periods.quarter_zh)


user = auth.current_user()
auth.cookie_sync()
if user is None:
    nav.before_login()
    st.stop()
try:
    sidebar(user)
    nav.after_login(user)
except Exception as exc:  # noqa: BLE001 - no traceback or server path reaches the browser
    data.incident("本页面", exc)
