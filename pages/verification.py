"""抽样核查: the sidebar quarter's risk overview by unit, Benford digit tests, the risk-ranked project list, the
sample builder (size, preview, draw and record, work list) and the recorded samples with their verification
results (import, projection, which signals predicted errors, re-weighting)."""
from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.verification import benford, charts, results, sampling, scoring
from analytics.verification.rules import FAMILIES, FAMILY_ZH, window_label
from analytics.verification.sampling import STRATUM_ZH, Design
from core import clock, periods
from core.text import plain
from pages import auth, data, verification_records, widgets
from warehouse import accounts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_PROJECTS = 1000  # rows of the risk list shown on the page; the download holds all
ROW_PX = 35  # st.dataframe row height: tall enough to show every unit without scrolling


# ============================================================================ page

user = auth.require("view_verification")
quarter = st.session_state.get("quarter")

st.title("🔍 抽样核查")
if not quarter:
    st.info("数据仓库中尚无报送数据，暂无可核查的项目。")
    st.stop()
quarter_zh = periods.quarter_zh(quarter)
try:
    result = data.load(sampling.quarter_risk, quarter)
except ValueError as err:
    st.info(f"{quarter_zh}：{err}。")
    st.stop()
learning = data.load(results.learning_report)
weights_note = ("先验权重（配置）" if learning.fitted is None
                else f"根据 {learning.labels} 条核查结果重新估计并与先验融合的权重")
st.caption(f"{quarter_zh}报送的 {result.projects.height:,} 个项目逐一计算风险分（0–1）：六类风险信号各得 0–1 分，"
           f"按{weights_note}加权综合；全省普遍出现的信号几乎不计分，越少见的信号分量越重；可以直接查证的强证据"
           "（如500强身份与当年名录不符、同一项目在两个单位重复填报）单独计入、不被其他信号平均，一条即可使项目排在前列。"
           "每个信号都附中文说明并标明强、中等、弱证据。风险分只用于安排核查，不代表已认定数据有误。")
if user.can("manage_accounts"):
    with st.expander("技术信息"):
        st.markdown("- 风险分：各类信号得分按权重经 logistic 函数累计，强证据按 noisy-OR 合并（见 docs/METHODS.md §2）。\n"
                    "- 模型综合异常：ECOD 经验分布异常检测。\n"
                    "- 本福特检验符合程度：Nigrini MAD 界限。\n"
                    "- 样本量：AICPA 属性抽样与金额单位抽样公式（与 jfa 相同）。")

tab_overview, tab_benford, tab_projects, tab_sample, tab_records = st.tabs(
    ["风险概览", "本福特检验", "风险项目", "抽样", "抽样记录与核查结果"], key="verification_tabs")

