"""Rules on the facts that decide what counts: where the money comes from (省外/境外 money counts, 省内 money
does not) and whether a project is a 10亿元以上 project (计划总投资 ≥ 100,000 万元)."""
from __future__ import annotations

import polars as pl

from analytics.verification.rules_identity import COMPANY_FORM, place_pattern
from analytics.verification.signals import KEY, RuleContext, emit, signals, wan_expr
from core.uscc import GANSU_REGION

OUTSIDE = ("省外境内", "境外")
# A foreign investor's name starts with where it is registered (香港某某投资有限公司); generic words that a
# holding vehicle adds to its operating company's name.
FOREIGN_PLACE = r"^(?:中国)?(?:香港|澳门|台湾)(?:特别行政区|地区)?"
HOLDING_WORDS = r"(?:国际|投资|控股|集团|实业投资)+$"
# A project name saying that several phases or projects are reported as one.
BUNDLED = r"含[一二三四五六七八九十\d]+期|[一二三四五六七八九十\d]+[、，,及和至][一二三四五六七八九十\d]+期|等[一二三四五六七八九十\d]+个项目|打捆|捆绑"


def source_signals(ctx: RuleContext) -> pl.DataFrame:
    """Money reported as 省外/境外 whose investor is registered in Gansu (the USCC's region code is 62), and a
    project whose 资金来源 changes during its life into one that counts. The first has honest look-alikes (an
    outside group investing through a Gansu-registered company), so it is of medium strength; a change of the
    source of one signed deal is a checkable fact."""
    pop = ctx.population
    region = pop.filter(pl.col("fund_source").is_in(OUTSIDE)
                        & (pl.col("investor_uscc").str.strip_chars().str.slice(2, 2) == GANSU_REGION))
    # An outside group's Gansu company usually says so in its name: the group's name first and the Gansu place
    # after it (中国某某（甘肃）…, 济南某某兰州…), or 分公司. Without such a marker — a company named after a Gansu
    # place, or after nothing — the 省外/境外 claim contradicts its own registration: strong, decisive.
    places = place_pattern()
    rest = pl.col("investor_name").str.replace_all(r"[\s\p{P}]", "").str.replace(f"^(?:{places})+", "")
    marker = rest.str.contains(places) | rest.str.contains("分公司") | rest.str.starts_with("中国")
    region = region.with_columns(local=~marker.fill_null(False))
    out = []
    for local, code, text in (
        (True, "source_local_investor", "资金来源填报为{}，但投资方（{}）的统一社会信用代码显示其在甘肃省内登记，名称也不含省外集团"
                                        "或分支机构标识，资金来源与登记地相互矛盾，请核实资金是否来自省外"),
        (False, "source_region_mismatch", "资金来源填报为{}，但投资方（{}）的统一社会信用代码显示其在甘肃省内登记，请核实资金是否来自省外"),
    ):
        out.append(emit(region.filter(pl.col("local") == local), "duplication", code, pl.lit(ctx.severity[code]),
                        pl.format(text, pl.col("fund_source"), pl.col("investor_name"))))
    changes = (
        ctx.pop_history.select("pk", "month", "fund_source", "investor_name")
        .with_columns(prev=pl.when(pl.col("pk") == pl.col("pk").shift(1)).then(pl.col("fund_source").shift(1)))
        .filter(pl.col("prev").is_not_null() & (pl.col("prev") != pl.col("fund_source"))
                & pl.col("fund_source").is_in(OUTSIDE) & ~pl.col("prev").is_in(OUTSIDE))
        .group_by("pk", maintain_order=True).first()
        .join(pop.select("pk", *KEY), on="pk").sort(KEY)
    )
    out.append(foreign_lookalike_signals(ctx))
    out.append(emit(changes, "duplication", "source_changed", pl.lit(ctx.severity["source_changed"]),
                    pl.format("{}年{}月起资金来源由“{}”改为“{}”（投资方 {}），同一项目资金来源改变，请核实",
                              pl.col("month").dt.year(), pl.col("month").dt.month(), pl.col("prev"),
                              pl.col("fund_source"), pl.col("investor_name"))))
    return pl.concat(out) if out else signals([])


