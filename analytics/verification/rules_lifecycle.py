"""Life-cycle rules: stalled projects kept alive, and money arriving on projects that have not started."""
from __future__ import annotations

import polars as pl

from analytics.targets import lifecycle
from analytics.targets.settings import load_settings
from analytics.verification.signals import KEY, RuleContext

# analytics.lifecycle's stall rules and the risk codes they feed (its 报告停滞 is an honest report, not a risk).
STALL_CODES = {"not_started": "stalled_not_started", "no_money": "stalled_no_money", "low_funds": "stalled_low_funds"}


def lifecycle_signals(ctx: RuleContext) -> pl.DataFrame:
    """Stalled projects by the product's one definition (analytics.lifecycle.stall_rule_hits, thresholds in
    config/targets.toml [stalled]) as of the quarter. A project that honestly reports 停滞 is not a risk; one
    that keeps reporting 在建 without money is, the more so the longer the dry spell (full severity at
    `no_money_full_months`)."""
    states = ctx.pop_history.group_by("pk").agg(
        pl.col("month").filter(pl.col("funds_f") > 0).max().alias("last_money_month"),
        pl.col("month").filter(pl.col("status") != lifecycle.STALLED).max().alias("last_not_stalled_month"),
        pl.col("month").min().alias("first_month"),
    )
    unit_last = ctx.population.group_by("unit_code").agg(pl.col("month").max().alias("unit_last_month"))
    projects = ctx.population.join(states, on="pk").join(unit_last, on="unit_code")
    hits = lifecycle.stall_rule_hits(projects, load_settings().stall).filter(
        pl.col("rule_code").is_in(list(STALL_CODES)))
    sev, full = ctx.severity, ctx.settings["no_money_full_months"]
    severity = (
        pl.when(pl.col("rule_code") == "no_money")
        .then(sev["stalled_no_money"] * (pl.col("months_stuck") / full).clip(upper_bound=1.0))
        .when(pl.col("rule_code") == "not_started").then(pl.lit(sev["stalled_not_started"]))
        .otherwise(pl.lit(sev["stalled_low_funds"]))
    )
    return hits.sort(KEY).select(
        *KEY, family=pl.lit("lifecycle"), code=pl.col("rule_code").replace_strict(STALL_CODES),
        severity=severity.cast(pl.Float64), reason=pl.format("{}：{}", pl.col("rule"), pl.col("detail")),
    )