# ---------------------------------------------------------------------------- risk overview
with tab_overview:
    units = result.units
    window_zh = window_label(scoring.sampling_config()["risk"]["history_months"])
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("本季度项目", f"{result.projects.height:,} 个")
    c2.metric("有风险信号的项目", f"{int(units['flagged'].sum()):,} 个", help="至少命中一条风险信号的项目")
    c3.metric("高风险项目", f"{int(units['high_risk'].sum()):,} 个", help=f"风险分 ≥ {scoring.HIGH_RISK} 的项目")
    c4.metric("平均风险分", f"{result.projects['risk_score'].mean():.3f}", help="0–1，越高越值得优先核查")
    st.subheader("各单位 × 风险信号类别")
    st.plotly_chart(charts.heatmap_figure(result.heatmap), key="vs_heatmap")
    st.caption("格中数字：该单位本季度项目中命中该类风险信号的项目数（个）；颜色：占该单位项目数的比例（%）。"
               "数据一致性 = 累计与当月资金、日期、状态等前后矛盾；数字特征 = 整数金额偏多、首两位数字偏离本福特分布、"
               "反复相同金额；时间特征 = 资金集中在季末月、逾期上调历史月份；重复与身份 = 跨单位重复、重复签约、"
               "信用代码与500强身份存疑；项目生命周期 = 停滞迹象；模型综合异常 = 多项特征综合来看明显异于全省同类项目。")
    view = units.select(
        pl.col("unit_name").alias("被考核单位"),
        pl.col("projects").alias("项目数（个）"),
        pl.col("flagged").alias("有风险信号（个）"),
        pl.col("high_risk").alias("高风险（个）"),
        pl.col("mean_risk").alias("平均风险分"),
        (pl.col("quarter_end_share") * 100).alias("季末月到位资金占比（%）"),
        (pl.col("round_share") * 100).alias("整数金额占比（%）"),
        pl.col("verdict_zh").alias(f"本福特检验（{window_zh}）"),
    )
    round_unit = scoring.sampling_config()["risk"]["round_unit_wan"]
    st.dataframe(view, hide_index=True, placeholder="—", height=ROW_PX * (view.height + 1) + 3, column_config={
        "平均风险分": st.column_config.NumberColumn(format="%.3f"),
        "季末月到位资金占比（%）": st.column_config.NumberColumn(format="%.1f", help="均匀分布时约 33.3%"),
        "整数金额占比（%）": st.column_config.NumberColumn(
            format="%.1f", help=f"本月到位资金中为 {round_unit} 万元整数倍的金额所占比例"),
        f"本福特检验（{window_zh}）": st.column_config.TextColumn(
            width="large", help="首两位数字检验，详见“本福特检验”页"),
    })
    notes = [f"{quarter_zh}；高风险 = 风险分 ≥ {scoring.HIGH_RISK}；季末月到位资金占比与整数金额占比（{round_unit} 万元的"
             f"整数倍）按{window_zh}的本月到位资金计算（均匀分布时季末月约占 33.3%）。"]
    st.caption(notes[0])
    widgets.table_download("下载单位风险汇总（xlsx）", f"{quarter_zh}各单位风险汇总", view, notes,
                   f"{quarter}_单位风险汇总.xlsx", "vs_units_xlsx")

