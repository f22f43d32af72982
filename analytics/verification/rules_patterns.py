"""Pattern rules over a project's monthly funds: timing (late upward revisions, quarter-end bunching) and
digits (round numbers, first-two digits of a deviating unit, the same amount again and again)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from analytics.verification import benford
from analytics.verification.signals import (
    KEY,
    RuleContext,
    binomial_flags,
    date_zh,
    emit,
    fmt_wan,
    is_round,
    month_index,
    month_zh,
    noisy_or,
    signals,
    tail_strength,
)
from core.periods import add_months

# --------------------------------------------------------------------------- timing

def late_revision_signals(ctx: RuleContext) -> pl.DataFrame:
    """本月到位资金 of an earlier month raised in a version received after that month's deadline."""
    rv = ctx.revisions.join(ctx.population.select(KEY), on=KEY, how="semi")
    if rv.is_empty():
        return signals([])
    rv = rv.with_columns(raise_=pl.col("funds_now_wan") - pl.col("funds_first_wan"))
    grouped = rv.sort("raise_", descending=True).group_by(KEY, maintain_order=True).agg(
        pl.len().alias("count"), pl.all().first()
    )
    base = ctx.severity["late_upward_revision"]
    rows = []
    for r in grouped.iter_rows(named=True):
        received = r["received_at"].date()
        if r["added_later"]:
            what = f"在第 {r['version']} 版（{date_zh(received)}逾期报送）中补报，到位资金 {fmt_wan(r['funds_now_wan'])}"
        else:
            what = (f"在第 {r['version']} 版（{date_zh(received)}逾期报送）中由 {fmt_wan(r['funds_first_wan'])}"
                    f"上调为 {fmt_wan(r['funds_now_wan'])}")
        more = f"（共 {r['count']} 个月被事后上调）" if r["count"] > 1 else ""
        rows.append({
            "unit_code": r["unit_code"], "project_id": r["project_id"], "family": "timing",
            "code": "late_upward_revision", "severity": noisy_or(base, r["count"]),
            "reason": f"{month_zh(r['month'])}到位资金{what}{more}",
        })
    return signals(rows)


