"""县区与产业链: the province's figures split by county (within one 市州 or province-wide) or by key chain, with a bar
chart, the composite ranking of that level (preview), and the chains' lead departments (provisional)."""
from __future__ import annotations

import dataclasses

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from analytics import origins
from analytics.ranking import levels, normalise
from analytics.targets import parts
from core import catalog, periods
from pages import data, widgets

user = widgets.province_page("view_targets", "🗺️ 县区与产业链",
                             "甘办发〔2024〕6号：市（州）和县（市、区）主要负责同志为第一责任人，重点产业链实行链长制。"
                             "本页按所在县区或所属产业链分解到位资金和项目，并按同一指标体系排名（县区、产业链指标见下方说明）。")

left, middle, right = st.columns([1, 1, 2])
as_of = widgets.month_picker("levels", left)
level = middle.radio("层级", ["county", "chain"], format_func={"county": "县（市、区）", "chain": "重点产业链"}.get,
                     horizontal=True, key="levels_level")
unit_code = None
if level == "county":
    options = {"": "全省", **{u.code: u.name for u in catalog.units() if u.counties}}
    unit_code = right.selectbox("范围", list(options), format_func=options.get, key="levels_unit") or None
elif catalog.chains_provisional():
    st.warning("产业链名单、代码和链长部门为暂定，待录入官方名单后更新。")

view = data.load(parts.part_figures, as_of, level, unit_code)
if level == "county":
    st.caption("尚无可离线使用且授权明确的县区边界数据，县区以表格和条形图展示，不绘制县区地图。")
body = view.frame.filter(pl.col("code").is_not_null())
shown = dataclasses.replace(view, frame=body.sort("funds_wan", descending=True).head(30))
fig = go.Figure(go.Bar(x=shown.plotted("funds_wan"), y=shown.plotted("name"), orientation="h", marker_color="#1f77b4",
                       hovertemplate="%{y}：%{x:,.2f} 亿元<extra></extra>"))
fig.update_layout(height=26 * shown.frame.height + 100, margin={"t": 20, "b": 10}, xaxis_title="年初至今到位资金（亿元）",
                  yaxis={"autorange": "reversed"})
st.plotly_chart(fig, key="levels_chart")
st.caption(f"图：{as_of.year}年1—{as_of.month}月到位资金（亿元）" + ("，前 30 名" if body.height > 30 else "") + "。")
widgets.show_table(view, f"levels_{level}")

st.subheader("投资来源地")
scopes = {"": "全省", **{u.code: u.name for u in catalog.units()}}
origin_unit = st.selectbox("来源地分布范围", list(scopes), format_func=scopes.get, key="levels_origin_unit") or None
regions, by_unit = data.load(origins.origin_view, as_of, origin_unit)
st.caption("东西部协作省份（天津、山东）为暂定名单，待核对官方结对关系后更新；该行为“其中”数，不计入合计。")
widgets.show_table(regions, "levels_origins")
with st.expander("各单位到位资金按来源地区域"):
    widgets.show_table(by_unit, "levels_origins_units")

quarter = st.session_state.get("quarter") or periods.quarter_of(as_of)
st.subheader(f"{periods.quarter_zh(quarter)}综合排名（预览，未发布）")
try:
    ranking = data.load(levels.rank_level, quarter, level, unit_code)
except normalise.RankingError as err:
    st.warning(str(err))
    st.stop()
columns = {"rank": "名次", "unit_name": "名称", "unit_code": "代码", "parent_name": "所属市州",
           "lead_department": "链长部门", "score": "得分", "rank_q05": "排名区间下限", "rank_q95": "排名区间上限",
           "flags": "备注"}
keep = [c for c in columns if not (level == "county" and c == "lead_department")
        and not (level == "chain" and c == "parent_name")]
st.dataframe(ranking.table.select([pl.col(c).round(2) if c == "score" else pl.col(c) for c in keep])
             .rename({c: columns[c] for c in keep}), hide_index=True)
with st.expander("指标与说明"):
    st.dataframe(ranking.indicators.select(pl.col("name").alias("指标"), pl.col("weight").round(4).alias("权重"),
                                           pl.col("direction_zh").alias("方向"), pl.col("formula_text").alias("公式")),
                 hide_index=True)
    st.markdown("\n".join(f"- {n}" for n in ranking.notes))
