"""Risk scores for 抽样核查: rule families plus the ECOD model, combined per project (docs/METHODS.md §2).

    inputs = load_inputs(snapshot, "2025Q3")
    result = score_projects(inputs)
    result.projects   # one row per project reported in the quarter: risk_score (0–1), score_<family>, reasons
    result.heatmap    # unit × family: projects, flagged, mean score
    result.units      # per unit: high-risk projects, quarter-end and round-number shares, N-aware digit test
    result.benford    # first-two-digit test of 本月到位资金 per unit, for the quarter and the whole window
    result.signals    # every hit (project, family, code, severity, Chinese reason); result.features: ECOD

Pages use `analytics.sampling.quarter_risk(snapshot, quarter)`, which applies the weights learned so far;
`project_table(projects, units, families)` ranks and filters the project list, and `digit_report(snapshot,
quarter, test)` gives the unit digit tests for any test with their per-digit tables (observed vs expected).

Evidence weighting. A hit's evidence is its severity times the information of its rule in the quarter:
a rule that fires on at most `informative_rate` of the projects keeps its full severity, one that fires on a
share b keeps log(b)/log(informative_rate) of it, so a rule firing on most projects says almost nothing
(a likelihood ratio cannot exceed 1/b). A family's score is the noisy-or of its hits' evidence; the
accumulated score is sigmoid(intercept + Σ weight_f · score_f) with the prior weights of config/sampling.toml,
or weights re-learned from verification labels (analytics.verification.results.learn_weights). Decisive,
checkable facts ([risk] decisive: a 500强 claim the year's list contradicts, the same deal in two units, …)
are not averaged away: risk = 1 − (1 − accumulated) · Π(1 − evidence of each decisive hit), so one of them
alone puts a project at the top. Each reason is shown with its strength in words (强/中/弱证据).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated

import polars as pl
from pydantic import ConfigDict, Field, model_validator

from analytics.verification import benford, model, rules
from analytics.verification.rules import FAMILIES, FAMILY_ZH, KEY, RuleContext
from core import catalog, config
from core.config import Strict
from core.periods import add_months, quarter_months
from core.uscc import GANSU_REGION
from warehouse import store
from warehouse.queries import sampling as queries

SCORE_COLUMNS = tuple(f"score_{f}" for f in FAMILIES)
# A project with a risk score at least this is counted as high-risk in the unit summaries.
HIGH_RISK = 0.5


Share = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]


class _Design(Strict):
    lambda_: Share = Field(alias="lambda", title="风险与规模权衡 lambda")
    certainty_share: Share = Field(title="确定层占比 certainty_share")
    certainty_largest: int = Field(title="按金额必抽的项目数 certainty_largest", ge=0)
    min_probability_share: Share = Field(title="概率层最低占比 min_probability_share")
    min_per_unit: int = Field(title="每单位最少抽样数 min_per_unit", ge=0)
    certainty_rule_cap: Annotated[float, Field(gt=0, le=1)] = Field(title="确定层单一规则占比上限 certainty_rule_cap")


class _Sizes(Strict):
    confidence: Share = Field(title="置信水平 confidence")
    tolerable_rate: Share = Field(title="可容忍偏差率 tolerable_rate")
    expected_rate: Share = Field(title="预期偏差率 expected_rate")


class _Risk(Strict):
    model_config = ConfigDict(extra="allow", frozen=True)  # rule parameters: numbers, checked below
    history_months: int = Field(title="历史月数 history_months", ge=3, le=120)
    weights: dict[str, float] = Field(title="各类信号权重 [risk.weights]")
    severity: dict[str, Share] = Field(title="信号强度 [risk.severity]")
    decisive: list[str] = Field(title="决定性信号 decisive")

    @model_validator(mode="after")
    def _numbers(self):
        for key, value in (self.model_extra or {}).items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"[risk] 中的参数“{key}”应为数字，收到 {value!r}")
        unknown = sorted(set(self.decisive) - set(self.severity))
        if unknown:
            raise ValueError(f"决定性信号“{'、'.join(unknown)}”没有配置信号强度 [risk.severity]")
        missing = sorted(set(FAMILIES) - set(self.weights))
        if missing:
            raise ValueError(f"[risk.weights] 缺少信号类别“{'、'.join(missing)}”的权重")
        return self


class _Learning(Strict):
    regularisation_c: Positive = Field(title="正则化强度 regularisation_c")
    prior_strength: Positive = Field(title="先验强度 prior_strength")
    min_labels: int = Field(title="最少核查结果数 min_labels", ge=1)
    holdout_share: Share = Field(title="留出比例 holdout_share")
    unverifiable_is_error: bool = Field(title="无法核实计为差错 unverifiable_is_error")
    confidence: Share = Field(title="置信水平 confidence")


class _SamplingFile(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    design: _Design
    sizes: _Sizes
    risk: _Risk
    learning: _Learning
    evidence: dict[str, str] = Field(title="佐证材料 [evidence]")


@lru_cache(maxsize=1)
def sampling_config() -> dict:
    """config/sampling.toml, validated by its model (Chinese, line-numbered errors), as the plain dict the rules read."""
    return config.read_model("sampling.toml", _SamplingFile, "抽样配置").model_dump(by_alias=True)


def prior_weights() -> dict[str, float]:
    """intercept and one weight per family, from config/sampling.toml [risk.weights]."""
    w = sampling_config()["risk"]["weights"]
    return {"intercept": float(w["intercept"]), **{f: float(w[f]) for f in FAMILIES}}


def risk_expr(weights: dict[str, float]) -> pl.Expr:
    """sigmoid(intercept + Σ weight_f · score_f) over the score_<family> columns."""
    logit = pl.lit(weights["intercept"])
    for f in FAMILIES:
        logit = logit + weights[f] * pl.col(f"score_{f}")
    return 1 / (1 + (-logit).exp())


@dataclass(frozen=True)
class RiskInputs:
    """What the signals read from the warehouse for one quarter (see warehouse/queries/sampling.py)."""

    quarter: str
    history: pl.DataFrame
    warnings: pl.DataFrame
    revisions: pl.DataFrame
    five_hundred: pl.DataFrame   # list names of the quarter's year and the year before
    register: pl.DataFrame       # Gansu-registered companies of the enterprise register (investor_name, investor_uscc)


def window(quarter: str, history_months: int) -> tuple[dt.date, dt.date]:
    """First and last month of the history window that ends with the quarter."""
    last = quarter_months(quarter)[-1]
    return add_months(last, -(history_months - 1)), last


def load_inputs(source: store.Source, quarter: str, history_months: int | None = None) -> RiskInputs:
    """Read the risk inputs of a quarter from a snapshot, a read session or a writer's connection."""
    months = history_months or sampling_config()["risk"]["history_months"]
    first, last = window(quarter, months)
    with store.session(source) as con:
        return RiskInputs(
            quarter=quarter,
            history=queries.project_history(con, first, last),
            warnings=queries.current_warnings(con, first, last),
            revisions=queries.late_upward_revisions(con, first, last),
            five_hundred=queries.five_hundred_names(con, last.year - 1, last.year),
            register=queries.registered_companies(con, GANSU_REGION),
        )


