"""Dispatched annual 到位资金 tasks and calendar progress (序时进度), from config/targets.toml.

The one definition of a unit's task, used by the ranking (task completion indicator) and the targets pages.
"""
from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import lru_cache

from analytics.domain import CONFIG_DIR


@lru_cache(maxsize=1)
def targets_config() -> dict:
    with open(CONFIG_DIR / "targets.toml", "rb") as f:
        return tomllib.load(f)


def annual_task_wan(unit_code: str, year: int, prior_year_actual_wan: Decimal | None) -> Decimal | None:
    """The unit's task for `year` in 万元: an override if configured, else last year's actual × multiplier.

    None when there is neither an override nor a prior-year actual (the task is unknown, not zero).
    """
    cfg = targets_config()["tasks"]
    override = cfg.get("overrides", {}).get(str(year), {}).get(unit_code)
    if override is not None:
        return Decimal(str(override))
    if prior_year_actual_wan is None:
        return None
    return (Decimal(prior_year_actual_wan) * Decimal(str(cfg["dispatched_multiplier"]))).quantize(Decimal("0.0001"))


def calendar_progress(month: int) -> Decimal:
    """序时进度 at the end of month m: m/12 (exact to 6 places)."""
    if not 1 <= month <= 12:
        raise ValueError(f"月份应在 1–12 之间，收到 {month}")
    return (Decimal(month) / Decimal(12)).quantize(Decimal("0.000001"))
