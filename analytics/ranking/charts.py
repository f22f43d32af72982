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


MAP_COLOURS = [[0.0, "#e3eef9"], [1.0, "#3f7fbf"]]  # light enough under dark labels at both ends
MAP_RANGE = dict(lon=(92.2, 109.0), lat=(32.4, 43.0))
# Labels moved off their label point (degrees lon, lat): 兰州市 from under the 兰州新区 marker, 临夏 below it.
LABEL_SHIFT = {"620100": (-0.5, -0.08), "622900": (0.0, -0.12)}
LAT_SCALE = 1.25  # 1° of latitude is ~1.25× as long as 1° of longitude at Gansu's latitude (~37°N)


def _rings(geometry: dict) -> list[list[list[float]]]:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for polygon in polygons for ring in polygon]


def _colour(score: float | None, lo: float, hi: float) -> str:
    if score is None:
        return "#f2f2f2"
    t = 0.5 if hi <= lo else (score - lo) / (hi - lo)
    a, b = (int(MAP_COLOURS[0][1][i:i + 2], 16) for i in (1, 3, 5)), (int(MAP_COLOURS[1][1][i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def score_map_figure(ranking: Ranking) -> go.Figure:
    """Scores on the Gansu map, drawn with nothing from outside the server and no WebGL: each 市州 outline a plain
    SVG polygon (`go.Scatter` fill="toself" on longitude/latitude axes), names and scores as SVG text at each
    feature's label point; 兰州新区 (no outline of its own: it lies inside 兰州市) a marked point with a callout."""
    gj = _geojson()
    t = ranking.table
    rows = {r["unit_code"]: r for r in t.iter_rows(named=True)}
    scores = [s for s in t["score"].to_list() if s is not None]
    lo, hi = (min(scores), max(scores)) if scores else (0.0, 100.0)
    fig = go.Figure()

    def describe(r: dict | None, name: str) -> str:
        if r is None:
            return f"{name}：不参与本组排名"
        rank = f"第 {r['rank']} 名" if r["rank"] else "未排名"
        score = f"得分 {r['score']:.2f}" if r["score"] is not None else "无得分"
        return f"{name}：{rank}，{score}{'' if r['complete'] else '（数据不完整）'}"

    label_x, label_y, label_text = [], [], []
    for f in gj["features"]:
        r = rows.get(f["id"])
        name = f["properties"]["name"]
        xs, ys = [], []
        for ring in _rings(f["geometry"]):
            xs += [p[0] for p in ring] + [None]
            ys += [p[1] for p in ring] + [None]
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", fill="toself", fillcolor=_colour(r and r["score"], lo, hi),
            line=dict(color="#555", width=0.8), hoveron="fills", text=describe(r, name), hoverinfo="text",
            showlegend=False))
        (lx, ly), (dx, dy) = f["properties"]["label_point"], LABEL_SHIFT.get(f["id"], (0.0, 0.0))
        label_x.append(lx + dx)
        label_y.append(ly + dy)
        label_text.append(f"<b>{name}</b><br>{r['score']:.2f}" if r and r["score"] is not None else f"<b>{name}</b>")
    fig.add_trace(go.Scatter(x=label_x, y=label_y, mode="text", text=label_text, textfont=dict(size=12, color="#111"),
                             hoverinfo="skip", showlegend=False))
    outlined = {f["id"] for f in gj["features"]}
    points = t.filter(~pl.col("unit_code").is_in(list(outlined)))
    located = [r for r in points.iter_rows(named=True) if r["unit_code"] in MARKER_POINTS]
    for r in located:
        lon, lat = MARKER_POINTS[r["unit_code"]]
        fig.add_trace(go.Scatter(x=[lon], y=[lat], mode="markers", showlegend=False, hoverinfo="text",
                                 text=describe(r, r["unit_name"]),
                                 marker=dict(size=13, color=_colour(r["score"], lo, hi), line=dict(width=2.5, color="#222"))))
        label = f"<b>{r['unit_name']}</b> {r['score']:.2f}" if r["score"] is not None else f"<b>{r['unit_name']}</b>"
        fig.add_annotation(x=lon, y=lat, text=label, showarrow=True, arrowhead=0, arrowwidth=1.2, ax=95, ay=-60,
                           font=dict(size=12, color="#111"), bgcolor="rgba(255,255,255,0.85)", borderpad=2)
    # The colour key: an invisible marker trace carrying the colour scale.
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", showlegend=False, hoverinfo="skip", marker=dict(
        colorscale=MAP_COLOURS, cmin=lo, cmax=hi, color=[lo], showscale=True,
        colorbar=dict(title=dict(text="得分"), thickness=14, len=0.6))))
    unplaced = [r["unit_name"] for r in points.iter_rows(named=True) if r["unit_code"] not in MARKER_POINTS]
    if unplaced:
        fig.add_annotation(text=f"未在地图上显示：{'、'.join(unplaced)}", x=0, y=0, xref="paper", yref="paper",
                           showarrow=False, xanchor="left")
    hidden = dict(visible=False, showgrid=False, zeroline=False, fixedrange=True)
    fig.update_layout(
        title=f"{periods.quarter_zh(ranking.quarter)}综合得分分布（0–100 分，颜色越深得分越高）",
        xaxis=dict(range=list(MAP_RANGE["lon"]), constrain="domain", **hidden),
        yaxis=dict(range=list(MAP_RANGE["lat"]), scaleanchor="x", scaleratio=LAT_SCALE, constrain="domain", **hidden),
        height=620, margin=dict(l=10, r=10, t=60, b=10), font=FONT, plot_bgcolor="white", dragmode=False,
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
