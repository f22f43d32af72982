"""The monthly bulletin (月度通报): each unit's 到位资金 for the month and year to date against 序时进度, 红黑榜, as data, chart and workbook."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import plotly.graph_objects as go
import polars as pl

from analytics.ranking.charts import FONT
from analytics.ranking.formulas import funds_progress
from analytics.ranking.indicator_config import IndicatorConfig, load_indicator_config
from core import catalog, periods, spreadsheet
from core.money import wan_to_yi
from warehouse.queries import deductions as deduction_queries
from warehouse.queries import ranking as q
from warehouse.store import Snapshot

# --------------------------------------------------------------------------- monthly bulletin (月度通报)

MONTHLY_SCHEMA = {
    "unit_code": pl.String, "unit_name": pl.String, "submitted": pl.Boolean,
    "funds_month_yi": pl.Decimal(18, 2), "funds_ytd_yi": pl.Decimal(18, 2),
    "funds_ytd_last_year_yi": pl.Decimal(18, 2), "growth_pct": pl.Float64, "task_yi": pl.Decimal(18, 2),
    "completion_pct": pl.Float64, "schedule_pct": pl.Float64, "gap_pct": pl.Float64, "ahead": pl.Boolean,
    "list_mark": pl.String,
}


@dataclass(frozen=True)
class MonthlyBulletin:
    """The 月度通报 of one month. `table` columns: MONTHLY_SCHEMA (亿元 rounded from exact 万元; percentages as
    floats); `list_mark` is 红榜, 黑榜 or null."""

    month: dt.date
    group_name: str
    table: pl.DataFrame
    total_month_yi: Decimal
    total_ytd_yi: Decimal
    total_growth_pct: float | None
    ahead_count: int
    growing_count: int
    reported_count: int
    red: tuple[str, ...]
    black: tuple[str, ...]
    data_cutoff: dt.datetime | None
    notes: tuple[str, ...]


def _deduction_notes(snapshot: Snapshot, units: list[str], month: dt.date) -> tuple[str, ...]:
    """核减 booked this year up to `month` (analytics/verification/deductions.py): already netted in the figures."""
    d = deduction_queries.unit_month_deductions(snapshot, units, dt.date(month.year, 1, 1), month)
    if d.is_empty():
        return ()
    per_unit = d.group_by("unit_code", maintain_order=True).agg(pl.col("deduction_wan").sum())
    parts = "、".join(f"{catalog.unit_name(u)}{wan_to_yi(Decimal(w))}亿元" for u, w in per_unit.iter_rows())
    return (f"到位资金已按抽样核查结果核减（{parts}），表中为核减后的数；原报送数保留可查。",)


def monthly_bulletin(snapshot: Snapshot, month: dt.date, config: IndicatorConfig | None = None,
                     group_id: str | None = None) -> MonthlyBulletin:
    """Per unit: the month's and year-to-date 到位资金, growth, completion against 序时进度, red/black lists."""
    if config is None:
        config = load_indicator_config()
    group = config.group(group_id)
    month = periods.month_start(month)
    units = list(group.units)
    unit_months = q.unit_months(snapshot, units, dt.date(month.year - 1, 1, 1), month)
    this_month = {r["unit_code"]: Decimal(r["funds_month_wan"])
                  for r in unit_months.filter(pl.col("month") == month).iter_rows(named=True)}
    progress = funds_progress(unit_months, units, month.year, month)
    schedule = month.month / 12 * 100
    rows = []
    for u in units:
        f = progress[u]
        completion = float(f.completion) * 100 if f.completion is not None else None
        rows.append({
            "unit_code": u, "unit_name": catalog.unit_name(u), "submitted": u in this_month,
            "funds_month_yi": wan_to_yi(this_month.get(u, Decimal(0))), "funds_ytd_yi": wan_to_yi(f.ytd_wan),
            "funds_ytd_last_year_yi": wan_to_yi(f.last_year_same_period_wan),
            "growth_pct": float(f.growth) * 100 if f.growth is not None else None,
            "task_yi": wan_to_yi(f.task_wan), "completion_pct": completion, "schedule_pct": schedule,
            "gap_pct": completion - schedule if completion is not None else None,
            "ahead": f.ahead, "list_mark": None,
        })
    ahead = sorted((r for r in rows if r["ahead"]), key=lambda r: -r["completion_pct"])
    red = {r["unit_code"] for r in ahead[:config.red_top]}
    black = {r["unit_code"] for r in rows if r["gap_pct"] is not None and r["gap_pct"] < -config.black_gap * 100}
    for r in rows:
        r["list_mark"] = "红榜" if r["unit_code"] in red else "黑榜" if r["unit_code"] in black else None
    total_ytd = sum((progress[u].ytd_wan for u in units), Decimal(0))
    bases = [progress[u].last_year_same_period_wan for u in units]
    total_base = sum(bases, Decimal(0)) if all(b is not None for b in bases) else None
    notes = (f"序时进度 {month.month}/12 = {schedule:.1f}%；红榜为完成进度达到或超过序时进度的前 {config.red_top} 个单位，"
             f"黑榜为落后序时进度超过 {config.black_gap * 100:g} 个百分点的单位。",
             "金额由万元精确汇总后折算为亿元（保留两位小数）。", *_deduction_notes(snapshot, units, month))
    table = pl.DataFrame(rows, schema=MONTHLY_SCHEMA)
    return MonthlyBulletin(
        month=month, group_name=group.name, table=table,
        total_month_yi=wan_to_yi(sum(this_month.values(), Decimal(0))), total_ytd_yi=wan_to_yi(total_ytd),
        total_growth_pct=float((total_ytd - total_base) / total_base * 100) if total_base else None,
        ahead_count=sum(r["ahead"] for r in rows), growing_count=sum((r["growth_pct"] or 0) > 0 for r in rows),
        reported_count=len(this_month),
        red=tuple(r["unit_name"] for r in ahead if r["unit_code"] in red),
        black=tuple(r["unit_name"] for r in sorted(rows, key=lambda r: r["gap_pct"] or 0) if r["unit_code"] in black),
        data_cutoff=unit_months["received_at"].max() if not unit_months.is_empty() else None,
        notes=notes,
    )


