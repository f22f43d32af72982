"""本单位工作进展: one 市州's own progress against its task and 序时进度, its counties' ranking, its stalled projects
and its published rank history. An account bound to a unit sees only that unit; asking for another (?unit=...) is
refused in Chinese and audited."""
from __future__ import annotations

import dataclasses

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from analytics.ranking import levels
from analytics.targets import own_unit
from core import catalog, money, periods, roles
from pages import auth, data, widgets

user = auth.require("view_own_unit")
scope = roles.unit_scope(user)
asked = st.query_params.get("unit")
if asked is not None:
    unit = catalog.resolve_unit(asked)
    if unit is None:
        st.error(f"未知的单位“{asked}”：请使用单位名称、简称或统计代码")
        st.stop()
    auth.require_unit(user, unit.code)
    unit_code = unit.code
elif scope is None:
    options = {u.code: u.name for u in catalog.units()}
    unit_code = st.selectbox("单位", list(options), format_func=options.get, key="unit_progress_unit")
elif user.unit_code:
    unit_code = user.unit_code
else:
    st.error("当前账户未绑定被考核单位，请联系管理员。")
    st.stop()

name = catalog.unit_name(unit_code)
st.title("🏛️ 本单位工作进展")
st.subheader(name)
st.caption("甘办发〔2024〕6号：市（州）和县（市、区）主要负责同志是招商引资第一责任人。本页展示本单位年度任务完成与序时进度、"
           "所辖县区情况与排名、停滞项目和已发布的季度排名；金额为省外境内、境外到位资金。")

as_of = widgets.month_picker("unit_progress")
view = data.load(own_unit.unit_view, unit_code, as_of)
for message in view.messages:
    st.warning(message)

tab_task, tab_counties, tab_stalled, tab_ranks = st.tabs(["任务与序时进度", "所辖县区", "停滞项目", "排名历程"], key="unit_progress_tabs")

with tab_task:
    row = view.task.frame.row(0, named=True)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("年初至今到位资金（亿元）", "—" if row["ytd_wan"] is None else f"{money.wan_to_yi(row['ytd_wan']):,}")
    c2.metric("年度任务（亿元）", "—" if row["task_wan"] is None else f"{money.wan_to_yi(row['task_wan']):,}",
              help=f"任务来源：{row['task_source']}")
    c3.metric("任务完成率（%）", "—" if row["completion"] is None else f"{row['completion'] * 100:.2f}")
    c4.metric("序时进度（%）", f"{row['calendar_progress'] * 100:.2f}")
    if row["ahead"] is not None:
        (st.success if row["ahead"] else st.warning)(
            "已达到序时进度" if row["ahead"] else
            f"未达到序时进度，距序时进度尚差 {money.wan_to_yi(row['gap_calendar_wan']):,} 亿元")
    widgets.show_table(view.task, "unit_progress_task")

with tab_counties:
    if view.counties is None:
        st.info(f"{name}没有下辖县区，不作县区分解和排名。")
    else:
        st.caption("本页县区为行政区划名单，尚无可离线使用且授权明确的县区边界数据，"
                   "故以表格和条形图展示，不绘制县区地图。")
        body = dataclasses.replace(view.counties, frame=view.counties.frame.filter(pl.col("code").is_not_null()))
        fig = go.Figure(go.Bar(x=body.plotted("funds_wan"), y=body.plotted("name"), orientation="h",
                               marker_color="#1f77b4", hovertemplate="%{y}：%{x:,.2f} 亿元<extra></extra>"))
        fig.update_layout(height=32 * body.frame.height + 100, margin={"t": 20, "b": 10},
                          xaxis_title="年初至今到位资金（亿元）", yaxis={"autorange": "reversed"})
        st.plotly_chart(fig, key="unit_progress_counties_chart")
        st.caption(f"图：{name}各县（市、区）{as_of.year}年1—{as_of.month}月到位资金（亿元）。")
        widgets.show_table(view.counties, "unit_progress_counties")
        quarter = st.session_state.get("quarter") or periods.quarter_of(as_of)
        ranking = data.load(levels.rank_level, quarter, "county", unit_code)
        st.markdown(f"**{periods.quarter_zh(quarter)}{name}各县（市、区）综合排名（预览，未发布）**")
        shown = ranking.table.select(
            (ranking.table["rank"]).alias("名次"), ranking.table["unit_name"].alias("县（市、区）"),
            ranking.table["unit_code"].alias("区划代码"), ranking.table["score"].round(2).alias("得分"),
            ranking.table["flags"].alias("备注"))
        st.dataframe(shown, hide_index=True)
        st.caption("；".join((ranking.note("missing"), *ranking.weight_notes)))

with tab_stalled:
    if view.stalled.frame.is_empty():
        st.success("截至所选月份，本单位没有符合停滞认定规则的项目。")
    else:
        widgets.show_table(view.stalled, "unit_progress_stalled")

with tab_ranks:
    if view.ranks.frame.is_empty():
        st.info("尚无已发布的季度综合排名。")
    else:
        widgets.show_table(view.ranks, "unit_progress_ranks")
