"""Sample sizes, inclusion probabilities, selection and the two-stratum design (pure functions)."""
import numpy as np
import polars as pl
import pytest

from analytics.verification import sampling
from analytics.verification.sampling import (
    Design,
    allocate,
    attribute_sample_size,
    draw,
    inclusion_probabilities,
    mixed_weights,
    mus_sample_size,
    systematic_pps,
)
from analytics.verification.scoring import SCORE_COLUMNS, sampling_config


@pytest.mark.parametrize("conf, tol, exp, n", [
    (0.95, 0.05, 0.00, 59),    # docs/METHODS.md
    (0.95, 0.10, 0.00, 29),    # docs/METHODS.md
    (0.95, 0.05, 0.01, 93),    # AICPA table
    (0.90, 0.05, 0.00, 45),    # AICPA table
    (0.90, 0.10, 0.00, 22),    # AICPA table
    (0.95, 0.06, 0.01, 78),    # AICPA table
    (0.95, 0.05, 0.02, 181),   # AICPA table
    # The printed AICPA table has 48 for 95 %/10 %/2 %; the beta formula (jfa) gives 46: x = ⌈0.02·46⌉ = 1 and
    # beta.ppf(0.95, 2, 45) = 0.0998 < 0.10. We implement the formula.
    (0.95, 0.10, 0.02, 46),
])
def test_attribute_sample_sizes(conf, tol, exp, n):
    assert attribute_sample_size(conf, tol, exp) == n


def test_mus_sample_sizes():
    assert mus_sample_size(0.95, 0.05, 0.0) == 60
    assert mus_sample_size(0.95, 0.10, 0.0) == 30
    assert mus_sample_size(0.95, 0.05, 0.01) == 93


def test_sample_size_arguments_are_checked():
    with pytest.raises(ValueError, match="预期偏差率"):
        attribute_sample_size(0.95, 0.05, 0.05)
    with pytest.raises(ValueError, match="置信水平"):
        mus_sample_size(1.5, 0.05, 0.0)


def test_inclusion_probabilities_sum_to_n_and_are_capped():
    rng = np.random.default_rng(0)
    w = rng.pareto(1.2, 500) + 0.01
    for n in (1, 25, 100, 400):
        pi = inclusion_probabilities(w, n)
        assert pi.sum() == pytest.approx(n)
        assert pi.max() <= 1 + 1e-12 and pi.min() > 0
        free = pi < 1
        ratio = pi[free] / w[free]          # proportional among the uncapped
        assert np.allclose(ratio, ratio[0])
        assert np.all(w[~free] >= w[free].max() - 1e-12)   # the capped are the heaviest
    assert (inclusion_probabilities(w, 400) == 1).sum() > 0


def test_mixed_weights_keep_every_project_drawable():
    risk = np.array([0.0, 0.0, 0.9, 0.1])
    w = mixed_weights(risk, 0.8)
    assert w.sum() == pytest.approx(1.0)
    assert w.min() == pytest.approx(0.2 / 4)
    assert np.allclose(mixed_weights(risk, 0.0), 0.25)


def test_systematic_pps_selects_n_with_probability_pi():
    rng = np.random.default_rng(42)
    pi = inclusion_probabilities(np.array([5, 1, 1, 2, 3, 0.5, 0.5, 8, 1, 1.0]), 4)
    draws = 20_000
    hits = np.zeros(pi.size)
    for _ in range(draws):
        chosen = systematic_pps(pi, rng)
        assert chosen.size == 4 and np.unique(chosen).size == 4
        hits[chosen] += 1
    se = np.sqrt(pi * (1 - pi) / draws)
    assert np.all(np.abs(hits / draws - pi) <= 4 * se + 1e-9)


def test_allocate_respects_bounds_and_total():
    out = allocate(10, np.array([8.0, 1.0, 1.0, 0.1]), lower=np.array([0, 2, 2, 1]), upper=np.array([5, 9, 9, 9]))
    assert out.sum() == 10
    assert out[0] == 5 and out[1] >= 2 and out[2] >= 2 and out[3] >= 1


def population(n_units=5, per_unit=200, seed=0) -> pl.DataFrame:
    """A scored population as risk.score_projects returns it (only the columns the sampler reads)."""
    rng = np.random.default_rng(seed)
    n = n_units * per_unit
    scores = {c: rng.uniform(0, 1, n) * (rng.uniform(size=n) < 0.2) for c in SCORE_COLUMNS}
    risk = 1 / (1 + np.exp(-(-4 + 3 * sum(scores.values()))))
    return pl.DataFrame({
        "unit_code": np.repeat([f"62{i:02d}00" for i in range(n_units)], per_unit),
        "project_id": [f"P{i:05d}" for i in range(n)],
        "project_name": [f"项目{i}" for i in range(n)],
        "investor_name": "某投资有限公司", "chain": "新材料", "status": "在建",
        "signed_amount_wan": pl.Series(rng.integers(1000, 100000, n)).cast(pl.Decimal(18, 4)),
        "funds_quarter_wan": pl.Series(rng.integers(0, 1000, n)).cast(pl.Decimal(18, 4)),
        "funds_cum_wan": pl.Series(rng.integers(0, 5000, n)).cast(pl.Decimal(18, 4)),
        "risk_score": risk, **scores,
        "reasons": [["风险提示"] if r > 0.1 else [] for r in risk],
        "reason_codes": [["x"] if r > 0.1 else [] for r in risk],
    })


