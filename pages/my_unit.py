"""本单位 (a reporter's landing page): what is due, what was received, problems to fix, and the published rank."""
from __future__ import annotations

import polars as pl
import streamlit as st

from analytics import overview
from core import catalog, clock, periods
from core.text import plain
from pages import auth, data

user = auth.require("view_unit_status")
if not user.unit_code:
    st.error("当前账户未绑定被考核单位，请联系管理员。")
    st.stop()
s = data.load(overview.unit_status, user.unit_code, clock.today(), clock.now_local())
st.title(f"本单位：{catalog.unit_name(user.unit_code)}")
if s is None:
    st.info("数据仓库中尚无报送数据。")
    st.stop()

due = periods.month_label(s.due_month)
a, b = st.columns(2)
with a.container(border=True):
    st.markdown("**本月应报**")
    if s.due_received:
        st.success(f"{due}报表已收到。")
    else:
        st.warning(f"{due}报表尚未收到，截止时间 {s.due_at:%Y年%m月%d日 %H:%M}。")
    st.page_link("pages/submissions.py", label="上传报表、查看校验报告", icon="📥")
with b.container(border=True):
    st.markdown("**已发布排名**")
    if s.published_quarter and s.published_rank is not None:
        st.metric(f"{periods.quarter_zh(s.published_quarter)}综合排名",
                  f"第 {s.published_rank} 名（共 {s.published_units} 个单位）",
                  help=f"综合得分 {s.published_score:.2f}" if s.published_score is not None else None)
    else:
        st.info("尚无已发布的季度排名。")
    st.page_link("pages/publication.py", label="查看已发布的季度排名", icon="📢")

st.subheader("需要处理的问题")
if s.problems:
    for p in s.problems:
        st.markdown(f"- {plain(p)}")
else:
    st.success("暂无需要处理的问题。")

st.subheader(f"{s.due_month.year}年报送情况")
st.dataframe(s.months.select(
    pl.col("month").alias("月份"), pl.col("status").alias("状态"), pl.col("received_at").alias("收件时间"),
    pl.col("rows_quarantined").alias("隔离行"), pl.col("warnings").alias("警告"), pl.col("file_name").alias("文件")),
    hide_index=True, column_config={"收件时间": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})
