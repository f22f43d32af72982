"""抽样核查 page, 核减 panel (called from the 抽样记录与核查结果 tab): the recorded 核减 with the verification record
each rests on, and for administrators recording a 核减 on a 存在差异 record."""
from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.verification import deductions as kd
from pages import data

NOTICE = "deduction_notice"


def panel(user) -> None:
    st.subheader("核减到位资金")
    st.caption("核查认定报送的累计到位资金偏高的，经管理员核减后，自核减之日起目标进度、月度通报和排名均按核减后的"
               "金额计算；原报送数保留可查，此前已发布的排名不变。")
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.success(notice)
    done = data.load(kd.deduction_table)
    if done is not None and done.height:
        st.dataframe(done.select(
            pl.col("deduction_id").alias("核减编号"), pl.col("unit_name").alias("单位"),
            pl.col("project_id").alias("项目编号"), pl.col("month").alias("计入月份"),
            pl.col("reported_cum_wan").alias("报送累计（万元）"), pl.col("verified_cum_wan").alias("核实（万元）"),
            pl.col("deduction_wan").alias("核减（万元）"), pl.col("sample_id").alias("依据样本"),
            pl.col("note").alias("说明"), pl.col("recorded_by").alias("核减人"),
            pl.col("recorded_at").dt.strftime("%Y-%m-%d %H:%M").alias("核减时间")), hide_index=True)
    else:
        st.info("尚无核减记录。")
    if not user.can(kd.PERMISSION):
        return
    todo = data.load(kd.candidate_table)
    if todo is None or todo.is_empty():
        return
    keys = {f"{r['sample_id']}|{r['unit_code']}|{r['project_id']}":
            f"{r['unit_name']} {r['project_id']}：报送 {r['reported_amount_wan']} 万元，核实 {r['verified_amount_wan']} 万元"
            f"（{r['sample_id']}）" for r in todo.iter_rows(named=True)}
    with st.form("deduction"):
        key = st.selectbox("存在差异的核查记录", list(keys), format_func=keys.get, key="kd_record")
        amount = st.text_input("核减金额（万元，留空按报送减核实）", key="kd_amount")
        note = st.text_input("说明（留空取核查说明）", key="kd_note")
        if st.form_submit_button("核减"):
            sample_id, unit, project = key.split("|", 2)
            try:
                kid = kd.record_deduction(None, sample_id, unit, project, user, amount or None, note)
            except kd.DeductionRefused as e:
                st.error(str(e))
            else:
                st.session_state[NOTICE] = f"已核减（{kid}）"
                st.rerun()
