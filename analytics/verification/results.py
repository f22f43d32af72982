"""Verification results (抽样核查结果): import the firm's filled work list, project the error rate, measure which
signals predicted errors, and re-learn the family weights from the labels.

- Import: the exported layout comes back with 核查结论 / 核实金额（万元） / 核查说明 filled. All rows are checked
  first; any problem rejects the whole file (ResultsRejected, Chinese messages), otherwise one transaction writes
  `verification_results`, which `mart_verification_findings` (the ranking's reporting-discipline deduction) reads.
- Projection: Horvitz–Thompson from the probability stratum only (certainty findings are counted, never
  projected), with a one-sided Korn–Graubard upper bound (Clopper–Pearson on the design-effect adjusted sample
  size; variance by the with-replacement approximation, conservative for this design).
- Learning: L2 logistic regression of "error" on the family scores, blended with the prior weights
  (prior_strength pseudo-labels); before/after precision on held-out labels shows the effect.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import polars as pl
from scipy.stats import beta

from analytics.verification import scoring
from analytics.verification.rules import FAMILIES, FAMILY_ZH, RULE_ZH
from core import catalog
from core.clock import now_local
from core.spreadsheet import unneutralise
from warehouse import store
from warehouse.queries import sampling as queries
from warehouse.writes import sampling as writes

# The firm fills in these columns of the work list; a conclusion is one of OUTCOMES.
OUTCOMES = ("核实无误", "存在差异", "无法核实")
RESULT_COLUMNS = ("核查结论", "核实金额（万元）", "核查说明")


REQUIRED_COLUMNS = ("样本编号", "报送单位代码", "项目编号", *RESULT_COLUMNS)


def learning_config() -> dict:
    return scoring.sampling_config()["learning"]


def error_outcomes() -> tuple[str, ...]:
    """Outcomes that count as an error: 存在差异, and 无法核实 when configured (the audit convention)."""
    return ("存在差异", "无法核实") if learning_config()["unverifiable_is_error"] else ("存在差异",)


# --------------------------------------------------------------------------- import

class ResultsRejected(ValueError):
    """The results file was rejected as a whole; `errors` are Chinese messages (row numbers as in Excel)."""

    def __init__(self, errors: list[str]):
        super().__init__("核查结果文件未导入：" + "；".join(errors[:5]) + ("……" if len(errors) > 5 else ""))
        self.errors = errors


@dataclass(frozen=True)
class ImportReport:
    sample_id: str
    quarter: str
    imported: int          # new results written
    already: int           # identical results imported before
    blank: int             # rows without a 核查结论 yet (not imported)

    def summary(self) -> str:
        return (f"样本 {self.sample_id}（{self.quarter}）：导入 {self.imported} 条核查结果，"
                f"{self.already} 条此前已导入，{self.blank} 条尚未填写核查结论")


def read_results(file: str | Path | bytes, name: str | None = None) -> pl.DataFrame:
    """The returned work list as text columns: a path, or the bytes of an upload with its file name."""
    name = name or Path(file).name
    data = file if isinstance(file, bytes) else None
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ResultsRejected([f"文件“{name}”不是 .xlsx 或 .csv"])
    try:
        source = io.BytesIO(data) if data is not None else file
        if suffix == ".csv":
            frame = pl.read_csv(source, infer_schema=False, encoding="utf8-lossy")
        else:
            frame = pl.read_excel(source, sheet_id=1, engine="calamine", infer_schema_length=0)
    except Exception as exc:  # unreadable or corrupt: the readers' exception types vary
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ResultsRejected([f"无法读取文件“{name}”：文件已损坏或不是有效的 {suffix[1:]} 文件（{detail}），"
                               "请在导出的核查清单上填写后重新上传"]) from exc
    frame = frame.rename({c: c.strip().replace("(", "（").replace(")", "）") for c in frame.columns})
    return frame.with_columns(pl.all().cast(pl.String))


def _amount(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    value = Decimal(text.strip().replace(",", "").replace("，", ""))
    if not value.is_finite():
        raise InvalidOperation
    return value.quantize(Decimal("0.0001"))


def _unit_code(text: str | None) -> str | None:
    unit = catalog.resolve_unit(text)
    return unit.code if unit else None


def validate_results(frame: pl.DataFrame, items: pl.DataFrame, previous: pl.DataFrame,
                     sample_id: str) -> tuple[list[dict], int, int, list[str]]:
    """Check every row against the recorded sample; (new results, already imported, blank, errors)."""
    errors: list[str] = []
    sampled = {(r["unit_code"], r["project_id"]): r for r in items.iter_rows(named=True)}
    before = {(r["unit_code"], r["project_id"]): r for r in previous.iter_rows(named=True)}
    seen: set = set()
    new, already, blank = [], 0, 0
    for i, r in enumerate(frame.iter_rows(named=True), start=2):
        project = unneutralise(r["项目编号"])
        unit = _unit_code(r["报送单位代码"])
        outcome = (r["核查结论"] or "").strip()
        if unit is None or not project:
            errors.append(f"第 {i} 行：报送单位代码“{r['报送单位代码']}”或项目编号“{r['项目编号']}”无效")
            continue
        key = (unit, project.strip())
        if key not in sampled:
            errors.append(f"第 {i} 行：项目 {unit}/{project} 不在样本 {sample_id} 中")
            continue
        if key in seen:
            errors.append(f"第 {i} 行：项目 {unit}/{project} 在文件中重复出现")
            continue
        seen.add(key)
        if not outcome:
            blank += 1
            continue
        if outcome not in OUTCOMES:
            errors.append(f"第 {i} 行：核查结论“{outcome}”无效，应为 {'、'.join(OUTCOMES)} 之一")
            continue
        try:
            verified = _amount(r["核实金额（万元）"])
        except InvalidOperation:
            errors.append(f"第 {i} 行：核实金额（万元）“{r['核实金额（万元）']}”不是数字")
            continue
        if verified is not None and verified < 0:
            errors.append(f"第 {i} 行：核实金额（万元）不能为负数（{verified}）")
            continue
        note = unneutralise((r["核查说明"] or "").strip()) or None
        result = {"unit_code": unit, "project_id": key[1], "outcome": outcome,
                  "reported_amount_wan": sampled[key]["funds_cum_wan"], "verified_amount_wan": verified, "note": note}
        old = before.get(key)
        if old is not None:
            same = (old["outcome"], old["verified_amount_wan"], old["note"]) == (outcome, verified, note)
            if same:
                already += 1
            else:
                errors.append(f"第 {i} 行：项目 {unit}/{project} 的核查结果已于 {old['imported_at']} 导入"
                              f"（结论：{old['outcome']}），与本次不同；已导入的结果不能改写")
            continue
        new.append(result)
    return new, already, blank, errors


def import_results(warehouse, file: str | Path | bytes, imported_by: str, name: str | None = None,
                   imported_at: dt.datetime | None = None) -> ImportReport:
    """Import a filled work list (a path, or an upload's bytes and file name) in one transaction;
    ResultsRejected (nothing written) on any problem."""
    frame = read_results(file, name)
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise ResultsRejected([f"缺少必需的列：{'、'.join(missing)}（请使用导出的核查清单填写）"])
    ids = frame["样本编号"].drop_nulls().str.strip_chars().unique().to_list()
    if len(ids) != 1:
        raise ResultsRejected([f"文件应属于且只属于一个样本，样本编号列中有 {len(ids)} 个不同的值"])
    sample_id = ids[0]
    with store.open_writer(warehouse) as writer, writer.transaction() as con:
        head = queries.samples(con).filter(pl.col("sample_id") == sample_id)
        if head.is_empty():
            raise ResultsRejected([f"样本编号 {sample_id} 不存在：该样本从未抽取，不能导入其核查结果"])
        quarter = head["quarter"][0]
        new, already, blank, errors = validate_results(
            frame, queries.sample_items(con, sample_id), queries.verification_results(con, sample_id), sample_id)
        if errors:
            raise ResultsRejected(errors)
        when = imported_at or now_local()
        writes.insert_results(
            con,
            [[sample_id, quarter, r["unit_code"], r["project_id"], r["outcome"], r["reported_amount_wan"],
              r["verified_amount_wan"], r["note"], when, imported_by] for r in new],
        )
    return ImportReport(sample_id, quarter, len(new), already, blank)


# --------------------------------------------------------------------------- projection

def ht_rate(y: np.ndarray, pi: np.ndarray, population: int) -> tuple[float, float]:
    """Horvitz–Thompson error rate Σ yᵢ/πᵢ / N and its standard error (with-replacement approximation)."""
    y, pi = np.asarray(y, dtype=np.float64), np.asarray(pi, dtype=np.float64)
    n = y.size
    total = float(np.sum(y / pi))
    if n < 2:
        return total / population, float("nan")
    z = n * y / pi
    var_total = float(np.sum((z - total) ** 2) / (n * (n - 1)))
    return total / population, float(np.sqrt(var_total)) / population


def korn_graubard_upper(rate: float, se: float, n: int, confidence: float) -> float:
    """One-sided Clopper–Pearson upper bound on the effective sample size n_eff = p(1 − p)/se² (≤ n)."""
    if n == 0:
        return 1.0
    n_eff = n if rate <= 0 or rate >= 1 or not se > 0 else min(n, rate * (1 - rate) / se**2)
    x = rate * n_eff
    if x >= n_eff:
        return 1.0
    return float(beta.ppf(confidence, x + 1, n_eff - x))


@dataclass(frozen=True)
class Projection:
    sample_id: str
    population: int            # projects in the probability stratum's frame
    drawn: int
    verified: int
    errors: int                # errors found in the probability stratum
    rate: float | None         # HT error rate of the frame (None until the probability stratum is complete)
    se: float | None
    upper: float | None
    confidence: float
    certainty_checked: int
    certainty_errors: int
    projected_errors: float | None   # certainty errors (counted) + HT total of the frame

    def summary(self) -> str:
        head = (f"确定层核查 {self.certainty_checked} 个，发现差错 {self.certainty_errors} 个（判断抽样，不外推）；"
                f"概率层已核查 {self.verified}/{self.drawn} 个，发现差错 {self.errors} 个")
        if self.rate is None:
            return head + "；概率层尚未全部核查，暂不外推"
        return (head + f"；推算其余 {self.population} 个项目的差错率为 {self.rate:.1%}，"
                f"{self.confidence:.0%} 置信上限 {self.upper:.1%}（Horvitz–Thompson 估计，Korn–Graubard 上限），"
                f"全省预计差错项目约 {self.projected_errors:.0f} 个")


def project_error_rate(items: pl.DataFrame, strata: pl.DataFrame, sample_id: str,
                       confidence: float | None = None) -> Projection:
    """Projection of one sample; `items` are the sample's items with an `outcome` column (null = not verified)."""
    confidence = confidence or learning_config()["confidence"]
    errs = error_outcomes()
    is_error = pl.col("outcome").is_in(errs).fill_null(False)
    cert = items.filter(pl.col("stratum") == "certainty")
    prob = items.filter(pl.col("stratum") == "probability")
    frame_n = int(strata.filter(pl.col("stratum") == "probability")["population"].sum())
    verified = prob.filter(pl.col("outcome").is_not_null())
    errors = int(verified.select(is_error.sum()).item())
    cert_errors = int(cert.select(is_error.sum()).item())
    base = dict(sample_id=sample_id, population=frame_n, drawn=prob.height, verified=verified.height,
                errors=errors, confidence=confidence,
                certainty_checked=int(cert["outcome"].is_not_null().sum()), certainty_errors=cert_errors)
    if prob.is_empty() or verified.height < prob.height:
        return Projection(rate=None, se=None, upper=None, projected_errors=None, **base)
    y = prob.select(is_error.cast(pl.Float64)).to_series().to_numpy()
    rate, se = ht_rate(y, prob["inclusion_prob"].to_numpy(), frame_n)
    upper = korn_graubard_upper(rate, se if np.isfinite(se) else 0.0, prob.height, confidence)
    return Projection(rate=rate, se=se, upper=upper, projected_errors=cert_errors + rate * frame_n, **base)


def sample_findings(source: store.Source, sample_id: str) -> pl.DataFrame:
    """The sample's items in selection order with what the firm found: outcome (null = not verified yet),
    verified_amount_wan, note, imported_at, imported_by, and is_error (by `error_outcomes`)."""
    with store.session(source) as con:
        items = queries.sample_items(con, sample_id)
        results = queries.verification_results(con, sample_id)
    return items.join(
        results.select("unit_code", "project_id", "outcome", "verified_amount_wan", "note", "imported_at",
                       "imported_by"),
        on=["unit_code", "project_id"], how="left", maintain_order="left",
    ).with_columns(is_error=pl.col("outcome").is_in(error_outcomes()).fill_null(False))


def evaluate_sample(source: store.Source, sample_id: str) -> Projection:
    with store.session(source) as con:
        return project_error_rate(sample_findings(con, sample_id), queries.sample_strata(con, sample_id), sample_id)


# --------------------------------------------------------------------------- which signals predicted errors

def precision_by_reason(labelled: pl.DataFrame) -> pl.DataFrame:
    """Per reason code (and per family): verified projects carrying it, errors among them, precision, and lift
    over the overall error share of verified projects. Descriptive (both strata), not projected."""
    if labelled.is_empty():
        return pl.DataFrame(schema={"level": pl.String, "code": pl.String, "name": pl.String, "verified": pl.UInt32,
                                    "errors": pl.UInt32, "precision": pl.Float64, "lift": pl.Float64})
    lab = labelled.with_columns(error=pl.col("outcome").is_in(error_outcomes()))
    base = float(lab["error"].mean())
    by_code = (
        lab.select("error", "reason_codes").explode("reason_codes").drop_nulls("reason_codes")
        .group_by(pl.col("reason_codes").alias("code"))
        .agg(pl.len().alias("verified"), pl.col("error").sum().alias("errors"))
        .with_columns(level=pl.lit("reason"), name=pl.col("code").replace_strict(RULE_ZH, default=pl.col("code")))
    )
    by_family = pl.concat([
        lab.filter(pl.col(f"score_{f}") > 0).select(
            pl.lit("family").alias("level"), pl.lit(f).alias("code"), pl.lit(FAMILY_ZH[f]).alias("name"),
            pl.len().alias("verified"), pl.col("error").sum().alias("errors"))
        for f in FAMILIES
    ])
    return (
        pl.concat([by_family, by_code.select(by_family.columns)])
        .with_columns(precision=pl.col("errors") / pl.col("verified"))
        .with_columns(lift=pl.col("precision") / base if base > 0 else pl.lit(None, dtype=pl.Float64))
        .sort(["level", "precision", "verified"], descending=[False, True, True])
    )


# --------------------------------------------------------------------------- learning the family weights

@dataclass(frozen=True)
class WeightUpdate:
    prior: dict[str, float]
    fitted: dict[str, float] | None
    blended: dict[str, float]
    labels: int
    holdout: int
    precision_before: float | None   # precision among the top-k held-out projects by the prior score
    precision_after: float | None    # … by the score with weights learned on the other labels
    note: str

    def table(self) -> pl.DataFrame:
        keys = ["intercept", *FAMILIES]
        return pl.DataFrame({
            "family": keys,
            "name": ["截距", *[FAMILY_ZH[f] for f in FAMILIES]],
            "prior": [self.prior[k] for k in keys],
            "fitted": [self.fitted[k] if self.fitted else None for k in keys],
            "blended": [self.blended[k] for k in keys],
        }, schema_overrides={"fitted": pl.Float64})


def _labels(labelled: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    x = labelled.select(scoring.SCORE_COLUMNS).to_numpy().astype(np.float64)
    y = labelled.select(pl.col("outcome").is_in(error_outcomes())).to_series().to_numpy().astype(int)
    return x, y


def _fit(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    from sklearn.linear_model import LogisticRegression  # heavy import, only needed when there are labels

    model = LogisticRegression(C=learning_config()["regularisation_c"], max_iter=1000)
    model.fit(x, y)
    return {"intercept": float(model.intercept_[0]), **dict(zip(FAMILIES, map(float, model.coef_[0])))}


def blend(prior: dict[str, float], fitted: dict[str, float], labels: int) -> dict[str, float]:
    """(prior_strength · prior + labels · fitted) / (prior_strength + labels), key by key."""
    k = learning_config()["prior_strength"]
    a = labels / (labels + k)
    return {key: (1 - a) * prior[key] + a * fitted[key] for key in prior}


def _scores(x: np.ndarray, w: dict[str, float]) -> np.ndarray:
    return w["intercept"] + x @ np.array([w[f] for f in FAMILIES])


def _precision_at_k(score: np.ndarray, y: np.ndarray) -> float:
    k = max(int(y.sum()), 1)
    top = np.argsort(-score, kind="stable")[:k]
    return float(y[top].mean())


def learn_weights(labelled: pl.DataFrame, prior: dict[str, float] | None = None, seed: int = 0) -> WeightUpdate:
    """Re-weight the families from verification labels (see module doc); the prior unchanged without enough
    labels of both kinds."""
    cfg = learning_config()
    prior = prior or scoring.prior_weights()
    x, y = _labels(labelled)
    n = y.size
    if n < cfg["min_labels"] or y.min(initial=1) == y.max(initial=0):
        return WeightUpdate(prior, None, prior, n, 0, None, None,
                            f"已有 {n} 条核查标签，需至少 {cfg['min_labels']} 条且同时包含有差错与无差错的项目，沿用先验权重")
    rng = np.random.default_rng(seed)
    hold = np.zeros(n, dtype=bool)
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        hold[rng.choice(idx, size=int(round(len(idx) * cfg["holdout_share"])), replace=False)] = True
    before = after = None
    if y[hold].min(initial=1) != y[hold].max(initial=0) and y[~hold].min(initial=1) != y[~hold].max(initial=0):
        trained = blend(prior, _fit(x[~hold], y[~hold]), int((~hold).sum()))
        before = _precision_at_k(_scores(x[hold], prior), y[hold])
        after = _precision_at_k(_scores(x[hold], trained), y[hold])
    fitted = _fit(x, y)
    return WeightUpdate(prior, fitted, blend(prior, fitted, n), n, int(hold.sum()), before, after,
                        f"根据 {n} 条核查标签重新估计权重，与先验权重按 {cfg['prior_strength']}:{n} 加权融合")


def learning_report(source: store.Source) -> WeightUpdate:
    """Prior, fitted and blended family weights from every verification label, with the held-out effect."""
    return learn_weights(queries.labelled_items(source))


def precision_report(source: store.Source) -> pl.DataFrame:
    """Which signals predicted errors, over every verified sampled project."""
    return precision_by_reason(queries.labelled_items(source))


def current_weights(source: store.Source) -> dict[str, float]:
    """The family weights the next sample uses: learned from every verification label there is, or the prior."""
    return learning_report(source).blended
