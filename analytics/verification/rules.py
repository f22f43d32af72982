"""Rule-based risk signals for 抽样核查 (METHODS.md §2), one function per rule family.

Every rule returns a signals frame (SIGNAL_SCHEMA): one row per hit with the project, its family, a machine
code, a severity in (0, 1] and a plain-Chinese reason. `analytics.risk` combines them with the model.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl
from scipy.stats import binom

from analytics.targets import lifecycle
from analytics.targets.settings import load_settings
from analytics.verification import benford
from core import catalog
from core.periods import add_months

FAMILIES = ("consistency", "digits", "timing", "duplication", "lifecycle", "model")
FAMILY_ZH = {
    "consistency": "数据一致性",
    "digits": "数字特征",
    "timing": "时间特征",
    "duplication": "重复与身份",
    "lifecycle": "项目生命周期",
    "model": "模型综合异常",
}
SIGNAL_SCHEMA = {
    "unit_code": pl.String, "project_id": pl.String, "family": pl.String,
    "code": pl.String, "severity": pl.Float64, "reason": pl.String,
}
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
KEY = ["unit_code", "project_id"]
# analytics.lifecycle's stall rules and the risk codes they feed (its 报告停滞 is an honest report, not a risk).
STALL_CODES = {"not_started": "stalled_not_started", "no_money": "stalled_no_money", "low_funds": "stalled_low_funds"}
# Short Chinese names of the rule codes (for precision tables and filters).
RULE_ZH = {
    "cum_mismatch": "累计与当月到位资金不符",
    "negative_month_funds": "本月到位资金为负",
    "cum_above_signed": "累计到位资金超过签约金额",
    "start_before_signing": "开工日期早于签约日期",
    "status_backwards": "项目状态倒退",
    "cum_decrease": "累计到位资金减少",
    "uscc_check_digit": "统一社会信用代码校验位错误",
    "five_hundred_unverified": "500强身份不在名录中",
    "late_upward_revision": "逾期上调历史月份资金",
    "quarter_end_bunching": "资金集中在季末月",
    "round_numbers": "整数金额偏多",
    "benford_bins": "首两位数字偏离本福特分布",
    "repeated_amount": "反复填报相同金额",
    "duplicate_across_units": "跨单位重复填报",
    "duplicate_name_across_units": "跨单位同名项目",
    "same_investor_same_amount": "同一投资方同额项目",
    "similar_project_same_investor": "同一投资方名称相近项目",
    "repeat_signing": "疑似重复签约",
    "repeat_signing_original": "被重复签约的原项目",
    **{code: lifecycle.RULES[rule] for rule, code in STALL_CODES.items()},
    "ecod_outlier": "模型综合异常",
}


@dataclass(frozen=True)
class RuleContext:
    """Everything the rules look at, prepared once (see `analytics.risk.prepare`).

    `pk` is an integer id per (unit_code, project_id) shared by history and population: rules group and join
    on it (much faster than on two strings) and emit signals under KEY.
    """

    quarter: str
    last_month: dt.date          # first day of the quarter's last month
    history: pl.DataFrame        # window rows of every project: pk, in_pop, funds_f, signed_f, sorted by pk, month
    pop_history: pl.DataFrame    # the rows of projects reported in the quarter
    population: pl.DataFrame     # one row per project reported in the quarter (with pk)
    warnings: pl.DataFrame
    revisions: pl.DataFrame
    five_hundred: pl.DataFrame   # 三个500强 list names (list_name, year, company_name)
    settings: dict               # [risk] of config/sampling.toml
    unit_names: dict[str, str]

    @property
    def severity(self) -> dict:
        return self.settings["severity"]


# --------------------------------------------------------------------------- formatting

def fmt_wan(value) -> str:
    """'1,200 万元', '1,234.5 万元': exact decimal, at most two decimals, thousands separators."""
    q = Decimal(str(value)).quantize(Decimal("0.01"))
    text = f"{q:,.2f}".rstrip("0").rstrip(".")
    return f"{text} 万元"


def month_zh(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def date_zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def month_index(col: str) -> pl.Expr:
    return pl.col(col).dt.year().cast(pl.Int32) * 12 + pl.col(col).dt.month().cast(pl.Int32)


def signals(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SIGNAL_SCHEMA)


def date_zh_expr(col: str) -> pl.Expr:
    return pl.format("{}年{}月{}日", pl.col(col).dt.year(), pl.col(col).dt.month(), pl.col(col).dt.day())


def _emit(frame: pl.DataFrame, family: str, code: str, severity: pl.Expr, reason: pl.Expr) -> pl.DataFrame:
    """Signals from a frame with KEY columns, vectorised."""
    return frame.select(*KEY, family=pl.lit(family), code=pl.lit(code),
                        severity=severity.cast(pl.Float64), reason=reason.cast(pl.String))


def noisy_or(severity: float, count: int) -> float:
    """Severity of `count` independent hits of one rule."""
    return 1 - (1 - severity) ** count


def _strength(p: np.ndarray, p_max: float) -> np.ndarray:
    """0 at p = p_max, 1 at p ≤ 0.001 (log scale): how strongly a tail probability flags a pattern."""
    lo, hi = np.log10(0.001), np.log10(p_max)
    return np.clip((hi - np.log10(np.maximum(p, 1e-300))) / (hi - lo), 0.0, 1.0)


def _binomial_flags(per: pl.DataFrame, p0: float, p_max: float, base: float) -> pl.DataFrame:
    """Rows of `per` (columns k trials, j hits) whose upper binomial tail P(X ≥ j | k, p0) ≤ p_max, with a
    severity from base/2 (at p_max) to base (at p ≤ 0.001)."""
    if per.is_empty():
        return per.with_columns(sev=pl.lit(0.0))
    p = binom.sf(per["j"].to_numpy() - 1, per["k"].to_numpy(), p0)
    return per.with_columns(p=pl.Series(p), sev=pl.Series(base * (0.5 + 0.5 * _strength(p, p_max)))).filter(
        pl.col("p") <= p_max)


# --------------------------------------------------------------------------- consistency and identity warnings

_COMPANY_FORM = r"(有限责任公司|股份有限公司|有限公司|公司|集团)+$"


def company_stem(name: str) -> str:
    """A company name without punctuation and its legal-form suffix: '杭州利龙集团有限公司' -> '杭州利龙'."""
    return re.sub(_COMPANY_FORM, "", re.sub(r"[\s\W_]", "", name))


def listed_parent(investor: str, stems: list[str]) -> str | None:
    """The listed group an unlisted investor's name starts with (e.g. '杭州利龙庆阳投资有限公司' under
    '杭州利龙'), i.e. a probable subsidiary: DOMAIN.md's configurable group-vs-subsidiary rule."""
    plain = re.sub(r"[\s\W_]", "", investor or "")
    return next((stem for stem in stems if plain.startswith(stem) and plain != stem), None)


