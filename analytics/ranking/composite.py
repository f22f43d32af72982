"""Quarterly composite ranking engine (docs/METHODS.md §1): normalise → weight → aggregate → rank → robustness.

Pure functions over the quarter's indicator values (`analytics.indicators.IndicatorValues`, polars frames) and the
indicator config; numpy only inside the scoring math. `rank_quarter(snapshot, quarter)` reads the warehouse and
ranks; `rank_values(values, config)` is the pure part, also used to recompute a publication from its stored inputs.

Declared rules:
- Score = Σ weightᵢ × normalisedᵢ (weighted arithmetic mean, normalised values on a 0–100 scale) + bonus/deduction
  points, kept within 0–100 (a cut is shown as its own contribution). A unit whose indicator cannot be computed has
  that indicator's weight shared among its other indicators, and is flagged.
- Ranks are competition ranks (1, 2, 2, 4) on unrounded scores.
- Robustness: seeded Monte-Carlo over weights and normaliser, vectorised as draws × units × indicators.
- Explanation: contributions (effective weight × normalised value) sum to the score; quarter-on-quarter change is
  attributed with a fixed normalisation reference (`attribute_change`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from analytics.ranking.aggregation import adjustment_points, aggregate, competition_rank
from analytics.ranking.indicator_config import IndicatorConfig, load_indicator_config
from analytics.ranking.indicators import IndicatorValues, compute_indicator_values
from analytics.ranking.normalise import (
    NORMALISER_NAMES,
    RankingError,
    Reference,
    clip_to_bounds,
    normalised_matrix,
    reference_rows,
)
from analytics.ranking.robustness import dominance_pairs, monte_carlo_ranks
from analytics.ranking.weights import WEIGHTS_SCHEMA, alternative_weights
from core import periods
from warehouse.store import Snapshot

# 1.1: fixed goalposts may be the default normaliser (and a Monte-Carlo choice); results of 1.0 configs unchanged.
ENGINE_VERSION = "ranking-engine-1.1"

WEIGHT_SCHEMES = {"expert": "专家权重（配置）", "entropy": "熵权法", "critic": "指标冲突性赋权法"}

TABLE_SCHEMA = {"unit_code": pl.String, "unit_name": pl.String, "score": pl.Float64, "rank": pl.Int64,
                "rank_median": pl.Int64, "rank_q05": pl.Int64, "rank_q95": pl.Int64, "complete": pl.Boolean,
                "ranked": pl.Boolean, "adjustment_points": pl.Float64, "flags": pl.String}
CONTRIBUTIONS_SCHEMA = {"unit_code": pl.String, "item_id": pl.String, "item_name": pl.String, "kind": pl.String,
                        "value": pl.Float64, "normalised": pl.Float64, "weight": pl.Float64,
                        "contribution": pl.Float64, "detail": pl.String}
DOMINANCE_SCHEMA = {"better_code": pl.String, "better_name": pl.String, "worse_code": pl.String,
                    "worse_name": pl.String}


# --------------------------------------------------------------------------- the ranking

@dataclass(frozen=True)
class Ranking:
    """A ranking ready to show: every frame uses English column names; pages apply Chinese labels.

    table: unit_code, unit_name, score, rank, rank_median, rank_q05, rank_q95, complete, ranked,
           adjustment_points, flags — ordered by rank (unranked last).
    contributions: unit_code, item_id, item_name, kind (indicator | adjustment | cut), value, normalised, weight,
           contribution, detail — per unit the contributions sum to the score.
    indicators: the config's indicator table (name, unit, direction, weight, normaliser, formula text).
    weights: indicator_id, name, expert, entropy, critic (+ uncapped, sparse): the alternatives shown.
    dominance: better_code, better_name, worse_code, worse_name.
    """

    quarter: str
    group_id: str
    group_name: str
    config_version: str
    config_sha256: str
    engine_version: str
    weight_scheme: str
    applied_weights: dict[str, float]
    table: pl.DataFrame
    contributions: pl.DataFrame
    indicators: pl.DataFrame
    adjustment_items: pl.DataFrame
    weights: pl.DataFrame
    dominance: pl.DataFrame
    notes: tuple[str, ...]          # the method notes, in METHOD_NOTES order, then the alternative weights' notes
    inputs: IndicatorValues

    def note(self, kind: str) -> str:
        """One method note by what it says: 'window', 'rank_rule', 'robustness' or 'missing'."""
        return self.notes[METHOD_NOTES.index(kind)]

    @property
    def weight_notes(self) -> tuple[str, ...]:
        """What the alternative weighting schemes had to say (after the method notes)."""
        return self.notes[len(METHOD_NOTES):]

    @property
    def data_cutoff(self) -> dt.datetime | None:
        return self.inputs.data_cutoff

    @property
    def snapshot_identity(self) -> str | None:
        return self.inputs.snapshot_identity

    @property
    def all_complete(self) -> bool:
        return bool(self.table["complete"].all())

    def incomplete_units(self) -> pl.DataFrame:
        """unit_code, unit_name, missing_months of the units whose data are incomplete."""
        return self.inputs.units.filter(~pl.col("complete")).select("unit_code", "unit_name", "missing_months")

    def records(self) -> list[dict]:
        """The contract's JSON records (docs/CONTRACT.md §3), by rank."""
        cols = ["unit_code", "unit_name", "score", "rank", "rank_median", "rank_q05", "rank_q95", "complete", "flags"]
        return self.table.select(cols).to_dicts()

    def results_dict(self) -> dict:
        """Everything computed, JSON-ready (stored with a publication; `from_results` reads it back)."""
        return {
            "engine_version": self.engine_version,
            "weight_scheme": self.weight_scheme,
            "applied_weights": self.applied_weights,
            "table": self.table.to_dicts(),
            "contributions": self.contributions.to_dicts(),
            "weights": self.weights.to_dicts(),
            "dominance": self.dominance.to_dicts(),
            "notes": list(self.notes),
        }

    @classmethod
    def from_results(cls, results: dict, inputs: IndicatorValues, config: IndicatorConfig) -> "Ranking":
        """A ranking exactly as stored (e.g. a publication's), not recomputed."""
        return cls(
            quarter=inputs.quarter, group_id=inputs.group_id, group_name=inputs.group_name,
            config_version=config.version, config_sha256=config.sha256, engine_version=results["engine_version"],
            weight_scheme=results["weight_scheme"], applied_weights=results["applied_weights"],
            table=pl.DataFrame(results["table"], schema=TABLE_SCHEMA),
            contributions=pl.DataFrame(results["contributions"], schema=CONTRIBUTIONS_SCHEMA),
            indicators=config.indicator_table(), adjustment_items=config.adjustment_table(),
            weights=pl.DataFrame(results["weights"], schema=WEIGHTS_SCHEMA),
            dominance=pl.DataFrame(results["dominance"], schema=DOMINANCE_SCHEMA),
            notes=tuple(results["notes"]), inputs=inputs,
        )

    def indicator_board(self, indicator_id: str) -> pl.DataFrame:
        """Single-indicator board: unit_code, unit_name, value, normalised, rank (on the raw value, direction
        applied, competition ranks among ranked units), detail."""
        spec = self.indicators.filter(pl.col("indicator_id") == indicator_id).row(0, named=True)
        rows = self.contributions.filter(pl.col("item_id") == indicator_id).select(
            "unit_code", "value", "normalised", "detail")
        board = self.table.select("unit_code", "unit_name", "ranked").join(rows, on="unit_code", how="left")
        sign = 1.0 if spec["direction"] == "higher" else -1.0
        v = board["value"].to_numpy().astype(float) * sign
        r = competition_rank(np.where(board["ranked"].to_numpy(), v, np.nan))
        board = board.with_columns(rank=pl.Series(r).fill_nan(None).cast(pl.Int64))
        return board.sort("rank", nulls_last=True).select("unit_code", "unit_name", "value", "normalised", "rank",
                                                          "detail")


