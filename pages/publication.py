"""季度排名发布: every publication (a correction beside what it corrects), its verification and exports; for
administrators, preview → confirm → freeze the sidebar quarter's ranking."""
from __future__ import annotations

import functools

import polars as pl
import streamlit as st

from analytics.documents import build
from analytics.publication import archive, bulletin, integrity, signoff
from analytics.ranking import composite, history
from analytics.ranking.indicator_config import load_indicator_config
from core import clock, periods, spreadsheet
from pages import auth, data
from warehouse import accounts
from warehouse.queries import ranking as q

MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "html": "text/html",
        "pdf": "application/pdf"}
NOTICE = "publication_notice"
ROW_PX = 35  # st.dataframe row height: tall enough to show every unit without scrolling

user = auth.require("view_ranking_published")
quarter = st.session_state.get("quarter")

st.title("📢 季度排名发布")
st.caption("季度综合排名经管理员核对预览后冻结，" + ("即时发布" if signoff.one_person() else "经领导签批后正式发布")
           + "：发布时的指标数据、指标体系配置和计算结果永久保存、不再改动，"
           "并以内容哈希校验；更正以新的发布进行，原发布保留并标注为已更正。")
sees_pending = user.can("publish") or user.can(signoff.PERMISSION)
notice = st.session_state.pop(NOTICE, None)
if notice:
    st.success(notice)


def export(publication_id: str, fmt: str) -> bytes:
    """The file built in the background after the publication (a read), or built now when it is not there yet."""
    return data.load(bulletin.publication_export, publication_id, fmt)


# ----------------------------------------------------------------------------- the list
st.subheader("已发布的季度排名")
pubs = data.load(archive.publication_list)
report = data.load(integrity.check_snapshot)  # keyed chain, content, recomputation (cached per snapshot)
if report is not None and not report.ok:
    st.error("⚠️ 发布记录核验未通过，已发布的结果可能被改动、删除或伪造，请立即核查：\n\n"
             + "\n".join(f"- {m}" for m in report.messages()))
    audited = st.session_state.setdefault("integrity_audited", set())
    snapshot_id = data.current_snapshot().identity
    if snapshot_id not in audited:
        accounts.audit("integrity_failure", user, "季度排名发布页核验：" + "；".join(report.messages())[:2000])
        audited.add(snapshot_id)
if pubs is not None and not pubs.is_empty() and report is not None:
    whole_log_ok = all(pid for pid, _ in report.problems)
    pubs = pubs.with_columns(verified=pl.col("verified") & ~pl.col("publication_id").is_in(list(report.failed_ids()))
                             & pl.lit(whole_log_ok))
if pubs is not None and not pubs.is_empty():
    pubs = signoff.with_status(pubs, data.load(signoff.signoff_table))
    if not sees_pending:  # readers see a publication once a leader has approved it
        pubs = pubs.filter(pl.col("approved"))
waiting = [] if pubs is None or pubs.is_empty() else pubs.filter(~pl.col("approved") & pl.col("is_current"))[
    "publication_id"].to_list()
if waiting and user.can(signoff.PERMISSION):
    st.info(f"待您签批的发布：{'、'.join(waiting)}。请在下方“查看发布”中核对后签批。")
if pubs is None or pubs.is_empty():
    st.info("尚无已发布的季度排名。")
