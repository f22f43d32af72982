"""Verification sample design (docs/METHODS.md §3): sample sizes, a two-stratum risk-weighted probability sample,
recording (never rewritten) and the work list the third-party firm receives.

Design, for a requested size n:
- certainty stratum (确定层): the highest-risk projects (and optionally the largest), judgmental, never projected;
- probability stratum (概率层, ≥ min_probability_share of n): stratified by unit, n_u allocated in proportion to
  the unit's total weight with a floor (min_per_unit); within a unit πᵢ ∝ (1 − λ)/N + λ·rᵢ/Σr, capped at 1 with
  the excess redistributed, Σπᵢ = n_u; systematic PPS over a seeded shuffled order with a seeded random start,
  which selects each project with probability exactly πᵢ.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, replace

import numpy as np
import polars as pl
from scipy.stats import beta, gamma

from analytics.verification import results, scoring
from analytics.verification.rules import KEY
from core import catalog, clock
from warehouse import store
from warehouse.queries import sampling as queries
from warehouse.writes import sampling as writes

METHOD_VERSION = "risk-pps-systematic-1"
STRATUM_ZH = {"certainty": "确定层", "probability": "概率层"}


# --------------------------------------------------------------------------- sample sizes (AICPA, as in jfa)

def _check_rates(confidence: float, tolerable_rate: float, expected_rate: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"置信水平应在 0 与 1 之间，收到 {confidence}")
    if not 0 < tolerable_rate < 1:
        raise ValueError(f"可容忍偏差率应在 0 与 1 之间，收到 {tolerable_rate}")
    if not 0 <= expected_rate < tolerable_rate:
        raise ValueError(f"预期偏差率应不小于 0 且小于可容忍偏差率，收到 {expected_rate}")


def attribute_sample_size(confidence: float = 0.95, tolerable_rate: float = 0.05, expected_rate: float = 0.0,
                          max_n: int = 100_000) -> int:
    """Smallest n with beta.ppf(confidence, 1 + x, n − x) < tolerable_rate, x = ⌈expected_rate · n⌉."""
    _check_rates(confidence, tolerable_rate, expected_rate)
    for n in range(1, max_n + 1):
        x = math.ceil(expected_rate * n - 1e-12)
        if x < n and beta.ppf(confidence, 1 + x, n - x) < tolerable_rate:
            return n
    raise ValueError(f"在 {max_n} 以内找不到满足条件的样本量")


def mus_sample_size(confidence: float = 0.95, tolerable_rate: float = 0.05, expected_rate: float = 0.0,
                    max_n: int = 100_000) -> int:
    """Monetary-unit sample size: smallest n with gamma.ppf(confidence, 1 + x, scale=1/n) < tolerable_rate,
    x = expected_rate · n (fractional)."""
    _check_rates(confidence, tolerable_rate, expected_rate)
    for n in range(1, max_n + 1):
        if gamma.ppf(confidence, 1 + expected_rate * n, scale=1 / n) < tolerable_rate:
            return n
    raise ValueError(f"在 {max_n} 以内找不到满足条件的样本量")


# --------------------------------------------------------------------------- inclusion probabilities and selection

def mixed_weights(risk_scores: np.ndarray, lam: float) -> np.ndarray:
    """(1 − λ)·uniform + λ·risk share: every project keeps weight ≥ (1 − λ)/N. The risk share is of the risk
    above the population's lowest: the prior risk every project carries without any evidence says nothing about
    which project to look at (thousands of projects at the prior would otherwise outweigh the few with evidence)."""
    r = np.asarray(risk_scores, dtype=np.float64)
    n = r.size
    if n:
        r = r - r.min()
    share = r / r.sum() if r.sum() > 0 else np.full(n, 1 / n)
    return (1 - lam) / n + lam * share


def inclusion_probabilities(weights: np.ndarray, n: int) -> np.ndarray:
    """πᵢ ∝ weightᵢ with Σπ = n; πᵢ capped at 1, the excess redistributed over the rest until none exceeds 1."""
    w = np.asarray(weights, dtype=np.float64)
    if not 0 <= n <= w.size:
        raise ValueError(f"抽取数量 {n} 超出可抽项目数 {w.size}")
    pi = np.zeros_like(w)
    capped = np.zeros(w.size, dtype=bool)
    if n == 0:
        return pi
    while True:
        free = ~capped
        remaining = n - capped.sum()
        pi[free] = remaining * w[free] / w[free].sum()
        over = free & (pi >= 1)
        if not over.any():
            break
        capped |= over
        pi[capped] = 1.0
        if capped.all():
            break
    return pi


def systematic_pps(pi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices selected by systematic PPS over a random order with a random start; P(select i) = πᵢ."""
    n = int(round(pi.sum()))
    if n == 0:
        return np.array([], dtype=np.int64)
    order = rng.permutation(pi.size)
    cum = np.cumsum(pi[order])
    cum *= n / cum[-1]
    points = rng.uniform() + np.arange(n)
    picked = order[np.searchsorted(cum, points, side="right")]
    return np.sort(picked)


