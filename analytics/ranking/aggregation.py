"""Aggregation: weighted scores plus bonus/deduction points within 0–100, and competition ranks."""
from __future__ import annotations

import numpy as np

from analytics.ranking.indicators import IndicatorValues

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


def adjustment_points(values: IndicatorValues, config) -> tuple[np.ndarray, np.ndarray]:
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