else:
    state = pl.when(pl.col("is_current")).then(pl.lit("现行")).otherwise(pl.format("已被 {} 更正", "corrected_by"))
    listing = pubs.select(
        pl.col("publication_id").alias("发布编号"),
        pl.col("quarter").map_elements(periods.quarter_zh, return_dtype=pl.String).alias("季度"),
        pl.col("group_name").alias("排名分组"),
        state.alias("状态"),
        pl.when(pl.col("approved")).then(pl.format("已签批（{}）", "approved_by"))
        .otherwise(pl.lit("待签批")).alias("签批"),
        pl.col("corrects").fill_null("").alias("更正对象"),
        pl.col("note").fill_null("").alias("更正说明"),
        pl.col("incomplete_reason").fill_null("").alias("数据不完整发布理由"),
        pl.col("published_by").alias("发布人"),
        pl.col("published_at").dt.strftime("%Y-%m-%d %H:%M").alias("发布时间"),
        pl.col("data_cutoff").dt.strftime("%Y-%m-%d %H:%M").alias("数据截至"),
        pl.col("indicator_version").alias("指标体系版本"),
        pl.col("method_version").alias("方法版本"),
        pl.col("content_hash").alias("内容哈希（SHA-256）"),
        pl.when(pl.col("verified")).then(pl.lit("✅ 一致")).otherwise(pl.lit("❌ 不一致")).alias("校验"),
    )
    st.dataframe(listing, hide_index=True)
    st.caption("校验：核对发布记录的签名链、内容哈希和逐单位结果，并按发布时保存的输入复算；"
               "“不一致”表示发布记录在发布后被改动、删除或伪造。")
    tampered = pubs.filter(~pl.col("verified"))["publication_id"].to_list()
    if tampered:
        st.error(f"以下发布校验不一致，内容与其哈希不符，可能已被改动，请立即核查：{'、'.join(tampered)}")
    st.download_button("下载发布清单（xlsx）", lambda: spreadsheet.table_xlsx("季度排名发布清单", listing),
                       file_name="季度排名发布清单.xlsx", mime=MIME["xlsx"])

    labels = {r["publication_id"]: f"{r['publication_id']}（{periods.quarter_zh(r['quarter'])}，"
              f"{'现行' if r['is_current'] else '已被更正'}）" for r in pubs.iter_rows(named=True)}
    pid = st.selectbox("查看发布", list(labels), format_func=labels.get, key="publication_pick")
    pub = pubs.filter(pl.col("publication_id") == pid).row(0, named=True)
    if pub["corrects"]:
        st.info(f"本发布更正 {pub['corrects']}。更正说明：{pub['note']}")
    if not pub["is_current"]:
        st.warning(f"本发布已被 {pub['corrected_by']} 更正，请以现行发布为准；原发布保留备查。")
    if pub["incomplete_reason"]:
        st.warning(f"发布时部分单位数据不完整。发布理由：{pub['incomplete_reason']}")
    if not pub["approved"]:
        st.warning(f"本发布由 {pub['prepared_by']} 准备，尚待领导签批，签批前不对外发布。")
        if user.can(signoff.PERMISSION):
            if st.button("签批发布", type="primary", key=f"approve_{pid}"):
                try:
                    done = signoff.approve(None, pid, user)
                except signoff.ApprovalRefused as err:
                    st.error(str(err))
                else:
                    st.session_state[NOTICE] = f"已签批发布 {done.publication_id}（准备人 {done.prepared_by}），自此正式发布。"
                    st.rerun()
    cutoff = f"{pub['data_cutoff']:%Y-%m-%d %H:%M}" if pub["data_cutoff"] else "无数据"
    st.markdown(
        f"- 发布人：{pub['published_by']}；发布时间：{pub['published_at']:%Y-%m-%d %H:%M}\n"
        f"- 数据截至：{cutoff}（数据快照 {pub['snapshot_identity']}）\n"
        f"- 指标体系版本：{pub['indicator_version']}（配置摘要 {pub['config_sha256'][:12]}）；方法版本："
        f"{pub['method_version']}；权重：{composite.WEIGHT_SCHEMES[pub['weight_scheme']]}\n"
        f"- 内容哈希：`{pub['content_hash']}`　{'✅ 校验一致' if pub['verified'] else '❌ 校验不一致'}")
    rows = data.load(q.published_ranking, pid)
    st.dataframe(rows.select(
        pl.col("rank").alias("排名"), pl.col("unit_name").alias("被考核单位"), pl.col("score").alias("综合得分"),
        pl.when(pl.col("rank_q05").is_not_null()).then(pl.format("{}–{}", "rank_q05", "rank_q95")).alias("排名区间"),
        pl.when(pl.col("complete")).then(pl.lit("完整")).otherwise(pl.lit("不完整")).alias("数据"),
        pl.col("adjustment_points").alias("加减分"), pl.col("flags").alias("备注"),
    ), hide_index=True, height=ROW_PX * (rows.height + 1) + 3, column_config={
        "综合得分": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.2f"),
        "加减分": st.column_config.NumberColumn(format="%+.1f")})
    st.caption("得分单位：分（0–100），排名单位：名次；排名区间为蒙特卡洛模拟第 5–95 百分位。以上为发布时冻结的结果，"
               "之后的补报或更正不会改变它。")
    for col, (fmt, label) in zip(st.columns(3), bulletin.EXPORT_FORMATS.items()):
        col.download_button(f"下载 {label}", functools.partial(export, pid, fmt), file_name=f"{pid}_综合排名通报.{fmt}",
                            mime=MIME[fmt], key=f"export_{pid}_{fmt}")
    if pub["is_current"] and pub["group_id"] == load_indicator_config().group().id:  # the 公文's ranking
        st.caption("季度排名通报（公文，GB/T 9704 版式，公开版；文号留空待填）：")
        for col, fmt in zip(st.columns(len(build.FORMATS)), build.FORMATS):
            col.download_button(f"下载季度排名通报（{fmt}）", functools.partial(
                build.document_bytes, data.current_snapshot(), "quarterly", pub["quarter"], "public", fmt),
                file_name=f"{pub['quarter']}_季度排名通报.{fmt}", mime=build.MIME[fmt], key=f"doc_{pid}_{fmt}")

