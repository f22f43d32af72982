"""Rules on the reported money and the loader's warnings: consistency (累计 vs 本月, funds above the signed
amount, dates, status), invalid USCCs and unlisted 500强 claims, 累计 going down, money that enters and leaves."""
from __future__ import annotations

import re

import polars as pl

from analytics.verification.rules_identity import company_stem, listed_parent, plain_name
from analytics.verification.signals import (
    KEY,
    RuleContext,
    emit,
    fmt_wan,
    month_index,
    month_zh,
    noisy_or,
    signals,
)
from core.uscc import GANSU_REGION

# A subsidiary's name ends with a legal form (某某（甘肃）有限公司); one marked as the province's (甘肃, 兰州) is
# registered in Gansu. (集团 is no legal form here: 某某集团 alone is not a company's full name.)
_COMPANY_FORM_END = r"(有限责任公司|股份有限公司|有限公司|公司)$"
GANSU_MARK = r"甘肃|兰州"

# Loader warning codes (row_warnings.code) and the family each feeds; unknown codes count as consistency.
WARNING_FAMILY = {
    "cum_mismatch": "consistency",
    "negative_month_funds": "consistency",
    "cum_above_signed": "consistency",
    "start_before_signing": "consistency",
    "status_backwards": "consistency",
    "uscc_check_digit": "duplication",
    "five_hundred_unverified": "duplication",
}
# Warnings that restate one fact every month (their repetition is no new evidence): they count once.
STATE_WARNINGS = {"uscc_check_digit", "five_hundred_unverified", "cum_above_signed", "start_before_signing"}


def warning_signals(ctx: RuleContext) -> pl.DataFrame:
    """The loader's row warnings (docs/CONTRACT.md §1): consistency, invalid USCC, unlisted 500强 claims.

    An unlisted 500强 claim by an investor whose name starts with a listed group's name is most likely a
    subsidiary claiming its group's rank (allowed or not by the group rule): a weak signal, said so. The listed
    company itself (the same name up to its legal form) claiming a year it is not listed in is no subsidiary:
    full strength."""
    w = ctx.warnings.join(ctx.population.select(KEY), on=KEY, how="semi")
    if w.is_empty():
        return signals([])
    grouped = (
        w.sort("month")
        .group_by([*KEY, "code"], maintain_order=True)
        .agg(pl.len().alias("count"), pl.col("month").last(), pl.col("message").last())
        .join(ctx.population.select(*KEY, "investor_name", "investor_uscc"), on=KEY, how="left")
    )
    stems = sorted({company_stem(n) for n in ctx.five_hundred["company_name"]} - {""}, key=len, reverse=True)
    stems = [stem for stem in stems if len(stem) >= ctx.settings["group_stem_min_chars"]]
    listed = set(stems)
    rows = []
    for r in grouped.iter_rows(named=True):
        code = r["code"] if r["code"] in WARNING_FAMILY else "other_warning"
        base, note = ctx.severity[code], ""
        if code == "five_hundred_unverified":
            parent = listed_parent(r["investor_name"], stems)
            name, uscc = r["investor_name"] or "", (r["investor_uscc"] or "").strip()
            rest = plain_name(name)[len(parent or ""):]
            if company_stem(name) in listed:
                # the listed company itself, on another year's list: the claim needs the reporting year's list
                note = "；该企业仅见于其他年份的名录，应以填报年份的名录认定"
            elif parent and not re.search(_COMPANY_FORM_END, rest):
                note = f"；投资方名称“{name}”与名录企业“{parent}”仅字面相近，并非规范的企业名称"
            elif parent and re.search(GANSU_MARK, rest) and len(uscc) == 18 and uscc[2:4] != GANSU_REGION:
                # a Gansu subsidiary is registered in Gansu: a "（甘肃）" company registered elsewhere is a look-alike
                note = (f"；投资方名称显示为名录企业“{parent}”在甘肃的下属企业，但其统一社会信用代码显示登记地不在甘肃，"
                        "疑为仿冒名录企业名称")
            elif parent:
                base = ctx.severity["five_hundred_subsidiary"]
                note = f"；投资方名称以名录企业“{parent}”开头，疑为其下属企业，请核实股权关系"
        more = f"（共 {r['count']} 个月出现）" if r["count"] > 1 else ""
        rows.append({
            "unit_code": r["unit_code"], "project_id": r["project_id"],
            "family": WARNING_FAMILY.get(r["code"], "consistency"), "code": r["code"],
            "severity": base if r["code"] in STATE_WARNINGS else noisy_or(base, r["count"]),
            "reason": f"{month_zh(r['month'])}报表：{r['message']}{more}{note}",
        })
    return signals(rows)


