"""Bulletins (通报): the quarterly ranking as xlsx / HTML / PDF, its charts, and the monthly bulletin data.

- `ranking_xlsx(ranking)`: the usual 通报 layout (title, 数据截至, method version; 被考核单位 | 指标完成情况 | 得分 |
  排名 | 备注) plus one sheet per indicator and a method sheet. Text cells that start with = + - @ are neutralised.
- `ranking_html(ranking)` (self-contained, Chinese) and `ranking_pdf(ranking)` (WeasyPrint; needs a CJK font).
- `rank_interval_figure`, `score_map_figure`: plotly figures for pages and exports; `contribution_waterfall`,
  `rank_history_figure`, `attribution_figure` and `dominance_sentences` explain one unit's score and the pairs no
  weighting can reverse.
- `publication_export(snapshot, publication_id, fmt)`: a stored publication as xlsx / HTML / PDF;
  `table_xlsx(title, frame, notes)`: any displayed table as a workbook.
- `monthly_bulletin(snapshot, month)`, `monthly_bulletin_xlsx(bulletin)`, `monthly_progress_figure(bulletin)`: the 月度通报.
"""
from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import re
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import xlsxwriter

from analytics import domain, periods
from analytics.spreadsheet import neutralise
from analytics.domain import wan_to_yi
from analytics.indicators import funds_progress
from analytics.publication import Publication, load_publication
from analytics.ranking import WEIGHT_SCHEMES, Ranking
from warehouse.queries import ranking as q

if TYPE_CHECKING:
    from analytics.indicator_config import IndicatorConfig
    from analytics.ranking import Attribution
    from warehouse.store import Snapshot

GEOJSON_PATH = Path(__file__).resolve().parent.parent / "assets" / "gansu_prefectures.geojson"
# Units without an outline in the GeoJSON, drawn as a marker: 兰州新区 (around 中川, 永登县/皋兰县), approximate.
MARKER_POINTS = {"620171": (103.68, 36.50)}
FONT = dict(family="Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif")
INTERVAL_PAD = 0.3  # ranks added on each side of an interval bar
CHART_OMITTED = "图表未能生成（本机缺少图形渲染组件），已省略；表格数据完整。"


# --------------------------------------------------------------------------- shared wording

def _value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}{unit}" if unit == "%" else f"{value:g}{unit}"


def _achievements(ranking: Ranking) -> dict[str, str]:
    """Per unit the 指标完成情况 line: each indicator's value with its unit."""
    units = dict(zip(ranking.indicators["indicator_id"], ranking.indicators["unit"]))
    out: dict[str, list[str]] = {}
    for r in ranking.contributions.filter(pl.col("kind") == "indicator").iter_rows(named=True):
        out.setdefault(r["unit_code"], []).append(f"{r['item_name']} {_value_text(r['value'], units[r['item_id']])}")
    return {u: "；".join(parts) for u, parts in out.items()}


def _remarks(ranking: Ranking) -> dict[str, str]:
    """Per unit the 备注: flags, bonus/deduction points, the robustness interval."""
    points: dict[str, list[str]] = {}
    for r in ranking.contributions.filter(pl.col("kind") == "adjustment").iter_rows(named=True):
        if r["contribution"]:
            points.setdefault(r["unit_code"], []).append(f"{r['item_name']} {r['contribution']:+.1f}分（{r['detail']}）")
    out = {}
    for r in ranking.table.iter_rows(named=True):
        parts = [r["flags"]] if r["flags"] else []
        parts += points.get(r["unit_code"], [])
        if r["rank_q05"] is not None:
            parts.append(f"排名区间 {r['rank_q05']}–{r['rank_q95']}")
        out[r["unit_code"]] = "；".join(parts)
    return out


def _title(ranking: Ranking) -> str:
    return f"{periods.quarter_zh(ranking.quarter)}招商引资工作综合排名通报（{ranking.group_name}）"


