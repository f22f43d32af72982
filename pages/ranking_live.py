"""实时排名: the sidebar quarter's quarter-to-date composite ranking as submissions arrive (a preview, never published
from here), its robustness, the map, the weight-scheme alternatives and a drill-down per unit."""
from __future__ import annotations

import polars as pl
import streamlit as st

from analytics import metrics
from analytics.publication import workbook
from analytics.ranking import attribution, charts, composite, history, normalise
from analytics.ranking.explain import explain_all
from analytics.ranking.indicator_config import load_indicator_config
from core import catalog, clock, periods, spreadsheet
from core.reporting import report_label as month_label  # 1—2月合报: February may be "1—2月"
from pages import auth, data, widgets
from warehouse.queries import ranking as ranking_queries
from warehouse.queries import submissions as submission_queries

ROW_PX = 35  # st.dataframe row height: tall enough to show every unit without scrolling
SCHEMES = {"expert": "专家权重（默认）", "entropy": "熵权法（备选，仅供比较）", "critic": "指标冲突性赋权法（备选，仅供比较）"}

user = auth.require("view_ranking_live")
sidebar_quarter = st.session_state.get("quarter")

st.title("🏆 实时排名")
if not sidebar_quarter:
    st.info("数据仓库中尚无报送数据，暂无排名。")
    st.stop()
config = load_indicator_config()
today = clock.today()

# The latest complete quarter by default; the quarter under way one click away, marked 暂定.
complete_quarter = history.latest_complete_quarter(sidebar_quarter, today, data.load(ranking_queries.first_month))
choices = {q: periods.quarter_zh(q) for q in (complete_quarter,) if q}
if sidebar_quarter != complete_quarter:
    choices[sidebar_quarter] = f"{periods.quarter_zh(sidebar_quarter)}（暂定，报送尚未截止）"
quarter = st.radio("排名季度", list(choices), format_func=choices.get, horizontal=True,
                   key=f"live_quarter_{sidebar_quarter}",
                   help="默认显示报送已全部截止的最近一个季度；进行中的季度按已报月份计算，标为暂定。")
provisional = quarter != complete_quarter
quarter_zh = periods.quarter_zh(quarter) + ("（暂定）" if provisional else "")

left, right = st.columns([3, 2])
scheme = left.radio("权重方案", list(SCHEMES), format_func=SCHEMES.get, horizontal=True, key="live_scheme")
groups = {g.id: g.name for g in config.groups}
group = right.selectbox("排名分组", list(groups), format_func=groups.get, key="live_group")

what = f"{quarter_zh}综合排名"
try:
    ranking = data.guarded(what, composite.rank_quarter, quarter, group_id=group, weight_scheme=scheme,
                           expected=(normalise.RankingError,))
except normalise.RankingError as err:
    st.warning(f"{err}。以下显示专家权重下的排名。")
    scheme = "expert"
    ranking = data.guarded(what, composite.rank_quarter, quarter, group_id=group, weight_scheme=scheme)
if ranking is data.FAILED:
    last = periods.quarter_months(quarter)[-1]
    data.name_failing_unit_months(last.replace(year=last.year - 1, month=1), last)  # the indicators' whole reach
    st.stop()

st.caption(f"{quarter_zh}（{ranking.group_name}）综合排名：按当前数据计算，未经发布，仅供研判；"
           "正式结果以“季度排名发布”页为准。")
if scheme != "expert":
    st.warning(f"当前为备选权重方案（{composite.WEIGHT_SCHEMES[scheme]}）下的排名，仅供比较，不作为正式排名；"
               "正式排名与发布一律采用专家权重。")
if not ranking.table["ranked"].any():
    st.info(f"{quarter_zh}各单位在指标期间均无报表，暂无排名。")
    st.stop()

past = data.guarded("历史季度排名（较上季变化）", history.rank_history, quarter, group_id=group, weight_scheme=scheme)
if past is data.FAILED:
    past = pl.DataFrame(schema=history.HISTORY_SCHEMA)
status = history.reporting_status(ranking, today)
table = history.rank_changes(ranking.table, past, quarter).join(
    status.select("unit_code", "status"), on="unit_code", how="left", maintain_order="left")

