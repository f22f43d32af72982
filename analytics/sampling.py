"""Verification sample design (METHODS.md §3): sample sizes, a two-stratum risk-weighted probability sample,
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
import io
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import xlsxwriter
from scipy.stats import beta, gamma

from analytics import domain, risk
from analytics.spreadsheet import neutralise
from analytics.risk_rules import FAMILIES, KEY
from warehouse import store
from warehouse.queries import sampling as queries

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
    """(1 − λ)·uniform + λ·risk share: every project keeps weight ≥ (1 − λ)/N."""
    r = np.asarray(risk_scores, dtype=np.float64)
    n = r.size
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

    @classmethod
    def from_config(cls, size: int, seed: int, lam: float | None = None, **overrides) -> "Design":
        cfg = risk.sampling_config()["design"]
        d = cls(size=size, seed=seed, lam=cfg["lambda"] if lam is None else lam,
                certainty_share=cfg["certainty_share"], certainty_largest=cfg["certainty_largest"],
                min_per_unit=cfg["min_per_unit"], min_probability_share=cfg["min_probability_share"])
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
        share = risk.sampling_config()["design"]["certainty_share"]
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
                "risk_score", *risk.SCORE_COLUMNS]


def data_hash(projects: pl.DataFrame) -> str:
    """sha256 over the population frame the sampler sees (sorted, canonical CSV, scores to 9 decimals)."""
    frame = projects.select(HASH_COLUMNS).sort(KEY)
    return hashlib.sha256(frame.write_csv(float_precision=9).encode("utf-8")).hexdigest()


def _certainty(projects: pl.DataFrame, design: Design, n_c: int) -> pl.DataFrame:
    """Largest projects first (if configured), then the highest risk; ties broken by unit and project."""
    largest = (
        projects.sort(["signed_amount_wan", "unit_code", "project_id"], descending=[True, False, False])
        .head(min(design.certainty_largest, n_c))
        .with_columns(certainty_by=pl.lit("amount"))
    )
    by_risk = (
        projects.join(largest.select(KEY), on=KEY, how="anti")
        .sort(["risk_score", "unit_code", "project_id"], descending=[True, False, False])
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
    """Draw the sample from scored projects (risk.score_projects(...).projects). Pure and deterministic."""
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
    cfg = risk.sampling_config()
    params = {
        "size": design.size, "lambda": design.lam, "certainty_share": design.certainty_share,
        "certainty_largest": design.certainty_largest, "min_per_unit": design.min_per_unit,
        "min_probability_share": design.min_probability_share, "units": len(units),
        "weights": weights or risk.prior_weights(),
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
    names = {u.code: u.name for u in domain.units()}
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
    "inclusion_prob", "selection_order", "risk_score", *risk.SCORE_COLUMNS, "reason_codes", "reasons",
    "selection_reason", "signed_amount_wan", "funds_quarter_wan", "funds_cum_wan",
]


def now_local() -> dt.datetime:
    """Asia/Shanghai wall-clock time, naive, to the second: the time stamp of a record (not used in logic)."""
    return dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)


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
    drawn_at = drawn_at or now_local()
    con.execute(
        "INSERT INTO samples VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        [sample_id, sample.quarter, drawn_at, drawn_by, sample.seed, sample.method_version,
         sample.params["config_version"], sample.data_hash, pjson, sample.population_size,
         sample.items.height, sample.certainty_size, sample.probability_size],
    )
    strata = sample.strata.with_columns(sample_id=pl.lit(sample_id))
    items = sample.items.with_columns(sample_id=pl.lit(sample_id)).select(ITEM_COLUMNS)
    con.register("new_strata", strata)
    con.register("new_items", items)
    con.execute("INSERT INTO sample_strata SELECT sample_id, unit_code, stratum, population, drawn FROM new_strata")
    con.execute(f"INSERT INTO sample_items SELECT {', '.join(ITEM_COLUMNS)} FROM new_items")
    con.unregister("new_strata")
    con.unregister("new_items")
    return load_sample(con, sample_id)


def draw_and_record(warehouse, quarter: str, size: int, seed: int, drawn_by: str, lam: float | None = None,
                    drawn_at: dt.datetime | None = None) -> DrawnSample:
    """`record_draw` with the configured design for `size`, `seed` and `lam`."""
    return record_draw(warehouse, quarter, Design.from_config(size, seed, lam), drawn_by, drawn_at)


def record_draw(warehouse, quarter: str, design: Design, drawn_by: str,
                drawn_at: dt.datetime | None = None) -> DrawnSample:
    """Score the quarter's projects and draw, inside one write transaction so the recorded data hash names
    exactly the data the sample was drawn from. Family weights: re-learned from verification labels when
    there are enough of them (analytics.verification.current_weights), else the prior."""
    from analytics import verification   # imported here: verification imports this module

    months = risk.sampling_config()["risk"]["history_months"]
    with store.open_writer(warehouse) as writer, writer.transaction() as con:
        weights = verification.current_weights(con)
        result = risk.score_projects(risk.load_inputs(con, quarter, months), weights)
        return record(con, draw(result.projects, quarter, design, weights, months), drawn_by, drawn_at)


def quarter_risk(source: store.Source, quarter: str) -> risk.RiskResult:
    """The quarter's risk scores as the next sample would use them (family weights learned from the
    verification labels so far, else the prior): for the risk pages."""
    from analytics import verification   # imported here: verification imports this module

    with store.session(source) as con:
        return risk.score_projects(risk.load_inputs(con, quarter), verification.current_weights(con))


def recorded_samples(source: store.Source, quarter: str | None = None) -> pl.DataFrame:
    """Recorded samples (newest first), one quarter's if given."""
    return queries.samples(source, quarter)


