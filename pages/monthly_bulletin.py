"""月度通报: one month's 到位资金 per unit (亿元), growth, completion against 序时进度, red and black lists."""
from __future__ import annotations

import functools

import polars as pl
import streamlit as st

from analytics.documents import build
from analytics.publication import monthly
from analytics.ranking.indicator_config import load_indicator_config
from pages import auth, data, widgets
from warehouse.queries import submissions as submission_queries

ROW_PX = 35  # st.dataframe row height: tall enough to show every unit without scrolling

user = auth.require("view_ranking_live")

st.title("📰 月度通报")
months = data.load(submission_queries.months_with_data)
if not months:
    st.info("数据仓库中尚无报送数据，暂无月度通报。")
    st.stop()

config = load_indicator_config()
groups = {g.id: g.name for g in config.groups}
left, right = st.columns(2)
month = left.selectbox("通报月份", months[::-1], format_func=lambda m: f"{m.year}年{m.month}月", key="bulletin_month")
group = right.selectbox("被考核单位分组", list(groups), format_func=groups.get, key="bulletin_group")
b = data.guarded(f"{month.year}年{month.month}月通报", monthly.monthly_bulletin, month, group_id=group)
if b is data.FAILED:
    data.name_failing_unit_months(month.replace(year=month.year - 1, month=1), month)  # the bulletin's reach
    st.stop()

st.subheader(f"{month.year}年{month.month}月招商引资到位资金通报（{b.group_name}）")
st.caption(f"数据截至：{b.data_cutoff:%Y-%m-%d %H:%M}。" if b.data_cutoff else "数据截至：无数据。")

m1, m2, m3, m4, m5 = st.columns(5)
m1.metric("本月到位资金（亿元）", str(b.total_month_yi))
m2.metric(f"1—{month.month}月累计（亿元）", str(b.total_ytd_yi),
          delta=f"同比 {b.total_growth_pct:+.1f}%" if b.total_growth_pct is not None else None)
m3.metric("达到序时进度（个）", b.ahead_count, help=f"累计完成年度任务 ≥ 序时进度（{month.month}/12）的单位数")
m4.metric("同比增长（个）", b.growing_count, help="1 月至本月累计到位资金高于上年同期的单位数")
m5.metric("已报本月报表（个）", f"{b.reported_count}/{b.table.height}")

red, black = st.columns(2)
red.success("红榜：" + ("、".join(b.red) or "无"))
black.error("黑榜：" + ("、".join(b.black) or "无"))
missing = b.table.filter(~pl.col("submitted"))["unit_name"].to_list()
if missing:
    st.warning(f"本月报表尚未收到：{'、'.join(missing)}（本月到位资金按 0 计，累计按已报月份计算）。")

view = b.table.select(
    pl.col("unit_name").alias("被考核单位"),
    pl.when(pl.col("submitted")).then(pl.lit("已报")).otherwise(pl.lit("未报")).alias("本月报表"),
    pl.col("funds_month_yi").alias("本月到位资金（亿元）"),
    pl.col("funds_ytd_yi").alias("累计到位资金（亿元）"),
    pl.col("funds_ytd_last_year_yi").alias("上年同期（亿元）"),
    pl.col("growth_pct").alias("同比增长（%）"),
    pl.col("task_yi").alias("年度任务（亿元）"),
    pl.col("completion_pct").alias("完成年度任务（%）"),
    pl.col("gap_pct").alias("较序时进度（百分点）"),
    pl.when(pl.col("ahead")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("达到序时进度"),
    pl.col("list_mark").fill_null("").alias("红黑榜"),
)
percent, yi = st.column_config.NumberColumn(format="%.1f"), st.column_config.NumberColumn(format="%.2f")
st.dataframe(view, hide_index=True, height=ROW_PX * (view.height + 1) + 3, column_config={
    **{c: yi for c in view.columns if c.endswith("（亿元）")}, "同比增长（%）": percent, "完成年度任务（%）": percent,
    "较序时进度（百分点）": st.column_config.NumberColumn(format="%+.1f"),
})
for note in b.notes:
    st.caption(note)
st.caption("到位资金口径：省外境内和境外资金；上年同期报表不全的单位不计算增速；空白表示无法计算。")
st.download_button("下载月度通报（xlsx）", lambda: monthly.monthly_bulletin_xlsx(b),
                   file_name=f"{month:%Y-%m}_月度通报.xlsx", mime=widgets.XLSX)

st.plotly_chart(monthly.monthly_progress_figure(b), key="bulletin_progress")

st.subheader("公文")
versions = {"public": "公开版", **({"internal": "内部版"} if user.can("view_verification") else {})}
version = st.radio("版本", list(versions), format_func=versions.get, horizontal=True, key="bulletin_doc_version",
                   help="公开版只含排名、合计和名单；内部版另含项目清单、停滞项目和核查发现。")
st.caption("按 GB/T 9704 版式生成（全省口径，文号留空待填，成文日期为今天）；Word 可直接编辑，PDF 用于分发。")
for col, (kind, fmt) in zip(st.columns(4), [(k, f) for k in ("monthly", "briefing") for f in build.FORMATS]):
    name = "月度通报" if kind == "monthly" else "专报"
    widgets.prepared_download(col, f"{name}（{fmt}）", functools.partial(
        build.document_bytes, data.current_snapshot(), kind, f"{month:%Y-%m}", version, fmt),
        file_name=f"{month:%Y-%m}_{name}_{versions[version]}.{fmt}", mime=build.MIME[fmt],
        key=f"doc_{kind}_{fmt}_{version}_{month:%Y%m}")
