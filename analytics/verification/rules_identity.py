"""Duplication and identity rules: the same deal counted twice (by two units, or re-signed in one unit), and
the 三个500强 group/subsidiary rule."""
from __future__ import annotations

import re

import polars as pl

from analytics.verification.signals import KEY, SIGNAL_SCHEMA, RuleContext, date_zh_expr, emit, wan_expr
from core import catalog

# --------------------------------------------------------------------------- consistency and identity warnings

COMPANY_FORM = r"(有限责任公司|股份有限公司|有限公司|公司|集团)+$"


def plain_name(name: str | None) -> str:
    """A name without spaces and punctuation (how names are compared)."""
    return re.sub(r"[\s\W_]", "", name or "")


def company_stem(name: str) -> str:
    """A company name without punctuation and its legal-form suffix: '杭州利龙集团有限公司' -> '杭州利龙'."""
    return re.sub(COMPANY_FORM, "", plain_name(name))


def listed_parent(investor: str, stems: list[str]) -> str | None:
    """The listed group an unlisted investor's name starts with (e.g. '杭州利龙庆阳投资有限公司' under
    '杭州利龙'), i.e. a probable subsidiary: docs/DOMAIN.md's configurable group-vs-subsidiary rule."""
    plain = plain_name(investor)
    return next((stem for stem in stems if plain.startswith(stem) and plain != stem), None)



_PUNCT = r"[\s\p{P}\p{S}]"


def place_pattern() -> str:
    """Regex alternation of Gansu place names (province, units, their aliases and counties), longest first."""
    names = {"甘肃省", "甘肃"}
    for u in catalog.units():
        names.update((u.name, *u.aliases, *u.counties))
    return "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))


def name_key(col: str) -> pl.Expr:
    """Project name without punctuation, place names and a trailing 项目: copies differ mostly there."""
    return (
        pl.col(col).str.replace_all(_PUNCT, "")
        .str.replace_all(place_pattern(), "")
        .str.replace(r"项目$", "")
    )


def investor_key() -> pl.Expr:
    uscc = pl.col("investor_uscc").str.strip_chars().str.to_uppercase()
    return (
        pl.when(uscc.str.contains(r"^[0-9A-Z]{18}$").fill_null(False))
        .then(uscc)
        .otherwise(pl.col("investor_name").str.replace_all(_PUNCT, ""))
    )


# What a group adds to its own name for a regional subsidiary or branch: 某某（甘肃）有限公司, 某某甘肃分公司, 某某西北有限公司.
_BRANCH = r"(?:分公司|西北|甘肃|兰州)+$"