ranked = int(ranking.table["ranked"].sum())
complete = int(ranking.table["complete"].sum())
as_of = history.last_complete_month(ranking)
freshness = data.load(submission_queries.data_freshness) or {}
loaded = freshness.get("last_received_at")
m1, m2, m3, m4 = st.columns(4)
m1.metric("参与排名单位", f"{ranked} 个")
m2.metric("报表齐全单位", f"{complete}/{ranking.table.height} 个", help="指标期间各月报表均已收到的单位")
m3.metric("本季排名数据截至", month_label(as_of) if as_of else "—",
          help=metrics.DATA_CUTOFF.definition + "，限于所选季度的指标期间（侧栏“数据截至”为全部数据）")
m4.metric("最近一次加载", f"{loaded:%m月%d日 %H:%M}" if loaded else "—",
          help=f"最近一次收到并入库报表的时间（{loaded:%Y年%m月%d日 %H:%M}）" if loaded else "尚无报表入库")

overdue = status.filter(pl.col("overdue") != "").join(ranking.table.select("unit_code", "unit_name"), on="unit_code")
if not overdue.is_empty():
    st.warning("以下单位有已过截止日仍未报送的月报，按已报数据计算并标注“数据不完整”，其排名仅供参考："
               + "；".join(f"{n}（缺报 {m}）" for n, m in overdue.select("unit_name", "overdue").iter_rows()))
if provisional:
    not_due = "、".join(month_label(m) for m in history.months_not_due(ranking, today))
    st.info(f"暂定排名：{periods.quarter_zh(quarter)}尚在进行"
            + (f"，{not_due}报表尚未到截止日（次月 {catalog.etl_settings()['deadline_day']} 日）" if not_due else "")
            + f"；报表齐全 {complete}/{ranking.table.height} 个单位。按已报月份计算，季度结束后将变化。")

rank_move = pl.col("rank_change")
view = table.select(
    pl.col("rank").alias("排名"),
    pl.when(rank_move > 0).then(pl.format("▲ {}", rank_move))
    .when(rank_move < 0).then(pl.format("▼ {}", -rank_move))
    .when(rank_move == 0).then(pl.lit("持平")).otherwise(pl.lit("—")).alias("较上季"),
    pl.col("unit_name").alias("被考核单位"),
    pl.col("score").alias("综合得分"),
    pl.when(pl.col("rank_q05").is_not_null()).then(pl.format("{}–{}", "rank_q05", "rank_q95")).alias("排名区间"),
    pl.col("status").alias("报送情况"),
    pl.col("adjustment_points").alias("加减分"),
    pl.col("flags").alias("备注"),
)
st.subheader("综合排名")
st.dataframe(view, hide_index=True, height=ROW_PX * (view.height + 1) + 3, column_config={
    "排名": st.column_config.NumberColumn(help="竞争排名（1、2、2、4），按未取整得分；空白 = 未参与排名（见备注）"),
    "较上季": st.column_config.TextColumn(help=f"与{periods.quarter_zh(periods.previous_quarter(quarter))}"
                                        "（按当前数据与同一方案重算）相比的名次变化；▲ 上升，▼ 下降"),
    "综合得分": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.2f",
                                              help="0–100 分：各指标标准化得分的加权和，加上加减分"),
    "排名区间": st.column_config.TextColumn(help="蒙特卡洛模拟（扰动权重与标准化方法）下排名的第 5–95 百分位"),
    "加减分": st.column_config.NumberColumn(format="%+.1f", help="迟报、报表错误、核查差异等加减分合计（分）"),
})
st.caption("表头可点击排序。得分单位：分（0–100）；排名单位：名次。" + ranking.note("rank_rule"))
st.download_button("下载排名预览（xlsx，通报格式）", lambda: workbook.ranking_xlsx(ranking),
                   file_name=f"{quarter}_实时排名预览.xlsx", mime=widgets.XLSX)

change_error = "本季度的得分变化暂时无法计算，其余内容不受影响"
try:
    change = data.guarded("名次变化说明", attribution.attribute_quarter, quarter, group_id=group,
                          weight_scheme=scheme, expected=(normalise.RankingError,))
except normalise.RankingError as err:
    change, change_error = None, str(err)
change = None if change is data.FAILED else change
previous_zh = periods.quarter_zh(periods.previous_quarter(quarter))
sentences = explain_all(change, ranking.indicators, with_name=True) if change is not None else {}
st.subheader(f"名次变化说明（较{previous_zh}）")
if sentences:
    order = [u for u in table["unit_code"] if u in sentences]
    st.markdown("\n".join(f"- {sentences[u].text}" for u in order))
    st.caption("说明由得分变化归因自动生成：各指标按全年固定的上下限计分，单位得分的变化只来自本单位自身指标和加减分的变化，"
               "所列分值之和等于得分变化。▲ 表示名次上升，▼ 表示名次下降。")