def _nullable(a: np.ndarray) -> list:
    return [maybe(x) for x in a]


def _as_int(a: np.ndarray) -> list:
    return [None if np.isnan(x) else int(x) for x in a]


def _interval(mc: np.ndarray, rankable: np.ndarray) -> np.ndarray:
    """(5th, 50th, 95th) percentile rank per unit over the draws (3 × units; NaN for unranked units)."""
    out = np.full((3, mc.shape[1]), np.nan)
    if rankable.any():
        out[:, rankable] = np.quantile(mc[:, rankable], [0.05, 0.5, 0.95], axis=0, method="inverted_cdf")
    return out


def _flags(values: IndicatorValues, specs, X: np.ndarray, has_data, rankable, cut) -> list[str]:
    """Per unit, the Chinese marks a reader must see next to its score."""
    out = []
    for u, r in enumerate(values.units.iter_rows(named=True)):
        f = []
        if not has_data[u]:
            f.append("无任何指标数据，不参与排名")
        elif not r["complete"]:
            f.append(f"数据不完整（缺{r['missing_months']}报表），"
                     + ("按已报数据计算并参与排名" if rankable[u] else "显示得分但不参与排名"))
        lacking = [s.name for i, s in enumerate(specs) if np.isnan(X[u, i])]
        if lacking and has_data[u]:
            f.append(f"指标无法计算：{'、'.join(lacking)}，其权重按比例分配给其余指标")
        if cut[u]:
            f.append("得分超出 0–100，已截至边界")
        out.append("；".join(f))
    return out