# ---------------------------------------------------------------------------- Benford
with tab_benford:
    left, right = st.columns(2)
    test = left.radio("检验", ["first_two", "first", "second"], format_func=benford.TEST_ZH.get, horizontal=True,
                      key="vs_benford_test")
    report = data.load(scoring.digit_report, quarter, test)
    period_zh = {report.periods[0]: quarter_zh, report.periods[1]: report.periods[1]}
    period = right.radio("期间", list(report.periods), format_func=period_zh.get, horizontal=True,
                         key="vs_benford_period")
    st.caption(f"对象：各单位每月报送的本月到位资金（万元）中大于 0 的金额；小于 10 万元的金额无法取两位数字，"
               f"不参与检验（计入“剔除”）。MAD = 各数字实际占比与本福特期望占比之差的绝对值的平均；符合程度"
               f"界限（{benford.TEST_ZH[test]}）：高度符合 ≤ {report.bands[0]}、可接受 ≤ {report.bands[1]}、"
               f"勉强符合 ≤ {report.bands[2]}、其上为不符合。这些界限不随样本量变化，小样本的正常数据也常落入"
               f"“不符合”，故另列同等规模正常数据的期望 MAD：实际 MAD 与之相比才说明偏离是否异常。"
               f"少于 {report.min_n} 个金额时检验说明力有限。")
    summary = report.summary.filter(pl.col("period") == period)
    if summary.is_empty():
        st.info(f"{period_zh[period]}没有可检验的金额。")
    else:
        view = summary.select(
            pl.col("unit_name").alias("被考核单位"),
            pl.col("n").alias("金额个数 N（个）"),
            pl.col("excluded").alias("剔除（个）"),
            pl.col("mad").alias("MAD"),
            pl.col("conformity_zh").alias("符合程度"),
            pl.col("expected_mad").alias("同规模期望 MAD"),
            pl.col("mad_ratio").alias("MAD ÷ 期望（倍）"),
            pl.col("chi2").alias("卡方"),
            pl.col("p_value").alias("p 值"),
            pl.col("verdict_zh").alias("结论"),
        )
        st.dataframe(view, hide_index=True, placeholder="—", height=ROW_PX * (view.height + 1) + 3, column_config={
            "结论": st.column_config.TextColumn(width="large"),
            "MAD": st.column_config.NumberColumn(format="%.4f"),
            "同规模期望 MAD": st.column_config.NumberColumn(format="%.4f"),
            "MAD ÷ 期望（倍）": st.column_config.NumberColumn(format="%.2f"),
            "卡方": st.column_config.NumberColumn(format="%.1f", help="样本量大时几乎总是显著，请结合 MAD 判断"),
            "p 值": st.column_config.NumberColumn(format="%.4f"),
        })
        widgets.table_download("下载本福特检验结果（xlsx）", f"{period_zh[period]}本福特检验（{benford.TEST_ZH[test]}）", view,
                       [f"对象：各单位本月到位资金（万元）中大于 0 的金额；{quarter_zh}风险评估所用数据。"],
                       f"{quarter}_本福特检验_{test}.xlsx", "vs_benford_xlsx")

        names = dict(summary.filter(pl.col("n") > 0).select("unit_code", "unit_name").iter_rows())
        unit = st.selectbox("查看单位的数字分布", list(names), format_func=names.get, key="vs_benford_unit")
        row = summary.filter(pl.col("unit_code") == unit).row(0, named=True)
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("金额个数 N", f"{row['n']:,} 个", help=f"另有 {row['excluded']} 个金额小于 10 万元，未参与检验")
        m2.metric("MAD", f"{row['mad']:.4f}", help=f"同等规模正常数据的期望 MAD 为 {row['expected_mad']:.4f}")
        m3.metric("符合程度", row["conformity_zh"])
        m4.metric("卡方检验 p 值", f"{row['p_value']:.4f}", help=f"卡方 = {row['chi2']:.1f}")
        if not row["informative"]:
            st.warning(f"{names[unit]}在{period_zh[period]}只有 {row['n']} 个可检验的金额，少于 {report.min_n} 个，"
                       "本福特检验说明力有限，以下结果仅供参考。")
        st.markdown(f"**结论：{row['verdict_zh']}**")
        table = report.tables.filter((pl.col("unit_code") == unit) & (pl.col("period") == period))
        st.plotly_chart(charts.digit_figure(table, test), key="vs_benford_digits")
        st.caption(f"{names[unit]} · {period_zh[period]}：各{benford.TEST_ZH[test]}的实际占比与本福特期望占比（%）。"
                   "悬停可见个数与 Z 统计量（|Z| > 2.58 为显著偏离）。")
        st.plotly_chart(charts.mad_band_figure(row["mad"], row["expected_mad"], report.bands), key="vs_benford_mad")
        st.caption("色带：符合程度区间；红点：本单位 MAD；空心菱形：同等规模正常数据的期望 MAD。")

