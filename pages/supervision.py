"""督办: the administrator dispatches each unit its stalled-project list (项目全周期 stall rules); the unit's reporter
answers per project; everyone on the page sees the current lists with the newest answers and the overdue ones
(a unit-bound account sees its own unit only)."""
from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.office import supervision as sv
from core import clock, periods
from pages import auth, data
from warehouse.queries import submissions as submission_queries

NOTICE = "supervision_notice"
COLUMNS = {"unit_name": "单位", "project_id": "项目编号", "project_name": "项目名称", "rules": "停滞规则",
           "detail": "情况", "due_date": "答复期限", "state": "答复情况", "answer": "最新答复", "note": "说明",
           "answer_date": "日期", "answered_by": "答复人"}

user = auth.require("view_supervision")
st.title("📌 停滞项目督办")
st.caption("管理员按项目全周期停滞认定规则向各单位派发停滞项目清单；各单位填报员逐项答复（已复工、推进中、拟退出、"
           "已终止、数据有误），每次答复单独留存，以最新一次为准。")
notice = st.session_state.pop(NOTICE, None)
if notice:
    st.success(notice)


def done(message: str) -> None:
    st.session_state[NOTICE] = message
    st.rerun()


if user.can(sv.DISPATCH):
    months = sorted(data.load(submission_queries.months_with_data) or [], reverse=True)
    with st.form("dispatch"):
        st.subheader("派发督办清单")
        month = st.selectbox("停滞认定截至月份", months, format_func=periods.month_label, key="sv_month")
        note = st.text_input("督办要求（可选）", key="sv_note")
        if st.form_submit_button("派发督办清单") and month is not None:
            try:
                out = sv.dispatch(None, month, user, note)
            except sv.SupervisionRefused as e:
                st.error(str(e))
            else:
                done(f"已向 {len(out)} 个单位派发{periods.month_label(month)}停滞项目督办清单。")

lists = data.load(sv.status_table, clock.today(), user.unit_code)
if lists is None or lists.is_empty():
    st.info("目前没有督办清单。")
    st.stop()

if user.can(sv.ANSWER) and user.unit_code:
    mine = lists.filter(pl.col("unit_code") == user.unit_code)
    names = dict(mine.select("project_id", "project_name").iter_rows())
    with st.form("answer"):
        st.subheader("答复督办")
        project = st.selectbox("项目", list(names), format_func=lambda p: f"{p} {names[p] or ''}", key="ans_project")
        reply = st.selectbox("答复", sv.ANSWERS, key="ans_reply")
        text = st.text_area("情况说明", key="ans_note")
        day = st.date_input("日期", value=clock.today(), max_value=clock.today(), key="ans_date")
        if st.form_submit_button("提交答复"):
            try:
                sv.answer(None, project, reply, text, day, user)
            except sv.SupervisionRefused as e:
                st.error(str(e))
            else:
                done(f"已提交项目 {project} 的答复“{reply}”。")


def show(frame: pl.DataFrame) -> None:
    st.dataframe(frame.select([pl.col(c).alias(zh) for c, zh in COLUMNS.items()]), hide_index=True)


st.subheader("督办清单与最新答复")
show(lists)
late = lists.filter(pl.col("state").is_in(["逾期未答复", "逾期答复"]))
st.subheader("逾期答复清单")
if late.is_empty():
    st.success("没有逾期未答复或逾期答复的项目。")
else:
    show(late)