def warning_signals(ctx: RuleContext) -> pl.DataFrame:
    """The loader's row warnings (CONTRACT.md §1): consistency, invalid USCC, unlisted 500强 claims.

    An unlisted 500强 claim by an investor whose name starts with a listed group's name is most likely a
    subsidiary claiming its group's rank (allowed or not by the group rule): a weak signal, said so."""
    w = ctx.warnings.join(ctx.population.select(KEY), on=KEY, how="semi")
    if w.is_empty():
        return signals([])
    grouped = (
        w.sort("month")
        .group_by([*KEY, "code"], maintain_order=True)
        .agg(pl.len().alias("count"), pl.col("month").last(), pl.col("message").last())
        .join(ctx.population.select(*KEY, "investor_name"), on=KEY, how="left")
    )
    stems = sorted({company_stem(n) for n in ctx.five_hundred["company_name"]} - {""}, key=len, reverse=True)
    stems = [stem for stem in stems if len(stem) >= ctx.settings["group_stem_min_chars"]]
    rows = []
    for r in grouped.iter_rows(named=True):
        code = r["code"] if r["code"] in WARNING_FAMILY else "other_warning"
        base, note = ctx.severity[code], ""
        if code == "five_hundred_unverified":
            parent = listed_parent(r["investor_name"], stems)
            if parent:
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
    strength = _strength(runs["p"].to_numpy(), ctx.settings["pattern_p"])
    base = ctx.severity["quarter_end_bunching"]
    return _emit(
        runs.with_columns(sev=pl.Series(base * (0.5 + 0.5 * strength)))
        .join(ctx.population.select("pk", *KEY), on="pk").sort(KEY),
        "timing", "quarter_end_bunching", pl.col("sev"),
        pl.format("连续 {} 个季度到位资金只在季末月份填报（前两个月均为零；全省同类季度占比 {}%）",
                  pl.col("run"), pl.lit(round(base_rate * 100, 1))),
    )