def group_key() -> pl.Expr:
    """The investor's group: its name without punctuation, legal form and a trailing branch/region marker, so that
    a group and its Gansu subsidiary or branch (another name and USCC behind the same money) share it."""
    plain = pl.col("investor_name").fill_null("").str.replace_all(_PUNCT, "")
    return plain.str.replace(COMPANY_FORM, "").str.replace(_BRANCH, "").str.replace(COMPANY_FORM, "")


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
        .with_columns(nkey=name_key("project_name"), ikey=investor_key(), gkey=group_key(),
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
        out.append(emit(side, "duplication", code, pl.lit(severity), pl.col("reason")))
    return out


def _label(side: str) -> pl.Expr:
    return pl.format("{}项目 {}“{}”", pl.col(f"unit_name_{side}"), pl.col(f"project_id_{side}"),
                     pl.col(f"project_name_{side}"))


def _first_side() -> pl.Expr:
    """"a" when project a was reported first (first reported month, then signing date, then id), else "b"."""
    a_first = pl.lit(True)
    for col in ("project_id", "signing_date", "first_month"):   # lexicographic, most significant last
        a, b = pl.col(f"{col}_a"), pl.col(f"{col}_b")
        a_first = pl.when(a == b).then(a_first).otherwise(a < b)
    return pl.when(a_first).then(pl.lit("a")).otherwise(pl.lit("b"))


def _later_and_first(part: pl.DataFrame, code_later: str, sev_later: pl.Expr, code_first: str, sev_first: float,
                     text_later, text_first) -> list[pl.DataFrame]:
    """For pairs with a `first` column: a signal on the later-reported side (the double count) and a weaker
    one on the first-reported side (the genuine deal, named so the two are checked together); when neither
    came first, the strong signal on both."""
    out = []
    tie = (pl.col("first_month_a") == pl.col("first_month_b")) & (pl.col("signing_date_a") == pl.col("signing_date_b"))
    for first, later in (("a", "b"), ("b", "a")):
        rows = part.filter(pl.col("first") == first)
        # reported from the same month and signed the same day: either may be the copy, both carry the signal
        out.append(emit(part.filter(tie & pl.col(f"in_pop_{first}")).select(
            pl.col(f"unit_code_{first}").alias("unit_code"), pl.col(f"project_id_{first}").alias("project_id"),
            sev_later.alias("sev"), text_later(first, later).alias("reason")),
            "duplication", code_later, pl.col("sev"), pl.col("reason")))
        rows = rows.filter(~tie)
        out.append(emit(rows.filter(pl.col(f"in_pop_{later}")).select(
            pl.col(f"unit_code_{later}").alias("unit_code"), pl.col(f"project_id_{later}").alias("project_id"),
            sev_later.alias("sev"), text_later(later, first).alias("reason")),
            "duplication", code_later, pl.col("sev"), pl.col("reason")))
        out.append(emit(rows.filter(pl.col(f"in_pop_{first}")).select(
            pl.col(f"unit_code_{first}").alias("unit_code"), pl.col(f"project_id_{first}").alias("project_id"),
            text_first(first, later).alias("reason")),
            "duplication", code_first, pl.lit(sev_first), pl.col("reason")))
    return out


def _mirrored(ctx: RuleContext, pairs: pl.DataFrame) -> pl.DataFrame:
    """pk_a, pk_b, mirror: the two projects' monthly funds track each other month by month — both positive and in
    the same proportion (within the amount tolerance of their median ratio: a copy scaled by a few per cent still
    mirrors) in at least 3 months and at least 60 % of the months either has money."""
    h = ctx.history.select("pk", "month", "funds_f")
    tol = ctx.settings["amount_tolerance"]
    both = (
        pairs.select("pk_a", "pk_b")
        .join(h.rename({"pk": "pk_a", "funds_f": "fa"}), on="pk_a")
        .join(h.rename({"pk": "pk_b", "funds_f": "fb"}), on=["pk_b", "month"])
        .filter((pl.col("fa") > 0) | (pl.col("fb") > 0))
        .with_columns(ratio=pl.when((pl.col("fa") > 0) & (pl.col("fb") > 0)).then(pl.col("fb") / pl.col("fa")))
        .with_columns(match=((pl.col("ratio") / pl.col("ratio").median().over("pk_a", "pk_b") - 1).abs() <= tol)
                      .fill_null(False))
    )
    return both.group_by("pk_a", "pk_b").agg(
        ((pl.col("match").sum() >= 3) & (pl.col("match").mean() >= 0.6)).alias("mirror"))


def duplication_signals(ctx: RuleContext) -> pl.DataFrame:
    """The same deal counted twice: by two units, or in one unit re-signed under a new id.

    A deal's stable identity is its investor (USCC, else the normalised name), its signed amount (within
    `amount_tolerance`) and its project name (bigram similarity ≥ `name_similarity`, place names removed);
    dates are not part of it (a copy takes a new signing date as easily as a new id). The project reported
    later is the double count (strong, decisive); the first-reported one is named with a weak signal. The
    same investor with a similar name but another amount, or the same amount under another name, or the same
    name under different investors, is weak: groups do sign similar projects in several places, and project
    names follow common templates."""
    table = _project_table(ctx)
    s, sev = ctx.settings, ctx.severity
    pairs = pl.concat([
        _pairs(table, ["ikey"], s["max_block"]),
        # investors too large for all pairs: exact name matches only
        _pairs(table.filter(pl.len().over("ikey") > s["max_block"]), ["ikey", "nkey"], s["max_block"]),
        # a group and its Gansu subsidiary or branch: only a similar project whose money mirrors (below) counts
        _pairs(table.filter(pl.col("gkey").str.len_chars() >= 4), ["gkey"], s["max_block"])
        .filter(pl.col("ikey_a") != pl.col("ikey_b")),
    ]).with_columns(sim=dice("nkey_a", "nkey_b", "bigrams_a", "bigrams_b"), first=_first_side(),
                    group=pl.col("ikey_a") != pl.col("ikey_b"))
    a, b = pl.col("signed_amount_wan_a").cast(pl.Float64), pl.col("signed_amount_wan_b").cast(pl.Float64)
    gap = (a - b).abs() / pl.max_horizontal(a.abs(), b.abs(), pl.lit(1e-9))
    similar = pl.col("sim") >= s["name_similarity"]
    same_signed = gap == 0
    close = gap <= s["amount_tolerance"]
    cross = pl.col("unit_code_a") != pl.col("unit_code_b")
    mirrored = _mirrored(ctx, pairs.filter(similar & ((gap > 0) | pl.col("group"))))
    pairs = pairs.with_columns(gap=gap).join(mirrored, on=["pk_a", "pk_b"], how="left").with_columns(
        pl.col("mirror").fill_null(False))
    # across two investors of one group only the same money reported twice is evidence
    pairs = pairs.filter(~pl.col("group") | (similar & pl.col("mirror")))
    # the same amount, monthly funds that mirror each other (whatever the amounts: the same money reported
    # twice), or a similar amount signed the same day: the same contract (decisive); only a similar amount:
    # medium, under its own code (a group does repeat a template project elsewhere at a similar size)
    same_day = pl.col("signing_date_a") == pl.col("signing_date_b")
    same_deal = (pl.col("gap") == 0) | pl.col("mirror") | (same_day & close)
    same_or_close = same_deal | close
    deal_sev = pl.lit(sev["duplicate_across_units"])
    # which of the three says it is the same contract, for the reason
    pairs = pairs.with_columns(ground=pl.when(pl.col("gap") == 0).then(pl.lit("签约金额相同"))
                               .when(pl.col("mirror")).then(pl.lit("各月到位资金一一对应"))
                               .otherwise(pl.lit("同日签约且签约金额相近")))

    def investors(me: str, other: str) -> pl.Expr:
        """同一投资方（X）, or for a group and its subsidiary 同一集团的投资方（X 与 Y）."""
        return (pl.when(pl.col("group"))
                .then(pl.format("同一集团的投资方（{} 与 {}）", pl.col(f"investor_name_{me}"), pl.col(f"investor_name_{other}")))
                .otherwise(pl.format("同一投资方（{}）", pl.col(f"investor_name_{me}"))))

    def other_label(me: str, other: str) -> pl.Expr:
        return pl.format("{}项目 {}“{}”（{}签约，签约金额 {}）", pl.col(f"unit_name_{other}"),
                         pl.col(f"project_id_{other}"), pl.col(f"project_name_{other}"),
                         date_zh_expr(f"signing_date_{other}"), wan_expr(pl.col(f"signed_amount_wan_{other}")))

    def across(text: str):
        return lambda me, other: pl.format("同一投资方（{}）在 {} 与 {} {}（{}）", pl.col(f"investor_name_{me}"),
                                           pl.col(f"unit_name_{me}"), pl.col(f"unit_name_{other}"), pl.lit(text),
                                           _label(other))

    out = _later_and_first(
        pairs.filter(cross & similar & close & ~same_deal), "similar_deal", pl.lit(sev["similar_deal"]),
        "similar_deal_original", sev["duplicate_across_units_original"],
        lambda me, other: pl.format("同一投资方（{}）在 {} 与 {} 有项目名称相近、签约金额相差不超过 {}% 的项目，本项目填报不早于对方，"
                                    "请核实是否为同一项目：{}", pl.col(f"investor_name_{me}"), pl.col(f"unit_name_{me}"),
                                    pl.col(f"unit_name_{other}"), pl.lit(round(s["amount_tolerance"] * 100)),
                                    other_label(me, other)),
        lambda me, other: pl.format("{}填报在后的项目与本项目投资方相同、名称相近、金额相近，请一并核实：{}",
                                    pl.col(f"unit_name_{other}"), other_label(me, other)),
    )
    out += _later_and_first(
        pairs.filter(cross & similar & same_deal), "duplicate_across_units", deal_sev,
        "duplicate_across_units_original", sev["duplicate_across_units_original"],
        lambda me, other: pl.format("{}在 {} 与 {} 重复填报同一项目（项目名称相同或相近，{}），本项目填报不早于对方：{}",
                                    investors(me, other), pl.col(f"unit_name_{me}"), pl.col(f"unit_name_{other}"),
                                    pl.col("ground"), other_label(me, other)),
        lambda me, other: pl.format("本项目与{}的同一项目重复填报（后者填报在后）：{}", pl.col(f"unit_name_{other}"),
                                    other_label(me, other)),
    )
    for deal, code, text in ((same_deal, "repeat_signing", pl.col("ground")),
                             (~same_deal, "repeat_signing_close",
                              pl.lit(f"签约金额相差不超过{round(s['amount_tolerance'] * 100)}%"))):
        out += _later_and_first(
            pairs.filter(~cross & similar & deal & same_or_close), code, pl.lit(sev[code]),
            "repeat_signing_original", sev["repeat_signing_original"],
            lambda me, other, text=text: pl.format(
                "疑似重复签约：与本单位项目 {}“{}”（{}签约）{}、项目名称相近、{}", pl.col(f"project_id_{other}"),
                pl.col(f"project_name_{other}"), date_zh_expr(f"signing_date_{other}"),
                pl.when(pl.col("group")).then(pl.format("投资方同属一个集团（对方投资方：{}）", pl.col(f"investor_name_{other}")))
                .otherwise(pl.lit("投资方相同")), text),
            lambda me, other: pl.format("本单位项目 {}“{}”（{}签约）与本项目投资方相同、名称相近、金额相同或相近，疑似重复签约",
                                        pl.col(f"project_id_{other}"), pl.col(f"project_name_{other}"),
                                        date_zh_expr(f"signing_date_{other}")),
        )
    out += [
        *_both_sides(pairs.filter(cross & similar & ~same_or_close), "similar_project_same_investor",
                     sev["similar_project_same_investor"], across("有名称相近的项目（签约金额不同），请核实是否重复统计")),
        *_both_sides(pairs.filter(~similar & same_signed), "same_investor_same_amount",
                     sev["same_investor_same_amount"], across("填报签约金额相同的项目")),
        *_both_sides(pairs.filter(~cross & similar & ~same_or_close), "similar_project_same_investor",
                     sev["similar_project_same_investor"],
                     lambda me, other: pl.format("与本单位项目 {}“{}”投资方相同、名称相近（金额不同），请核实是否为同一项目",
                                                 pl.col(f"project_id_{other}"), pl.col(f"project_name_{other}"))),
    ]
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