def _meta_lines(ranking: Ranking, publication: "Publication | None") -> list[str]:
    cutoff = f"{ranking.data_cutoff:%Y年%m月%d日 %H:%M}" if ranking.data_cutoff else "无数据"
    lines = [f"数据截至：{cutoff}；指标体系版本：{ranking.config_version}（配置摘要 {ranking.config_sha256[:12]}）；"
             f"方法版本：{ranking.engine_version}；权重：{WEIGHT_SCHEMES[ranking.weight_scheme]}"]
    if publication is not None:
        lines.append(f"发布编号：{publication.publication_id}；发布人：{publication.published_by}；"
                     f"发布时间：{publication.published_at:%Y-%m-%d %H:%M}；内容哈希：{publication.content_hash[:16]}…")
        if publication.corrects:
            lines.append(f"本通报更正 {publication.corrects}，更正说明：{publication.note}")
        elif publication.note:
            lines.append(f"说明：{publication.note}")
        if publication.incomplete_reason:
            lines.append(f"部分单位数据不完整，发布理由：{publication.incomplete_reason}")
    else:
        lines.append("预览：尚未发布")
    return lines


def _sheet_name(index: int, name: str) -> str:
    """Excel sheet names: at most 31 characters, none of [ ] : * ? / or backslash; the index keeps them unique."""
    return re.sub(r"[\[\]:*?/\\]", "", f"{index}.{name}")[:31]


# --------------------------------------------------------------------------- xlsx

class _Sheet:
    """Writes strings through `neutralise` and never as formulas."""

    def __init__(self, ws, fmt):
        self.ws, self.fmt = ws, fmt

    def put(self, row: int, col: int, value, style: str | None = None) -> None:
        f = self.fmt.get(style) if style else None
        if value is None:
            self.ws.write_blank(row, col, None, f)
        elif isinstance(value, str):
            self.ws.write_string(row, col, neutralise(value), f)
        elif isinstance(value, bool):
            self.ws.write_boolean(row, col, value, f)
        else:
            self.ws.write_number(row, col, float(value), f)

    def banner(self, row: int, last_col: int, text: str, style: str) -> None:
        self.ws.merge_range(row, 0, row, last_col, neutralise(text), self.fmt[style])


def _workbook(buf: io.BytesIO):
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    fmt = {
        "title": wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"}),
        "meta": wb.add_format({"font_size": 10, "text_wrap": True}),
        "head": wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "align": "center",
                               "valign": "vcenter", "text_wrap": True}),
        "text": wb.add_format({"border": 1, "text_wrap": True, "valign": "top"}),
        "score": wb.add_format({"border": 1, "num_format": "0.00", "valign": "top"}),
        "int": wb.add_format({"border": 1, "num_format": "0", "align": "center", "valign": "top"}),
        "pct": wb.add_format({"border": 1, "num_format": "0.0", "valign": "top"}),
    }
    return wb, fmt