else:
    st.info(f"无法说明名次变化：{change_error}" if change is None else "上一季度没有可比的排名。")

with st.expander("指标方向与计算公式"):
    st.dataframe(ranking.indicators.select(
        pl.col("name").alias("指标"), pl.col("direction_zh").alias("方向"), pl.col("unit").alias("单位"),
        (pl.col("weight") * 100).alias("专家权重（%）"), pl.col("normaliser_zh").alias("标准化方法"),
        pl.col("formula_text").alias("计算公式"), pl.col("note").alias("说明"),
    ), hide_index=True, column_config={"专家权重（%）": st.column_config.NumberColumn(format="%.1f")})
    st.dataframe(ranking.adjustment_items.select(
        pl.col("name").alias("加减分项"), pl.col("points_per").alias("每项分值"), pl.col("max_points").alias("最多（分）"),
        pl.col("formula_text").alias("计算方法"),
    ), hide_index=True)
    for note in ranking.notes:
        st.caption(note)

tab_robust, tab_map, tab_unit, tab_weights, tab_pairs = st.tabs(
    ["排名稳健性", "得分地图", "单位详情", "权重方案比较", "不可逆转的先后"], key="ranking_live_tabs")

with tab_robust:
    st.plotly_chart(charts.rank_interval_figure(ranking), key="live_interval")
    st.caption("条形：排名区间（第 5–95 百分位，单位：名次）；圆点：名义排名；菱形：模拟中位排名。区间越窄，排名越不受权重"
               "和标准化方法选择的影响。" + ranking.note("robustness"))

with tab_map:
    st.plotly_chart(charts.score_map_figure(ranking), key="live_map")
    st.caption("颜色表示综合得分（0–100 分）；兰州新区无独立行政区划轮廓，以圆点标注。")

with tab_unit:
    scored = ranking.table.filter(pl.col("score").is_not_null())
    names = dict(scored.select("unit_code", "unit_name").iter_rows())
    unit = st.selectbox("选择被考核单位", list(names), format_func=names.get, key="live_unit")
    row = table.filter(pl.col("unit_code") == unit).row(0, named=True)
    moved = row["rank_change"]
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("综合得分", f"{row['score']:.2f} 分")
    c2.metric("排名", f"第 {row['rank']} 名" if row["rank"] else "未参与排名",
              delta=None if moved is None else f"{moved:+d} 名（较上季）" if moved else "较上季持平",
              delta_arrow="auto" if moved else "off", delta_color="normal" if moved else "off")
    c3.metric("排名区间", f"{row['rank_q05']}–{row['rank_q95']} 名" if row["rank_q05"] else "—",
              help="蒙特卡洛模拟第 5–95 百分位")
    c4.metric("报表", "齐全" if row["status"] == "完整" else "不齐全", help=row["status"])
    st.caption(f"报送情况：{row['status']}" + (f"；备注：{row['flags']}" if row["flags"] else ""))

    items = ranking.contributions.filter(pl.col("unit_code") == unit)
    indicators = items.filter(pl.col("kind") == "indicator").join(
        ranking.indicators.select(pl.col("indicator_id").alias("item_id"), "direction_zh", "unit"), on="item_id",
        how="left", maintain_order="left").select(
        pl.col("item_name").alias("指标"), pl.col("direction_zh").alias("方向"), pl.col("value").alias("指标值"),
        pl.col("unit").alias("单位"), pl.col("normalised").alias("标准化得分（0–100）"),
        (pl.col("weight") * 100).alias("有效权重（%）"), pl.col("contribution").alias("贡献（分）"),
        pl.col("detail").alias("计算说明"))
    st.markdown("**指标值、标准化得分与贡献**")
    st.dataframe(indicators, hide_index=True, column_config={
        "指标值": st.column_config.NumberColumn(format="%.2f"),
        "标准化得分（0–100）": st.column_config.NumberColumn(format="%.1f"),
        "有效权重（%）": st.column_config.NumberColumn(format="%.1f"),
        "贡献（分）": st.column_config.NumberColumn(format="%.2f")})
    adjustments = items.filter(pl.col("kind") != "indicator").select(
        pl.col("item_name").alias("加减分项"), pl.col("value").alias("计数"), pl.col("weight").alias("每项分值"),
        pl.col("contribution").alias("得分（分）"), pl.col("detail").alias("说明"))
    st.dataframe(adjustments, hide_index=True)
    st.plotly_chart(charts.contribution_waterfall(ranking, unit), key="live_waterfall")
    st.caption("有效权重：缺少某项指标时，其权重按比例分给其余指标；各项贡献与加减分之和等于综合得分。")
    st.download_button("下载本单位明细（xlsx）", lambda: spreadsheet.table_xlsx(
        f"{quarter_zh}{names[unit]}综合得分明细", indicators, [row["flags"] or "数据完整", *ranking.notes]),
        file_name=f"{quarter}_{names[unit]}_得分明细.xlsx", mime=widgets.XLSX)

    if past.filter((pl.col("unit_code") == unit) & pl.col("rank").is_not_null()).height > 1:
        st.plotly_chart(charts.rank_history_figure(past, unit), key="live_history")
        st.caption("各季度排名均按当前数据、当前指标体系和所选权重方案重新计算，可能与当时发布的结果不同。")

    st.markdown(f"**得分变化归因（{previous_zh} → {quarter_zh}）**")
    if change is None:
        st.info(f"无法归因：{change_error}")
    elif change.summary.filter(pl.col("unit_code") == unit).is_empty():
        st.info("该单位上一季度没有得分，无法归因。")
    else:
        a = change.summary.filter(pl.col("unit_code") == unit).row(0, named=True)
        st.markdown(sentences[unit].text)
        if abs(a["reference_effect"]) >= 0.005:
            st.markdown(f"其中本单位指标与加减分变化贡献 {a['fixed_reference_change']:+.2f} 分，"
                        f"其他单位指标变化带来的参照变动 {a['reference_effect']:+.2f} 分。")
        st.plotly_chart(charts.attribution_figure(change, unit), key="live_attribution")
        for note in change.notes:
            st.caption(note)