def prepare(inputs: RiskInputs, settings: dict) -> RuleContext:
    months = quarter_months(inputs.quarter)
    history = (
        inputs.history.sort([*KEY, "month"])
        .with_columns(
            pk=pl.struct(KEY).rle_id(),
            funds_f=pl.col("funds_month_wan").cast(pl.Float64),
            signed_f=pl.col("signed_amount_wan").cast(pl.Float64),
        )
    )
    in_quarter = history.filter(pl.col("month").is_in(months))
    unit_names = {u.code: u.name for u in catalog.units()}
    population = (
        in_quarter.group_by("pk", maintain_order=True)
        .agg(pl.all().last(), pl.col("funds_month_wan").sum().alias("funds_quarter_wan"))
        .with_columns(pl.col("funds_quarter_wan").cast(pl.Decimal(18, 4)),
                      unit_name=pl.col("unit_code").replace_strict(unit_names, default=pl.col("unit_code")))
    )
    history = history.with_columns(in_pop=pl.col("pk").is_in(population["pk"].implode()))
    return RuleContext(
        quarter=inputs.quarter,
        last_month=months[-1],
        history=history,
        pop_history=history.filter(pl.col("in_pop")),
        population=population,
        warnings=inputs.warnings,
        revisions=inputs.revisions,
        five_hundred=inputs.five_hundred,
        register=inputs.register,
        settings=settings,
        unit_names=unit_names,
    )