def ranking_xlsx(ranking: Ranking, publication: "Publication | None" = None) -> bytes:
    """The quarterly 通报 workbook: composite board, one sheet per indicator, method sheet."""
    buf = io.BytesIO()
    wb, fmt = _workbook(buf)
    ws = wb.add_worksheet("综合排名")
    sheet = _Sheet(ws, fmt)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 70)
    ws.set_column(2, 3, 9)
    ws.set_column(4, 4, 56)
    sheet.banner(0, 4, _title(ranking), "title")
    row = 1
    for line in _meta_lines(ranking, publication):
        sheet.banner(row, 4, line, "meta")
        row += 1
    for col, head in enumerate(("被考核单位", "指标完成情况", "得分", "排名", "备注")):
        sheet.put(row, col, head, "head")
    achievements, remarks = _achievements(ranking), _remarks(ranking)
    for r in ranking.table.iter_rows(named=True):
        row += 1
        sheet.put(row, 0, r["unit_name"], "text")
        sheet.put(row, 1, achievements.get(r["unit_code"], ""), "text")
        sheet.put(row, 2, r["score"], "score")
        sheet.put(row, 3, r["rank"] if r["rank"] is not None else "未排名", "int")
        sheet.put(row, 4, remarks[r["unit_code"]], "text")
    row += 2
    for note in ranking.notes:
        sheet.banner(row, 4, note, "meta")
        row += 1

    for i, spec in enumerate(ranking.indicators.iter_rows(named=True), start=1):
        ws = wb.add_worksheet(_sheet_name(i, spec["name"]))
        s = _Sheet(ws, fmt)
        ws.set_column(0, 0, 16)
        ws.set_column(1, 4, 12)
        ws.set_column(5, 5, 70)
        s.banner(0, 5, f"{periods.quarter_zh(ranking.quarter)}单项指标：{spec['name']}（{spec['direction_zh']}）", "title")
        s.banner(1, 5, f"计算方法：{spec['formula_text']}；标准化：{spec['normaliser_zh']}；权重 {spec['weight']:.0%}", "meta")
        for col, head in enumerate(("被考核单位", f"指标值（{spec['unit']}）", "标准化得分", "单项排名", "单位", "计算说明")):
            s.put(2, col, head, "head")
        for k, b in enumerate(ranking.indicator_board(spec["indicator_id"]).iter_rows(named=True), start=3):
            s.put(k, 0, b["unit_name"], "text")
            s.put(k, 1, b["value"], "pct")
            s.put(k, 2, b["normalised"], "score")
            s.put(k, 3, b["rank"] if b["rank"] is not None else "未排名", "int")
            s.put(k, 4, spec["unit"], "text")
            s.put(k, 5, b["detail"], "text")

    ws = wb.add_worksheet("指标说明")
    s = _Sheet(ws, fmt)
    ws.set_column(0, 0, 26)
    ws.set_column(1, 4, 12)
    ws.set_column(5, 5, 80)
    heads = ("指标", "方向", "单位", "权重", "标准化方法", "计算公式")
    for col, head in enumerate(heads):
        s.put(0, col, head, "head")
    k = 0
    for k, spec in enumerate(ranking.indicators.iter_rows(named=True), start=1):
        for col, value in enumerate((spec["name"], spec["direction_zh"], spec["unit"], f"{spec['weight']:.1%}",
                                     spec["normaliser_zh"], spec["formula_text"])):
            s.put(k, col, value, "text")
    for k, a in enumerate(ranking.adjustment_items.iter_rows(named=True), start=k + 1):
        cap = f"，最多 {a['max_points']:g} 分" if a["max_points"] is not None else ""
        for col, value in enumerate((a["name"], "加减分", "分", f"每项 {a['points_per']:+g} 分{cap}", "—",
                                     a["formula_text"])):
            s.put(k, col, value, "text")
    wb.close()
    return buf.getvalue()


# --------------------------------------------------------------------------- figures

@lru_cache(maxsize=1)
def _geojson() -> dict:
    return json.loads(GEOJSON_PATH.read_text(encoding="utf-8"))


def rank_interval_figure(ranking: Ranking) -> go.Figure:
    """Each ranked unit's 5th–95th percentile rank interval from Monte-Carlo as a bar (INTERVAL_PAD wider on each
    side, so a collapsed interval still shows), with the nominal rank and the median rank as markers."""
    t = ranking.table.filter(pl.col("ranked"))
    names = t["unit_name"].to_list()
    rank, q05, q95 = (t[c].to_numpy() for c in ("rank", "rank_q05", "rank_q95"))
    fig = go.Figure()
    fig.add_trace(go.Bar(
        y=names, base=q05 - INTERVAL_PAD, x=q95 - q05 + 2 * INTERVAL_PAD, orientation="h", name="排名区间（5–95%）",
        marker=dict(color="#9dc3e6"), customdata=np.column_stack([q05, q95]),
        hovertemplate="%{y}：排名区间第 %{customdata[0]}–%{customdata[1]} 名<extra></extra>",
    ))
    fig.add_trace(go.Scatter(x=rank, y=names, mode="markers", name="名义排名", marker=dict(size=11, color="#1f4e79"),
                             hovertemplate="%{y}：名义排名第 %{x} 名<extra></extra>"))
    fig.add_trace(go.Scatter(x=t["rank_median"].to_numpy(), y=names, mode="markers", name="模拟中位排名",
                             marker=dict(symbol="diamond-open", size=10, color="#c00000"),
                             hovertemplate="%{y}：模拟中位排名第 %{x} 名<extra></extra>"))
    fig.update_layout(
        title=f"{periods.quarter_zh(ranking.quarter)}排名稳健性（第 5–95 百分位区间，单位：名次）",
        xaxis=dict(title="排名（1 = 最好）", dtick=1, range=[0.4, max(len(names), 1) + 0.6]),
        yaxis=dict(autorange="reversed"), height=120 + 32 * len(names), margin=dict(l=140, r=30, t=60, b=50),
        font=FONT, legend=dict(orientation="h", y=-0.12), barmode="overlay",
    )
    return fig