def _contribution_rows(values: IndicatorValues, config: IndicatorConfig, X, N, eff, counts, points, cut_by):
    """Rows of `Ranking.contributions`: per unit, each indicator, each adjustment, and the 0–100 cut if any."""
    specs = config.indicators
    details = {(r["unit_code"], r["indicator_id"]): r["detail"] for r in values.values.iter_rows(named=True)}
    adj_details = {(r["unit_code"], r["adjustment_id"]): r["detail"] for r in values.adjustments.iter_rows(named=True)}
    bounded = np.column_stack([clip_to_bounds(X[:, i], s) for i, s in enumerate(specs)])
    rows = []
    for u, code in enumerate(values.units["unit_code"]):
        for i, s in enumerate(specs):
            detail = details.get((code, s.id), "")
            if bounded[u, i] != X[u, i] and not np.isnan(X[u, i]):
                detail += f"（按{'上限' if bounded[u, i] < X[u, i] else '下限'} {bounded[u, i]:g}{s.unit} 计分）"
            rows.append((code, s.id, s.name, "indicator", maybe(X[u, i]), maybe(N[u, i]), float(eff[u, i]),
                         0.0 if np.isnan(N[u, i]) else float(eff[u, i] * N[u, i]), detail))
        for j, a in enumerate(config.adjustments):
            rows.append((code, a.id, a.name, "adjustment", float(counts[u, j]), None, a.points_per,
                         float(points[u, j]), adj_details.get((code, a.id), "")))
        if cut_by[u]:
            rows.append((code, "cut", "得分截至 0–100", "cut", None, None, None, float(cut_by[u]), ""))
    return rows


METHOD_NOTES = ("window", "rank_rule", "robustness", "missing")  # the order of `_method_notes` (stored in publications)


def _method_notes(values: IndicatorValues, config: IndicatorConfig, weight_scheme: str) -> list[str]:
    rob = config.robustness
    perturbation = (f"在名义值 ±{rob.weight_spread:.0%} 内均匀扰动后归一" if rob.weight_method == "uniform"
                    else f"按狄利克雷分布（集中度 {rob.dirichlet_concentration:g}）扰动")
    normalisers = "、".join(NORMALISER_NAMES[m].split("（")[0] for m in rob.normalisers)
    return [
        f"指标期间：{values.window_start.year}年{values.window_start.month}月至{values.end_month.month}月；"
        f"权重：{WEIGHT_SCHEMES[weight_scheme]}；默认标准化：{NORMALISER_NAMES[config.default_normaliser]}。",
        "排名规则：按未取整得分降序，同分同名次（1、2、2、4）。",
        f"稳健性：{rob.draws} 次蒙特卡洛模拟（随机种子 {rob.seed}），权重{perturbation}，"
        f"标准化方法在{normalisers}中随机选取；排名区间为第 5–95 百分位。",
        "缺报处理：" + ("数据不完整的单位按已报数据计算并参与排名，并予标注。" if config.missing_policy == "flag"
                   else "数据不完整的单位显示得分但不参与排名，也不作为标准化参照。"),
    ]


