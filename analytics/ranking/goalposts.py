"""Fixed goalposts for an assessment year, derived from the previous year's distribution (METHODS.md §1).

The default normaliser scores each indicator between goalposts fixed for the whole assessment year, so that a unit's
quarter-on-quarter score change comes from its own indicators only. The goalposts are set once, from a stated source:
the smallest and largest value any ranked unit had in any quarter of the previous year (same window, same formulas,
after the configured floor/cap), widened outward to a round step — 5 for percentages, 1 for counts. The result is
written into config/indicators.toml by hand (`python -m analytics goalposts --year 2025` prints the lines), so a later
data load never moves the goalposts of a year already under way.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from analytics.ranking.indicators import compute_indicator_values
from analytics.ranking.normalise import RankingError, clip_to_bounds
from warehouse import store
from warehouse.store import Snapshot


@dataclass(frozen=True)
class Goalpost:
    indicator_id: str
    name: str
    low: float
    high: float
    observed_min: float
    observed_max: float
    n: int


def step_for(unit: str) -> float:
    """The rounding step of an indicator's goalposts: 5 percentage points, else whole items."""
    return 5.0 if unit == "%" else 1.0


def widen(lo: float, hi: float, step: float) -> tuple[float, float]:
    """[lo, hi] widened outward to multiples of `step`; a degenerate range gets one step above."""
    low, high = math.floor(lo / step) * step, math.ceil(hi / step) * step
    return (low, high if high > low else low + step)


def derive_goalposts(snapshot: Snapshot, year: int, config, group_id: str | None = None) -> list[Goalpost]:
    """Goalposts per indicator from the four quarters of `year` (RankingError when an indicator has no value)."""
    frames = []
    with store.session(snapshot) as con:
        for q in range(1, 5):
            frames.append(compute_indicator_values(snapshot, f"{year}Q{q}", config, group_id, con=con).values)
    values = pl.concat(frames)
    out = []
    for s in config.indicators:
        x = values.filter(pl.col("indicator_id") == s.id)["value"].drop_nulls().to_numpy().astype(float)
        if x.size == 0:
            raise RankingError(f"{year}年“{s.name}”无任何取值，无法确定固定上下限")
        x = clip_to_bounds(x, s)
        lo, hi = widen(float(np.min(x)), float(np.max(x)), step_for(s.unit))
        out.append(Goalpost(s.id, s.name, lo, hi, float(np.min(x)), float(np.max(x)), int(x.size)))
    return out


def goalposts_toml(goalposts: list[Goalpost], year: int) -> str:
    """The lines to paste into each [[indicator]] of config/indicators.toml."""
    lines = [f"# 固定上下限：{year}年各单位四个季度取值的最小值、最大值，向外取整"]
    for g in goalposts:
        lines.append(f'# {g.indicator_id}: {g.n} 个取值，{g.observed_min:g} – {g.observed_max:g}')
        lines.append(f"goalposts = [{g.low:g}, {g.high:g}]  # {g.name}")
    return "\n".join(lines)
