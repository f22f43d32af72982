"""Quarterly composite ranking engine (METHODS.md §1): normalise → weight → aggregate → rank → robustness.

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
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from analytics import periods, submission_status
from analytics.indicators import IndicatorValues, compute_indicator_values, month_label, month_range
from warehouse.queries import ranking as queries

if TYPE_CHECKING:
    from analytics.indicator_config import IndicatorConfig, IndicatorSpec
    from warehouse.store import Snapshot

ENGINE_VERSION = "ranking-engine-1.0"

NORMALISER_NAMES = {
    "efficacy": "功效系数法（60 + 40 ×（x − 最小值）÷（最大值 − 最小值））",
    "minmax": "极差标准化（0–100）",
    "zscore": "标准分（T 分 = 50 + 10 × z）",
    "rank": "排序法（按位次折算 0–100）",
    "completion": "目标完成度（100 × min(实际 ÷ 目标, 封顶倍数) ÷ 封顶倍数）",
    "goalposts": "固定上下限（0–100）",
}
# Normalisers anchored on the ranked units' own values (the ones Monte-Carlo swaps); the others are fixed by config.
REFERENCE_NORMALISERS = ("efficacy", "minmax", "zscore", "rank")
WEIGHT_SCHEMES = {"expert": "专家权重（配置）", "entropy": "熵权法", "critic": "CRITIC 法"}

TABLE_SCHEMA = {"unit_code": pl.String, "unit_name": pl.String, "score": pl.Float64, "rank": pl.Int64,
                "rank_median": pl.Int64, "rank_q05": pl.Int64, "rank_q95": pl.Int64, "complete": pl.Boolean,
                "ranked": pl.Boolean, "adjustment_points": pl.Float64, "flags": pl.String}
CONTRIBUTIONS_SCHEMA = {"unit_code": pl.String, "item_id": pl.String, "item_name": pl.String, "kind": pl.String,
                        "value": pl.Float64, "normalised": pl.Float64, "weight": pl.Float64,
                        "contribution": pl.Float64, "detail": pl.String}
WEIGHTS_SCHEMA = {"indicator_id": pl.String, "name": pl.String, "expert": pl.Float64, "entropy": pl.Float64,
                  "critic": pl.Float64, "entropy_uncapped": pl.Float64, "critic_uncapped": pl.Float64,
                  "sparse": pl.Boolean}
DOMINANCE_SCHEMA = {"better_code": pl.String, "better_name": pl.String, "worse_code": pl.String,
                    "worse_name": pl.String}


class RankingError(ValueError):
    """A ranking that cannot be computed as asked (Chinese message)."""


# --------------------------------------------------------------------------- normalisers

@dataclass(frozen=True)
class Reference:
    """What a reference-based normaliser is anchored on: the reference units' raw values, or fixed bounds."""

    values: np.ndarray | None = None
    bounds: tuple[float, float] | None = None


def _bounded(x: np.ndarray, spec: "IndicatorSpec") -> np.ndarray:
    """Outlier treatment: raw values held within the configured floor/cap (NaN stays NaN)."""
    if spec.floor is None and spec.cap is None:
        return x
    return np.clip(x, spec.floor if spec.floor is not None else -np.inf, spec.cap if spec.cap is not None else np.inf)


def _sign(spec: "IndicatorSpec") -> float:
    return 1.0 if spec.direction == "higher" else -1.0


