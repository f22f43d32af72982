"""Normalisers: an indicator's raw values onto a 0–100 scale (docs/METHODS.md §1)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NORMALISER_NAMES = {
    "efficacy": "功效系数法（60 + 40 ×（x − 最小值）÷（最大值 − 最小值））",
    "minmax": "极差标准化（0–100）",
    "zscore": "标准分（T 分 = 50 + 10 × z）",
    "rank": "排序法（按位次折算 0–100）",
    "completion": "目标完成度（100 × min(实际 ÷ 目标, 封顶倍数) ÷ 封顶倍数）",
    "goalposts": "固定上下限法（100 ×（x − 下限）÷（上限 − 下限），截至 0–100；上下限全年固定）",
}
# Normalisers anchored on the ranked units' own values (the ones Monte-Carlo swaps); the others are fixed by config.
REFERENCE_NORMALISERS = ("efficacy", "minmax", "zscore", "rank")


class RankingError(ValueError):
    """A ranking that cannot be computed as asked (Chinese message)."""


# --------------------------------------------------------------------------- normalisers

@dataclass(frozen=True)
class Reference:
    """What a reference-based normaliser is anchored on: the reference units' raw values, or fixed bounds."""

    values: np.ndarray | None = None
    bounds: tuple[float, float] | None = None


def clip_to_bounds(x: np.ndarray, spec: object) -> np.ndarray:
    """Outlier treatment: raw values held within the configured floor/cap (NaN stays NaN)."""
    if spec.floor is None and spec.cap is None:
        return x
    return np.clip(x, spec.floor if spec.floor is not None else -np.inf, spec.cap if spec.cap is not None else np.inf)


def sign(spec: object) -> float:
    return 1.0 if spec.direction == "higher" else -1.0


def normalise(x: np.ndarray, spec: object, method: str | None = None,
              reference: Reference | None = None) -> np.ndarray:
    """Normalised values on a 0–100 scale (higher = better whatever the direction); NaN stays NaN.

    `reference` anchors the reference-based methods (default: `x` itself). With a reference other than the
    values being scored, results may leave 0–100; that is what keeps fixed-reference attribution exact.
    """
    method = method or spec.normaliser
    x = clip_to_bounds(np.asarray(x, dtype=float), spec)
    s = sign(spec)
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
        ref = s * clip_to_bounds(np.asarray(reference.values, dtype=float), spec)
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


def reference_rows(values, config) -> np.ndarray:
    """Units whose values anchor the normalisation: all units with data ('flag') or the complete ones ('exclude')."""
    complete = values.units["complete"].to_numpy()
    return complete if config.missing_policy == "exclude" else np.ones_like(complete, dtype=bool)