def score_map_figure(ranking: Ranking) -> go.Figure:
    """Scores on the Gansu map (offline white background); units without an outline (兰州新区) as labelled markers."""
    gj = _geojson()
    outlined = {f["id"] for f in gj["features"]}
    t = ranking.table
    on_map = t.filter(pl.col("unit_code").is_in(list(outlined)))
    scores = [s for s in t["score"].to_list() if s is not None]
    lo, hi = (min(scores), max(scores)) if scores else (0.0, 100.0)
    fig = go.Figure(go.Choroplethmap(  # every outline in grey, under the scored units
        geojson=gj, featureidkey="id", locations=sorted(outlined), z=[0] * len(outlined), showscale=False,
        colorscale=[[0, "#eeeeee"], [1, "#eeeeee"]], marker=dict(line=dict(width=0.5, color="#999")),
        hoverinfo="skip",
    ))
    fig.add_trace(go.Choroplethmap(
        geojson=gj, featureidkey="id", locations=on_map["unit_code"].to_list(), z=on_map["score"].to_list(),
        text=[f"{n}（{f'第 {r} 名' if r else '未排名'}{'' if c else '，数据不完整'}）"
              for n, r, c in zip(on_map["unit_name"], on_map["rank"], on_map["complete"])],
        hovertemplate="%{text}<br>得分 %{z:.2f}<extra></extra>", colorscale="Blues", zmin=lo, zmax=hi,
        marker=dict(line=dict(width=0.8, color="#555")), colorbar=dict(title="得分"),
    ))
    points = t.filter(~pl.col("unit_code").is_in(list(outlined)))
    located = [r for r in points.iter_rows(named=True) if r["unit_code"] in MARKER_POINTS]
    if located:
        lon = [MARKER_POINTS[r["unit_code"]][0] for r in located]
        lat = [MARKER_POINTS[r["unit_code"]][1] for r in located]
        fig.add_trace(go.Scattermap(lon=lon, lat=lat, mode="markers", showlegend=False, hoverinfo="skip",
                                    marker=dict(size=19, color="#333")))  # a dark ring around the marker
        fig.add_trace(go.Scattermap(
            lon=lon, lat=lat, mode="markers+text", textposition="middle right", showlegend=False,
            text=[f"{r['unit_name']} {r['score']:.2f}" if r["score"] is not None else f"{r['unit_name']} 无得分"
                  for r in located],
            marker=dict(size=13, color=[r["score"] if r["score"] is not None else lo for r in located],
                        colorscale="Blues", cmin=lo, cmax=hi),
            hovertemplate="%{text}<extra></extra>",
        ))
    unplaced = [r["unit_name"] for r in points.iter_rows(named=True) if r["unit_code"] not in MARKER_POINTS]
    if unplaced:
        fig.add_annotation(text=f"未在地图上显示：{'、'.join(unplaced)}", x=0, y=0, xref="paper", yref="paper",
                           showarrow=False, xanchor="left")
    fig.update_layout(
        title=f"{periods.quarter_zh(ranking.quarter)}综合得分分布（0–100 分，颜色越深得分越高）", map_style="white-bg",
        map=dict(center=dict(lon=100.6, lat=37.9), zoom=5.0), height=620, margin=dict(l=10, r=10, t=60, b=10),
        font=FONT,
    )
    return fig


