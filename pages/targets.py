"""目标进度: the province against 序时进度 and the milestones, the forecast and its back-test, units against tasks."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from analytics.targets import province, unit_tasks
from core import catalog, money
from pages import data, widgets

user = widgets.province_page("view_targets", "🎯 目标进度",
                             "甘办发〔2024〕6号：全省到位资金年均增长不低于15%，2024年达到7000亿元、2026年突破1万亿元；"
                             "各单位年度任务按上年实绩×1.2下达，按序时进度（第m月末为 m÷12）考核。金额为省外境内、境外到位资金。")

as_of = widgets.month_picker("targets")

progress = data.guarded(f"截至{widgets.month_label(as_of)}的目标进度", province.province_progress, as_of)
if progress is data.FAILED:
    data.name_failing_unit_months(as_of.replace(year=as_of.year - 2, month=1), as_of)  # tasks look a year back
    st.stop()
units = progress.units
for message in progress.messages:
    st.warning(message)
widgets.show_figures(progress.figures)
gap = province.gap_sentence(progress)
if gap:
    st.info(gap)

tab_province, tab_forecast, tab_units, tab_projects = st.tabs(["全省进度", "预测与回测", "各单位任务", "项目明细"], key="targets_tabs")

# ----------------------------------------------------------------------------- province
with tab_province:
    path = progress.path
    x = [f"{m.month}月" for m in path.plotted("month")]
    level = f"{progress.year_end.level:.0%}"
    fig = go.Figure()
    fig.add_scatter(x=x, y=path.plotted("forecast_high_wan"), mode="lines", line={"width": 0}, hoverinfo="skip",
                    showlegend=False)
    fig.add_scatter(x=x, y=path.plotted("forecast_low_wan"), mode="lines", line={"width": 0}, fill="tonexty",
                    fillcolor="rgba(31,119,180,0.18)", name=f"预测区间（{level}）")
    fig.add_scatter(x=x, y=path.plotted("forecast_wan"), mode="lines+markers", line={"dash": "dash", "color": "#1f77b4"},
                    name="预测累计")
    fig.add_scatter(x=x, y=path.plotted("ytd_wan"), mode="lines+markers", line={"color": "#d62728", "width": 3},
                    name=f"{progress.year}年累计")
    fig.add_scatter(x=x, y=path.plotted("last_year_wan"), mode="lines", line={"color": "#7f7f7f"},
                    name=f"{progress.year - 1}年同期累计")
    fig.add_scatter(x=x, y=path.plotted("calendar_wan"), mode="lines", line={"dash": "dot", "color": "#2ca02c"},
                    name="序时目标")
    fig.update_layout(height=420, margin={"t": 30, "b": 10}, yaxis={"title": "累计到位资金（亿元）", "tickformat": ",.0f"},
                      legend={"orientation": "h", "y": -0.15}, hovermode="x unified")
    st.plotly_chart(fig, key="province_path")
    target = money.wan_to_yi(progress.target_wan)
    st.caption(f"图：{progress.year}年全省累计到位资金（亿元）。红线为本年实际累计，灰线为上年同期累计，绿色点线为序时目标"
               f"（年度目标 {'未知' if target is None else f'{target:,}'} 亿元 × m÷12，{progress.target_source}），"
               f"蓝色虚线及阴影为自所选月份起的预测累计及其 {level} 预测区间（季节占比法）。")
    widgets.show_table(progress.months, "province_months")

# ----------------------------------------------------------------------------- forecast
with tab_forecast:
    ye = progress.year_end
    if ye.point_wan is None:
        st.info(f"{progress.year}年全年暂无法预测：" + "；".join(ye.messages))
    else:
        interval = province.interval_text(ye) if ye.low_wan is not None or ye.reliability else "历史年度不足，无预测区间"
        st.markdown(f"**{progress.year}年全年预测**：{money.wan_to_yi(ye.point_wan):,} 亿元（{interval}），"
                    f"依据 {len(ye.history_years)} 个完整历史年度（{'、'.join(str(y) for y in ye.history_years)}年）。")
    st.caption("方法：" + ye.definition)
    widgets.show_table(progress.milestones, "milestones")
    bt = progress.backtest
    if bt.frame.is_empty():
        st.info(bt.definition)
    else:
        widgets.show_figures((progress.backtest_error,), per_row=3)
        horizon = 12 - progress.month
        hs = bt.plotted("horizon")
        fig = go.Figure(go.Bar(x=hs, y=bt.plotted("mape"), text=[f"{n}次" for n in bt.plotted("forecasts")],
                               marker_color=["#d62728" if h == horizon else "#1f77b4" for h in hs],
                               hovertemplate="提前 %{x} 个月：MAPE %{y:.2f}%（%{text}）<extra></extra>"))
        fig.update_layout(height=320, margin={"t": 30, "b": 10}, xaxis_title="提前月数（个月）",
                          yaxis_title="平均绝对百分比误差（%）", xaxis={"dtick": 1})
        st.plotly_chart(fig, key="backtest_chart")
        st.caption("图：用以往完整年度回测本预测方法，按提前月数的平均绝对百分比误差（%）；红色为本次预测所处的提前期。"
                   "回测次数少时误差估计本身很不稳定。")
        widgets.show_table(bt, "backtest")
    widgets.technical_info(user, list(progress.technical))

# ----------------------------------------------------------------------------- units
with tab_units:
    table = units.table
    widgets.show_figures(units.figures, per_row=3)
    for message in units.messages:
        st.warning(message)
    orders = {"按任务完成率": "completion", "按距序时进度差额": "gap_calendar_wan", "按距全年任务差额": "gap_task_wan"}
    order = st.radio("图中排序", list(orders), horizontal=True, key="targets_units_order")
    ordered = table.sort_by(orders[order])
    names = ordered.plotted("unit_name")
    rates = ordered.plotted("completion")
    labels = [f"{r:.2f}%" if r is not None else (s if y is None else "任务未知，不计完成率")
              for r, s, y in zip(rates, ordered.plotted("status"), ordered.plotted("ytd_wan"))]
    colors = ["#2ca02c" if a == "是" else "#ff7f0e" for a in ordered.plotted("ahead")]
    fig = go.Figure(go.Bar(
        y=names, x=[r or 0 for r in rates], orientation="h", marker_color=colors, text=labels, textposition="outside",
        customdata=list(zip(ordered.plotted("ytd_wan"), ordered.plotted("task_wan"), ordered.plotted("gap_calendar_wan"))),
        hovertemplate="%{y}<br>完成率 %{text}<br>年初至今 %{customdata[0]} 亿元 / 任务 %{customdata[1]} 亿元"
                      "<br>距序时进度差 %{customdata[2]} 亿元<extra></extra>"))
    calendar = table.plotted("calendar_progress")[0]
    fig.add_vline(x=calendar, line_dash="dash", line_color="#d62728",
                  annotation_text=f"序时进度 {calendar:.2f}%", annotation_position="top")
    fig.update_layout(height=40 * len(names) + 120, margin={"t": 40, "b": 10}, xaxis_title="任务完成率（%）",
                      yaxis={"autorange": "reversed"}, showlegend=False)
    st.plotly_chart(fig, key="units_chart")
    st.caption(f"图：{units.year}年1–{units.month}月各单位任务完成率（%，年初至今到位资金 ÷ 年度任务），绿色为达到序时进度，"
               "橙色为未达到；红色虚线为序时进度。未报送或任务未知的单位在图中标注，不计完成率。")
    widgets.show_table(table, "units")

# ----------------------------------------------------------------------------- drill-down
with tab_projects:
    st.caption("任一到位资金数字背后的项目：选择全省或某个单位，列出所选年度1月至截至月份有到位资金记录的项目，"
               "其到位资金之和即上表中的年初至今到位资金。")
    options = {"": "全省", **{u.code: u.name for u in catalog.units()}}
    unit = st.selectbox("范围", list(options), format_func=options.get, index=None, placeholder="选择全省或某个单位",
                        key="targets_funds_unit")
    if unit is not None:
        projects = data.load(unit_tasks.funds_projects, as_of, unit or None)
        total = projects.frame["funds_wan"].sum() if projects.frame.height else 0
        st.metric(f"{options[unit]}年初至今到位资金（亿元）", f"{money.wan_to_yi(total):,.2f}",
                  help=f"{projects.frame.height} 个项目的期间到位资金之和")
        if projects.frame.is_empty():
            st.info("所选范围内没有到位资金记录。")
        else:
            widgets.show_table(projects, "funds_projects")