def normalise(x: np.ndarray, spec: "IndicatorSpec", method: str | None = None,
              reference: Reference | None = None) -> np.ndarray:
    """Normalised values on a 0–100 scale (higher = better whatever the direction); NaN stays NaN.

    `reference` anchors the reference-based methods (default: `x` itself). With a reference other than the
    values being scored, results may leave 0–100; that is what keeps fixed-reference attribution exact.
    """
    method = method or spec.normaliser
    x = _bounded(np.asarray(x, dtype=float), spec)
    s = _sign(spec)
    if method == "completion":
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = x / spec.target if s > 0 else np.where(x > 0, spec.target / x, spec.max_ratio)
        return np.where(np.isnan(x), np.nan, 100.0 * np.clip(ratio, 0.0, spec.max_ratio) / spec.max_ratio)
    if method == "goalposts":
        lo, hi = spec.goalposts
        return 100.0 * np.clip((s * x - (lo if s > 0 else -hi)) / (hi - lo), 0.0, 1.0)
    y = s * x
    reference = reference or Reference(values=x)
    if reference.bounds is not None:
        lo, hi = sorted((s * reference.bounds[0], s * reference.bounds[1]))
        ref = np.array([lo, hi])
    else:
        ref = s * _bounded(np.asarray(reference.values, dtype=float), spec)
        ref = ref[~np.isnan(ref)]
        if ref.size == 0:
            return np.full_like(y, np.nan)
        lo, hi = ref.min(), ref.max()
    if method in ("efficacy", "minmax"):
        base, span = (60.0, 40.0) if method == "efficacy" else (0.0, 100.0)
        if hi == lo:  # the indicator does not tell the units apart: everyone gets the middle
            return np.where(np.isnan(y), np.nan, base + span / 2)
        return base + span * (y - lo) / (hi - lo)
    if method == "zscore":
        sd = ref.std()
        if sd == 0:
            return np.where(np.isnan(y), np.nan, 50.0)
        return 50.0 + 10.0 * (y - ref.mean()) / sd
    if method == "rank":
        ref = np.sort(ref)
        if ref.size == 1:
            return np.where(np.isnan(y), np.nan, 50.0)
        pos = (np.searchsorted(ref, y, "left") + np.searchsorted(ref, y, "right")) / 2 - 0.5
        return np.where(np.isnan(y), np.nan, np.clip(100.0 * pos / (ref.size - 1), 0.0, 100.0))
    raise RankingError(f"未知的标准化方法“{method}”")


def normalised_matrix(X: np.ndarray, specs, methods: list[str], references: list[Reference]) -> np.ndarray:
    """Column by column `normalise` of a units × indicators matrix."""
    return np.column_stack([normalise(X[:, i], s, m, r) for i, (s, m, r) in enumerate(zip(specs, methods, references))])


# --------------------------------------------------------------------------- aggregation and ranks

def aggregate(N: np.ndarray, W: np.ndarray, adjust: np.ndarray):
    """Weighted arithmetic aggregation, batched: N (..., U, I) with NaN = missing, W (..., I), adjust (U,).

    Returns (score (..., U) kept in 0–100, NaN when a unit has no indicator; raw score before the 0–100 cut;
    effective weights (..., U, I): a unit's weights over its available indicators, renormalised to 1).
    """
    present = ~np.isnan(N)
    eff = np.where(present, W[..., None, :], 0.0)
    total = eff.sum(-1, keepdims=True)
    eff = np.divide(eff, total, out=np.zeros_like(eff), where=total > 0)
    raw = (eff * np.where(present, N, 0.0)).sum(-1) + adjust
    raw = np.where(total[..., 0] > 0, raw, np.nan)
    return np.clip(raw, 0.0, 100.0), raw, eff


def competition_rank(scores: np.ndarray) -> np.ndarray:
    """1 + the number of units with a strictly higher score (1, 2, 2, 4), batched over leading axes; NaN = unranked."""
    higher = (scores[..., None, :] > scores[..., :, None]).sum(-1)
    return np.where(np.isnan(scores), np.nan, 1.0 + higher)


def adjustment_points(values: IndicatorValues, config: "IndicatorConfig") -> tuple[np.ndarray, np.ndarray]:
    """(counts, points), each units × adjustments: points = count × points_per, capped at ±max_points."""
    codes = values.units["unit_code"].to_list()
    counts = np.zeros((len(codes), len(config.adjustments)))
    index = {c: k for k, c in enumerate(codes)}
    ids = {a.id: j for j, a in enumerate(config.adjustments)}
    for r in values.adjustments.iter_rows(named=True):
        if r["adjustment_id"] in ids and r["unit_code"] in index:
            counts[index[r["unit_code"]], ids[r["adjustment_id"]]] = r["count"]
    per = np.array([a.points_per for a in config.adjustments])
    cap = np.array([a.max_points if a.max_points is not None else np.inf for a in config.adjustments])
    return counts, np.clip(counts * per, -cap, cap) + 0.0  # + 0.0: no negative zeros


# --------------------------------------------------------------------------- alternative weights