def contribution_waterfall(ranking: Ranking, unit_code: str) -> go.Figure:
    """One unit's score built up from its contributions (effective weight × normalised value per indicator,
    then the non-zero bonus/deduction items and any 0–100 cut); the last bar is the score."""
    rows = ranking.contributions.filter(
        (pl.col("unit_code") == unit_code) & ((pl.col("kind") == "indicator") | (pl.col("contribution") != 0)))
    name, score = ranking.table.filter(pl.col("unit_code") == unit_code).select("unit_name", "score").row(0)
    labels, steps = rows["item_name"].to_list(), rows["contribution"].to_list()
    fig = go.Figure(_waterfall([*labels, "综合得分"], [*steps, score], ["relative"] * len(labels) + ["total"],
                               [f"{v:+.2f}" for v in steps] + [f"{score:.2f}"]))
    fig.update_layout(
        title=f"{name}：综合得分构成（单位：分；指标贡献 = 有效权重 × 标准化得分）",
        yaxis=dict(title="分", range=_waterfall_range(0.0, steps)), height=460,
        margin=dict(l=50, r=20, t=60, b=120), font=FONT, showlegend=False,
    )
    return fig


def _waterfall(x: list[str], y: list[float], measure: list[str], text: list[str]) -> go.Waterfall:
    return go.Waterfall(
        x=x, y=y, measure=measure, text=text, textposition="outside", cliponaxis=False,
        connector=dict(line=dict(color="#bbb")), increasing=dict(marker=dict(color="#5b9bd5")),
        decreasing=dict(marker=dict(color="#c00000")), totals=dict(marker=dict(color="#1f4e79")),
        hovertemplate="%{x}：%{y:.2f} 分<extra></extra>",
    )


def _waterfall_range(start: float, steps: list[float]) -> list[float]:
    """A y range holding every running total of a waterfall, with room above for the value labels."""
    running = np.cumsum([start, *steps])
    lo, hi = min(0.0, float(running.min())), float(running.max())
    return [lo - 0.05 * (hi - lo) if lo < 0 else 0.0, hi + 0.12 * (hi - lo)]


def rank_history_figure(history: pl.DataFrame, unit_code: str) -> go.Figure:
    """One unit's nominal rank per quarter (`analytics.ranking.rank_history`), rank 1 at the top."""
    h = history.filter((pl.col("unit_code") == unit_code) & pl.col("rank").is_not_null()).sort("quarter")
    units = history["unit_code"].n_unique()
    name = history.filter(pl.col("unit_code") == unit_code)["unit_name"][0]
    fig = go.Figure(go.Scatter(
        x=[periods.quarter_zh(q) for q in h["quarter"]], y=h["rank"].to_list(), mode="lines+markers+text",
        text=[f"第{r}名" for r in h["rank"]], textposition="top center", customdata=h["score"].to_list(),
        hovertemplate="%{x}：第 %{y} 名，得分 %{customdata:.2f}<extra></extra>", line=dict(color="#1f4e79"),
        cliponaxis=False,
    ))
    fig.update_layout(
        title=f"{name}：各季度综合排名（单位：名次；按当前数据重算，非发布结果）",
        yaxis=dict(title="排名（1 = 最好）", range=[units + 0.5, 0.5], dtick=1), height=400,
        margin=dict(l=60, r=20, t=60, b=40), font=FONT, showlegend=False,
    )
    return fig


