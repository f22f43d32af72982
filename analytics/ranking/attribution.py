"""Why a unit's score changed between two quarters: its own indicators versus the reference (docs/METHODS.md §1)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from analytics.ranking.aggregation import adjustment_points, aggregate
from analytics.ranking.composite import maybe, rank_values
from analytics.ranking.indicator_config import IndicatorConfig, load_indicator_config
from analytics.ranking.indicators import IndicatorValues, compute_indicator_values
from analytics.ranking.normalise import (
    REFERENCE_NORMALISERS,
    RankingError,
    Reference,
    clip_to_bounds,
    normalised_matrix,
    reference_rows,
)
from core import periods
from warehouse.store import Snapshot

# --------------------------------------------------------------------------- explaining change

@dataclass(frozen=True)
class Attribution:
    """Quarter-on-quarter change per unit, attributed to indicators with a fixed normalisation reference.

    summary: unit_code, unit_name, score_previous, score_current, change, rank_previous, rank_current,
             fixed_reference_change, reference_effect.
    items: unit_code, item_id, item_name, kind (indicator | adjustment | reference), value_previous,
           value_current, contribution — per unit the contributions sum to `change` exactly (up to float rounding).
    """

    quarter: str
    previous_quarter: str
    reference: str
    summary: pl.DataFrame
    items: pl.DataFrame
    notes: tuple[str, ...]


def _fixed_references(Xp: np.ndarray, Xc: np.ndarray, specs, config, ref_rows_prev, ref_rows_cur):
    refs, notes = [], []
    for i, s in enumerate(specs):
        if config.attribution_reference == "goalposts" and s.goalposts is not None:
            refs.append(Reference(bounds=s.goalposts))
            continue
        prev = Xp[ref_rows_prev, i]
        prev = prev[~np.isnan(prev)]
        if s.normaliser in REFERENCE_NORMALISERS and (prev.size == 0 or np.ptp(clip_to_bounds(prev, s)) == 0):
            pooled = np.concatenate([prev, Xc[ref_rows_cur, i]])
            refs.append(Reference(values=pooled))
            notes.append(f"“{s.name}”上季度各单位取值相同或缺失，改用两季度合并取值作为参照。")
        else:
            refs.append(Reference(values=prev))
    return refs, notes


def attribute_change(current: IndicatorValues, previous: IndicatorValues, config: IndicatorConfig,
                     weight_scheme: str = "expert") -> Attribution:
    """Attribute each unit's score change between two quarters to its indicators and adjustments.

    Both quarters are normalised against one fixed reference (the earlier quarter's values, or the configured
    goalposts); under it the change is Σ (effective weight × normalised value) differences, exactly. The rest of
    the published change — other units moving the per-quarter min/max — is shown as the reference effect.
    """
    specs = config.indicators
    ids = [s.id for s in specs]
    r_cur, r_prev = rank_values(current, config, weight_scheme), rank_values(previous, config, weight_scheme)
    w = np.array([r_cur.applied_weights[i] for i in ids])
    Xc = current.matrix(ids).select(ids).to_numpy().astype(float)
    Xp = previous.matrix(ids).select(ids).to_numpy().astype(float)
    if current.units["unit_code"].to_list() != previous.units["unit_code"].to_list():
        raise RankingError("两个季度的被考核单位不一致，无法归因")
    refs, notes = _fixed_references(Xp, Xc, specs, config,
                                    reference_rows(previous, config) & ~np.isnan(Xp).all(1),
                                    reference_rows(current, config) & ~np.isnan(Xc).all(1))
    methods = [s.normaliser for s in specs]
    Nc, Np = normalised_matrix(Xc, specs, methods, refs), normalised_matrix(Xp, specs, methods, refs)
    _, pts_c = adjustment_points(current, config)
    _, pts_p = adjustment_points(previous, config)
    _, _, eff_c = aggregate(Nc, w, pts_c.sum(1))
    _, _, eff_p = aggregate(Np, w, pts_p.sum(1))
    contrib = eff_c * np.nan_to_num(Nc) - eff_p * np.nan_to_num(Np)
    adj = pts_c - pts_p

    cur = r_cur.table.select("unit_code", "unit_name", "score", "rank")
    prev = r_prev.table.select("unit_code", pl.col("score").alias("score_previous"),
                               pl.col("rank").alias("rank_previous"))
    joined = current.units.select("unit_code").join(cur, on="unit_code", how="left").join(prev, on="unit_code",
                                                                                         how="left")
    summary_rows, item_rows = [], []
    for u, r in enumerate(joined.iter_rows(named=True)):
        if r["score"] is None or r["score_previous"] is None:
            continue
        change = r["score"] - r["score_previous"]
        fixed = float(contrib[u].sum() + adj[u].sum())
        effect = change - fixed
        summary_rows.append((r["unit_code"], r["unit_name"], r["score_previous"], r["score"], change,
                             r["rank_previous"], r["rank"], fixed, effect))
        for i, s in enumerate(specs):
            item_rows.append((r["unit_code"], s.id, s.name, "indicator", maybe(Xp[u, i]), maybe(Xc[u, i]),
                              float(contrib[u, i])))
        for j, a in enumerate(config.adjustments):
            item_rows.append((r["unit_code"], a.id, a.name, "adjustment", float(pts_p[u, j]), float(pts_c[u, j]),
                              float(adj[u, j])))
        item_rows.append((r["unit_code"], "reference", "参照变动（其他单位数据变化等）", "reference", None, None,
                          effect))
    reference_text = ("各指标固定上下限" if config.attribution_reference == "goalposts"
                      else f"上季度（{previous.quarter}）各单位取值")
    if all(m not in REFERENCE_NORMALISERS for m in methods):
        notes = ["各指标按全年固定的上下限计分，单位得分只取决于本单位自身的数据；各指标与加减分项的贡献之和即等于得分变化，"
                 "不受其他单位数据变化影响。", *notes]
    else:
        notes = [f"归因参照：两个季度统一以{reference_text}作标准化参照；在此参照下，各指标与加减分项的贡献之和等于得分变化。"
                 "公布得分按各季度自身取值标准化，两者之差列为“参照变动”。", *notes]
    return Attribution(
        quarter=current.quarter, previous_quarter=previous.quarter, reference=config.attribution_reference,
        summary=pl.DataFrame(summary_rows, orient="row", schema={
            "unit_code": pl.String, "unit_name": pl.String, "score_previous": pl.Float64, "score_current": pl.Float64,
            "change": pl.Float64, "rank_previous": pl.Int64, "rank_current": pl.Int64,
            "fixed_reference_change": pl.Float64, "reference_effect": pl.Float64}),
        items=pl.DataFrame(item_rows, orient="row", schema={
            "unit_code": pl.String, "item_id": pl.String, "item_name": pl.String, "kind": pl.String,
            "value_previous": pl.Float64, "value_current": pl.Float64, "contribution": pl.Float64}),
        notes=tuple(notes),
    )


def attribute_quarter(snapshot: Snapshot, quarter: str, config: IndicatorConfig | None = None,
                      group_id: str | None = None, weight_scheme: str = "expert") -> Attribution:
    """`attribute_change` between a quarter and the one before it, read from the warehouse snapshot."""
    if config is None:
        config = load_indicator_config()
    current = compute_indicator_values(snapshot, quarter, config, group_id)
    previous = compute_indicator_values(snapshot, periods.previous_quarter(quarter), config, group_id)
    return attribute_change(current, previous, config, weight_scheme)