def _unit_interval(X: np.ndarray, specs) -> np.ndarray:
    """Min-max to [0, 1] with direction applied (1 = best); a constant column becomes all ones."""
    Y = np.column_stack([_sign(s) * _bounded(X[:, i], s) for i, s in enumerate(specs)])
    lo, hi = Y.min(0), Y.max(0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return np.where(hi > lo, (Y - lo) / span, 1.0)


def entropy_weights(Y: np.ndarray) -> np.ndarray:
    """Entropy weights of a [0, 1] matrix (units × indicators, 1 = best), with 0·ln 0 = 0.

    pᵢⱼ = yᵢⱼ / Σᵢ yᵢⱼ, eⱼ = −Σᵢ pᵢⱼ ln pᵢⱼ / ln n, wⱼ ∝ 1 − eⱼ. A constant indicator gets weight 0.
    """
    n = Y.shape[0]
    P = Y / Y.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(P > 0, P * np.log(P), 0.0)
    d = np.maximum(1.0 + plogp.sum(0) / np.log(n), 0.0)  # a constant column has e = 1 up to rounding
    if d.sum() <= 0:
        raise RankingError("各指标均不能区分单位，无法计算熵权")
    return d / d.sum()


def critic_weights(Y: np.ndarray) -> np.ndarray:
    """CRITIC weights: wⱼ ∝ σⱼ × Σₖ (1 − rⱼₖ) on the [0, 1] matrix (σ with n − 1; a constant indicator gets 0)."""
    sd = Y.std(0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.corrcoef(Y, rowvar=False)
    r = np.where(np.isnan(r), 0.0, np.atleast_2d(r))
    np.fill_diagonal(r, 1.0)
    c = sd * (1.0 - r).sum(0)
    if c.sum() <= 0:
        raise RankingError("各指标均不能区分单位，无法计算 CRITIC 权重")
    return c / c.sum()


def cap_weights(w: np.ndarray, max_weight: float) -> np.ndarray:
    """Hold every weight at or below max_weight, sharing the excess among the others in proportion."""
    w = w.copy()
    for _ in range(len(w)):
        over = w > max_weight + 1e-12
        if not over.any():
            break
        excess = (w[over] - max_weight).sum()
        w[over] = max_weight
        free = ~over & (w < max_weight)
        base = w[free].sum()
        w[free] += excess * (w[free] / base if base > 0 else 1.0 / free.sum())
    return w


def alternative_weights(values: IndicatorValues, config: "IndicatorConfig") -> tuple[pl.DataFrame, list[str]]:
    """Expert, entropy and CRITIC weights side by side (the latter two capped at the configured maximum).

    Computed on the min-max normalised values with direction applied (not on raw values: raw growth rates can
    be negative, and a lower-is-better indicator's raw entropy would reward the wrong end), over the units that
    have every indicator. A sparse count indicator (half the units or more at the minimum, e.g. 0, 0, 1, 3, 0, 2)
    concentrates its distribution and soaks up entropy weight; it is marked, and the cap limits the damage.
    """
    specs = config.indicators
    ids = [s.id for s in specs]
    X = values.matrix(ids).select(ids).to_numpy().astype(float)
    rows = _reference_rows(values, config) & ~np.isnan(X).any(1)
    expert = np.array([s.weight for s in specs])
    notes = ["熵权法与 CRITIC 法基于极差标准化（已按指标方向转换）后的数值计算，而非原始值；"
             f"单项权重上限 {config.max_alternative_weight:.0%}，超出部分按比例分配给其余指标。"]
    empty = [None] * len(specs)
    entropy = critic = entropy_raw = critic_raw = empty
    sparse = [False] * len(specs)
    if rows.sum() < 3:
        notes.append(f"指标齐全的单位仅 {int(rows.sum())} 个（少于 3 个），未计算熵权和 CRITIC 权重。")
    else:
        Y = _unit_interval(X[rows], specs)
        sparse = list((Y == 0).mean(0) >= 0.5)
        try:
            e = entropy_weights(Y)
            entropy_raw, entropy = list(e), list(cap_weights(e, config.max_alternative_weight))
            c = critic_weights(Y)
            critic_raw, critic = list(c), list(cap_weights(c, config.max_alternative_weight))
        except RankingError as err:
            notes.append(str(err))
        for s, flag in zip(specs, sparse):
            if flag:
                notes.append(f"“{s.name}”取值稀疏（半数以上单位为最小值），熵权法会高估其权重，请谨慎采用。")
    table = pl.DataFrame(
        {"indicator_id": ids, "name": [s.name for s in specs], "expert": list(expert),
         "entropy": entropy, "critic": critic, "entropy_uncapped": entropy_raw, "critic_uncapped": critic_raw,
         "sparse": sparse},
        schema=WEIGHTS_SCHEMA,
    )
    return table, notes


# --------------------------------------------------------------------------- robustness

def draw_weights(rng: np.random.Generator, w: np.ndarray, rob, draws: int) -> np.ndarray:
    """Weights perturbed around w: ×U(1 − spread, 1 + spread) then renormalised, or Dirichlet(concentration·w)."""
    if rob.weight_method == "dirichlet":
        return rng.dirichlet(rob.dirichlet_concentration * w, size=draws)
    W = w * rng.uniform(1 - rob.weight_spread, 1 + rob.weight_spread, size=(draws, len(w)))
    return W / W.sum(1, keepdims=True)


def monte_carlo_ranks(X: np.ndarray, specs, w: np.ndarray, adjust: np.ndarray, ref_rows: np.ndarray,
                      rankable: np.ndarray, rob) -> np.ndarray:
    """Ranks per draw (draws × units; NaN = unranked) over perturbed weights and a drawn normaliser.

    The drawn normaliser replaces every reference-based normaliser; target-based ones (completion, goalposts)
    are policy and stay.
    """
    rng = np.random.default_rng(rob.seed)
    refs = [Reference(values=X[ref_rows, i]) for i in range(len(specs))]
    N = np.stack([
        normalised_matrix(X, specs, [m if s.normaliser in REFERENCE_NORMALISERS else s.normaliser for s in specs], refs)
        for m in rob.normalisers
    ])
    choice = rng.integers(len(rob.normalisers), size=rob.draws)
    W = draw_weights(rng, w, rob, rob.draws)
    scores, _, _ = aggregate(N[choice], W, adjust)
    return competition_rank(np.where(rankable, scores, np.nan))


def dominance_pairs(X: np.ndarray, specs, adjust: np.ndarray, ok: np.ndarray) -> list[tuple[int, int]]:
    """(better, worse) pairs no weighting or normaliser can reverse: at least as good on every indicator and on
    the bonus/deduction total, strictly better on one. Only units with every indicator are compared."""
    Y = np.column_stack([_sign(s) * _bounded(X[:, i], s) for i, s in enumerate(specs)] + [adjust])
    ok = ok & ~np.isnan(Y).any(1)
    ge = (Y[:, None, :] >= Y[None, :, :]).all(-1)
    gt = (Y[:, None, :] > Y[None, :, :]).any(-1)
    dom = ge & gt & ok[:, None] & ok[None, :]
    return [(int(a), int(b)) for a, b in zip(*np.nonzero(dom))]


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
    notes: tuple[str, ...]
    inputs: IndicatorValues

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
        """The contract's JSON records (CONTRACT.md §3), by rank."""
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
    def from_results(cls, results: dict, inputs: IndicatorValues, config: "IndicatorConfig") -> "Ranking":
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


def _reference_rows(values: IndicatorValues, config: "IndicatorConfig") -> np.ndarray:
    """Units whose values anchor the normalisation: all units with data ('flag') or the complete ones ('exclude')."""
    complete = values.units["complete"].to_numpy()
    return complete if config.missing_policy == "exclude" else np.ones_like(complete, dtype=bool)


def _maybe(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def _nullable(a: np.ndarray) -> list:
    return [_maybe(x) for x in a]


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


def _contribution_rows(values: IndicatorValues, config: "IndicatorConfig", X, N, eff, counts, points, cut_by):
    """Rows of `Ranking.contributions`: per unit, each indicator, each adjustment, and the 0–100 cut if any."""
    specs = config.indicators
    details = {(r["unit_code"], r["indicator_id"]): r["detail"] for r in values.values.iter_rows(named=True)}
    adj_details = {(r["unit_code"], r["adjustment_id"]): r["detail"] for r in values.adjustments.iter_rows(named=True)}
    bounded = np.column_stack([_bounded(X[:, i], s) for i, s in enumerate(specs)])
    rows = []
    for u, code in enumerate(values.units["unit_code"]):
        for i, s in enumerate(specs):
            detail = details.get((code, s.id), "")
            if bounded[u, i] != X[u, i] and not np.isnan(X[u, i]):
                detail += f"（按{'上限' if bounded[u, i] < X[u, i] else '下限'} {bounded[u, i]:g}{s.unit} 计分）"
            rows.append((code, s.id, s.name, "indicator", _maybe(X[u, i]), _maybe(N[u, i]), float(eff[u, i]),
                         0.0 if np.isnan(N[u, i]) else float(eff[u, i] * N[u, i]), detail))
        for j, a in enumerate(config.adjustments):
            rows.append((code, a.id, a.name, "adjustment", float(counts[u, j]), None, a.points_per,
                         float(points[u, j]), adj_details.get((code, a.id), "")))
        if cut_by[u]:
            rows.append((code, "cut", "得分截至 0–100", "cut", None, None, None, float(cut_by[u]), ""))
    return rows


def _method_notes(values: IndicatorValues, config: "IndicatorConfig", weight_scheme: str) -> list[str]:
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


def rank_values(values: IndicatorValues, config: "IndicatorConfig", weight_scheme: str = "expert") -> Ranking:
    """Rank one quarter's indicator values with the given config (pure: no warehouse access)."""
    if weight_scheme not in WEIGHT_SCHEMES:
        raise RankingError(f"未知的权重方案“{weight_scheme}”，可选：{'、'.join(WEIGHT_SCHEMES)}")
    specs = config.indicators
    ids = [s.id for s in specs]
    X = values.matrix(ids).select(ids).to_numpy().astype(float)
    complete = values.units["complete"].to_numpy()
    has_data = ~np.isnan(X).all(1)
    ref_rows = _reference_rows(values, config) & has_data
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


def rank_quarter(snapshot: "Snapshot", quarter: str, config: "IndicatorConfig | None" = None,
                 group_id: str | None = None, weight_scheme: str = "expert") -> Ranking:
    """The composite ranking of a quarter as it stands in the given snapshot (a preview until published)."""
    if config is None:
        from analytics.indicator_config import load_indicator_config
        config = load_indicator_config()
    periods.parse_quarter(quarter)
    values = compute_indicator_values(snapshot, quarter, config, group_id)
    return rank_values(values, config, weight_scheme)



# --------------------------------------------------------------------------- history and reporting status

HISTORY_SCHEMA = {"quarter": pl.String, "unit_code": pl.String, "unit_name": pl.String, "score": pl.Float64,
                  "rank": pl.Int64, "ranked": pl.Boolean, "complete": pl.Boolean}


def history_quarters(quarter: str, first_month: dt.date | None, quarters: int) -> list[str]:
    """Up to `quarters` quarters ending at `quarter`, oldest first, none ending before the first month with data."""
    out = [quarter]
    while len(out) < quarters and first_month is not None:
        earlier = periods.previous_quarter(out[-1])
        if periods.quarter_months(earlier)[-1] < first_month:
            break
        out.append(earlier)
    return out[::-1]


def rank_history(snapshot: "Snapshot", quarter: str, config: "IndicatorConfig | None" = None,
                 group_id: str | None = None, weight_scheme: str = "expert", quarters: int = 8) -> pl.DataFrame:
    """Every unit's score and nominal rank in each of up to `quarters` quarters ending at `quarter` (HISTORY_SCHEMA),
    recomputed on the snapshot's current data with the same config and weight scheme — not the published figures.

    A quarter in which the asked alternative weights cannot be computed is left out.
    """
    if config is None:
        from analytics.indicator_config import load_indicator_config
        config = load_indicator_config()
    frames = []
    with queries.session(snapshot) as con:  # one connection: its buffer cache stays warm across the quarters
        for q in history_quarters(quarter, queries.first_month(con), quarters):
            values = compute_indicator_values(snapshot, q, config, group_id, con=con)
            try:
                table = rank_values(values, config, weight_scheme).table
            except RankingError:
                continue
            frames.append(table.select(pl.lit(q).alias("quarter"), *[c for c in HISTORY_SCHEMA if c != "quarter"]))
    return pl.concat(frames) if frames else pl.DataFrame(schema=HISTORY_SCHEMA)


def rank_changes(table: pl.DataFrame, history: pl.DataFrame, quarter: str) -> pl.DataFrame:
    """`table` (a ranking table) with rank_previous — the unit's rank in the quarter before `quarter` in `history`
    (`rank_history`) — and rank_change = rank_previous − rank (positive = moved up); null when either is missing."""
    before = history.filter(pl.col("quarter") == periods.previous_quarter(quarter)).select(
        "unit_code", pl.col("rank").alias("rank_previous"))
    return table.join(before, on="unit_code", how="left", maintain_order="left").with_columns(
        rank_change=pl.col("rank_previous") - pl.col("rank"))


def months_not_due(ranking: Ranking, today: dt.date) -> list[dt.date]:
    """The ranking window's months whose reporting deadline (analytics.submission_status) has not passed today."""
    window = month_range(ranking.inputs.window_start, ranking.inputs.end_month)
    return [m for m in window if submission_status.deadline_for(m).date() >= today]


def reporting_status(ranking: Ranking, today: dt.date) -> pl.DataFrame:
    """Per unit of the ranking, its missing monthly reports split by deadline (analytics.submission_status):
    overdue (缺报: the deadline has passed) and pending (not yet due: normal while a quarter is under way).

    Columns: unit_code, overdue, pending ('、'-joined month labels, '' when none), status (完整 / 缺报… / …未到截止日).
    """
    not_due = {month_label(m) for m in months_not_due(ranking, today)}
    rows = []
    for r in ranking.inputs.units.iter_rows(named=True):
        missing = [m for m in r["missing_months"].split("、") if m]
        overdue = [m for m in missing if m not in not_due]
        pending = [m for m in missing if m in not_due]
        status = [f"缺报 {'、'.join(overdue)}"] if overdue else []
        status += [f"{'、'.join(pending)}未到截止日"] if pending else []
        rows.append((r["unit_code"], "、".join(overdue), "、".join(pending), "；".join(status) or "完整"))
    return pl.DataFrame(rows, orient="row", schema={"unit_code": pl.String, "overdue": pl.String,
                                                    "pending": pl.String, "status": pl.String})

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
        if s.normaliser in REFERENCE_NORMALISERS and (prev.size == 0 or np.ptp(_bounded(prev, s)) == 0):
            pooled = np.concatenate([prev, Xc[ref_rows_cur, i]])
            refs.append(Reference(values=pooled))
            notes.append(f"“{s.name}”上季度各单位取值相同或缺失，改用两季度合并取值作为参照。")
        else:
            refs.append(Reference(values=prev))
    return refs, notes


def attribute_change(current: IndicatorValues, previous: IndicatorValues, config: "IndicatorConfig",
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
                                    _reference_rows(previous, config) & ~np.isnan(Xp).all(1),
                                    _reference_rows(current, config) & ~np.isnan(Xc).all(1))
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
            item_rows.append((r["unit_code"], s.id, s.name, "indicator", _maybe(Xp[u, i]), _maybe(Xc[u, i]),
                              float(contrib[u, i])))
        for j, a in enumerate(config.adjustments):
            item_rows.append((r["unit_code"], a.id, a.name, "adjustment", float(pts_p[u, j]), float(pts_c[u, j]),
                              float(adj[u, j])))
        item_rows.append((r["unit_code"], "reference", "参照变动（其他单位数据变化等）", "reference", None, None,
                          effect))
    reference_text = ("各指标固定上下限" if config.attribution_reference == "goalposts"
                      else f"上季度（{previous.quarter}）各单位取值")
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


def attribute_quarter(snapshot: "Snapshot", quarter: str, config: "IndicatorConfig | None" = None,
                      group_id: str | None = None, weight_scheme: str = "expert") -> Attribution:
    """`attribute_change` between a quarter and the one before it, read from the warehouse snapshot."""
    if config is None:
        from analytics.indicator_config import load_indicator_config
        config = load_indicator_config()
    current = compute_indicator_values(snapshot, quarter, config, group_id)
    previous = compute_indicator_values(snapshot, periods.previous_quarter(quarter), config, group_id)
    return attribute_change(current, previous, config, weight_scheme)