def attribution_figure(attribution: "Attribution", unit_code: str) -> go.Figure:
    """Last quarter's score, each item's contribution under the fixed reference, the reference effect, this
    quarter's score: the bars add up exactly."""
    s = attribution.summary.filter(pl.col("unit_code") == unit_code).row(0, named=True)
    items = attribution.items.filter(
        (pl.col("unit_code") == unit_code) & ((pl.col("kind") == "indicator") | (pl.col("contribution") != 0)))
    before, now = periods.quarter_zh(attribution.previous_quarter), periods.quarter_zh(attribution.quarter)
    labels, steps = items["item_name"].to_list(), items["contribution"].to_list()
    fig = go.Figure(_waterfall(
        [f"{before}得分", *labels, f"{now}得分"], [s["score_previous"], *steps, s["score_current"]],
        ["absolute", *["relative"] * len(labels), "total"],
        [f"{s['score_previous']:.2f}", *[f"{v:+.2f}" for v in steps], f"{s['score_current']:.2f}"]))
    running = np.cumsum([s["score_previous"], *steps])
    span = float(running.max() - running.min()) or 1.0
    fig.update_layout(  # zoomed on the change: the bars start near the smaller score, not at zero
        title=f"{s['unit_name']}：得分变化归因（{before} → {now}，单位：分）",
        yaxis=dict(title="分", range=[float(running.min()) - 0.3 * span, float(running.max()) + 0.3 * span]),
        height=460, margin=dict(l=50, r=20, t=60, b=140), font=FONT, showlegend=False,
    )
    return fig


def dominance_sentences(ranking: Ranking) -> list[str]:
    """The pairs no weighting can reverse (`Ranking.dominance`), one plain sentence per better unit, by rank."""
    order = {c: i for i, c in enumerate(ranking.table["unit_code"])}
    grouped: dict[str, list[str]] = {}
    for r in sorted(ranking.dominance.iter_rows(named=True), key=lambda r: (order[r["better_code"]],
                                                                            order[r["worse_code"]])):
        grouped.setdefault(r["better_name"], []).append(r["worse_name"])
    return [f"{better}在每项指标和加减分上都不逊于{'、'.join(worse)}，且至少有一项更好：无论权重和标准化方法"
            f"如何选择，{better}的得分都不会低于{'它们' if len(worse) > 1 else worse[0]}。"
            for better, worse in grouped.items()]


def _render_pngs(figures: list[go.Figure]) -> list[bytes]:
    """PNGs via kaleido in one browser session (needs Chromium); raises when rendering is unavailable."""
    with tempfile.TemporaryDirectory(prefix="bulletin-") as tmp:
        paths = [Path(tmp) / f"{i}.png" for i in range(len(figures))]
        pio.write_images(figures, paths, format="png", width=900, scale=1.5)
        return [p.read_bytes() for p in paths]


# --------------------------------------------------------------------------- HTML and PDF

_CSS = """
body { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei", sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; text-align: center; }
p.meta { font-size: 0.85em; color: #555; margin: 0.2em 0; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; font-size: 0.85em; }
th, td { border: 1px solid #999; padding: 4px 6px; vertical-align: top; }
th { background: #d9e1f2; }
td.num { text-align: right; white-space: nowrap; }
tr.incomplete td { background: #fff4e5; }
img { max-width: 100%; }
p.omitted { color: #a00; }
"""


def ranking_html(ranking: Ranking, publication: "Publication | None" = None, charts: bool = True) -> str:
    """Self-contained HTML bulletin (inline CSS, charts as inline PNG when they can be rendered)."""
    e = html.escape
    achievements, remarks = _achievements(ranking), _remarks(ranking)
    rows = []
    for r in ranking.table.iter_rows(named=True):
        score = "—" if r["score"] is None else f"{r['score']:.2f}"
        rank = r["rank"] if r["rank"] is not None else "未排名"
        rows.append(f'<tr class="{"" if r["complete"] else "incomplete"}"><td>{e(r["unit_name"])}</td>'
                    f'<td>{e(achievements.get(r["unit_code"], ""))}</td><td class="num">{score}</td>'
                    f'<td class="num">{rank}</td><td>{e(remarks[r["unit_code"]])}</td></tr>')
    figures = [f'<p class="omitted">{CHART_OMITTED}</p>']
    if charts:
        figs = [rank_interval_figure(ranking), score_map_figure(ranking)]
        try:
            figures = [f'<img alt="{e(fig.layout.title.text)}" src="data:image/png;base64,'
                       f'{base64.b64encode(png).decode("ascii")}">' for fig, png in zip(figs, _render_pngs(figs))]
        except Exception:  # noqa: BLE001 - any renderer failure (no Chromium, no kaleido): omit the charts
            pass
    indicator_rows = "".join(
        f"<tr><td>{e(s['name'])}</td><td>{e(s['direction_zh'])}</td><td>{e(s['unit'])}</td>"
        f"<td class=\"num\">{s['weight']:.1%}</td><td>{e(s['formula_text'])}</td></tr>"
        for s in ranking.indicators.iter_rows(named=True))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(_title(ranking))}</title><style>{_CSS}</style></head>