LIST_COLOURS = {"红榜": "#c00000", "黑榜": "#333333"}


def monthly_progress_figure(b: MonthlyBulletin) -> go.Figure:
    """Each unit's year-to-date completion of its annual task (%) against 序时进度, red/black list marked."""
    t = b.table.filter(pl.col("completion_pct").is_not_null()).sort("completion_pct", descending=True)
    schedule = b.month.month / 12 * 100
    fig = go.Figure(go.Bar(
        x=t["unit_name"].to_list(), y=t["completion_pct"].to_list(),
        marker=dict(color=[LIST_COLOURS.get(m, "#5b9bd5") for m in t["list_mark"]]),
        text=[f"{v:.1f}%" for v in t["completion_pct"]], textposition="outside",
        customdata=[m or "" for m in t["list_mark"]], hovertemplate="%{x}：完成 %{y:.1f}% %{customdata}<extra></extra>",
    ))
    fig.add_hline(y=schedule, line=dict(color="#ed7d31", dash="dash"), annotation_text=f"序时进度 {schedule:.1f}%",
                  annotation_position="top right")
    missing = b.table.filter(pl.col("completion_pct").is_null())["unit_name"].to_list()
    if missing:
        fig.add_annotation(text=f"年度任务无法确定、未列出：{'、'.join(missing)}", x=0, y=-0.28, xref="paper",
                           yref="paper", showarrow=False, xanchor="left")
    fig.update_layout(
        title=f"{b.month.year}年1—{b.month.month}月到位资金完成年度任务进度（%；红色为红榜，黑色为黑榜）",
        yaxis=dict(title="完成年度任务（%）"), height=440, margin=dict(l=60, r=20, t=60, b=110), font=FONT,
        showlegend=False,
    )
    return fig


def monthly_bulletin_xlsx(b: MonthlyBulletin) -> bytes:
    """The 月度通报 workbook: summary lines, the per-unit table, red and black lists."""
    buf = io.BytesIO()
    wb, fmt = spreadsheet.workbook(buf)
    ws = wb.add_worksheet("月度通报")
    s = spreadsheet.Sheet(ws, fmt)
    heads = ("被考核单位", "本月到位资金（亿元）", "累计到位资金（亿元）", "上年同期（亿元）", "同比增长（%）",
             "年度任务（亿元）", "完成任务（%）", "序时进度（%）", "进度差（百分点）", "红黑榜", "本月报表")
    ws.set_column(0, 0, 16)
    ws.set_column(1, len(heads) - 1, 13)
    last = len(heads) - 1
    s.banner(0, last, f"{b.month.year}年{b.month.month}月招商引资到位资金通报（{b.group_name}）", "title")
    cutoff = f"{b.data_cutoff:%Y年%m月%d日 %H:%M}" if b.data_cutoff else "无数据"
    growth = f"，同比增长 {b.total_growth_pct:.1f}%" if b.total_growth_pct is not None else ""
    s.banner(1, last, f"数据截至：{cutoff}", "meta")
    s.banner(2, last, f"本月到位资金 {b.total_month_yi} 亿元，1—{b.month.month}月累计 {b.total_ytd_yi} 亿元{growth}；"
                      f"{b.ahead_count} 个单位达到序时进度，{b.growing_count} 个单位同比增长，"
                      f"{b.reported_count} 个单位已报送本月报表。", "meta")
    for col, h in enumerate(heads):
        s.put(3, col, h, "head")
    for k, r in enumerate(b.table.iter_rows(named=True), start=4):
        values = (r["unit_name"], r["funds_month_yi"], r["funds_ytd_yi"], r["funds_ytd_last_year_yi"], r["growth_pct"],
                  r["task_yi"], r["completion_pct"], r["schedule_pct"], r["gap_pct"], r["list_mark"],
                  "已报" if r["submitted"] else "未报")
        styles = ("text", "score", "score", "score", "pct", "score", "pct", "pct", "pct", "text", "text")
        for col, (v, st) in enumerate(zip(values, styles)):
            s.put(k, col, v, st)
    k = 4 + b.table.height + 1
    s.banner(k, last, "红榜：" + ("、".join(b.red) or "无"), "meta")
    s.banner(k + 1, last, "黑榜：" + ("、".join(b.black) or "无"), "meta")
    for i, note in enumerate(b.notes, start=k + 2):
        s.banner(i, last, note, "meta")
    wb.close()
    return buf.getvalue()
