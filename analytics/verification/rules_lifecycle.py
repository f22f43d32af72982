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
    that keeps reporting 在建 without money is, the more so the longer the dry spell: from almost nothing at the
    stall rule's months to full severity at `no_money_full_months`. A year of 在建 without a single payment is a
    checkable fact (a site visit settles it), so the rule is decisive once the dry spell is long."""
    states = ctx.pop_history.group_by("pk").agg(
        pl.col("month").filter(pl.col("funds_f") > 0).max().alias("last_money_month"),
        pl.col("month").filter(pl.col("status") != lifecycle.STALLED).max().alias("last_not_stalled_month"),
        pl.col("month").min().alias("first_month"),
    )
    unit_last = ctx.population.group_by("unit_code").agg(pl.col("month").max().alias("unit_last_month"))
    projects = ctx.population.join(states, on="pk").join(unit_last, on="unit_code")
    hits = lifecycle.stall_rule_hits(projects, load_settings().stall).filter(
        pl.col("rule_code").is_in(list(STALL_CODES))).join(
        ctx.population.select(*KEY, "funds_cum_wan"), on=KEY, how="left")
    sev, full = ctx.severity, ctx.settings["no_money_full_months"]
    # Far beyond the stall rule (from `long_stall_factor` times its months, full strength at twice them) a
    # 已签约未开工 status is no longer a plausible report: a dead project kept on the books (decisive, stronger
    # when money is still reported on it).
    stall = load_settings().stall
    n, dry = stall.not_started_months, stall.no_money_months
    lo = ctx.settings["long_stall_factor"]
    ramp = ((pl.col("months_stuck") / n - lo) / (2 - lo)).clip(0.0, 1.0)
    long_stall = (pl.col("rule_code") == "not_started") & (pl.col("months_stuck") >= lo * n)
    money = pl.when(pl.col("funds_cum_wan").cast(pl.Float64) > 0).then(1.0).otherwise(0.7)
    severity = (
        pl.when(long_stall).then(sev["stalled_long_not_started"] * pl.max_horizontal(ramp, pl.lit(0.1)) * money)
        .when(pl.col("rule_code") == "no_money")
        .then(sev["stalled_no_money"] * ((pl.col("months_stuck") - dry) / (full - dry)).clip(0.1, 1.0))
        .when(pl.col("rule_code") == "not_started").then(pl.lit(sev["stalled_not_started"]))
        .otherwise(pl.lit(sev["stalled_low_funds"]))
    )
    return hits.sort(KEY).select(
        *KEY, family=pl.lit("lifecycle"),
        code=pl.when(long_stall).then(pl.lit("stalled_long_not_started"))
        .otherwise(pl.col("rule_code").replace_strict(STALL_CODES)),
        severity=severity.cast(pl.Float64),
        reason=pl.when(long_stall).then(pl.format(
            "{}：{}，已远超停滞认定期限，仍填报为已签约未开工（累计到位资金 {} 万元），请核实项目是否仍在推进",
            pl.col("rule"), pl.col("detail"), pl.col("funds_cum_wan").cast(pl.Float64).round(2)))
        .otherwise(pl.format("{}：{}", pl.col("rule"), pl.col("detail"))),
    )




def before_start_signals(ctx: RuleContext) -> pl.DataFrame:
    """Money arriving on a project that has not started (已签约未开工, no 开工日期), relative to its size: a
    deposit of a few per cent is ordinary; a fifth of the signed amount before any construction is not.
    Severity grows from 0 at `before_start_share` to full at twice that share."""
    share = ctx.settings["before_start_share"]
    per = (
        ctx.pop_history.filter((pl.col("status") == lifecycle.NOT_STARTED) & pl.col("start_date").is_null()
                               & (pl.col("funds_f") > 0))
        .group_by("pk").agg(pl.col("funds_f").sum().alias("pre"), pl.len().alias("months"),
                            pl.col("signed_f").last(), pl.col("month").max().alias("last"))
        .with_columns(ratio=pl.col("pre") / pl.col("signed_f"))
        .filter(pl.col("ratio") >= share)
        .join(ctx.population.select("pk", *KEY), on="pk").sort(KEY)
    )
    return per.select(
        *KEY, family=pl.lit("lifecycle"), code=pl.lit("funds_before_start"),
        severity=(ctx.severity["funds_before_start"] * ((pl.col("ratio") - share) / share).clip(0.05, 1.0))
        .cast(pl.Float64),
        reason=pl.format("项目仍为已签约未开工、未填开工日期，却已填报到位资金 {} 万元（{} 个月），占签约金额的 {}%",
                         pl.col("pre").round(2), pl.col("months"), (pl.col("ratio") * 100).round(1)),
    )


def token_funds_signals(ctx: RuleContext) -> pl.DataFrame:
    """A project kept alive with token money: 在建 months with tiny 到位资金 (below `token_share` of the signed
    amount) again and again — how a stalled project looks when it is reported as being built."""
    per = (
        ctx.pop_history.filter((pl.col("status") == lifecycle.BUILDING) & (pl.col("funds_f") > 0)
                               & (pl.col("funds_f") < ctx.settings["token_share"] * pl.col("signed_f")))
        .group_by("pk").agg(pl.len().alias("k"), pl.col("funds_f").max().alias("top"), pl.col("signed_f").last())
        .filter(pl.col("k") >= ctx.settings["token_min_months"])
        .join(ctx.population.select("pk", *KEY), on="pk").sort(KEY)
    )
    full = 2 * ctx.settings["token_min_months"]
    return per.select(
        *KEY, family=pl.lit("lifecycle"), code=pl.lit("token_funds"),
        severity=(ctx.severity["token_funds"] * (pl.col("k") / full).clip(upper_bound=1.0)).cast(pl.Float64),
        reason=pl.format("在建项目有 {} 个月到位资金极少（每月不超过 {} 万元，签约金额 {} 万元），疑似以零星资金维持在建状态",
                         pl.col("k"), pl.col("top").round(2), pl.col("signed_f").round(0).cast(pl.Int64)),
    )
