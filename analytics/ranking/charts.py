"""Charts of the ranking for pages and bulletins: rank intervals, the score map (offline: outlines as SVG shapes), a unit's contributions, rank history and change attribution."""
from __future__ import annotations

import json
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from analytics.ranking.attribution import Attribution
from analytics.ranking.composite import Ranking
from core import periods

GEOJSON_PATH = Path(__file__).resolve().parents[2] / "assets" / "gansu_prefectures.geojson"
# Units without an outline in the GeoJSON, drawn as a marker: 兰州新区 (around 中川, 永登县/皋兰县), approximate.
MARKER_POINTS = {"620171": (103.68, 36.50)}
FONT = dict(family="Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif")
INTERVAL_PAD = 0.3  # ranks added on each side of an interval bar
CHART_OMITTED = "图表未能生成（本机缺少图形渲染组件），已省略；表格数据完整。"


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


def attribution_figure(attribution: Attribution, unit_code: str) -> go.Figure:
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


def render_pngs(figures: list[go.Figure]) -> list[bytes]:
    """PNGs via kaleido in one browser session (needs Chromium); raises when rendering is unavailable."""
    with tempfile.TemporaryDirectory(prefix="bulletin-") as tmp:
        paths = [Path(tmp) / f"{i}.png" for i in range(len(figures))]
        pio.write_images(figures, paths, format="png", width=900, scale=1.5)
        return [p.read_bytes() for p in paths]
