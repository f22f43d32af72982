"""Robustness of the ranking: seeded Monte-Carlo over weights and normalisers, and dominance pairs."""
from __future__ import annotations

import numpy as np

from analytics.ranking.aggregation import aggregate, competition_rank
from analytics.ranking.normalise import REFERENCE_NORMALISERS, Reference, clip_to_bounds, normalised_matrix, sign

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
    are policy and stay — except goalposts when "goalposts" is itself one of the configured choices (a config whose
    default is fixed goalposts asks how far a relative normaliser would move the ranks).
    """
    rng = np.random.default_rng(rob.seed)
    swappable = set(REFERENCE_NORMALISERS) | ({"goalposts"} & set(rob.normalisers))
    refs = [Reference(values=X[ref_rows, i]) for i in range(len(specs))]

    def drawn(m: str) -> list[str]:
        return [m if s.normaliser in swappable and (m != "goalposts" or s.goalposts) else s.normaliser for s in specs]

    N = np.stack([normalised_matrix(X, specs, drawn(m), refs) for m in rob.normalisers])
    choice = rng.integers(len(rob.normalisers), size=rob.draws)
    W = draw_weights(rng, w, rob, rob.draws)
    scores, _, _ = aggregate(N[choice], W, adjust)
    return competition_rank(np.where(rankable, scores, np.nan))


def dominance_pairs(X: np.ndarray, specs, adjust: np.ndarray, ok: np.ndarray) -> list[tuple[int, int]]:
    """(better, worse) pairs no weighting or normaliser can reverse: at least as good on every indicator and on
    the bonus/deduction total, strictly better on one. Only units with every indicator are compared."""
    Y = np.column_stack([sign(s) * clip_to_bounds(X[:, i], s) for i, s in enumerate(specs)] + [adjust])
    ok = ok & ~np.isnan(Y).any(1)
    ge = (Y[:, None, :] >= Y[None, :, :]).all(-1)
    gt = (Y[:, None, :] > Y[None, :, :]).any(-1)
    dom = ge & gt & ok[:, None] & ok[None, :]
    return [(int(a), int(b)) for a, b in zip(*np.nonzero(dom))]