# --------------------------------------------------------------------------- digits

def is_round(unit: float) -> pl.Expr:
    """Positive monthly funds that are a whole multiple of `unit` 万元."""
    return (pl.col("funds_f") > 0) & ((pl.col("funds_f") / unit).round(6) % 1 == 0)


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
    hits = _binomial_flags(per, p0, ctx.settings["pattern_p"], ctx.severity["round_numbers"])
    return _emit(
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
        out.append(_emit(
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


_PUNCT = r"[\s\p{P}\p{S}]"


def _place_pattern() -> str:
    names = {"甘肃省", "甘肃"}
    for u in catalog.units():
        names.update((u.name, *u.aliases, *u.counties))
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def name_key(col: str) -> pl.Expr:
    """Project name without punctuation, place names and a trailing 项目: copies differ mostly there."""
    return (
        pl.col(col).str.replace_all(_PUNCT, "")
        .str.replace_all(_place_pattern(), "")
        .str.replace(r"项目$", "")
    )


def investor_key() -> pl.Expr:
    uscc = pl.col("investor_uscc").str.strip_chars().str.to_uppercase()
    return (
        pl.when(uscc.str.contains(r"^[0-9A-Z]{18}$").fill_null(False))
        .then(uscc)
        .otherwise(pl.col("investor_name").str.replace_all(_PUNCT, ""))
    )


def bigrams(col: str) -> pl.Expr:
    """The set of character bigrams of a text column (as a list)."""
    return pl.col(col).str.split("").list.eval(pl.element() + pl.element().shift(-1)).list.drop_nulls().list.unique()


def dice(text_a: str, text_b: str, bigrams_a: str, bigrams_b: str) -> pl.Expr:
    """Name similarity: Dice coefficient of the bigram sets (1 = identical texts)."""
    a, b = pl.col(bigrams_a), pl.col(bigrams_b)
    total = a.list.len() + b.list.len()
    return (
        pl.when(pl.col(text_a) == pl.col(text_b)).then(1.0)
        .when(total == 0).then(0.0)
        .otherwise(2 * a.list.set_intersection(b).list.len() / total)
    )


def _project_table(ctx: RuleContext) -> pl.DataFrame:
    """Every project in the window (latest row) with its name and investor keys."""
    return (
        ctx.history.group_by("pk", maintain_order=True)
        .agg(*[pl.col(c).last() for c in (*KEY, "project_name", "investor_name", "investor_uscc",
                                          "signed_amount_wan", "signing_date", "in_pop")],
             pl.col("month").first().alias("first_month"))
        .with_columns(nkey=name_key("project_name"), ikey=investor_key(),
                      unit_name=pl.col("unit_code").replace_strict(ctx.unit_names, default=pl.col("unit_code")))
        .with_columns(bigrams=bigrams("nkey"))
    )


def _pairs(table: pl.DataFrame, on: list[str], max_block: int) -> pl.DataFrame:
    """Each unordered pair of projects sharing `on` (blocks above max_block skipped), columns suffixed _a/_b."""
    small = table.filter(pl.len().over(on).is_between(2, max_block))
    a = small.rename({c: f"{c}_a" for c in small.columns})
    b = small.rename({c: f"{c}_b" for c in small.columns})
    return a.join(b, left_on=[f"{c}_a" for c in on], right_on=[f"{c}_b" for c in on], coalesce=False).filter(
        (pl.col("pk_a") < pl.col("pk_b")) & (pl.col("in_pop_a") | pl.col("in_pop_b"))
    )


def _both_sides(pairs: pl.DataFrame, code: str, severity: float, reason) -> list[pl.DataFrame]:
    """A signal for each side of each pair that is in the population; reason(me, other) builds the text."""
    out = []
    for me, other in (("a", "b"), ("b", "a")):
        side = pairs.filter(pl.col(f"in_pop_{me}")).select(
            pl.col(f"unit_code_{me}").alias("unit_code"), pl.col(f"project_id_{me}").alias("project_id"),
            reason=reason(me, other),
        )
        out.append(_emit(side, "duplication", code, pl.lit(severity), pl.col("reason")))
    return out


def _label(side: str) -> pl.Expr:
    return pl.format("{}项目 {}“{}”", pl.col(f"unit_name_{side}"), pl.col(f"project_id_{side}"),
                     pl.col(f"project_name_{side}"))


def duplication_signals(ctx: RuleContext) -> pl.DataFrame:
    """The same project counted twice: by two units, or in one unit re-signed under a new id.

    The same investor with a near-identical project name is the candidate; the same contract (the same signed
    amount; across units also the same signing date) makes it a duplicate.
    Without that, or when only the name matches under different investors, it is a weak signal: groups do
    sign similar projects in several places, and project names follow common templates."""
    table = _project_table(ctx)
    s, sev = ctx.settings, ctx.severity
    pairs = pl.concat([
        _pairs(table, ["ikey"], s["max_block"]),
        # investors too large for all pairs: exact name matches only
        _pairs(table.filter(pl.len().over("ikey") > s["max_block"]), ["ikey", "nkey"], s["max_block"]),
    ]).with_columns(sim=dice("nkey_a", "nkey_b", "bigrams_a", "bigrams_b"))
    similar = pl.col("sim") >= s["name_similarity"]
    same_signed = pl.col("signed_amount_wan_a") == pl.col("signed_amount_wan_b")
    same_date = pl.col("signing_date_a") == pl.col("signing_date_b")
    cross = pairs.filter(pl.col("unit_code_a") != pl.col("unit_code_b"))
    same_unit = pairs.filter((pl.col("unit_code_a") == pl.col("unit_code_b")) & similar)

    def across(text: str):
        return lambda me, other: pl.format("同一投资方（{}）在 {} 与 {} {}（{}）", pl.col(f"investor_name_{me}"),
                                           pl.col(f"unit_name_{me}"), pl.col(f"unit_name_{other}"), pl.lit(text),
                                           _label(other))

    out = [
        *_both_sides(cross.filter(similar & same_signed & same_date), "duplicate_across_units",
                     sev["duplicate_across_units"], across("重复填报同一项目（名称相近，签约金额和签约日期相同）")),
        *_both_sides(cross.filter(similar & (same_signed ^ same_date)), "duplicate_across_units",
                     sev["duplicate_across_units_partial"],
                     across("疑似重复填报同一项目（名称相近，签约金额或签约日期相同）")),
        *_both_sides(cross.filter(similar & ~same_signed & ~same_date), "similar_project_same_investor",
                     sev["similar_project_same_investor"], across("有名称相近的项目，请核实是否重复统计")),
        *_both_sides(cross.filter(~similar & same_signed), "same_investor_same_amount",
                     sev["same_investor_same_amount"], across("填报签约金额相同的项目")),
        *_both_sides(same_unit.filter(~same_signed), "similar_project_same_investor",
                     sev["similar_project_same_investor"],
                     lambda me, other: pl.format("与本单位项目 {}“{}”投资方相同、名称相近（金额不同），请核实是否为同一项目",
                                                 pl.col(f"project_id_{other}"), pl.col(f"project_name_{other}"))),
    ]
    # re-signing within a unit: the later-signed project is the suspect, the earlier one is named too
    a_first = pl.lit(True)
    for col in ("project_id", "first_month", "signing_date"):   # lexicographic, most significant last
        a, b = pl.col(f"{col}_a"), pl.col(f"{col}_b")
        a_first = pl.when(a == b).then(a_first).otherwise(a < b)
    ordered = same_unit.filter(same_signed).with_columns(first=pl.when(a_first).then(pl.lit("a")).otherwise(pl.lit("b")))
    for first, later in (("a", "b"), ("b", "a")):
        part = ordered.filter(pl.col("first") == first)
        out.append(_emit(
            part.filter(pl.col(f"in_pop_{later}")).select(
                pl.col(f"unit_code_{later}").alias("unit_code"), pl.col(f"project_id_{later}").alias("project_id"),
                pl.format("疑似重复签约：与本单位项目 {}“{}”（{}签约）投资方相同、项目名称相近、金额相同",
                          pl.col(f"project_id_{first}"), pl.col(f"project_name_{first}"),
                          date_zh_expr(f"signing_date_{first}")).alias("reason")),
            "duplication", "repeat_signing", pl.lit(sev["repeat_signing"]), pl.col("reason")))
        out.append(_emit(
            part.filter(pl.col(f"in_pop_{first}")).select(
                pl.col(f"unit_code_{first}").alias("unit_code"), pl.col(f"project_id_{first}").alias("project_id"),
                pl.format("本单位项目 {}“{}”（{}签约）与本项目投资方相同、名称相近、金额相同，疑似重复签约",
                          pl.col(f"project_id_{later}"), pl.col(f"project_name_{later}"),
                          date_zh_expr(f"signing_date_{later}")).alias("reason")),
            "duplication", "repeat_signing_original", pl.lit(sev["repeat_signing_original"]), pl.col("reason")))
    # the same (normalised) name in two units under different investors
    by_name = _pairs(table.filter(pl.col("nkey").str.len_chars() >= 4), ["nkey"], s["max_block"]).filter(
        (pl.col("unit_code_a") != pl.col("unit_code_b")) & (pl.col("ikey_a") != pl.col("ikey_b")))
    out.extend(_both_sides(by_name, "duplicate_name_across_units", sev["duplicate_name_across_units"],
                           lambda me, other: pl.format("项目名称与{}相同（投资方不同），请核实是否跨单位重复统计",
                                                       _label(other))))
    return _one_per_code(pl.concat(out))


def _one_per_code(hits: pl.DataFrame) -> pl.DataFrame:
    """One signal per project and code: the strongest pair's reason, naming how many more pairs there are."""
    return (
        hits.sort([*KEY, "code", "severity", "reason"], descending=[False, False, False, True, False])
        .group_by([*KEY, "family", "code"], maintain_order=True)
        .agg(pl.col("severity").max(), pl.col("reason").first(), pl.len().alias("n"))
        .with_columns(
            reason=pl.when(pl.col("n") > 1)
            .then(pl.format("{}；另有 {} 个相似项目", pl.col("reason"), pl.col("n") - 1))
            .otherwise(pl.col("reason"))
        )
        .select(list(SIGNAL_SCHEMA))
    )


# --------------------------------------------------------------------------- life-cycle (stalled projects)

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


RULES = (
    warning_signals,
    cum_decrease_signals,
    late_revision_signals,
    quarter_end_signals,
    round_number_signals,
    benford_bin_signals,
    repeated_amount_signals,
    duplication_signals,
    lifecycle_signals,
)