# ----------------------------------------------------------------------------- publishing (administrators)
if user.can("publish"):
    st.divider()
    if not quarter:
        st.info("数据仓库中尚无报送数据，无可发布的排名。")
        st.stop()
    quarter_zh = periods.quarter_zh(quarter)
    st.subheader(f"发布{quarter_zh}排名")
    config = load_indicator_config()
    groups = {g.id: g.name for g in config.groups}
    group = st.selectbox("排名分组", list(groups), format_func=groups.get, key="publish_group")
    done_key = f"published_{quarter}_{group}"
    preview = data.load(composite.rank_quarter, quarter, group_id=group)
    if not preview.table["ranked"].any():
        st.info(f"{quarter_zh}各单位在指标期间均无报表，无可发布的排名。")
        st.stop()
    current = None if pubs is None else pubs.filter(
        (pl.col("quarter") == quarter) & (pl.col("group_id") == group) & pl.col("is_current"))
    correcting = current is not None and not current.is_empty()
    if correcting:
        c = current.row(0, named=True)
        st.warning(f"{quarter_zh}（{groups[group]}）已发布：{c['publication_id']}（{c['published_by']}，"
                   f"{c['published_at']:%Y-%m-%d %H:%M}）。再次发布即为更正，须填写更正说明；原发布保留并标注为已更正。")
    status = history.reporting_status(preview, clock.today())
    incomplete = status.filter(pl.col("status") != "完整").join(
        preview.table.select("unit_code", "unit_name"), on="unit_code", how="left", maintain_order="left")
    if not incomplete.is_empty():
        by_status = incomplete.group_by("status", maintain_order=True).agg("unit_name")
        st.warning("数据不完整，如确需发布须填写发布理由。" + "；".join(
            f"{s}：{'、'.join(names)}" for s, names in by_status.iter_rows()) + "。")

    st.markdown("**发布预览**（专家权重，当前数据；发布后冻结）")
    st.dataframe(preview.table.select(
        pl.col("rank").alias("排名"), pl.col("unit_name").alias("被考核单位"), pl.col("score").alias("综合得分"),
        pl.when(pl.col("rank_q05").is_not_null()).then(pl.format("{}–{}", "rank_q05", "rank_q95")).alias("排名区间"),
        pl.col("flags").alias("备注"),
    ), hide_index=True, height=ROW_PX * (preview.table.height + 1) + 3, column_config={
        "综合得分": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.2f")})
    st.caption(f"数据截至：{preview.data_cutoff:%Y-%m-%d %H:%M}；指标体系版本：{preview.config_version}；"
               f"方法版本：{preview.engine_version}。" if preview.data_cutoff else "")

    done = st.session_state.get(done_key)
    with st.form("publish_form"):
        note = st.text_area("更正说明（本季度已发布，必填：更正什么、为什么）" if correcting else "发布说明（选填）",
                            key="publish_note")
        reason = st.text_area("数据不完整时的发布理由", key="publish_reason", disabled=preview.all_complete)
        # Keyed on the preview's data: new data arriving after the check un-ticks it, so what is frozen is what was seen.
        confirm = st.checkbox("我已核对以上预览，确认冻结发布",
                              key=f"publish_confirm_{archive.inputs_digest(preview)[:16]}")
        submitted = st.form_submit_button("确认发布", type="primary", disabled=bool(done))
    if done:
        st.info(f"本次会话已发布 {done}。如需更正，请点击下方按钮后填写更正说明重新发布。")
        if st.button("发起更正发布", key="publish_again"):
            st.session_state.pop(done_key)
            st.rerun()
    if submitted and not done:
        if not confirm:
            st.error("请先勾选“我已核对以上预览，确认冻结发布”。")
        else:
            by = user.username if user.display_name == user.username else f"{user.display_name}（{user.username}）"
            done_word = "发布" if signoff.one_person() else "准备发布（待签批）"
            try:
                out = archive.publish(None, preview, config, by=by, note=note,
                                      incomplete_reason=None if preview.all_complete else reason,
                                      prepared_by_user=user.username)
            except archive.PublicationRefused as err:
                st.error(str(err))
            else:
                what = f"{quarter_zh}（{groups[group]}）排名"
                if out.duplicate:
                    accounts.audit("publish", user, f"重复提交 {what}，已存在发布 {out.publication_id}，未再次发布")
                    st.session_state[NOTICE] = f"该排名已发布（编号 {out.publication_id}），重复提交未再次发布。"
                else:
                    corrects = f"，更正 {out.corrects}" if out.corrects else ""
                    accounts.audit("publish", user, f"{done_word} {what}：编号 {out.publication_id}{corrects}，"
                                                    f"内容哈希 {out.content_hash}")
                    waiting = "" if signoff.one_person() else "，待领导签批后正式发布"
                    st.session_state[NOTICE] = (f"已{done_word.split('（')[0]} {what}：编号 {out.publication_id}{corrects}；"
                                                f"内容哈希 {out.content_hash}{waiting}")
                st.session_state[done_key] = out.publication_id
                st.rerun()