# --------------------------------------------------------------------------- the firm's work list

OUTCOMES = ("核实无误", "存在差异", "无法核实")
RESULT_COLUMNS = ("核查结论", "核实金额（万元）", "核查说明")
WORK_LIST_COLUMNS = (
    "报送单位代码", "项目编号", "项目名称", "抽样层", "入样概率", "风险分", "抽样原因",
    "样本编号", "报送单位", "投资方名称", "所属产业链", "项目状态",
    "签约金额（万元）", "本季度到位资金（万元）", "累计到位资金（万元）", "风险提示", "应提供的佐证材料",
    *RESULT_COLUMNS,
)
MONEY_COLUMNS = ("签约金额（万元）", "本季度到位资金（万元）", "累计到位资金（万元）")
def evidence(row: dict) -> str:
    """What to ask for: the base documents plus those of every family with a signal, without repeats."""
    cfg = risk.sampling_config()["evidence"]
    parts = [cfg["base"]] + [cfg[f] for f in FAMILIES if row[f"score_{f}"] > 0]
    seen: list[str] = []
    for part in parts:
        seen.extend(p for p in part.split("、") if p not in seen)
    return "、".join(seen)


def work_list(sample: DrawnSample) -> pl.DataFrame:
    """The list the firm receives, columns in WORK_LIST_COLUMNS order; text neutralised against formulas."""
    names = {u.code: u.name for u in domain.units()}
    rows = []
    for r in sample.items.sort("selection_order").iter_rows(named=True):
        rows.append({
            "报送单位代码": r["unit_code"], "项目编号": r["project_id"], "项目名称": r["project_name"],
            "抽样层": STRATUM_ZH[r["stratum"]], "入样概率": r["inclusion_prob"], "风险分": round(r["risk_score"], 4),
            "抽样原因": r["selection_reason"], "样本编号": sample.sample_id or "",
            "报送单位": names.get(r["unit_code"], r["unit_code"]), "投资方名称": r["investor_name"],
            "所属产业链": r["chain"], "项目状态": r["status"],
            "签约金额（万元）": r["signed_amount_wan"], "本季度到位资金（万元）": r["funds_quarter_wan"],
            "累计到位资金（万元）": r["funds_cum_wan"], "风险提示": "；".join(r["reasons"]),
            "应提供的佐证材料": evidence(r), "核查结论": None, "核实金额（万元）": None, "核查说明": None,
        })
    schema = {c: pl.String for c in WORK_LIST_COLUMNS}
    schema.update({"入样概率": pl.Float64, "风险分": pl.Float64, **{c: pl.Decimal(18, 4) for c in MONEY_COLUMNS},
                   "核实金额（万元）": pl.Decimal(18, 4)})
    frame = pl.DataFrame(rows, schema=schema)
    text = [c for c, t in schema.items() if t == pl.String]
    return frame.with_columns(pl.col(text).map_elements(neutralise, return_dtype=pl.String))