with tab_weights:
    alternatives = ranking.weights.select(
        pl.col("name").alias("指标"), *[(pl.col(s) * 100).alias(f"{composite.WEIGHT_SCHEMES[s]}（%）") for s in SCHEMES],
        pl.when(pl.col("sparse")).then(pl.lit("是（熵权法易高估）")).otherwise(pl.lit("")).alias("取值稀疏"))
    st.dataframe(alternatives, hide_index=True, column_config={
        c: st.column_config.NumberColumn(format="%.1f") for c in alternatives.columns if c.endswith("（%）")})
    st.caption("专家权重为正式方案（指标体系配置）；熵权法和 指标冲突性赋权法由数据离散程度计算，仅作对照，不会被静默采用。")
    for note in ranking.weight_notes:
        st.caption(note)
    ranks = ranking.table.select("unit_code", pl.col("unit_name").alias("被考核单位"))
    for s, label in composite.WEIGHT_SCHEMES.items():
        try:
            other = data.guarded(f"{label}下的排名", composite.rank_quarter, quarter, group_id=group,
                                 weight_scheme=s, expected=(normalise.RankingError,))
        except normalise.RankingError as err:
            st.caption(str(err))
            continue
        if other is data.FAILED:
            continue
        ranks = ranks.join(other.table.select("unit_code", pl.col("rank").alias(f"{label}排名")), on="unit_code",
                           how="left", maintain_order="left")
    st.markdown("**各权重方案下的名次（单位：名次）**")
    st.dataframe(ranks.drop("unit_code"), hide_index=True, height=ROW_PX * (ranks.height + 1) + 3)

with tab_pairs:
    sentences = charts.dominance_sentences(ranking)
    if sentences:
        st.markdown("\n".join(f"- {s}" for s in sentences))
    else:
        st.info("本季度没有“各项指标全面占优”的单位对：任何两个单位的先后都可能随权重设定而改变，请结合排名区间解读。")
    st.caption("判定口径：在全部指标（按方向换算、经上下限处理）和加减分合计上都不低于对方，且至少一项更高；"
               "只比较指标齐全、参与排名的单位。")

widgets.technical_info(user, [
    f"指标体系版本：{ranking.config_version}（配置摘要 {ranking.config_sha256}）",
    f"方法版本：{ranking.engine_version}",
    f"数据快照：{ranking.snapshot_identity or '—'}",
    f"所用报表最晚收件时间：{ranking.data_cutoff:%Y-%m-%d %H:%M}" if ranking.data_cutoff else "所用报表最晚收件时间：—",
])