def threshold_signals(ctx: RuleContext) -> pl.DataFrame:
    """计划总投资 or 签约金额 raised across the 10亿元 threshold during the project's life (strong), or sitting
    just above it when the province has more projects just above than just below (weak to medium, by how
    lopsided the two bands are: honest amounts do not pile up on the near side of a reward threshold)."""
    t, band = float(ctx.settings["threshold_wan"]), ctx.settings["threshold_band"]
    h = ctx.pop_history.select(
        "pk", "month", planned=pl.col("planned_investment_wan").cast(pl.Float64), signed="signed_f")
    same = pl.col("pk") == pl.col("pk").shift(1)
    raised = (
        h.with_columns(prev_p=pl.when(same).then(pl.col("planned").shift(1)),
                       prev_s=pl.when(same).then(pl.col("signed").shift(1)))
        .filter(((pl.col("prev_p") < t) & (pl.col("planned") >= t)) | ((pl.col("prev_s") < t) & (pl.col("signed") >= t)))
        .group_by("pk", maintain_order=True).first()
        .join(ctx.population.select("pk", *KEY), on="pk").sort(KEY)
    )
    out = [emit(raised, "consistency", "threshold_raised", pl.lit(ctx.severity["threshold_raised"]),
                pl.format("{}年{}月起计划总投资由 {} 万元调为 {} 万元（签约金额 {} → {} 万元），跨过 10亿元 统计门槛，请核实调整依据",
                          pl.col("month").dt.year(), pl.col("month").dt.month(), pl.col("prev_p").round(0),
                          pl.col("planned").round(0), pl.col("prev_s").round(0), pl.col("signed").round(0)))]
    # 签约金额 (what the count uses) within `band` above the threshold
    pop = ctx.population.with_columns(planned_f=pl.col("planned_investment_wan").cast(pl.Float64),
                                      amount=pl.col("signed_f"))
    # strictly above: a contract of exactly 10亿元 is an ordinary round figure
    above = pop.filter(pl.col("amount").is_between(t, t * (1 + band), closed="right"))
    below = pop.filter(pl.col("amount").is_between(t * (1 - band), t, closed="left")).height
    lopsided = (above.height + 1) / (below + 1)
    if lopsided > 1:
        sev = ctx.severity["threshold_edge"] * min(1.0, (lopsided - 1) / 2)
        out.append(emit(above, "consistency", "threshold_edge", pl.lit(sev),
                        pl.format("签约金额 {} 万元，仅略高于 10亿元 统计门槛（全省高于门槛 {}% 以内的项目 {} 个，低于门槛同样幅度的 {} 个）",
                                  pl.col("amount").round(0), pl.lit(round(band * 100)), pl.lit(above.height),
                                  pl.lit(below))))
    return pl.concat(out)


def foreign_lookalike_signals(ctx: RuleContext) -> pl.DataFrame:
    """Money reported as 境外 from a Hong Kong/Macao/Taiwan investor whose name, without its place and holding
    words (香港 … 投资有限公司), is the name of a company registered in Gansu (USCC region 62) — one reported in the
    window, or one on the enterprise register (etl.register): the look-alike through which a provincial
    investor's money is passed off as foreign (返程投资). A checkable fact (the two registrations), so decisive."""
    places = place_pattern()

    def stem(col: str, prefix: str) -> pl.Expr:
        plain = pl.col(col).fill_null("").str.replace_all(r"[\s\p{P}]", "").str.replace(prefix, "")
        return plain.str.replace(COMPANY_FORM, "").str.replace(HOLDING_WORDS, "")

    reported = ctx.history.filter(pl.col("investor_uscc").str.strip_chars().str.slice(2, 2) == GANSU_REGION)
    gansu = (
        pl.concat([reported.select("investor_name"), ctx.register.select("investor_name")])
        .select(pl.col("investor_name").alias("gansu_name")).unique(maintain_order=True)
        .with_columns(stem=stem("gansu_name", f"^(?:{places})+"))
        .filter(pl.col("stem").str.len_chars() >= 3)
        .unique("stem", keep="first")
    )
    foreign = ctx.population.filter(
        (pl.col("fund_source") == "境外") & pl.col("investor_name").str.contains(FOREIGN_PLACE).fill_null(False)
    ).with_columns(stem=stem("investor_name", FOREIGN_PLACE))
    hits = foreign.join(gansu, on="stem").sort(KEY)
    return emit(hits, "duplication", "source_foreign_lookalike", pl.lit(ctx.severity["source_foreign_lookalike"]),
                pl.format("资金来源填报为境外，但境外投资方“{}”除地名和“投资”等字样外与甘肃省内登记的企业“{}”同名，"
                          "疑为省内资金借境外壳公司计为外资，请核实投资方登记和资金来源",
                          pl.col("investor_name"), pl.col("gansu_name")))


def bundled_signals(ctx: RuleContext) -> pl.DataFrame:
    """A project counted as 10亿元以上 (计划总投资 or 签约金额 at or above the threshold, below twice it) whose
    name says it bundles several phases or projects (含二期, 一、二期, 等3个项目, 打捆): two deals below the threshold
    reported as one above it. Genuine multi-phase contracts exist, so it is of medium strength, but decisive:
    the contract settles it."""
    t = float(ctx.settings["threshold_wan"])
    amount = pl.max_horizontal(pl.col("planned_investment_wan").cast(pl.Float64), pl.col("signed_f"))
    hits = ctx.population.filter(
        amount.is_between(t, 2 * t, closed="left") & pl.col("project_name").str.contains(BUNDLED).fill_null(False)
    ).with_columns(amount=amount).sort(KEY)
    return emit(hits, "consistency", "threshold_bundled", pl.lit(ctx.severity["threshold_bundled"]),
                pl.format("项目名称“{}”显示为多期或多个项目合并填报，合并后投资额 {}，刚跨过 10亿元 统计门槛，"
                          "请核实是否为同一合同", pl.col("project_name"), wan_expr(pl.col("amount"))))
