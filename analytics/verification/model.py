"""Unsupervised risk model: ECOD (Li et al. 2022, empirical-CDF outlier detection) with numpy.

Per feature, the tail probability of each project's value under the feature's empirical CDF; the tail is
chosen by the feature's skewness (left when skewed left, else right). The project's score is Σ −log(tail),
so it decomposes exactly into per-feature contributions: the reasons name the features that contribute most.
(ECOD's final score takes the maximum of the left, right and skewness-chosen sums; we keep the
skewness-chosen sum because it is the additive one.)
"""
from __future__ import annotations

import numpy as np
import polars as pl
from scipy.stats import rankdata

from analytics.verification.signals import KEY, RuleContext, is_round, month_index, signals

FEATURES = {
    "log_signed": "签约金额",
    "cum_ratio": "累计到位资金占签约金额比例",
    "quarter_ratio": "本季度到位资金占签约金额比例",
    "max_month_ratio": "最大单月到位资金占签约金额比例",
    "funds_months": "有资金到位的月份数",
    "qend_share": "季末月到位资金占比",
    "round_share": "整百万元到位金额占比",
    "age_months": "签约至今月数",
    "planned_ratio": "计划总投资与签约金额之比",
    "negative_months": "到位资金为负的月份数",
}
_PERCENT = {"cum_ratio", "quarter_ratio", "max_month_ratio", "qend_share", "round_share"}


def project_features(ctx: RuleContext) -> pl.DataFrame:
    """One row per population project (sorted by unit, project) with the model's features."""
    unit = float(ctx.settings["round_unit_wan"])
    per = (
        ctx.pop_history
        .group_by("pk")
        .agg(
            pl.col("funds_f").clip(lower_bound=0).max().alias("max_month"),
            (pl.col("funds_f") > 0).sum().alias("funds_months"),
            (pl.col("funds_f") < 0).sum().alias("negative_months"),
            pl.col("funds_f").filter(pl.col("month").dt.month() % 3 == 0).clip(lower_bound=0).sum().alias("qend"),
            pl.col("funds_f").clip(lower_bound=0).sum().alias("positive"),
            is_round(unit).sum().alias("round"),
        )
    )
    p = ctx.population.join(per, on="pk", how="left")
    signed = pl.col("signed_f")
    now = ctx.last_month.year * 12 + ctx.last_month.month
    return p.select(
        *KEY,
        log_signed=signed.log1p(),
        cum_ratio=pl.col("funds_cum_wan").cast(pl.Float64) / signed,
        quarter_ratio=pl.col("funds_quarter_wan").cast(pl.Float64) / signed,
        max_month_ratio=pl.col("max_month").fill_null(0) / signed,
        funds_months=pl.col("funds_months").fill_null(0).cast(pl.Float64),
        qend_share=pl.when(pl.col("positive") > 0).then(pl.col("qend") / pl.col("positive")).otherwise(0.0),
        round_share=pl.when(pl.col("funds_months") > 0)
        .then(pl.col("round") / pl.col("funds_months")).otherwise(0.0),
        age_months=(now - month_index("signing_date")).cast(pl.Float64),
        planned_ratio=pl.col("planned_investment_wan").cast(pl.Float64) / signed,
        negative_months=pl.col("negative_months").fill_null(0).cast(pl.Float64),
    ).sort(KEY)


def _skewness(col: np.ndarray) -> float:
    """Sample skewness; 0 for (nearly) constant columns."""
    centred = col - col.mean()
    m2 = float(np.mean(centred**2))
    if m2 <= 1e-12 * (float(col.mean()) ** 2 + 1):
        return 0.0
    return float(np.mean(centred**3)) / m2**1.5


def ecod(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature ECOD contributions −log(tail probability), shape (n, d) — a row's sum is its score —
    and, per feature, whether the left (low-value) tail was used."""
    n, d = x.shape
    out = np.zeros((n, d))
    left_tail = np.zeros(d, dtype=bool)
    for j in range(d):
        col = x[:, j]
        ordered = np.sort(col)
        left = np.searchsorted(ordered, col, side="right") / n
        right = (n - np.searchsorted(ordered, col, side="left")) / n
        left_tail[j] = _skewness(col) < 0
        out[:, j] = -np.log(left if left_tail[j] else right)
    return out, left_tail


def _value_text(feature: str, value: float) -> str:
    if feature == "log_signed":
        return f"{np.expm1(value):,.0f} 万元"
    if feature in _PERCENT:
        return f"{value:.1%}" if abs(value) < 0.1 else f"{value:.0%}"
    if feature == "planned_ratio":
        return f"{value:.2f} 倍"
    return f"{value:.0f}"


def score(ctx: RuleContext) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(features frame with contributions, ECOD score and percentile; model-family signals)."""
    feats = project_features(ctx)
    names = list(FEATURES)
    if feats.is_empty():
        return feats, signals([])
    x = np.nan_to_num(feats.select(names).to_numpy().astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    contrib, left_tail = ecod(x)
    total = contrib.sum(axis=1)
    pct = rankdata(total, method="average") / len(total)
    feats = feats.with_columns(
        *[pl.Series(f"contrib_{f}", contrib[:, j]) for j, f in enumerate(names)],
        pl.Series("ecod_score", total),
        pl.Series("ecod_percentile", pct),
    )
    q = ctx.settings["model_quantile"]
    rows = []
    for i in np.flatnonzero(pct > q):
        top = np.argsort(-contrib[i])[:3]
        factors = "、".join(
            f"{FEATURES[names[j]]}{'偏低' if left_tail[j] else '偏高'}（{_value_text(names[j], x[i, j])}）"
            for j in top if contrib[i, j] > 0
        )
        rows.append({
            "unit_code": feats["unit_code"][int(i)], "project_id": feats["project_id"][int(i)],
            "family": "model", "code": "ecod_outlier", "severity": float((pct[i] - q) / (1 - q)),
            "reason": f"多维特征综合异常（综合异常程度居全省前 {1 - pct[i] + 1 / len(total):.1%}），主要因素：{factors}",
        })
    return feats, signals(rows)