@dataclass(frozen=True)
class RiskResult:
    quarter: str
    projects: pl.DataFrame   # per project: identity, amounts, risk_score, score_<family>, reasons, reason_codes
    signals: pl.DataFrame    # every hit: unit_code, project_id, family, code, severity, reason
    heatmap: pl.DataFrame    # unit × family
    units: pl.DataFrame      # per unit: projects, high-risk projects, mean risk, timing and digit patterns
    benford: pl.DataFrame    # per unit and period digit tests
    features: pl.DataFrame   # model features, per-feature ECOD contributions, score and percentile
    weights: dict[str, float]


STRENGTH_ZH = ((0.6, "强证据"), (0.3, "中等证据"), (0.0, "弱证据"))


def strength_zh(evidence: float) -> str:
    """The strength of a reason in words: 强证据 (≥ 0.6), 中等证据 (≥ 0.3), else 弱证据."""
    return next(label for bound, label in STRENGTH_ZH if evidence >= bound)


def strength_expr(col: str = "evidence") -> pl.Expr:
    expr = pl.lit(STRENGTH_ZH[-1][1])
    for bound, label in reversed(STRENGTH_ZH[:-1]):
        expr = pl.when(pl.col(col) >= bound).then(pl.lit(label)).otherwise(expr)
    return expr


def weigh_evidence(hits: pl.DataFrame, population: int, settings: dict) -> pl.DataFrame:
    """hits with `base_rate` (share of the quarter's projects the rule fires on), `information` (1 when the
    rule is rare, → 0 as it fires on everyone) and `evidence` = severity × information."""
    full = settings["informative_rate"]
    rates = hits.group_by("code").agg((pl.struct(KEY).n_unique() / max(population, 1)).alias("base_rate"))
    return hits.join(rates, on="code", how="left").with_columns(
        information=(pl.col("base_rate").log() / math.log(full)).clip(0.0, 1.0)
    ).with_columns(evidence=pl.col("severity").clip(0, 1) * pl.col("information"))


def family_scores(population: pl.DataFrame, hits: pl.DataFrame) -> pl.DataFrame:
    """score_<family> per project: 1 − Π(1 − evidence) over the family's hits (0 without hits)."""
    per = (
        hits.group_by([*KEY, "family"])
        .agg((1 - (1 - pl.col("evidence").clip(0, 1)).product()).alias("score"))
        .pivot(on="family", index=KEY, values="score")
    )
    for f in FAMILIES:
        if f not in per.columns:
            per = per.with_columns(pl.lit(None, dtype=pl.Float64).alias(f))
    per = per.select(*KEY, *[pl.col(f).alias(f"score_{f}") for f in FAMILIES])
    return population.select(KEY).join(per, on=KEY, how="left").with_columns(
        [pl.col(c).fill_null(0.0) for c in SCORE_COLUMNS]
    )


def decisive_scores(population: pl.DataFrame, hits: pl.DataFrame, codes) -> pl.DataFrame:
    """decisive per project: 1 − Π(1 − evidence) over its hits of the decisive rules."""
    per = hits.filter(pl.col("code").is_in(list(codes))).group_by(KEY).agg(
        (1 - (1 - pl.col("evidence").clip(0, 1)).product()).alias("decisive"))
    return population.select(KEY).join(per, on=KEY, how="left").with_columns(pl.col("decisive").fill_null(0.0))