# ---------------------------------------------------------------------------- risk-ranked projects
with tab_projects:
    names = dict(result.units.select("unit_code", "unit_name").iter_rows())
    left, right = st.columns(2)
    chosen_units = left.multiselect("被考核单位", list(names), format_func=names.get, key="vs_list_units",
                                    placeholder="全部单位")
    chosen_families = right.multiselect("命中的信号类别", list(FAMILIES), format_func=FAMILY_ZH.get,
                                        key="vs_list_families", placeholder="全部项目（不限信号类别）")
    listed = scoring.project_table(result.projects, tuple(chosen_units), tuple(chosen_families))
    view = listed.select(
        pl.col("risk_rank").alias("风险排名"),
        pl.col("risk_score").alias("风险分"),
        pl.col("unit_name").alias("被考核单位"),
        pl.col("project_id").alias("项目编号"),
        pl.col("project_name").alias("项目名称"),
        pl.col("families_zh").alias("命中信号类别"),
        pl.col("reasons_text").alias("风险提示"),
        pl.col("investor_name").alias("投资方"),
        pl.col("chain").alias("所属产业链"),
        pl.col("status").alias("项目状态"),
        pl.col("signed_amount_wan").alias("签约金额（万元）"),
        pl.col("funds_quarter_wan").alias("本季度到位资金（万元）"),
        pl.col("funds_cum_wan").alias("累计到位资金（万元）"),
    )
    shown = f"，表中显示风险最高的 {SHOWN_PROJECTS:,} 个，下载文件含全部" if view.height > SHOWN_PROJECTS else ""
    st.caption(f"按风险分从高到低排列（风险排名为在全省本季度 {result.projects.height:,} 个项目中的名次）；"
               f"符合条件的项目 {view.height:,} 个{shown}。金额单位：万元（与报表一致）。")
    if view.is_empty():
        st.info("没有符合筛选条件的项目。")
    else:
        money = st.column_config.NumberColumn(format="%.2f")
        st.dataframe(view.head(SHOWN_PROJECTS), hide_index=True, placeholder="—", height=ROW_PX * 12 + 3,
                     column_config={
            "风险分": st.column_config.ProgressColumn(min_value=0, max_value=1, format="%.3f",
                                                   help="0–1：六类信号按证据强弱加权综合，强证据单独计入"),
            "签约金额（万元）": money, "本季度到位资金（万元）": money, "累计到位资金（万元）": money,
            "风险提示": st.column_config.TextColumn(width="large"),
        })
        widgets.table_download("下载风险项目清单（xlsx）", f"{quarter_zh}风险项目清单", view,
                       [f"{quarter_zh}；风险分 0–1，按{weights_note}计算；金额单位：万元。"],
                       f"{quarter}_风险项目清单.xlsx", "vs_list_xlsx")
        top = listed.head(200)
        labels = {(u, p): f"第 {r} 名 · {n} · {p} {pn}" for u, p, r, n, pn in
                  top.select("unit_code", "project_id", "risk_rank", "unit_name", "project_name").iter_rows()}
        picked = st.selectbox("查看项目的全部风险信号（前 200 个）", list(labels), format_func=labels.get,
                           key="vs_list_project")
        is_picked = (pl.col("unit_code") == picked[0]) & (pl.col("project_id") == picked[1])
        hits = result.signals.filter(is_picked)
        scores = listed.filter(is_picked).row(0, named=True)
        st.dataframe(pl.DataFrame({
            "信号类别": [FAMILY_ZH[f] for f in FAMILIES],
            "类别得分（0–1）": [scores[f"score_{f}"] for f in FAMILIES],
            "族权重": [result.weights[f] for f in FAMILIES],
        }), hide_index=True, placeholder="—", column_config={
            "类别得分（0–1）": st.column_config.NumberColumn(format="%.3f"),
            "族权重": st.column_config.NumberColumn(format="%.2f"),
        })
        if hits.is_empty():
            st.info("该项目未命中任何风险信号。")
        else:
            st.markdown("\n".join(
                f"- **{scoring.strength_zh(ev)}**｜{FAMILY_ZH[f]}（证据分 {ev:.2f}，本季度 {rate:.1%} 的项目出现此信号）："
                f"{plain(reason)}"
                for f, ev, rate, reason in hits.sort("evidence", descending=True)
                .select("family", "evidence", "base_rate", "reason").iter_rows()))
            st.caption("证据分 0–1 = 信号严重度 × 信息量：全省越普遍的信号信息量越低，越少见越接近严重度本身。"
                       "证据分 ≥ 0.6 为强证据、≥ 0.3 为中等证据，其余为弱证据；类别得分 = 1 − Π(1 − 证据分)。")