def cum_decrease_signals(ctx: RuleContext) -> pl.DataFrame:
    """累计到位资金 lower than the previous reported month's (money counted, then taken back)."""
    h = ctx.pop_history
    same = pl.col("pk") == pl.col("pk").shift(1)
    drops = (
        h.select("pk", "month", "funds_cum_wan", prev=pl.when(same).then(pl.col("funds_cum_wan").shift(1)))
        .filter(pl.col("funds_cum_wan") < pl.col("prev"))
        .with_columns(drop=pl.col("prev") - pl.col("funds_cum_wan"))
    )
    if drops.is_empty():
        return signals([])
    grouped = drops.group_by("pk", maintain_order=True).agg(
        pl.len().alias("count"), pl.col("month").last(), pl.col("drop").last()
    ).join(ctx.population.select("pk", *KEY), on="pk")
    base = ctx.severity["cum_decrease"]
    return signals([
        {
            "unit_code": r["unit_code"], "project_id": r["project_id"], "family": "consistency",
            "code": "cum_decrease", "severity": noisy_or(base, r["count"]),
            "reason": f"{month_zh(r['month'])}累计到位资金比上月减少 {fmt_wan(r['drop'])}"
                      + (f"（共 {r['count']} 次减少）" if r["count"] > 1 else ""),
        }
        for r in grouped.iter_rows(named=True)
    ])




def round_trip_signals(ctx: RuleContext) -> pl.DataFrame:
    """Funds that enter and leave: 本月到位资金 booked, then within `round_trip_months` months taken back (a
    negative 本月, or 累计 dropping) by at least `round_trip_share` of it. A refund long after, or a small
    correction, is not this pattern."""
    h = ctx.pop_history
    same = pl.col("pk") == pl.col("pk").shift(1)
    months = ctx.settings["round_trip_months"]
    h = h.select("pk", "month", "funds_f", idx=month_index("month"),
                 out=pl.max_horizontal(-pl.col("funds_f"), pl.when(same).then(
                     (pl.col("funds_cum_wan").shift(1) - pl.col("funds_cum_wan")).cast(pl.Float64)), pl.lit(0.0)))
    back = pl.lit(0.0)
    for k in range(1, months + 1):
        later = (pl.col("pk").shift(-k) == pl.col("pk")) & (pl.col("idx").shift(-k) - pl.col("idx") <= months)
        back = back + pl.when(later).then(pl.col("out").shift(-k)).otherwise(0.0)
    hits = (
        h.with_columns(back=back)
        .filter((pl.col("funds_f") > 0) & (pl.col("back") >= ctx.settings["round_trip_share"] * pl.col("funds_f")))
        .with_columns(share=(pl.col("back") / pl.col("funds_f")).clip(upper_bound=1.0))
        .sort("share", descending=True).group_by("pk", maintain_order=True).first()
        .join(ctx.population.select("pk", *KEY), on="pk").sort(KEY)
    )
    return emit(
        hits, "consistency", "funds_round_trip", ctx.severity["funds_round_trip"] * pl.col("share"),
        pl.format("{}年{}月到位资金 {} 万元，其后 {} 个月内又减少 {} 万元（冲回 {}%），资金进出，疑似虚增后冲回",
                  pl.col("month").dt.year(), pl.col("month").dt.month(), pl.col("funds_f").round(2),
                  pl.lit(months), pl.col("back").clip(upper_bound=pl.col("funds_f")).round(2),
                  (pl.col("share") * 100).round(0).cast(pl.Int64)),
    )
