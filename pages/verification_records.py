"""抽样核查 page, the 抽样记录与核查结果 tab: recorded samples and their work lists, the third-party results import,
the projection to the population and which signals predicted errors (with the family re-weighting)."""
from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.verification import results, sampling, worklist
from analytics.verification.sampling import STRATUM_ZH
from pages import data, deduction_panel, widgets
from warehouse import accounts

XLSX = widgets.XLSX


def work_list_downloads(sample: sampling.DrawnSample, key: str) -> None:
    """The firm's work list of a recorded sample (built when clicked)."""
    left, right = st.columns(2)
    left.download_button("下载核查清单（xlsx）", lambda: worklist.work_list_xlsx(sample),
                         file_name=f"核查清单_{sample.sample_id}.xlsx", mime=XLSX, key=f"{key}_xlsx",
                         on_click="ignore", type="primary")
    right.download_button("下载核查清单（csv）", lambda: worklist.work_list_csv(sample),
                          file_name=f"核查清单_{sample.sample_id}.csv", mime="text/csv", key=f"{key}_csv",
                          on_click="ignore")


def records_tab(user, quarter: str, quarter_zh: str) -> None:
    every_quarter = st.checkbox("显示全部季度的样本", key="vs_all_quarters")
    history = data.load(sampling.recorded_samples, None if every_quarter else quarter)
    if history.is_empty():
        st.info(f"{'' if every_quarter else quarter_zh}尚未抽取核查样本。")
    else:
        st.subheader("抽样记录")
        view = history.select(
            pl.col("sample_id").alias("样本编号"),
            pl.col("quarter").alias("季度"),
            pl.col("drawn_at").dt.strftime("%Y-%m-%d %H:%M").alias("抽样时间"),
            pl.col("drawn_by").alias("抽样人"),
            pl.col("seed").alias("随机种子"),
            pl.col("sample_size").alias("样本量（个）"),
            pl.col("certainty_size").alias("确定层（个）"),
            pl.col("probability_size").alias("概率层（个）"),
            pl.col("population_size").alias("项目总数（个）"),
            pl.col("params_json").str.json_path_match("$.lambda").cast(pl.Float64).alias("λ"),
            pl.col("method_version").alias("方法版本"),
            pl.col("config_version").alias("配置版本"),
            pl.col("data_hash").alias("数据指纹（SHA-256）"),
        )
        st.dataframe(view, hide_index=True, placeholder="—")
        st.caption("每次抽样记录随机种子、数据指纹、方法与配置版本及全部参数，可完整复现；记录只增不改。")
        widgets.table_download("下载抽样记录（xlsx）", "抽样记录", view,
                       ["样本记录只增不改；数据指纹为抽样时项目总体的 SHA-256。"], "抽样记录.xlsx", "vs_history_xlsx")
        ids = history["sample_id"].to_list()
        if st.session_state.get("vs_sample") not in ids:
            st.session_state["vs_sample"] = ids[0]
        sample_id = st.selectbox("选择样本", ids, key="vs_sample")
        work_list_downloads(data.load(sampling.load_sample, sample_id), "vs_records")

        deduction_panel.panel(user)
        st.subheader("核查结果导入")
        if not user.can("import_results"):
            st.info("导入核查结果需要“导入核查结果”权限（管理员）。")
        else:
            widgets.uploader_in_chinese()
            upload = st.file_uploader("上传第三方核查机构填写后的核查清单（xlsx 或 csv）", type=["xlsx", "csv"],
                                      key="vs_results_file")
            if upload is not None and st.button("导入核查结果", type="primary", key="vs_import"):
                try:
                    imported = results.import_results(None, upload.getvalue(), user.username, name=upload.name)
                except results.ResultsRejected as err:
                    st.error(f"“{upload.name}”未导入，未写入任何数据。请修改后重新上传：\n\n"
                             + "\n".join(f"- {e}" for e in err.errors))
                else:
                    accounts.audit("import_results", user, f"{upload.name}：{imported.summary()}")
                    st.success(imported.summary())

        st.subheader(f"样本 {sample_id} 的核查结果与推算")
        projection = data.load(results.evaluate_sample, sample_id)
        e1, e2, e3, e4 = st.columns(4)
        e1.metric("确定层差错", f"{projection.certainty_errors} 个",
                  help=f"已核查 {projection.certainty_checked} 个；判断抽样，只计数、不外推")
        e2.metric("概率层已核查", f"{projection.verified}/{projection.drawn} 个",
                  help=f"发现差错 {projection.errors} 个")
        e3.metric("推算差错率", "—" if projection.rate is None else f"{projection.rate:.1%}",
                  help="Horvitz–Thompson 估计：概率层差错项目按 1/πᵢ 加权，推及概率层总体")
        e4.metric(f"{projection.confidence:.0%} 置信上限",
                  "—" if projection.upper is None else f"{projection.upper:.1%}",
                  help="单侧 Korn–Graubard 上限")
        st.markdown(projection.summary() + "。")
        findings = data.load(results.sample_findings, sample_id)
        view = findings.select(
            pl.col("selection_order").alias("序号"),
            pl.col("stratum").replace_strict(STRATUM_ZH).alias("抽样层"),
            pl.col("unit_name").alias("被考核单位"),
            pl.col("project_id").alias("项目编号"),
            pl.col("project_name").alias("项目名称"),
            (pl.col("inclusion_prob") * 100).alias("入样概率（%）"),
            pl.col("risk_score").alias("风险分"),
            pl.col("funds_cum_wan").alias("报送累计到位资金（万元）"),
            pl.col("outcome").fill_null("未核查").alias("核查结论"),
            pl.col("verified_amount_wan").alias("核实金额（万元）"),
            pl.col("note").alias("核查说明"),
        )
        st.dataframe(view, hide_index=True, placeholder="—", column_config={
            "入样概率（%）": st.column_config.NumberColumn(format="%.2f"),
            "风险分": st.column_config.NumberColumn(format="%.3f"),
            "报送累计到位资金（万元）": st.column_config.NumberColumn(format="%.2f"),
            "核实金额（万元）": st.column_config.NumberColumn(format="%.2f"),
        })
        errors_zh = "、".join(results.error_outcomes())
        st.caption(f"差错 = 核查结论为{errors_zh}；金额单位：万元。")
        widgets.table_download("下载核查结果（xlsx）", f"样本 {sample_id} 核查结果", view, [projection.summary()],
                       f"核查结果_{sample_id}.xlsx", "vs_findings_xlsx")

    st.subheader("哪些信号预示了差错（全部已导入的核查结果）")
    precision = data.load(results.precision_report)
    if precision.is_empty():
        st.info("尚未导入任何核查结果。导入后将按信号类别和具体信号统计命中率。")
    else:
        view = precision.select(
            pl.col("level").replace_strict({"family": "信号类别", "reason": "具体信号"}).alias("层级"),
            pl.col("name").alias("信号"),
            pl.col("verified").alias("已核查项目（个）"),
            pl.col("errors").alias("有差错（个）"),
            (pl.col("precision") * 100).alias("命中率（%）"),
            pl.col("lift").alias("提升度（倍）"),
        )
        st.dataframe(view, hide_index=True, placeholder="—", column_config={
            "命中率（%）": st.column_config.NumberColumn(format="%.1f", help="带该信号的已核查项目中有差错的比例"),
            "提升度（倍）": st.column_config.NumberColumn(format="%.2f", help="命中率 ÷ 全部已核查项目的差错比例"),
        })
        st.caption("含确定层与概率层的全部已核查项目，为描述性统计，不外推。")
        widgets.table_download("下载信号命中率（xlsx）", "风险信号命中率", view, ["全部已导入的核查结果；描述性统计，不外推。"],
                       "风险信号命中率.xlsx", "vs_precision_xlsx")

    st.subheader("根据核查结果调整信号权重")
    learning = data.load(results.learning_report)  # again: an import above has made a new snapshot
    st.caption(learning.note + "。融合后的权重用于下一次抽样和本页的风险分。")
    l1, l2, l3 = st.columns(3)
    l1.metric("核查标签", f"{learning.labels} 条")
    l2.metric("留出集命中率（先验权重）",
              "—" if learning.precision_before is None else f"{learning.precision_before:.1%}",
              help=f"留出 {learning.holdout} 条标签，按先验权重取风险最高的 k 个（k = 留出集中的差错数）中有差错的比例")
    gain = (None if learning.precision_after is None or learning.precision_before is None
            else round((learning.precision_after - learning.precision_before) * 100, 1))
    l3.metric("留出集命中率（重新估计）",
              "—" if learning.precision_after is None else f"{learning.precision_after:.1%}",
              delta=None if gain is None else f"{gain:+.1f} 个百分点" if gain else "持平",
              delta_arrow="auto" if gain else "off", delta_color="normal" if gain else "off",
              help="按根据核查结果重新估计的权重，在同一留出集上的命中率")
    st.dataframe(learning.table().select(
        pl.col("name").alias("项目"),
        pl.col("prior").alias("先验权重"),
        pl.col("fitted").alias("按核查结果拟合"),
        pl.col("blended").alias("融合后（当前使用）"),
    ), hide_index=True, placeholder="—", column_config={c: st.column_config.NumberColumn(format="%.2f")
                                       for c in ("先验权重", "按核查结果拟合", "融合后（当前使用）")})