def test_two_strata_design():
    pop = population()
    s = draw(pop, "2025Q3", Design.from_config(50, seed=1, lam=0.8, min_per_unit=3, certainty_rule_cap=1.0))
    items = s.items
    assert items.height == 50 and items.select("unit_code", "project_id").n_unique() == 50
    cert = items.filter(pl.col("stratum") == "certainty")
    prob = items.filter(pl.col("stratum") == "probability")
    assert prob.height >= 0.3 * 50
    # the certainty stratum is exactly the highest-risk projects
    assert set(cert["project_id"]) == set(pop.sort("risk_score", descending=True).head(cert.height)["project_id"])
    assert (cert["inclusion_prob"] == 1).all()
    assert prob["inclusion_prob"].is_between(0, 1, closed="right").all()
    assert items.group_by("unit_code").len()["len"].min() >= 3
    # the probability stratum's πᵢ over the whole frame sum to its size, per unit
    strata = s.strata.filter(pl.col("stratum") == "probability")
    assert strata["drawn"].sum() == prob.height
    assert strata["population"].sum() == pop.height - cert.height
    assert all(r.startswith(("确定层", "概率层")) for r in items["selection_reason"])


def test_no_single_rule_fills_the_certainty_stratum():
    pop = population()
    capped = draw(pop, "2025Q3", Design.from_config(50, seed=1, lam=0.8, certainty_rule_cap=0.25)).items
    cert = capped.filter(pl.col("stratum") == "certainty")
    leading = cert.filter(pl.col("reason_codes").list.len() > 0)["reason_codes"].list.first()
    assert leading.value_counts()["count"].max() <= -(-0.25 * cert.height // 1)
    uncapped = draw(pop, "2025Q3", Design.from_config(50, seed=1, lam=0.8, certainty_rule_cap=1.0)).items
    uncapped_cert = uncapped.filter(pl.col("stratum") == "certainty")
    assert uncapped_cert.height == cert.height  # the stratum keeps its size: others take the places
    assert uncapped_cert["reason_codes"].list.first().value_counts()["count"].max() > -(-0.25 * cert.height // 1)


def test_same_seed_same_sample_other_seed_other_draw():
    pop = population()
    a = draw(pop, "2025Q3", Design.from_config(60, seed=7))
    b = draw(pop.sample(fraction=1.0, shuffle=True, seed=3), "2025Q3", Design.from_config(60, seed=7))
    c = draw(pop, "2025Q3", Design.from_config(60, seed=8))
    key = ["unit_code", "project_id", "stratum", "inclusion_prob"]
    assert a.items.select(key).equals(b.items.select(key))
    assert a.data_hash == b.data_hash
    assert not a.items.select(key).equals(c.items.select(key))
    changed = pop.with_columns(pl.when(pl.col("project_id") == "P00001").then(0.99)
                               .otherwise(pl.col("risk_score")).alias("risk_score"))
    assert sampling.data_hash(changed) != a.data_hash


def test_risk_weighting_raises_the_share_of_risky_projects():
    pop = population(per_unit=400)
    risky = set(pop.filter(pl.col("risk_score") > 0.5)["project_id"])
    share = {}
    for lam in (0.0, 0.9):
        got = [draw(pop, "2025Q3", Design.from_config(100, seed=s, lam=lam, certainty_share=0.0)).items
               for s in range(20)]
        share[lam] = np.mean([g["project_id"].is_in(list(risky)).mean() for g in got])
    assert share[0.9] > 2 * share[0.0]


def test_design_errors_are_explained():
    pop = population(n_units=5, per_unit=10)
    with pytest.raises(ValueError, match="超过本季度项目总数"):
        draw(pop, "2025Q3", Design.from_config(51, seed=1))
    with pytest.raises(ValueError, match="λ"):
        draw(pop, "2025Q3", Design.from_config(10, seed=1, lam=1.0))
    with pytest.raises(ValueError, match="每单位至少 3 个"):
        draw(pop, "2025Q3", Design.from_config(10, seed=1, min_per_unit=3))
    with pytest.raises(ValueError, match="确定层占比"):
        draw(pop, "2025Q3", Design.from_config(10, seed=1, certainty_share=0.9))


@pytest.mark.parametrize("probability, certainty", [(7, 15), (10, 13), (14, 30), (44, 3)])
def test_design_from_sizes_gives_exactly_the_strata_asked_for(probability, certainty):
    # k/n·n falls just below k in floating point for these sizes: the certainty stratum must not lose one
    s = draw(population(), "2025Q3", Design.from_sizes(probability, certainty, seed=3))
    assert (s.certainty_size, s.probability_size) == (certainty, probability)


def test_default_certainty_keeps_the_configured_share():
    share = sampling_config()["design"]["certainty_share"]
    for n in (29, 59, 60, 100):
        c = Design.default_certainty(n)
        assert abs(c / (c + n) - share) <= 1 / (c + n)


def test_strata_summary_adds_up():
    pop = population()
    s = draw(pop, "2025Q3", Design.from_config(50, seed=1, min_per_unit=3))
    summary = sampling.strata_summary(s)
    assert summary.height == 5 and summary["projects"].sum() == pop.height
    assert summary["certainty"].sum() == s.certainty_size and summary["probability"].sum() == s.probability_size
    assert (summary["projects"] == summary["certainty"] + summary["probability_frame"]).all()
    assert abs(summary["share"].sum() - 1) < 1e-9
    assert (summary["pi_min"] <= summary["pi_max"]).all() and summary["pi_max"].max() <= 1
    names = dict(summary.select("unit_code", "unit_name").iter_rows())
    assert names["620100"] == "兰州市" and names["620000"] == "620000"   # a code outside units.toml is kept