def _about(sample: DrawnSample) -> list[tuple[str, str]]:
    p = sample.params
    return [
        ("样本编号", sample.sample_id or ""), ("季度", sample.quarter),
        ("抽样时间", str(sample.drawn_at or "")), ("抽样人", sample.drawn_by or ""),
        ("随机种子", str(sample.seed)), ("方法版本", sample.method_version), ("配置版本", p["config_version"]),
        ("数据指纹（SHA-256）", sample.data_hash), ("项目总数", str(sample.population_size)),
        ("样本量", f"{sample.items.height}（确定层 {sample.certainty_size}，概率层 {sample.probability_size}）"),
        ("风险权重 λ", str(p["lambda"])),
        ("说明", "确定层为风险最高的项目，全部核查，不用于外推；概率层按入样概率随机抽取，用于推算全省差错率。"),
        ("填写要求", "请在“核查结论”列选择 核实无误、存在差异 或 无法核实；“核实金额（万元）”填写核实的累计到位资金；"
                 "其他列请勿修改。"),
    ]


def work_list_csv(sample: DrawnSample) -> bytes:
    """The work list as CSV, UTF-8 with BOM (Excel opens it correctly)."""
    return b"\xef\xbb\xbf" + work_list(sample).write_csv().encode("utf-8")


def work_list_xlsx(sample: DrawnSample) -> bytes:
    """The work list as .xlsx: sheet 核查清单 (a drop-down for 核查结论) and sheet 抽样说明 (how it was drawn)."""
    frame = work_list(sample)
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as wb:
        head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
        fill = wb.add_format({"bold": True, "bg_color": "#FFF2CC", "border": 1})
        money = wb.add_format({"num_format": "#,##0.00##"})
        share = wb.add_format({"num_format": "0.00%"})
        ws = wb.add_worksheet("核查清单")
        for j, col in enumerate(frame.columns):
            ws.write_string(0, j, col, fill if col in RESULT_COLUMNS else head)
            ws.set_column(j, j, 40 if col in ("抽样原因", "风险提示", "应提供的佐证材料") else 14)
            for i, value in enumerate(frame[col].to_list(), start=1):
                if value is None:
                    ws.write_blank(i, j, None)
                elif isinstance(value, str):
                    ws.write_string(i, j, value)
                else:
                    ws.write_number(i, j, float(value), money if col in MONEY_COLUMNS else
                                    share if col == "入样概率" else None)
        if frame.height:
            j = frame.columns.index("核查结论")
            ws.data_validation(1, j, frame.height, j, {"validate": "list", "source": list(OUTCOMES)})
        ws.freeze_panes(1, 3)
        ws.autofilter(0, 0, max(frame.height, 1), len(frame.columns) - 1)
        about = wb.add_worksheet("抽样说明")
        about.set_column(0, 0, 20)
        about.set_column(1, 1, 90)
        for i, (k, v) in enumerate(_about(sample)):
            about.write_string(i, 0, k, head)
            about.write_string(i, 1, neutralise(v) or "")
    return buffer.getvalue()


def export_work_list(sample: DrawnSample, path: str | Path) -> Path:
    """Write the work list to a .xlsx or .csv file (by extension)."""
    path = Path(path)
    writers = {".xlsx": work_list_xlsx, ".csv": work_list_csv}
    if path.suffix.lower() not in writers:
        raise ValueError(f"输出文件应为 .xlsx 或 .csv，收到“{path.name}”")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(writers[path.suffix.lower()](sample))
    return path
