"""Charts of the 抽样核查 page: the unit × family risk heat map, Benford digit distributions, the MAD band and the
sample's strata by unit."""
from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from analytics.ranking.charts import FONT
from analytics.verification import benford
from analytics.verification.rules import FAMILIES, FAMILY_ZH
from analytics.verification.sampling import STRATUM_ZH

BAND_ZH = ("高度符合", "可接受", "勉强符合", "不符合")
BAND_COLOURS = ("#d9f0d3", "#fff7bc", "#fdd0a2", "#fcbba1")


def heatmap_figure(cells: pl.DataFrame) -> go.Figure:
    """unit × family: colour = share of the unit's projects with a signal of the family (%), text = count."""
    units = cells.select("unit_code", "unit_name").unique(maintain_order=True)
    families = [FAMILY_ZH[f] for f in FAMILIES]
    grid = {(r["unit_code"], r["family_name"]): r for r in cells.iter_rows(named=True)}
    rows = [[grid[(u, f)] for f in families] for u in units["unit_code"]]
    fig = go.Figure(go.Heatmap(
        z=[[100 * c["flagged"] / c["projects"] for c in row] for row in rows],
        x=families, y=units["unit_name"].to_list(),
        text=[[c["flagged"] for c in row] for row in rows], texttemplate="%{text}",
        customdata=[[[c["projects"], c["mean_score"]] for c in row] for row in rows],
        hovertemplate="%{y} · %{x}<br>有该类信号的项目 %{text} 个 / 共 %{customdata[0]} 个（%{z:.1f}%）"
                      "<br>类别平均得分 %{customdata[1]:.3f}<extra></extra>",
        colorscale="Reds", zmin=0, colorbar={"title": {"text": "占比（%）"}},
    ))
    fig.update_layout(height=max(320, 34 * units.height + 120), margin={"t": 10, "b": 10}, font=FONT,
                      yaxis={"autorange": "reversed"})
    return fig


def digit_figure(table: pl.DataFrame, test: str) -> go.Figure:
    """Observed vs Benford-expected proportion per digit (%)."""
    digits = [str(d) for d in table["digit"]]
    fig = go.Figure([
        go.Bar(x=digits, y=(table["observed"] * 100).to_list(), name="实际占比", marker_color="#c0392b",
               customdata=table.select("count", "z").rows(),
               hovertemplate="数字 %{x}：实际 %{y:.2f}%（%{customdata[0]} 个，Z = %{customdata[1]:.2f}）"
                             "<extra></extra>"),
        go.Bar(x=digits, y=(table["expected"] * 100).to_list(), name="本福特期望", marker_color="#95a5a6",
               hovertemplate="数字 %{x}：期望 %{y:.2f}%<extra></extra>"),
    ])
    fig.update_layout(barmode="group", height=380, margin={"t": 10, "b": 10}, font=FONT, bargap=0.15,
                      xaxis={"title": benford.TEST_ZH[test], "type": "category"}, yaxis={"title": "占比（%）"},
                      legend={"orientation": "h", "y": 1.08})
    return fig


def mad_band_figure(mad: float, expected_mad: float, bands: tuple[float, float, float]) -> go.Figure:
    """The MAD on Nigrini's conformity bands, with the MAD honest data of the same size would show."""
    top = max(bands[-1] * 1.5, mad * 1.15, expected_mad * 1.15)
    edges = (0.0, *bands, top)
    fig = go.Figure()
    for (lo, hi), name, colour in zip(zip(edges, edges[1:]), BAND_ZH, BAND_COLOURS):
        fig.add_vrect(x0=lo, x1=hi, fillcolor=colour, line_width=0, layer="below",
                      annotation_text=name, annotation_position="top left", annotation_font_size=11)
    fig.add_trace(go.Scatter(x=[mad], y=[0.5], mode="markers+text", marker={"size": 16, "color": "#c0392b"},
                             text=[f"MAD {mad:.4f}"], textposition="bottom center", name="本单位 MAD",
                             hovertemplate="本单位 MAD %{x:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[expected_mad], y=[0.5], mode="markers", name="同等规模正常数据的期望 MAD",
                             marker={"size": 14, "color": "#2c3e50", "symbol": "diamond-open", "line": {"width": 2}},
                             hovertemplate="期望 MAD %{x:.4f}<extra></extra>"))
    fig.update_layout(height=170, margin={"t": 30, "b": 10}, font=FONT, showlegend=True,
                      legend={"orientation": "h", "y": -0.5}, xaxis={"range": [0, top], "title": "MAD"},
                      yaxis={"visible": False, "range": [0, 1]})
    return fig


def strata_figure(strata: pl.DataFrame) -> go.Figure:
    fig = go.Figure([
        go.Bar(y=strata["unit_name"].to_list(), x=strata["certainty"].to_list(), orientation="h",
               name=STRATUM_ZH["certainty"], marker_color="#c0392b"),
        go.Bar(y=strata["unit_name"].to_list(), x=strata["probability"].to_list(), orientation="h",
               name=STRATUM_ZH["probability"], marker_color="#2980b9"),
    ])
    fig.update_layout(barmode="stack", height=max(300, 26 * strata.height + 100), margin={"t": 10, "b": 10},
                      font=FONT, xaxis={"title": "入样项目（个）"}, yaxis={"autorange": "reversed"},
                      legend={"orientation": "h", "y": 1.08})
    return fig
