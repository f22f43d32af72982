"""数据报送: upload → validation report → load; completeness matrix; each unit's versions."""
from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from analytics.submissions import status
from core import catalog, clock, reporting, roles
from etl import load as etl_load
from etl import report as etl_report
from pages import auth, data, widgets
from warehouse import accounts
from warehouse.queries import submissions as q

user = auth.require("view_submissions_own")
scope = roles.unit_scope(user)  # None = all units; a reporter sees only their own unit
own_unit = next(iter(scope)) if scope else None

st.title("📥 数据报送")
st.caption(
    "各市州、兰州新区每月报送《月度招商引资项目报表》（数据契约 v1，xlsx 或 csv）。"
    "上传后先校验、再确认入库；同一单位同一月份再次报送即形成新版本并取代旧版本，所有版本均保留。"
)

tab_upload, tab_matrix, tab_history = st.tabs(["上传与校验", "报送完整性", "报送历史与版本"], key="submissions_tabs")

# ----------------------------------------------------------------------------- upload
with tab_upload:
    if not user.can("upload"):
        st.info("当前账户为只读账户，不能上传报表。")
    else:
        widgets.uploader_in_chinese()
        files = st.file_uploader(
            "选择报表文件（可多选）", type=["xlsx", "csv"], accept_multiple_files=True, key="uploads"
        )
        if files:
            payloads = [(f.name, f.getvalue()) for f in files]
            reports = [etl_load.validate_file(name, content, isolate=True) for name, content in payloads]
            foreign = [r for r in reports if own_unit and r.unit_code and r.unit_code != own_unit]
            rows = [
                {
                    "文件": r.file_name,
                    "校验结论": {"loaded": "可入库", "duplicate": "重复文件（已入库过）", "rejected": "拒收"}[r.outcome],
                    "报送单位": catalog.unit_name(r.unit_code) if r.unit_code else "—",
                    "统计月份": r.month.strftime("%Y-%m") if r.month else "—",
                    "输入行": r.rows_input,
                    "可入库行": r.rows_loaded,
                    "隔离行": r.rows_quarantined,
                    "忽略行（空行/合计）": r.rows_ignored,
                    "警告": r.warnings,
                    "说明": r.summary_zh,
                }
                for r in reports
            ]
            st.subheader("校验结果")
            st.dataframe(pl.DataFrame(rows), hide_index=True, use_container_width=True)
            for r in reports:
                if r.issues:
                    with st.expander(f"{r.file_name}：问题明细 {len(r.issues)} 条"):
                        st.dataframe(
                            pl.DataFrame(
                                [
                                    {"行号": i.row_no, "列": i.column, "值": i.value, "类别": i.severity, "说明": i.message}
                                    for i in r.issues
                                ]
                            ),
                            hide_index=True,
                            use_container_width=True,
                        )
            st.download_button(
                "下载校验报告（xlsx）",
                etl_report.report_xlsx(reports),
                file_name=f"校验报告_{clock.now_local():%Y%m%d%H%M}.xlsx",
                mime=widgets.XLSX,
            )
            if foreign:
                st.error(
                    "以下文件不是本单位的报表，不能由本账户报送："
                    + "、".join(r.file_name for r in foreign)
                )
            loadable = [p for p, r in zip(payloads, reports) if r.outcome == "loaded" and r not in foreign]
            if loadable and st.button(f"确认入库（{len(loadable)} 个文件）", type="primary"):
                not_published = None
                try:
                    results = etl_load.load_files(loadable, actor=user.username, isolate=True)
                except etl_load.LoadNotPublished as exc:  # committed: say so, and that pages lag behind
                    results, not_published = exc.reports, exc.message
                accounts.audit("load", user, "；".join(r.summary_zh for r in results))
                if not not_published:
                    data.precompute_now()  # in the background: the upload does not wait for it
                for r in results:
                    (st.success if r.outcome == "loaded" else st.warning)(f"{r.file_name}：{r.summary_zh}")
                if not_published:
                    st.error(not_published)
                    accounts.audit("snapshot_failed", user, not_published)

# ----------------------------------------------------------------------------- completeness
with tab_matrix:
    today = clock.today()
    year = st.selectbox("年度", list(range(today.year, 2019, -1)), key="completeness_year")
    completeness = data.load(q.completeness, year, reporting.combined_jan_feb(year))
    if completeness is None:
        st.info("数据仓库中尚无报送数据。")
    else:
        if scope:
            completeness = completeness.filter(pl.col("unit_code").is_in(list(scope)))
        classified = status.classify(completeness, dt.datetime.combine(today, dt.time(12)))
        counts = status.summary(classified)
        cols = st.columns(6)
        for col, key in zip(cols, ["按时", "迟报", "缺报", "未到期", "已更正", "有隔离行"]):
            col.metric(key, counts[key])
        st.dataframe(status.matrix(classified), hide_index=True, use_container_width=True)
        st.caption(status.LEGEND + "。截止日：次月 " f"{catalog.etl_settings()['deadline_day']} 日 24 时。")

# ----------------------------------------------------------------------------- history
with tab_history:
    history = data.load(q.submission_history, own_unit)
    if history is None or history.is_empty():
        st.info("暂无报送记录。")
    else:
        units = history.select("unit_code", "unit_name").unique().sort("unit_code")
        names = dict(units.iter_rows())
        unit = own_unit or st.selectbox("被考核单位", list(names), format_func=names.get, key="history_unit")
        mine = history.filter(pl.col("unit_code") == unit)
        view = mine.select(
            pl.col("month").dt.strftime("%Y-%m").alias("统计月份"),
            pl.col("version").alias("版本"),
            pl.when(pl.col("is_current")).then(pl.lit("现行")).otherwise(pl.lit("已被取代")).alias("状态"),
            pl.col("received_at").dt.strftime("%Y-%m-%d %H:%M").alias("收件时间"),
            pl.when(pl.col("is_late")).then(pl.lit("迟报")).otherwise(pl.lit("按时")).alias("时效"),
            pl.col("file_name").alias("文件名"),
            pl.col("rows_input").alias("输入行"),
            pl.col("rows_loaded").alias("入库行"),
            pl.col("rows_quarantined").alias("隔离行"),
            pl.col("rows_ignored").alias("忽略行"),
            pl.col("warnings").alias("警告"),
            pl.col("sha256").str.slice(0, 12).alias("文件指纹"),
        )
        st.dataframe(view, hide_index=True, use_container_width=True)
        labels = {
            sid: f"{m:%Y-%m} 第{v}版（{f}）"
            for sid, m, v, f in mine.select("submission_id", "month", "version", "file_name").iter_rows()
        }
        sid = st.selectbox("查看某一版本的隔离行与警告", list(labels), format_func=labels.get, key="history_version")
        issues = data.load(q.submission_issues, sid)
        if issues.is_empty():
            st.success("该版本没有隔离行或警告。")
        else:
            st.dataframe(
                issues.rename(
                    {"row_no": "行号", "project_id": "项目编号", "severity": "类别", "column_name": "列",
                     "value": "值", "message": "说明"}
                ),
                hide_index=True,
                use_container_width=True,
            )

    if user.can("view_submissions_all"):
        with st.expander("入库日志（全部文件，含拒收与重复）"):
            log = data.load(q.load_log)
            if log is not None:
                st.dataframe(log, hide_index=True, use_container_width=True)