def _reasons(hits: pl.DataFrame) -> pl.DataFrame:
    """Reasons per project, strongest evidence first, each prefixed with its strength in words."""
    return (
        hits.sort([*KEY, "evidence", "code"], descending=[False, False, True, False])
        .with_columns(reason=pl.format("【{}】{}", strength_expr(), pl.col("reason")))
        .group_by(KEY, maintain_order=True)
        .agg(pl.col("reason").alias("reasons"), pl.col("code").alias("reason_codes"))
    )


def heatmap(projects: pl.DataFrame) -> pl.DataFrame:
    """unit × family: projects, projects with a signal of the family, mean family score."""
    long = projects.unpivot(
        on=list(SCORE_COLUMNS), index=["unit_code", "unit_name"], variable_name="family", value_name="score"
    ).with_columns(pl.col("family").str.strip_prefix("score_"))
    return (
        long.group_by(["unit_code", "unit_name", "family"])
        .agg(pl.len().alias("projects"), (pl.col("score") > 0).sum().alias("flagged"),
             pl.col("score").mean().alias("mean_score"))
        .with_columns(family_name=pl.col("family").replace_strict(FAMILY_ZH),
                      family_order=pl.col("family").replace_strict({f: i for i, f in enumerate(FAMILIES)}))
        .sort(["unit_code", "family_order"])
        .drop("family_order")
    )


def unit_summary(projects: pl.DataFrame, patterns: pl.DataFrame, benford: pl.DataFrame,
                 window: str) -> pl.DataFrame:
    """Unit-level signals for the quarter: projects, projects with at least one signal (flagged), high-risk
    projects (risk ≥ HIGH_RISK), mean risk, the window's quarter-end and round-number shares, and its
    first-two-digit test."""
    digits = benford.filter(pl.col("period") == window).select(
        "unit_code", pl.col("n").alias("benford_n"), "mad", "mad_ratio", "verdict_zh")
    return (
        projects.group_by("unit_code", "unit_name")
        .agg(pl.len().alias("projects"), (pl.col("reasons").list.len() > 0).sum().alias("flagged"),
             (pl.col("risk_score") >= HIGH_RISK).sum().alias("high_risk"),
             pl.col("risk_score").mean().alias("mean_risk"))
        .join(patterns, on="unit_code", how="left")
        .join(digits, on="unit_code", how="left")
        .sort("unit_code")
    )


def compute_signals(inputs: RiskInputs, settings: dict | None = None) -> tuple[RuleContext, pl.DataFrame, pl.DataFrame]:
    """(context, model features, every hit) of a quarter; ValueError (Chinese) when no project was reported."""
    settings = settings or sampling_config()["risk"]
    ctx = prepare(inputs, settings)
    if ctx.population.is_empty():
        raise ValueError(f"{inputs.quarter} 没有已报送的项目，无法计算风险分")
    features, model_hits = model.score(ctx)
    hits = pl.concat([rule(ctx) for rule in rules.RULES] + [model_hits])
    return ctx, features, weigh_evidence(hits, ctx.population.height, settings)


def rank_projects(population: pl.DataFrame, hits: pl.DataFrame, weights: dict[str, float],
                  settings: dict) -> pl.DataFrame:
    """One row per project: identity, amounts, score_<family>, decisive, risk_score, reasons (strongest
    first), reason_codes; sorted by risk. `hits` carry evidence (weigh_evidence)."""
    accumulated = risk_expr(weights)
    return (
        population.select(
            "unit_code", "unit_name", "project_id", "project_name", "chain", "investor_name",
            "investor_uscc", "fortune500", "fund_source", "status", "signing_date", "start_date",
            "signed_amount_wan", "planned_investment_wan", "funds_quarter_wan", "funds_cum_wan",
        )
        .join(family_scores(population, hits), on=KEY, how="left")
        .join(decisive_scores(population, hits, settings["decisive"]), on=KEY, how="left")
        .with_columns(risk_score=1 - (1 - accumulated) * (1 - pl.col("decisive")))
        .join(_reasons(hits), on=KEY, how="left")
        .with_columns(pl.col("reasons").fill_null([]), pl.col("reason_codes").fill_null([]))
        .sort(["risk_score", "unit_code", "project_id"], descending=[True, False, False])
    )