def quarter_end_signals(ctx: RuleContext) -> pl.DataFrame:
    """Funds reported only in the last month of each quarter, quarter after quarter, up to this quarter.

    A quarter "bunches" when its first two months have no funds and its last month has some. The run of
    bunching quarters ending with this quarter (quarters without any funds neither extend nor break it) is
    compared with how often honest quarters bunch across the province: P = b^run ≤ pattern_p flags it."""
    q = (
        ctx.history.filter(pl.col("month") <= ctx.last_month)
        .with_columns(quarter=month_index("month").sub(1) // 3, last=pl.col("month").dt.month() % 3 == 0)
        .group_by("pk", "quarter")
        .agg(pl.col("in_pop").first(), (pl.col("funds_f") > 0).filter(~pl.col("last")).any().alias("early"),
             (pl.col("funds_f") > 0).filter(pl.col("last")).any().alias("late"), pl.len().alias("months"))
        .filter((pl.col("months") == 3) & (pl.col("early") | pl.col("late")))
        .with_columns(bunched=~pl.col("early") & pl.col("late"))
    )
    if q.is_empty():
        return signals([])
    base_rate = float(np.clip(q["bunched"].mean(), 0.01, 0.99))
    runs = (
        q.filter(pl.col("in_pop"))
        .sort("pk", "quarter", descending=[False, True])
        .group_by("pk", maintain_order=True)
        .agg(pl.col("bunched").cum_min().sum().alias("run"))
        .filter(pl.col("run") >= 2)
        .with_columns(p=pl.lit(base_rate) ** pl.col("run"))
        .filter(pl.col("p") <= ctx.settings["pattern_p"])
    )
    strength = tail_strength(runs["p"].to_numpy(), ctx.settings["pattern_p"])
    base = ctx.severity["quarter_end_bunching"]
    return emit(
        runs.with_columns(sev=pl.Series(base * (0.5 + 0.5 * strength)))
        .join(ctx.population.select("pk", *KEY), on="pk").sort(KEY),
        "timing", "quarter_end_bunching", pl.col("sev"),
        pl.format("连续 {} 个季度到位资金只在季末月份填报（前两个月均为零；全省同类季度占比 {}%）",
                  pl.col("run"), pl.lit(round(base_rate * 100, 1))),
    )


def round_number_signals(ctx: RuleContext) -> pl.DataFrame:
    """A project's monthly funds are round multiples far more often than the province's."""
    unit = float(ctx.settings["round_unit_wan"])
    nz = ctx.history.filter(pl.col("funds_f") > 0)
    if nz.is_empty():
        return signals([])
    p0 = float(np.clip(nz.select(is_round(unit).mean()).item(), 0.02, 0.9))
    per = (
        ctx.pop_history.filter(pl.col("funds_f") > 0)
        .group_by("pk")
        .agg(pl.len().cast(pl.Int64).alias("k"), is_round(unit).sum().cast(pl.Int64).alias("j"))
        .filter(pl.col("j") >= 3)
    )
    hits = binomial_flags(per, p0, ctx.settings["pattern_p"], ctx.severity["round_numbers"])
    return emit(
        hits.join(ctx.population.select("pk", *KEY), on="pk").sort(KEY), "digits", "round_numbers", pl.col("sev"),
        pl.format("到位资金 {} 个月中 {} 个为 {}的整数倍（全省同期占比 {}%）", pl.col("k"), pl.col("j"),
                  pl.lit(fmt_wan(unit)), pl.lit(round(p0 * 100))),
    )


def window_label(history_months: int) -> str:
    """The name of the whole-window period of the unit digit tests, e.g. 近24个月."""
    return f"近{history_months}个月"


def benford_periods(history: pl.DataFrame, quarter: str, last_month: dt.date, history_months: int) -> pl.DataFrame:
    """The positive monthly amounts (`funds_f`) the unit digit tests look at, once per period: the quarter
    (period = quarter) and the whole window (period = window_label)."""
    h = history.filter(pl.col("funds_f") > 0)
    quarter_rows = h.filter(pl.col("month") > add_months(last_month, -3)).with_columns(period=pl.lit(quarter))
    window_rows = h.with_columns(period=pl.lit(window_label(history_months)))
    return pl.concat([quarter_rows, window_rows])


def digit_verdicts(amounts: pl.DataFrame, test: str, settings: dict, unit_names: dict[str, str]) -> pl.DataFrame:
    """One digit test per unit and period of `benford_periods` rows, with a Chinese conformity label and an
    N-aware verdict (MAD against the MAD of honest data of the same size)."""
    out = benford.digit_tests_by(amounts, ["unit_code", "period"], "funds_f", test, min_n=settings["benford_min_n"])
    return out.with_columns(
        unit_name=pl.col("unit_code").replace_strict(unit_names, default=None),
        conformity_zh=pl.col("conformity").map_elements(benford.conformity_label_zh, return_dtype=pl.String),
        verdict_zh=pl.when(~pl.col("informative"))
        .then(pl.format("数据不足（{} 个金额，少于 {} 个时检验说明力有限）", pl.col("n"),
                        pl.lit(settings["benford_min_n"])))
        .when(pl.col("mad_ratio") >= settings["benford_mad_excess"])
        .then(pl.format("明显偏离（MAD 为同等规模正常数据的 {} 倍）", pl.col("mad_ratio").round(1)))
        .otherwise(pl.lit("未见明显偏离")),
    ).sort(["unit_code", "period"])


def unit_benford(ctx: RuleContext) -> pl.DataFrame:
    """First-two-digit test of 本月到位资金 per unit, for the quarter and for the whole window."""
    amounts = benford_periods(ctx.history, ctx.quarter, ctx.last_month, ctx.settings["history_months"])
    return digit_verdicts(amounts, "first_two", ctx.settings, ctx.unit_names)


def unit_patterns(ctx: RuleContext) -> pl.DataFrame:
    """Per unit over the window: share of 到位资金 arriving in quarter-end months (1/3 if spread evenly) and
    share of round monthly amounts among nonzero ones."""
    unit = float(ctx.settings["round_unit_wan"])
    return (
        ctx.history.filter(pl.col("funds_f") > 0)
        .group_by("unit_code")
        .agg(
            pl.col("funds_f").sum().alias("funds_total"),
            (pl.col("funds_f").filter(pl.col("month").dt.month() % 3 == 0).sum() / pl.col("funds_f").sum())
            .alias("quarter_end_share"),
            is_round(unit).mean().alias("round_share"),
        )
        .sort("unit_code")
    )


def benford_bin_signals(ctx: RuleContext) -> pl.DataFrame:
    """Projects whose amounts sit in the over-represented first-two digits of a unit whose digits deviate
    (MAD well above what honest data of that size shows)."""
    h = ctx.history.filter(pl.col("funds_f") >= 10)
    if h.is_empty():
        return signals([])
    h = h.with_columns(d2=pl.Series(benford.first_two_digits(h["funds_f"].to_numpy())))
    out = []
    for (unit_code,), unit_rows in h.group_by(["unit_code"], maintain_order=True):
        if unit_rows.height < ctx.settings["benford_min_n"]:
            continue
        test = benford.digit_test(unit_rows["funds_f"], "first_two")
        if test.conformity == "close" or test.mad_ratio < ctx.settings["benford_mad_excess"]:
            continue
        over = test.table.filter(
            (pl.col("z") > ctx.settings["benford_z"]) & (pl.col("observed") > pl.col("expected"))
        )["digit"].to_list()
        if not over:
            continue
        weight = min(1.0, test.mad_ratio / (2 * ctx.settings["benford_mad_excess"]))
        per = (
            unit_rows.filter(pl.col("in_pop"))
            .group_by("pk", maintain_order=True)
            .agg(*[pl.col(c).first() for c in KEY], pl.len().alias("k"),
                 pl.col("d2").is_in(over).sum().alias("j"),
                 pl.col("d2").filter(pl.col("d2").is_in(over)).unique().sort().cast(pl.String).str.join("、")
                 .alias("hit"))
            .filter(pl.col("j") >= 2)
        )
        out.append(emit(
            per, "digits", "benford_bins", ctx.severity["benford_bins"] * weight * pl.col("j") / pl.col("k"),
            pl.format("{}近期到位资金首两位数字偏离本福特分布（{} 个金额，MAD {}，为同等规模正常数据的 {} 倍），"
                      "本项目 {} 个金额落在明显偏多的首两位（{}）",
                      pl.lit(ctx.unit_names.get(unit_code, unit_code)), pl.lit(test.n),
                      pl.lit(f"{test.mad:.4f}"), pl.lit(f"{test.mad_ratio:.1f}"), pl.col("j"), pl.col("hit")),
        ))
    return pl.concat(out) if out else signals([])


# --------------------------------------------------------------------------- duplication and identity

def repeated_amount_signals(ctx: RuleContext) -> pl.DataFrame:
    """The same nonzero 本月到位资金 reported again and again."""
    low = ctx.settings["repeat_min"]
    per = (
        ctx.pop_history.filter(pl.col("funds_month_wan") != 0)
        .group_by(["pk", "funds_month_wan"])
        .agg(pl.len().alias("c"))
        .filter(pl.col("c") >= low)
        .sort(["c", "funds_month_wan"], descending=[True, False])
        .group_by("pk", maintain_order=True)
        .first()
        .join(ctx.population.select("pk", *KEY), on="pk")
        .sort(KEY)
    )
    base = ctx.severity["repeated_amount"]
    return signals([
        {
            "unit_code": r["unit_code"], "project_id": r["project_id"], "family": "duplication",
            "code": "repeated_amount",
            "severity": base + (1 - base) * min(1.0, (r["c"] - low) / 3),
            "reason": f"本月到位资金有 {r['c']} 个月均为 {fmt_wan(r['funds_month_wan'])}",
        }
        for r in per.iter_rows(named=True)
    ])


