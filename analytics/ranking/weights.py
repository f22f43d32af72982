"""Alternative weights (entropy, CRITIC) with a cap, compared with the expert weights of the config."""
from __future__ import annotations

import numpy as np
import polars as pl

from analytics.ranking.indicator_config import IndicatorConfig
from analytics.ranking.indicators import IndicatorValues
from analytics.ranking.normalise import RankingError, clip_to_bounds, reference_rows, sign

WEIGHTS_SCHEMA = {"indicator_id": pl.String, "name": pl.String, "expert": pl.Float64, "entropy": pl.Float64,
                  "critic": pl.Float64, "entropy_uncapped": pl.Float64, "critic_uncapped": pl.Float64,
                  "sparse": pl.Boolean}

# --------------------------------------------------------------------------- alternative weights

def _unit_interval(X: np.ndarray, specs) -> np.ndarray:
    """Min-max to [0, 1] with direction applied (1 = best); a constant column becomes all ones."""
    Y = np.column_stack([sign(s) * clip_to_bounds(X[:, i], s) for i, s in enumerate(specs)])
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
        raise RankingError("各指标均不能区分单位，无法计算 指标冲突性赋权法权重")
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


def alternative_weights(values: IndicatorValues, config: IndicatorConfig) -> tuple[pl.DataFrame, list[str]]:
    """Expert, entropy and CRITIC weights side by side (the latter two capped at the configured maximum).

    Computed on the min-max normalised values with direction applied (not on raw values: raw growth rates can
    be negative, and a lower-is-better indicator's raw entropy would reward the wrong end), over the units that
    have every indicator. A sparse count indicator (half the units or more at the minimum, e.g. 0, 0, 1, 3, 0, 2)
    concentrates its distribution and soaks up entropy weight; it is marked, and the cap limits the damage.
    """
    specs = config.indicators
    ids = [s.id for s in specs]
    X = values.matrix(ids).select(ids).to_numpy().astype(float)
    rows = reference_rows(values, config) & ~np.isnan(X).any(1)
    expert = np.array([s.weight for s in specs])
    notes = ["熵权法与 指标冲突性赋权法基于极差标准化（已按指标方向转换）后的数值计算，而非原始值；"
             f"单项权重上限 {config.max_alternative_weight:.0%}，超出部分按比例分配给其余指标。"]
    empty = [None] * len(specs)
    entropy = critic = entropy_raw = critic_raw = empty
    sparse = [False] * len(specs)
    if rows.sum() < 3:
        notes.append(f"指标齐全的单位仅 {int(rows.sum())} 个（少于 3 个），未计算熵权和 指标冲突性赋权法权重。")
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