def rank_values(values: IndicatorValues, config: IndicatorConfig, weight_scheme: str = "expert") -> Ranking:
    """Rank one quarter's indicator values with the given config (pure: no warehouse access)."""
    if weight_scheme not in WEIGHT_SCHEMES:
        raise RankingError(f"未知的权重方案“{weight_scheme}”，可选：{'、'.join(WEIGHT_SCHEMES)}")
    specs = config.indicators
    ids = [s.id for s in specs]
    X = values.matrix(ids).select(ids).to_numpy().astype(float)
    complete = values.units["complete"].to_numpy()
    has_data = ~np.isnan(X).all(1)
    ref_rows = reference_rows(values, config) & has_data
    rankable = has_data & (complete | (config.missing_policy == "flag"))

    weight_table, weight_notes = alternative_weights(values, config)
    if weight_scheme == "expert":
        w = np.array([s.weight for s in specs])
    else:
        if weight_table[weight_scheme].null_count():
            raise RankingError(f"无法采用{WEIGHT_SCHEMES[weight_scheme]}：{weight_notes[-1]}")
        w = weight_table[weight_scheme].to_numpy()

    counts, points = adjustment_points(values, config)
    adjust = points.sum(1)
    refs = [Reference(values=X[ref_rows, i]) for i in range(len(specs))]
    N = normalised_matrix(X, specs, [s.normaliser for s in specs], refs)
    score, raw, eff = aggregate(N, w, adjust)
    cut_by = np.where(np.isnan(raw), 0.0, score - raw)
    rank = competition_rank(np.where(rankable, score, np.nan))
    interval = _interval(monte_carlo_ranks(X, specs, w, adjust, ref_rows, rankable, config.robustness), rankable)

    codes, names = values.units["unit_code"].to_list(), values.units["unit_name"].to_list()
    table = pl.DataFrame(
        {"unit_code": codes, "unit_name": names, "score": _nullable(score), "rank": _as_int(rank),
         "rank_median": _as_int(interval[1]), "rank_q05": _as_int(interval[0]), "rank_q95": _as_int(interval[2]),
         "complete": list(complete), "ranked": list(rankable), "adjustment_points": list(adjust),
         "flags": _flags(values, specs, X, has_data, rankable, cut_by != 0)},
        schema=TABLE_SCHEMA,
    ).sort(["rank", "unit_code"], nulls_last=True)
    contributions = pl.DataFrame(_contribution_rows(values, config, X, N, eff, counts, points, cut_by),
                                 orient="row", schema=CONTRIBUTIONS_SCHEMA)
    dominance = pl.DataFrame([(codes[a], names[a], codes[b], names[b])
                              for a, b in dominance_pairs(X, specs, adjust, rankable)],
                             orient="row", schema=DOMINANCE_SCHEMA)
    return Ranking(
        quarter=values.quarter, group_id=values.group_id, group_name=values.group_name,
        config_version=config.version, config_sha256=config.sha256, engine_version=ENGINE_VERSION,
        weight_scheme=weight_scheme, applied_weights={s.id: float(x) for s, x in zip(specs, w)},
        table=table, contributions=contributions, indicators=config.indicator_table(),
        adjustment_items=config.adjustment_table(), weights=weight_table, dominance=dominance,
        notes=tuple(_method_notes(values, config, weight_scheme) + weight_notes), inputs=values,
    )


def rank_quarter(snapshot: Snapshot, quarter: str, config: IndicatorConfig | None = None,
                 group_id: str | None = None, weight_scheme: str = "expert") -> Ranking:
    """The composite ranking of a quarter as it stands in the given snapshot (a preview until published)."""
    if config is None:
        config = load_indicator_config()
    periods.parse_quarter(quarter)
    values = compute_indicator_values(snapshot, quarter, config, group_id)
    return rank_values(values, config, weight_scheme)


def maybe(x: float) -> float | None:
    return None if np.isnan(x) else float(x)