def allocate(total: int, weight: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Integers n_u ∝ weight_u with lower ≤ n_u ≤ upper and Σ n_u = total (largest remainder, ties by order)."""
    weight = np.asarray(weight, dtype=np.float64)
    fixed = np.full(weight.size, np.nan)
    while True:
        free = np.isnan(fixed)
        rest = total - np.nansum(fixed)
        share = np.where(free, rest * weight / max(weight[free].sum(), 1e-300), fixed)
        too_high, too_low = free & (share > upper), free & (share < lower)
        if too_high.any():
            fixed[too_high] = upper[too_high]
        elif too_low.any():
            fixed[too_low] = lower[too_low]
        else:
            break
    out = np.floor(share + 1e-9).astype(np.int64)
    remainder = share - out
    for i in np.argsort(-remainder, kind="stable")[: int(total - out.sum())]:
        out[i] += 1
    return out


# --------------------------------------------------------------------------- the design

@dataclass(frozen=True)
class Design:
    size: int
    seed: int
    lam: float
    certainty_share: float
    certainty_largest: int
    min_per_unit: int
    min_probability_share: float
    certainty_rule_cap: float = 1.0

    @classmethod
    def from_config(cls, size: int, seed: int, lam: float | None = None, **overrides) -> "Design":
        cfg = scoring.sampling_config()["design"]
        d = cls(size=size, seed=seed, lam=cfg["lambda"] if lam is None else lam,
                certainty_share=cfg["certainty_share"], certainty_largest=cfg["certainty_largest"],
                min_per_unit=cfg["min_per_unit"], min_probability_share=cfg["min_probability_share"],
                certainty_rule_cap=cfg["certainty_rule_cap"])
        return replace(d, **overrides)

    @classmethod
    def from_sizes(cls, probability: int, certainty: int, seed: int, lam: float | None = None,
                   **overrides) -> "Design":
        """A design asking for `probability` projects drawn at random and `certainty` projects examined in full
        (the certainty stratum may come out smaller: every unit's floor and the probability share come first)."""
        size = probability + certainty
        return cls.from_config(size, seed, lam, certainty_share=certainty / size if size else 0.0, **overrides)

    @staticmethod
    def default_certainty(probability: int) -> int:
        """The certainty stratum that keeps config/sampling.toml's certainty share for a probability stratum
        of `probability` projects."""
        share = scoring.sampling_config()["design"]["certainty_share"]
        return round(probability * share / (1 - share))

    def check(self, population: int) -> None:
        if self.size < 1:
            raise ValueError(f"样本量应为正整数，收到 {self.size}")
        if self.size > population:
            raise ValueError(f"样本量 {self.size} 超过本季度项目总数 {population}")
        if not 0 <= self.lam < 1:
            raise ValueError(f"风险权重 λ 应满足 0 ≤ λ < 1（λ = 1 会使低风险项目无法入样），收到 {self.lam}")
        if not 0 <= self.certainty_share <= 1 - self.min_probability_share:
            raise ValueError(f"确定层占比应在 0 与 {1 - self.min_probability_share:.0%} 之间，收到 {self.certainty_share}")


@dataclass(frozen=True)
class DrawnSample:
    quarter: str
    seed: int
    data_hash: str
    method_version: str
    params: dict
    population_size: int
    items: pl.DataFrame     # one row per sampled project, in selection order
    strata: pl.DataFrame    # unit_code, stratum, population, drawn
    sample_id: str | None = None
    drawn_at: dt.datetime | None = None
    drawn_by: str | None = None
    reused: bool = False    # an identical sample was already recorded and is returned as it was

    @property
    def certainty_size(self) -> int:
        return int((self.items["stratum"] == "certainty").sum())

    @property
    def probability_size(self) -> int:
        return int((self.items["stratum"] == "probability").sum())


HASH_COLUMNS = ["unit_code", "project_id", "status", "signed_amount_wan", "funds_quarter_wan", "funds_cum_wan",
                "risk_score", *scoring.SCORE_COLUMNS]


def data_hash(projects: pl.DataFrame) -> str:
    """sha256 over the population frame the sampler sees (sorted, canonical CSV, scores to 9 decimals)."""
    frame = projects.select(HASH_COLUMNS).sort(KEY)
    return hashlib.sha256(frame.write_csv(float_precision=9).encode("utf-8")).hexdigest()


def _certainty(projects: pl.DataFrame, design: Design, n_c: int) -> pl.DataFrame:
    """Largest projects first (if configured), then the highest risk; ties broken by unit and project. No
    single rule leads (is the strongest reason of) more than `certainty_rule_cap` of the stratum, so that
    decisive evidence of many kinds is examined; the projects passed over stay in the probability frame."""
    largest = (
        projects.sort(["signed_amount_wan", "unit_code", "project_id"], descending=[True, False, False])
        .head(min(design.certainty_largest, n_c))
        .with_columns(certainty_by=pl.lit("amount"))
    )
    cap = max(1, math.ceil(design.certainty_rule_cap * n_c))
    by_risk = (
        projects.join(largest.select(KEY), on=KEY, how="anti")
        .sort(["risk_score", "unit_code", "project_id"], descending=[True, False, False])
        .filter(pl.col("reason_codes").list.first().is_null()
                | (pl.int_range(pl.len()).over(pl.col("reason_codes").list.first()) < cap))
        .head(n_c - largest.height)
        .with_columns(certainty_by=pl.lit("risk"))
    )
    return pl.concat([largest, by_risk])


def _selection_reason(row: dict, n_c: int) -> str:
    top = "；".join(row["reasons"][:2])
    if row["stratum"] == "certainty":
        head = (f"确定层：签约金额居全省前 {n_c} 位" if row["certainty_by"] == "amount"
                else f"确定层：风险分居全省第 {row['risk_rank']} 位（风险最高的 {n_c} 个项目全部核查）")
        return f"{head}；{top}" if top else head
    head = f"概率层：按风险加权随机抽中（入样概率 {row['inclusion_prob']:.2%}）"
    return f"{head}；风险提示：{top}" if top else head


def draw(projects: pl.DataFrame, quarter: str, design: Design, weights: dict[str, float] | None = None,
         history_months: int | None = None) -> DrawnSample:
    """Draw the sample from scored projects (scoring.score_projects(...).projects). Pure and deterministic."""
    population = projects.sort(KEY)
    design.check(population.height)
    units = population["unit_code"].unique().sort().to_list()
    floors_worst = population.group_by("unit_code").len().with_columns(
        floor=pl.min_horizontal(pl.col("len"), pl.lit(design.min_per_unit))
    )["floor"].sum()
    if floors_worst > design.size:
        raise ValueError(f"样本量 {design.size} 小于“每单位至少 {design.min_per_unit} 个”所需的 {floors_worst} 个")
    n_c = min(math.floor(design.certainty_share * design.size + 1e-9),   # k/n · n is k, not k − ε
              design.size - math.ceil(design.min_probability_share * design.size),
              design.size - floors_worst)
    certainty = _certainty(population, design, n_c)
    frame = population.join(certainty.select(KEY), on=KEY, how="anti")
    frame = frame.with_columns(w=pl.Series(mixed_weights(frame["risk_score"].to_numpy(), design.lam)))
    n_p = design.size - certainty.height

    per_unit = (
        frame.group_by("unit_code", maintain_order=True)
        .agg(pl.len().alias("population"), pl.col("w").sum().alias("weight"))
        .join(certainty.group_by("unit_code").len().rename({"len": "certain"}), on="unit_code", how="left")
        .with_columns(pl.col("certain").fill_null(0))
        .sort("unit_code")
    )
    population_u = per_unit["population"].cast(pl.Int64).to_numpy()
    lower = np.minimum(population_u, np.maximum(design.min_per_unit - per_unit["certain"].cast(pl.Int64).to_numpy(), 0))
    n_u = allocate(n_p, per_unit["weight"].to_numpy(), lower, population_u)

    rng = np.random.default_rng(design.seed)
    weights_all = frame["w"].to_numpy()
    pi_all = np.zeros(frame.height)
    chosen = np.zeros(frame.height, dtype=bool)
    codes = frame["unit_code"].to_numpy()
    for unit, n in zip(per_unit["unit_code"].to_list(), n_u):
        idx = np.flatnonzero(codes == unit)
        pi = inclusion_probabilities(weights_all[idx], int(n))
        pi_all[idx] = pi
        chosen[idx[systematic_pps(pi, rng)]] = True

    probability = frame.drop("w").with_columns(inclusion_prob=pl.Series(pi_all)).filter(pl.Series(chosen)).with_columns(
        stratum=pl.lit("probability"), certainty_by=pl.lit(None, dtype=pl.String)
    )
    certain_items = certainty.with_columns(stratum=pl.lit("certainty"), inclusion_prob=pl.lit(1.0))
    ranks = population.sort(["risk_score", "unit_code", "project_id"], descending=[True, False, False]).select(
        *KEY, risk_rank=pl.int_range(1, population.height + 1))
    items = pl.concat([certain_items, probability.select(certain_items.columns)]).join(ranks, on=KEY, how="left",
                                                                                      maintain_order="left")
    items = items.with_columns(
        selection_order=pl.int_range(1, items.height + 1),
        selection_reason=pl.Series([_selection_reason(r, n_c) for r in items.iter_rows(named=True)], dtype=pl.String),
    ).drop("risk_rank")
    strata = pl.concat([
        per_unit.select("unit_code", pl.lit("probability").alias("stratum"),
                        pl.col("population").cast(pl.Int32), pl.Series("drawn", n_u, dtype=pl.Int32)),
        certainty.group_by("unit_code").len().select(
            "unit_code", pl.lit("certainty").alias("stratum"), pl.col("len").cast(pl.Int32).alias("population"),
            pl.col("len").cast(pl.Int32).alias("drawn")),
    ]).sort(["unit_code", "stratum"])
    cfg = scoring.sampling_config()
    params = {
        "size": design.size, "lambda": design.lam, "certainty_share": design.certainty_share,
        "certainty_largest": design.certainty_largest,
        "certainty_rule_cap": design.certainty_rule_cap, "min_per_unit": design.min_per_unit,
        "min_probability_share": design.min_probability_share, "units": len(units),
        "weights": weights or scoring.prior_weights(),
        "history_months": history_months or cfg["risk"]["history_months"],
        "config_version": cfg["version"],
    }
    return DrawnSample(quarter=quarter, seed=design.seed, data_hash=data_hash(population),
                       method_version=METHOD_VERSION, params=params, population_size=population.height,
                       items=items, strata=strata)


def strata_summary(sample: DrawnSample) -> pl.DataFrame:
    """Per unit: projects in the quarter, certainty stratum, probability stratum (its frame and draws), the
    sampled projects' smallest and largest inclusion probability in the probability stratum, and the unit's
    share of the sample."""
    wide = sample.strata.pivot(on="stratum", index="unit_code", values=["population", "drawn"])
    for col in ("population_certainty", "drawn_certainty", "population_probability", "drawn_probability"):
        if col not in wide.columns:
            wide = wide.with_columns(pl.lit(0, dtype=pl.Int32).alias(col))
    pis = sample.items.filter(pl.col("stratum") == "probability").group_by("unit_code").agg(
        pl.col("inclusion_prob").min().alias("pi_min"), pl.col("inclusion_prob").max().alias("pi_max"))
    names = {u.code: u.name for u in catalog.units()}
    return (
        wide.with_columns(pl.col(c).fill_null(0) for c in wide.columns if c != "unit_code")
        .join(pis, on="unit_code", how="left")
        .select(
            "unit_code",
            pl.col("unit_code").replace_strict(names, default=pl.col("unit_code")).alias("unit_name"),
            (pl.col("population_certainty") + pl.col("population_probability")).alias("projects"),
            pl.col("drawn_certainty").alias("certainty"),
            pl.col("population_probability").alias("probability_frame"),
            pl.col("drawn_probability").alias("probability"),
            "pi_min", "pi_max",
            ((pl.col("drawn_certainty") + pl.col("drawn_probability")) / sample.items.height).alias("share"),
        )
        .sort("unit_code")
    )


def params_json(params: dict) -> str:
    return json.dumps(params, ensure_ascii=False, sort_keys=True)


# --------------------------------------------------------------------------- recording (one transaction, never rewritten)

ITEM_COLUMNS = [
    "sample_id", "unit_code", "project_id", "project_name", "investor_name", "chain", "status", "stratum",
    "inclusion_prob", "selection_order", "risk_score", *scoring.SCORE_COLUMNS, "reason_codes", "reasons",
    "selection_reason", "signed_amount_wan", "funds_quarter_wan", "funds_cum_wan",
]


def load_sample(source, sample_id: str) -> DrawnSample:
    """A recorded sample as it was drawn; KeyError (Chinese) if there is no such sample."""
    head = queries.samples(source).filter(pl.col("sample_id") == sample_id)
    if head.is_empty():
        raise KeyError(f"样本编号 {sample_id} 不存在")
    h = head.row(0, named=True)
    return DrawnSample(
        quarter=h["quarter"], seed=h["seed"], data_hash=h["data_hash"], method_version=h["method_version"],
        params=json.loads(h["params_json"]), population_size=h["population_size"],
        items=queries.sample_items(source, sample_id), strata=queries.sample_strata(source, sample_id),
        sample_id=sample_id, drawn_at=h["drawn_at"], drawn_by=h["drawn_by"],
    )


def record(con, sample: DrawnSample, drawn_by: str, drawn_at: dt.datetime | None = None) -> DrawnSample:
    """Insert a drawn sample inside the caller's write transaction; an identical recorded draw is returned
    instead (same quarter, seed, data hash, parameters and method)."""
    pjson = params_json(sample.params)
    same = queries.matching_sample(con, sample.quarter, sample.seed, sample.data_hash, pjson, sample.method_version)
    if not same.is_empty():
        return replace(load_sample(con, same["sample_id"][0]), reused=True)
    sample_id = f"{sample.quarter}-{queries.sample_count(con, sample.quarter) + 1:03d}"
    drawn_at = drawn_at or clock.now_local()
    writes.insert_sample(
        con,
        [sample_id, sample.quarter, drawn_at, drawn_by, sample.seed, sample.method_version,
         sample.params["config_version"], sample.data_hash, pjson, sample.population_size,
         sample.items.height, sample.certainty_size, sample.probability_size],
        sample.strata.with_columns(sample_id=pl.lit(sample_id)).select(
            "sample_id", "unit_code", "stratum", "population", "drawn"),
        sample.items.with_columns(sample_id=pl.lit(sample_id)).select(ITEM_COLUMNS),
    )
    return load_sample(con, sample_id)


def draw_and_record(warehouse, quarter: str, size: int, seed: int, drawn_by: str, lam: float | None = None,
                    drawn_at: dt.datetime | None = None) -> DrawnSample:
    """`record_draw` with the configured design for `size`, `seed` and `lam`."""
    return record_draw(warehouse, quarter, Design.from_config(size, seed, lam), drawn_by, drawn_at)


def record_draw(warehouse, quarter: str, design: Design, drawn_by: str,
                drawn_at: dt.datetime | None = None) -> DrawnSample:
    """Score the quarter's projects and draw, inside one write transaction so the recorded data hash names
    exactly the data the sample was drawn from. Family weights: re-learned from verification labels when
    there are enough of them (results.current_weights), else the prior."""
    months = scoring.sampling_config()["risk"]["history_months"]
    with store.open_writer(warehouse) as writer, writer.transaction() as con:
        weights = results.current_weights(con)
        result = scoring.score_projects(scoring.load_inputs(con, quarter, months), weights)
        return record(con, draw(result.projects, quarter, design, weights, months), drawn_by, drawn_at)


def quarter_risk(source: store.Source, quarter: str) -> scoring.RiskResult:
    """The quarter's risk scores as the next sample would use them (family weights learned from the
    verification labels so far, else the prior): for the risk pages."""

    with store.session(source) as con:
        return scoring.score_projects(scoring.load_inputs(con, quarter), results.current_weights(con))


def recorded_samples(source: store.Source, quarter: str | None = None) -> pl.DataFrame:
    """Recorded samples (newest first), one quarter's if given."""
    return queries.samples(source, quarter)