<body>
<h1>{e(_title(ranking))}</h1>
{''.join(f'<p class="meta">{e(line)}</p>' for line in _meta_lines(ranking, publication))}
<table><thead><tr><th>被考核单位</th><th>指标完成情况</th><th>得分</th><th>排名</th><th>备注</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
{''.join(figures)}
<h2>指标与方法</h2>
<table><thead><tr><th>指标</th><th>方向</th><th>单位</th><th>权重</th><th>计算公式</th></tr></thead>
<tbody>{indicator_rows}</tbody></table>
{''.join(f'<p class="meta">{e(n)}</p>' for n in ranking.notes)}
</body></html>"""


def ranking_pdf(ranking: Ranking, publication: "Publication | None" = None, charts: bool = True) -> bytes:
    """The HTML bulletin as PDF (WeasyPrint; Chinese needs a CJK font such as fonts-wqy-microhei)."""
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    return HTML(string=ranking_html(ranking, publication, charts)).write_pdf()



EXPORT_FORMATS = {"xlsx": "xlsx 通报", "html": "HTML 通报", "pdf": "PDF 通报"}


def publication_export(snapshot: "Snapshot", publication_id: str, fmt: str) -> bytes:
    """A stored publication exactly as published, as an xlsx 通报, a self-contained HTML page or a PDF."""
    pub = load_publication(snapshot, publication_id)
    if fmt == "xlsx":
        return ranking_xlsx(pub.ranking, pub)
    if fmt == "html":
        return ranking_html(pub.ranking, pub).encode("utf-8")
    if fmt == "pdf":
        return ranking_pdf(pub.ranking, pub)
    raise ValueError(f"未知的导出格式“{fmt}”，可选：{'、'.join(EXPORT_FORMATS)}")


def _cell(value):
    """A frame value as an xlsx cell value: dates and times as text, Decimal as a number."""
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def table_xlsx(title: str, frame: pl.DataFrame, notes: tuple[str, ...] | list[str] = ()) -> bytes:
    """Any displayed table (columns already labelled in Chinese) as a one-sheet workbook: title, notes, table."""
    buf = io.BytesIO()
    wb, fmt = _workbook(buf)
    ws = wb.add_worksheet(_sheet_name(1, title))
    s = _Sheet(ws, fmt)
    last = max(frame.width - 1, 0)
    ws.set_column(0, last, 16)
    s.banner(0, last, title, "title")
    for row, note in enumerate(notes, start=1):
        s.banner(row, last, note, "meta")
    head = 1 + len(notes)
    styles = ["int" if dtype.is_integer() else "score" if dtype.is_numeric() else "text" for dtype in frame.dtypes]
    for col, name in enumerate(frame.columns):
        s.put(head, col, name, "head")
    for row, values in enumerate(frame.iter_rows(), start=head + 1):
        for col, (value, style) in enumerate(zip(values, styles)):
            s.put(row, col, _cell(value), style)
    wb.close()
    return buf.getvalue()

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


def monthly_bulletin(snapshot: "Snapshot", month: dt.date, config: "IndicatorConfig | None" = None,
                     group_id: str | None = None) -> MonthlyBulletin:
    """Per unit: the month's and year-to-date 到位资金, growth, completion against 序时进度, red/black lists."""
    if config is None:
        from analytics.indicator_config import load_indicator_config
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
            "unit_code": u, "unit_name": domain.unit_name(u), "submitted": u in this_month,
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
             "金额由万元精确汇总后折算为亿元（保留两位小数）。")
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
    wb, fmt = _workbook(buf)
    ws = wb.add_worksheet("月度通报")
    s = _Sheet(ws, fmt)
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
