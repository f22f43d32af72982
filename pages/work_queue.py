"""本月工作 (the administrator's landing page): what needs doing this month, each item with the page that does it."""
from __future__ import annotations

import streamlit as st

from analytics import overview
from core import clock, periods
from core.text import plain
from pages import auth, data

ICONS = {"missing": "❌", "pending": "⏳", "late": "⏰", "quarantine": "⚠️", "rejected": "🚫", "publish": "📢",
         "sample": "🔍"}

auth.require("view_work_queue")
result = data.load(overview.work_queue, clock.today(), clock.now_local())
st.title("本月工作")
if result is None:
    st.info("数据仓库中尚无报送数据。")
    st.stop()
month, tasks = result
st.caption(f"本月应收{periods.month_label(month)}报表；以下事项按紧急程度排列，点击右侧链接前往处理页面。")
if not tasks:
    st.success("本月暂无待办事项。")
for t in tasks:
    with st.container(border=True):
        text, link = st.columns([4, 1], vertical_alignment="center")
        text.markdown(f"{ICONS.get(t.kind, '•')} {plain(t.text)}")
        link.page_link(f"pages/{t.page}.py", label=t.action)
st.page_link("pages/overview.py", label="查看领导总览", icon="🧭")
