"""项目全周期: the 签约 → 开工 → 投产 funnel by unit, stalled projects with their rules, and drill-down to the projects
behind any count and to one project's month-by-month history."""
from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from analytics.office import supervision
from analytics.tables import Table
from analytics.targets import lifecycle
from core import catalog
from pages import data, widgets

PICK_LIMIT = 500  # projects offered in the history picker (the list is sorted: longest stuck first)

user = widgets.province_page("view_targets", "🔄 项目全周期",
                             "甘办发〔2024〕6号（十三）：跟踪项目从签约、开工到投产的全过程，及时发现并处置停滞项目。"
                             "每个项目取截至所选月份最近一次报送的状态；时长按自然月计至所在单位最近一次报送的月份。")

left, right, _ = st.columns([1, 1, 2])
as_of = widgets.month_picker("lifecycle", left)
everything = data.load(lifecycle.lifecycle_overview, as_of)
cohort = right.selectbox("签约年度", [0, *everything.signing_years],
                         format_func=lambda y: f"{y}年签约的项目" if y else "全部项目", key="lc_cohort") or None
overview = everything if cohort is None else data.load(lifecycle.lifecycle_overview, as_of, cohort)
for message in overview.messages:
    st.warning(message)
widgets.show_figures(overview.figures)

tab_funnel, tab_stalled, tab_drill = st.tabs(["全周期漏斗", "停滞项目", "项目明细与逐月记录"], key="lifecycle_tabs")

# ----------------------------------------------------------------------------- funnel
with tab_funnel:
    funnel = overview.funnel
    province = funnel.where(unit_code="")
    stages = ["签约项目", "已开工", "已投产"]
    fig = go.Figure(go.Funnel(y=stages, x=[province.plotted(c)[0] for c in ("signed", "started", "producing")],
                              texttemplate="%{value:,} 个<br>%{percentInitial:.1%}"))
    fig.update_layout(height=280, margin={"t": 20, "b": 10})
    units = funnel.frame.filter(funnel.frame["unit_code"] != "")
    by_unit = Table(funnel.title, units, funnel.columns)
    names = by_unit.plotted("unit_name")
    rates = go.Figure()
    for name, label, color in (("start_rate", "开工率", "#1f77b4"), ("production_rate", "投产率", "#2ca02c"),
                               ("funds_rate", "资金到位率", "#ff7f0e")):
        rates.add_bar(x=names, y=by_unit.plotted(name), name=label, marker_color=color)
    rates.update_layout(barmode="group", height=360, margin={"t": 20, "b": 10}, yaxis_title="比率（%）",
                        legend={"orientation": "h", "y": -0.3})
    c1, c2 = st.columns([1, 2])
    c1.plotly_chart(fig, key="funnel_chart")
    c1.caption("图：全省签约 → 开工 → 投产项目数（个），百分比为占签约项目的比例。")
    c2.plotly_chart(rates, key="rates_chart")
    c2.caption("图：各单位开工率、投产率（占签约项目数，%）与资金到位率（累计到位资金 ÷ 签约金额，%）。")
    widgets.show_table(funnel, "funnel")

# ----------------------------------------------------------------------------- stalled
with tab_stalled:
    by_rule = overview.by_rule
    rule_names = by_rule.plotted("unit_name")
    fig = go.Figure()
    for code, label in lifecycle.RULES.items():
        fig.add_bar(x=rule_names, y=by_rule.plotted(code), name=label)
    fig.update_layout(barmode="stack", height=360, margin={"t": 20, "b": 10}, yaxis_title="项目数（个）",
                      legend={"orientation": "h", "y": -0.3})
    st.plotly_chart(fig, key="stalled_chart")
    st.caption("图：各单位符合各条停滞认定规则的项目数（个）。一个项目可能同时符合多条规则，故堆叠高度可能大于停滞项目合计。"
               + overview.stalled.definition)
    widgets.show_table(by_rule, "by_rule")
    if overview.stalled.frame.is_empty():
        st.success("没有符合停滞认定规则的项目。")
    else:
        widgets.show_table(overview.stalled, "stalled")
    answers = data.load(supervision.latest_answers)
    if answers is not None and answers.height:
        st.markdown("**督办答复**（各项目最新一次答复，详见“停滞项目督办”页面）")
        st.dataframe(answers.select(pl.col("unit_name").alias("单位"), pl.col("project_id").alias("项目编号"),
                                    pl.col("answer").alias("答复"), pl.col("note").alias("说明"),
                                    pl.col("answer_date").alias("日期"), pl.col("answered_by").alias("答复人")),
                     hide_index=True)

# ----------------------------------------------------------------------------- drill-down
with tab_drill:
    st.caption("任一计数背后的项目：选择环节和范围；再选择其中一个项目，查看其逐月报送记录（与报送文件一致的万元数）。")
    c1, c2 = st.columns(2)
    stage = c1.selectbox("环节", list(lifecycle.STAGES), format_func=lifecycle.STAGES.get, index=None,
                         placeholder="选择环节", key="lc_drill_stage")
    scopes = {"": "全省", **{u.code: u.name for u in catalog.units()}}
    scope = c2.selectbox("范围", list(scopes), format_func=scopes.get, key="lc_drill_unit")
    if stage is not None:
        projects = data.load(lifecycle.funnel_projects, stage, scope or None, as_of, cohort)
        st.metric(f"{scopes[scope]} · {lifecycle.STAGES[stage]}（个）", projects.frame.height)
        if projects.frame.is_empty():
            st.info("所选范围内没有符合条件的项目。")
        else:
            widgets.show_table(projects, "funnel_projects")
            offered = projects.frame.head(PICK_LIMIT).select("unit_code", "project_id", "unit_name", "project_name")
            labels = {(u, p): f"{n} {p} {name}" for u, p, n, name in offered.iter_rows()}
            if projects.frame.height > PICK_LIMIT:
                st.caption(f"共 {projects.frame.height} 个项目，下方仅列出前 {PICK_LIMIT} 个；可先按单位缩小范围。")
            chosen = st.selectbox("查看项目逐月记录", list(labels), format_func=labels.get, index=None,
                                  placeholder="选择项目", key="lc_drill_project")
            if chosen is not None:
                widgets.show_table(data.load(lifecycle.project_history, *chosen), "project_history")
