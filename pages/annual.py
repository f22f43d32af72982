"""年度考核: the 年终总评 of a year — the approved annual publication for everyone who may see published rankings;
for administrators the preview, the 半年督查 and 加分/扣分 entries (with evidence notes) and preparing the
publication; for leaders the 签批."""
from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.annual import archive, entries
from analytics.annual.settings import load_annual_config
from analytics.publication import signoff
from analytics.publication.archive import PublicationRefused
from core import catalog
from pages import auth, data
from warehouse import accounts
from warehouse.queries import annual as q
from warehouse.queries import submissions as submission_queries

NOTICE = "annual_notice"
TABLE_COLUMNS = {"rank": "名次", "unit_name": "被考核单位", "score": "年度得分", "grade": "等次",
                 "quarters_part": "季度部分", "supervision": "半年督查", "deductions": "全年扣分", "items": "加减分",
                 "flags": "备注"}

user = auth.require("view_ranking_published")
config = load_annual_config()
st.title("🏅 年度考核")
st.caption(f"{config.title}（{config.version}）。{config.method_text}。")
notice = st.session_state.pop(NOTICE, None)
if notice:
    st.success(notice)

months = data.load(submission_queries.months_with_data) or []
years = sorted({m.year for m in months}, reverse=True)
if not years:
    st.info("数据仓库中尚无报送数据。")
    st.stop()
year = st.selectbox("考核年度", years, key="annual_year", format_func=lambda y: f"{y}年")
manages, approves = user.can(entries.PERMISSION), user.can(signoff.PERMISSION)


def show(table: pl.DataFrame) -> None:
    st.dataframe(table.select([pl.col(c).alias(zh) for c, zh in TABLE_COLUMNS.items()]), hide_index=True, placeholder="—",
                 column_config={"年度得分": st.column_config.NumberColumn(format="%.2f")})


# ----------------------------------------------------------------------------- published
st.subheader("已发布的年度考核结果")
pubs = data.load(archive.annual_listing)
if pubs is not None and pubs.height:
    pubs = pubs.filter(pl.col("year") == year)
    if not (manages or approves):
        pubs = pubs.filter(pl.col("approved"))
if pubs is None or pubs.is_empty():
    st.info(f"{year}年度考核结果尚未发布。")
else:
    st.dataframe(pubs.select(
        pl.col("publication_id").alias("发布编号"), pl.col("status").alias("状态"),
        pl.col("prepared_by").alias("准备人"), pl.col("approved_by").fill_null("").alias("签批人"),
        pl.col("published_at").dt.strftime("%Y-%m-%d %H:%M").alias("准备时间"),
        pl.col("note").fill_null("").alias("更正说明"), pl.col("annual_version").alias("考核办法版本"),
        pl.col("content_hash").alias("内容哈希（SHA-256）"),
        pl.when(pl.col("verified")).then(pl.lit("✅ 一致")).otherwise(pl.lit("❌ 不一致")).alias("校验")),
        hide_index=True, placeholder="—")
    pid = st.selectbox("查看发布", pubs["publication_id"].to_list(), key="annual_pick")
    pub = pubs.filter(pl.col("publication_id") == pid).row(0, named=True)
    frozen = data.load(archive.load_annual_publication, pid).assessment
    show(frozen.table)
    if not pub["approved"]:
        st.warning(f"本发布由 {pub['prepared_by']} 准备，尚待领导签批，签批前不对外发布。")
        if approves and pub["is_current"] and st.button("签批发布", type="primary", key=f"annual_approve_{pid}"):
            try:
                done = signoff.approve(None, pid, user)
            except signoff.ApprovalRefused as err:
                st.error(str(err))
            else:
                st.session_state[NOTICE] = f"已签批年度考核结果发布 {pid}（准备人 {done.prepared_by}），自此正式发布。"
                st.rerun()

if not manages:
    st.stop()

# ----------------------------------------------------------------------------- administrators
st.divider()
st.subheader(f"{year}年度考核预览（当前数据）")
preview = data.load(archive.annual_preview, year)
show(preview.table)
sources = {"published": "已发布排名", "preview": "预览（未发布）", "missing": "无数据"}
st.caption("季度排名：" + "；".join(f"{x['quarter']} {sources[x['source']]}" for x in preview.inputs.quarters)
           + "。迟报等扣分按全年 1—12 月计一次，不随季度重复。")
units = {u: catalog.unit_name(u) for u, _ in preview.inputs.units}

with st.form("annual_supervision"):
    st.markdown("**录入半年督查结果**（0–100 分；重新录入以最新一条为准，原记录保留）")
    unit = st.selectbox("被考核单位", list(units), format_func=units.get, key="sup_unit")
    score = st.text_input("半年督查得分", key="sup_score")
    note = st.text_input("依据（督查报告文号等）", key="sup_note")
    if st.form_submit_button("录入督查结果"):
        try:
            entry = entries.record_supervision(None, year, unit, score, note, user)
        except entries.EntryRefused as err:
            st.error(str(err))
        else:
            st.session_state[NOTICE] = f"已录入 {units[unit]} 半年督查得分（{entry}）"
            st.rerun()

with st.form("annual_item"):
    st.markdown("**录入加分/扣分事项**（须附证明材料说明）")
    items = {i.id: f"{i.kind_zh}：{i.name}（最多 {i.max_points} 分）" for i in config.items}
    unit = st.selectbox("被考核单位", list(units), format_func=units.get, key="item_unit")
    item = st.selectbox("事项", list(items), format_func=items.get, key="item_id")
    points = st.text_input("分值", key="item_points")
    note = st.text_area("证明材料说明", key="item_note")
    if st.form_submit_button("录入事项"):
        try:
            entry = entries.record_item(None, config, year, unit, item, points, note, user)
        except entries.EntryRefused as err:
            st.error(str(err))
        else:
            st.session_state[NOTICE] = f"已录入 {units[unit]} {items[item]}（{entry}）"
            st.rerun()

recorded = data.load(q.items, year, include_withdrawn=True)
if recorded is not None and recorded.height:
    st.dataframe(recorded.select(pl.col("entry_id").alias("编号"), pl.col("unit_code").replace_strict(
        units, default=None).alias("单位"), pl.col("item_name").alias("事项"), pl.col("points").alias("分值"),
        pl.col("note").alias("依据"), pl.col("entered_by").alias("录入人"),
        pl.col("withdrawn_by").fill_null("").alias("撤销记录")), hide_index=True, placeholder="—")

with st.form("annual_publish"):
    st.markdown("**准备发布**" + ("" if signoff.one_person() else "（经领导签批后正式发布）"))
    note = st.text_input("更正说明（本年度已发布时必填）", key="annual_publish_note")
    reason = st.text_input("结果不完整时的发布理由", key="annual_publish_reason")
    if st.form_submit_button("冻结并准备发布", type="primary"):
        by = user.username if user.display_name == user.username else f"{user.display_name}（{user.username}）"
        try:
            out = archive.publish_annual(None, preview, config, by=by, note=note, incomplete_reason=reason,
                                         prepared_by_user=user.username)
        except PublicationRefused as err:
            st.error(str(err))
        else:
            if not out.duplicate:
                accounts.audit("publish", user, f"准备 {year}年度考核结果：编号 {out.publication_id}，"
                                                f"内容哈希 {out.content_hash}")
            st.session_state[NOTICE] = f"已准备 {year}年度考核结果：编号 {out.publication_id}" + (
                "" if signoff.one_person() else "，待领导签批后正式发布")
            st.rerun()
