"""表扬与约谈: the sidebar quarter's 通报表扬 and 约谈 lists by the configured rules (analytics/office/lists.py), each
unit with the rule that fired and the history behind it."""
from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.office import lists
from core import periods
from pages import auth, data
from warehouse.queries import submissions as submission_queries

user = auth.require("view_overview")
months = data.load(submission_queries.months_with_data) or []
quarter = st.session_state.get("quarter") or (periods.quarter_of(max(months)) if months else None)
st.title("🎖️ 表扬与约谈")
st.caption("按领导小组办公室确定的规则，由已发布（经签批）的季度综合排名和各月序时进度生成；名单为拟定建议，"
           "以领导小组审定为准。")
if not quarter:
    st.info("数据仓库中尚无报送数据。")
    st.stop()
result = data.load(lists.office_lists, quarter)
if result is None:
    st.info("数据仓库中尚无报送数据。")
    st.stop()
label = periods.quarter_zh(quarter)
st.markdown("**适用规则**：" + ("；".join(result.rules) if result.rules else "未配置表扬、约谈规则") + "。")
if not result.published:
    st.warning(f"{label}综合排名尚未发布（或尚未签批），表扬名单和末位约谈规则暂不生成。")


def show(frame: pl.DataFrame, empty: str) -> None:
    if frame.is_empty():
        st.info(empty)
        return
    st.dataframe(frame.select(pl.col("unit_name").alias("单位"), pl.col("rule").alias("触发规则"),
                              pl.col("history").alias("依据情况")), hide_index=True)


st.subheader(f"{label}拟通报表扬")
show(result.praise, f"{label}无单位符合通报表扬规则。")
st.subheader(f"{label}拟约谈")
show(result.interview, f"{label}无单位触发约谈规则。")
