"""重大项目与三个500强: the doubling tracker by tier, unit and chain; new signings; 三个500强 enterprises; 高新技术
share; drill-down to the projects behind any count."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from analytics.targets import doubling
from analytics.targets.settings import FIVE_HUNDRED_KEY
from core import catalog
from pages import data, widgets

user = widgets.province_page("view_targets", "🏗️ 重大项目与三个500强",
                             "甘办发〔2024〕6号：到2026年，10亿元以上项目和“三个500强”企业累计数实现翻番（目标期累计达到基期的2倍）。"
                             "项目按签约日期归期、只计一次；按到位资金口径（资金来源为省外境内、境外），已终止项目不计；"
                             "规模档次按计划总投资（10亿元 = 100,000 万元）。")

as_of = widgets.month_picker("major")

overview = data.load(doubling.major_overview, as_of)
tracker = overview.doubling
for message in overview.messages:
    st.warning(message)
widgets.show_figures(overview.figures, per_row=3)

measures = tracker.summary.frame["measure"].to_list() if tracker.summary.frame.height else []
tab_doubling, tab_breakdown, tab_new, tab_five, tab_drill = st.tabs(
    ["翻番进度", "按单位与产业链", "新签约项目", "三个500强企业", "项目明细"], key="major_projects_tabs")

# ----------------------------------------------------------------------------- doubling
with tab_doubling:
    if not measures:
        st.info("翻番规则配置有误，无法计算翻番进度。")
    else:
        widgets.show_table(tracker.summary, "doubling_summary")
        measure = st.columns([1, 3])[0].selectbox("指标", measures, key="major_path_measure")
        unit = "家" if measure == FIVE_HUNDRED_KEY else "个"
        path = tracker.path.where(measure=measure)
        x = path.plotted("month")
        fig = go.Figure()
        fig.add_scatter(x=x, y=path.plotted("cumulative"), mode="lines+markers", name="目标期累计",
                        line={"color": "#d62728", "width": 3})
        if any(v is not None for v in path.plotted("path_count")):
            fig.add_scatter(x=x, y=path.plotted("path_count"), mode="lines", name="翻番路径",
                            line={"dash": "dot", "color": "#2ca02c"})
        else:
            st.info(f"{measure}：基期数未知或为 0，翻番目标无法确定，图中只显示目标期累计。")
        fig.update_layout(height=380, margin={"t": 30, "b": 10}, yaxis_title=f"累计数（{unit}）",
                          xaxis={"tickformat": "%Y-%m"}, legend={"orientation": "h", "y": -0.2}, hovermode="x unified")
        st.plotly_chart(fig, key="doubling_path")
        st.caption(f"图：{measure}目标期逐月累计数（{unit}），红线为实际累计，绿色点线为由 0 匀速增长到翻番目标的序时路径。"
                   "项目在首次签约的月份计入；期间见上表标题。")
        widgets.show_table(tracker.path.where(measure=measure), "doubling_path")

# ----------------------------------------------------------------------------- by unit / chain
with tab_breakdown:
    if not measures:
        st.info("翻番规则配置有误，无法按单位和产业链计算翻番进度。")
    else:
        measure = st.columns([1, 3])[0].selectbox("指标", measures, key="major_breakdown_measure")
        unit = "家" if measure == FIVE_HUNDRED_KEY else "个"
        for breakdown, key, axis in ((tracker.by_unit, "by_unit", "单位"), (tracker.by_chain, "by_chain", "产业链")):
            rows = breakdown.where(measure=measure)
            groups = rows.plotted("group")
            fig = go.Figure()
            fig.add_bar(x=groups, y=rows.plotted("baseline_count"), name="基期数", marker_color="#7f7f7f")
            fig.add_bar(x=groups, y=rows.plotted("current_count"), name="目标期累计", marker_color="#d62728")
            fig.add_scatter(x=groups, y=rows.plotted("target_count"), mode="markers", name="翻番目标",
                            marker={"symbol": "line-ew-open", "size": 22, "color": "#2ca02c", "line": {"width": 3}})
            fig.update_layout(barmode="group", height=380, margin={"t": 30, "b": 10}, yaxis_title=f"数量（{unit}）",
                              legend={"orientation": "h", "y": -0.3})
            st.plotly_chart(fig, key=f"{key}_chart")
            st.caption(f"图：按{axis}的{measure}：基期数、目标期累计与翻番目标（{unit}）。"
                       + ("三个500强企业在有其项目的每个单位各计一次，全省合计时只计一次。" if measure == FIVE_HUNDRED_KEY else ""))
            widgets.show_table(rows, key)

# ----------------------------------------------------------------------------- new signings
with tab_new:
    for table, key in ((overview.new_this_month, "new_month"), (overview.new_this_quarter, "new_quarter")):
        if table.frame.is_empty():
            st.markdown(f"**{table.title}**")
            st.info("该期间没有新签约的10亿元以上或三个500强项目。")
        else:
            widgets.show_table(table, key)

# ----------------------------------------------------------------------------- 三个500强
with tab_five:
    enterprises = overview.enterprises
    if enterprises.frame.is_empty():
        st.info("目标期内没有申报三个500强的签约项目。")
    else:
        verified = enterprises.frame["verified"].sum()
        st.markdown(f"目标期内有项目签约的三个500强企业 **{enterprises.frame.height}** 家（全省只计一次），"
                    f"其中在对应年度名录中核实 **{verified}** 家，未核实 **{enterprises.frame.height - verified}** 家"
                    "（“已核实”列为“否”，请核对类别或补充依据）。")
        widgets.show_table(enterprises, "enterprises")

# ----------------------------------------------------------------------------- drill-down
with tab_drill:
    st.caption("任一计数背后的项目：选择指标、期间和范围（全省、某单位或某产业链）。")
    if measures:
        c1, c2, c3 = st.columns(3)
        measure = c1.selectbox("指标", measures, key="major_drill_measure")
        period = c2.radio("期间", ["target", "baseline"], format_func={"target": "目标期", "baseline": "基期"}.get,
                          horizontal=True, key="major_drill_period")
        scopes = {"": "全省", **{f"unit:{u.code}": u.name for u in catalog.units()},
                  **{f"chain:{c}": f"产业链：{c}" for c in (*catalog.chains(), catalog.other_chain())}}
        scope = c3.selectbox("范围", list(scopes), format_func=scopes.get, index=None, placeholder="选择全省、单位或产业链",
                             key="major_drill_scope")
        if scope is not None:
            kind, _, value = scope.partition(":")
            projects = data.load(doubling.doubling_projects, measure, period, as_of,
                                 unit_code=value if kind == "unit" else None, chain=value if kind == "chain" else None)
            if projects.frame.is_empty():
                st.info(f"{projects.title}：所选范围内没有符合条件的项目。")
            else:
                widgets.show_table(projects, "doubling_projects")
    if overview.enterprises.frame.height:
        names = dict(overview.enterprises.frame.select("enterprise_id", "enterprise_name").iter_rows())
        enterprise = st.selectbox("查看某个三个500强企业的全部项目", list(names), index=None, placeholder="选择企业",
                                  format_func=lambda e: f"{names[e]}（{e}）", key="major_drill_enterprise")
        if enterprise is not None:
            widgets.show_table(data.load(doubling.enterprise_projects, enterprise, as_of), "enterprise_projects")