# ---------------------------------------------------------------------------- sample builder
with tab_sample:
    cfg = scoring.sampling_config()
    population = result.projects.height
    st.subheader("① 样本量")
    c1, c2, c3, c4 = st.columns(4)
    methods = {"attribute": "属性抽样（差错项目比例）", "mus": "货币单位抽样（差错金额占比）"}
    method = c1.radio("方法", list(methods), format_func=methods.get, key="vs_size_method")
    confidence = c2.selectbox("置信水平", [0.90, 0.95, 0.99], index=1, format_func=lambda c: f"{c:.0%}",
                              key="vs_size_confidence")
    tolerable = c3.number_input("可容忍差错率（%）", min_value=0.5, max_value=50.0, step=0.5,
                                value=cfg["sizes"]["tolerable_rate"] * 100, key="vs_size_tolerable")
    expected = c4.number_input("预期差错率（%）", min_value=0.0, max_value=49.5, step=0.5,
                               value=cfg["sizes"]["expected_rate"] * 100, key="vs_size_expected")
    size_fn = sampling.attribute_sample_size if method == "attribute" else sampling.mus_sample_size
    try:
        suggested = size_fn(confidence, tolerable / 100, expected / 100)
    except ValueError as err:
        st.error(str(err))
        suggested = None
    if suggested is not None:
        st.metric("建议概率层样本量", f"{suggested} 个")
        measure = "项目比例" if method == "attribute" else "金额占比"
        st.caption(f"按审计抽样通用的样本量方法：随机抽取 {suggested} 个项目、其中差错不超过预期时，"
                   f"可以 {confidence:.0%} 的把握认为全省差错{measure}不超过 {tolerable:g}%。"
                   "按简单随机抽样计算；按风险加权抽样时入样概率不等，有效样本量会略低，可适当增加。"
                   "确定层（风险最高的项目）另行全部核查，不计入此数。")

    st.subheader("② 抽样参数")
    def suggested_sizes() -> tuple[int, int]:
        """The suggested probability stratum and the configured certainty share, within the population."""
        probability = min(suggested, population)
        return probability, min(Design.default_certainty(suggested), population - probability)

    if suggested is not None:
        st.session_state.setdefault("vs_probability", suggested_sizes()[0])
        st.session_state.setdefault("vs_certainty", suggested_sizes()[1])
    for key in ("vs_probability", "vs_certainty", "vs_largest"):  # another quarter may have fewer projects
        if key in st.session_state:
            st.session_state[key] = min(st.session_state[key], population)
    st.session_state.setdefault("vs_lambda", float(cfg["design"]["lambda"]))
    st.session_state.setdefault("vs_seed", int(f"{clock.today():%Y%m%d}"))
    st.session_state.setdefault("vs_min_per_unit", int(cfg["design"]["min_per_unit"]))
    st.session_state.setdefault("vs_largest", int(cfg["design"]["certainty_largest"]))

    def adopt_suggestion() -> None:
        st.session_state["vs_probability"], st.session_state["vs_certainty"] = suggested_sizes()

    p1, p2, p3, p4 = st.columns(4)
    n_probability = p1.number_input("概率层样本量（个）", min_value=1, max_value=population, step=1,
                                    key="vs_probability")
    n_certainty = p2.number_input("确定层项目数（个）", min_value=0, max_value=population, step=1, key="vs_certainty",
                                  help="风险最高的项目全部核查（判断抽样，不外推）；默认按配置的确定层占比 "
                                       f"{cfg['design']['certainty_share']:.0%}")
    lam = p3.slider("风险权重 λ", min_value=0.0, max_value=0.95, step=0.05, key="vs_lambda",
                    help="概率层入样概率 ∝ (1 − λ)·均匀 + λ·风险分占比；λ < 1 保证每个项目都可能被抽中")
    seed = p4.number_input("随机种子", min_value=0, max_value=2**31 - 1, step=1, key="vs_seed",
                           help="相同种子、相同数据、相同参数必得相同样本，可复核")
    q1, q2, q3, _ = st.columns(4, vertical_alignment="bottom")
    min_per_unit = q1.number_input("每单位至少抽取（个）", min_value=0, max_value=50, step=1, key="vs_min_per_unit")
    largest = q2.number_input("确定层中按签约金额最大的（个）", min_value=0, max_value=population, step=1,
                              key="vs_largest", help="0 = 确定层全部按风险分选取")
    if suggested is not None:
        q3.button("采用建议样本量", on_click=adopt_suggestion, key="vs_adopt")

    design = Design.from_sizes(int(n_probability), int(n_certainty), int(seed), float(lam),
                               min_per_unit=int(min_per_unit), certainty_largest=int(largest))
    try:
        preview = sampling.draw(result.projects, quarter, design, result.weights)
    except ValueError as err:
        st.error(f"无法按这些参数抽样：{err}")
        preview = None

    if preview is not None:
        st.subheader("③ 预览")
        share = preview.probability_size / preview.items.height
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("样本量", f"{preview.items.height} 个", help=f"本季度共 {population:,} 个项目")
        m2.metric("确定层", f"{preview.certainty_size} 个", help="风险最高（及按签约金额最大）的项目，全部核查，不外推")
        m3.metric("概率层", f"{preview.probability_size} 个", help="按入样概率随机抽取，用于推算全省差错率")
        m4.metric("概率层占比", f"{share:.1%}",
                  delta="不低于 {:.0%}".format(design.min_probability_share) if share >= design.min_probability_share
                  else "低于要求", delta_color="normal" if share >= design.min_probability_share else "inverse",
                  delta_arrow="off")
        if preview.certainty_size < int(n_certainty):
            st.info(f"确定层实际为 {preview.certainty_size} 个（少于设定的 {int(n_certainty)} 个）：须先保证每单位至少 "
                    f"{design.min_per_unit} 个、概率层不低于 {design.min_probability_share:.0%}。")
        strata = sampling.strata_summary(preview)
        left, right = st.columns([1, 2])
        left.plotly_chart(charts.strata_figure(strata), key="vs_strata_chart")
        left.caption("各单位入样项目数（个），按抽样层分色。")
        right.dataframe(strata.select(
            pl.col("unit_name").alias("被考核单位"),
            pl.col("projects").alias("本季度项目（个）"),
            pl.col("certainty").alias("确定层（个）"),
            pl.col("probability_frame").alias("概率层总体（个）"),
            pl.col("probability").alias("概率层抽取（个）"),
            (pl.col("pi_min") * 100).alias("最小入样概率（%）"),
            (pl.col("pi_max") * 100).alias("最大入样概率（%）"),
        ), hide_index=True, placeholder="—", column_config={
            "最小入样概率（%）": st.column_config.NumberColumn(format="%.2f"),
            "最大入样概率（%）": st.column_config.NumberColumn(format="%.2f"),
        })
        right.caption("概率层总体 = 该单位未进入确定层的项目；入样概率 πᵢ 为概率层中被抽中项目的入样概率范围。")
        st.dataframe(preview.items.select(
            pl.col("selection_order").alias("序号"),
            pl.col("stratum").replace_strict(STRATUM_ZH).alias("抽样层"),
            pl.col("unit_name").alias("被考核单位"),
            pl.col("project_id").alias("项目编号"),
            pl.col("project_name").alias("项目名称"),
            (pl.col("inclusion_prob") * 100).alias("入样概率 πᵢ（%）"),
            pl.col("risk_score").alias("风险分"),
            pl.col("selection_reason").alias("抽样原因"),
        ), hide_index=True, placeholder="—", column_config={
            "入样概率 πᵢ（%）": st.column_config.NumberColumn(format="%.2f"),
            "风险分": st.column_config.NumberColumn(format="%.3f"),
            "抽样原因": st.column_config.TextColumn(width="large"),
        })
        st.caption(f"预览未记录，不能下载核查清单。数据指纹 {preview.data_hash[:16]}…，"
                   f"方法版本 {preview.method_version}。")

        st.subheader("④ 抽取并记录")
        if not user.can("draw_sample"):
            st.info("抽取并记录样本需要“抽取核查样本”权限（管理员）；当前账户只能预览。")
        elif st.button("抽取并记录样本", type="primary", key="vs_draw"):
            recorded = sampling.record_draw(None, quarter, design, user.username)
            st.session_state["vs_sample"] = recorded.sample_id
            if recorded.reused:
                st.info(f"相同数据、相同参数与随机种子的样本已于 {recorded.drawn_at:%Y-%m-%d %H:%M} "
                        f"由 {recorded.drawn_by} 记录为 {recorded.sample_id}，未重复记录。")
            else:
                accounts.audit("sample", user, f"样本 {recorded.sample_id}（{quarter}，{recorded.items.height} 个项目："
                               f"确定层 {recorded.certainty_size}、概率层 {recorded.probability_size}；随机种子 "
                               f"{recorded.seed}；数据指纹 {recorded.data_hash[:16]}）")
                st.success(f"已记录样本 {recorded.sample_id}：{recorded.items.height} 个项目（确定层 "
                           f"{recorded.certainty_size} 个、概率层 {recorded.probability_size} 个）。记录不可修改。")
            verification_records.work_list_downloads(recorded, "vs_drawn")

# ---------------------------------------------------------------------------- records and results
with tab_records:
    verification_records.records_tab(user, quarter, quarter_zh)