def score_projects(inputs: RiskInputs, weights: dict[str, float] | None = None,
                   settings: dict | None = None) -> RiskResult:
    """Score every project reported in the quarter; ValueError (Chinese) when there is none."""
    settings = settings or sampling_config()["risk"]
    weights = weights or prior_weights()
    ctx, features, hits = compute_signals(inputs, settings)
    projects = rank_projects(ctx.population, hits, weights, settings)
    benford = rules.unit_benford(ctx)
    return RiskResult(
        quarter=inputs.quarter,
        projects=projects,
        signals=hits.sort([*KEY, "family", "code"]),
        heatmap=heatmap(projects),
        units=unit_summary(projects, rules.unit_patterns(ctx), benford,
                           rules.window_label(settings["history_months"])),
        benford=benford,
        features=features,
        weights=weights,
    )


def project_table(projects: pl.DataFrame, units: tuple[str, ...] = (), families: tuple[str, ...] = ()) -> pl.DataFrame:
    """The risk-ranked project list (RiskResult.projects): `risk_rank` over all the quarter's projects
    (1 = highest risk), then only the given units and the projects with a signal of any of the given families
    (empty = no restriction); `families_zh` names the families with a signal, `reasons_text` joins the reasons."""
    ranked = projects.sort(["risk_score", "unit_code", "project_id"], descending=[True, False, False]).with_columns(
        risk_rank=pl.int_range(1, pl.len() + 1, dtype=pl.UInt32),
        families_zh=pl.concat_list(
            [pl.when(pl.col(f"score_{f}") > 0).then(pl.lit(FAMILY_ZH[f])) for f in FAMILIES]
        ).list.drop_nulls().list.join("、"),
        reasons_text=pl.col("reasons").list.join("；"),
    )
    if units:
        ranked = ranked.filter(pl.col("unit_code").is_in(list(units)))
    if families:
        ranked = ranked.filter(pl.any_horizontal([pl.col(f"score_{f}") > 0 for f in families]))
    return ranked


@dataclass(frozen=True)
class DigitReport:
    """Digit tests of 本月到位资金 per unit and period (the quarter and the whole history window), for one test."""

    quarter: str
    test: str
    periods: tuple[str, str]          # (quarter, window label, e.g. 近24个月)
    summary: pl.DataFrame             # per unit and period: n, excluded, mad, expected_mad, mad_ratio, chi2, p_value,
                                      # conformity(_zh), informative, verdict_zh, unit_name
    tables: pl.DataFrame              # per unit, period and digit: count, observed, expected, z
    bands: tuple[float, float, float]  # Nigrini's MAD upper bounds: close, acceptable, marginal
    min_n: int                        # below this many amounts a test says little


def digit_report(source: store.Source, quarter: str, test: str = "first_two",
                 history_months: int | None = None) -> DigitReport:
    """The unit digit tests of `RiskResult.benford` (same amounts, same verdicts) for any test, with the
    per-digit tables behind them (observed vs expected)."""
    settings = sampling_config()["risk"]
    months = history_months or settings["history_months"]
    first, last = window(quarter, months)
    with store.session(source) as con:
        funds = queries.monthly_funds(con, first, last)
    amounts = rules.benford_periods(funds.with_columns(funds_f=pl.col("funds_month_wan").cast(pl.Float64)),
                                         quarter, last, months)
    unit_names = {u.code: u.name for u in catalog.units()}
    summary = rules.digit_verdicts(amounts, test, settings, unit_names).with_columns(
        expected_mad=pl.col("n").map_elements(lambda n: benford.expected_mad(test, n) if n else None,
                                              return_dtype=pl.Float64))
    tables = benford.digit_tables_by(amounts, ["unit_code", "period"], "funds_f", test).sort(
        ["unit_code", "period", "digit"])
    return DigitReport(quarter=quarter, test=test, periods=(quarter, rules.window_label(months)),
                       summary=summary, tables=tables, bands=benford.MAD_BANDS[test],
                       min_n=settings["benford_min_n"])
