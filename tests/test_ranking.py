"""The ranking engine on hand-made indicator values: normalisers, weights, ties, direction, missing data,
robustness and explanation, each against a worked example."""
from __future__ import annotations

import datetime as dt
import math
import statistics

import numpy as np
import polars as pl
import pytest

from analytics.ranking.aggregation import adjustment_points, competition_rank
from analytics.ranking.attribution import attribute_change
from analytics.ranking.composite import rank_values
from analytics.ranking.indicator_config import parse_indicator_config
from analytics.ranking.indicators import ADJUSTMENTS_SCHEMA, UNITS_SCHEMA, VALUES_SCHEMA, IndicatorValues
from analytics.ranking.normalise import normalise
from analytics.ranking.robustness import monte_carlo_ranks
from analytics.ranking.weights import cap_weights, critic_weights, entropy_weights
from core import catalog

UNITS = ["620100", "620200", "620300", "620400"]


def engine_config(*, policy="flag", normaliser="efficacy", draws=400, seed=7, spread=0.25, mc_normalisers=None,
                  weights=(0.5, 0.3, 0.2), reference="previous_quarter", extra_indicator="", late_cap=2.0,
                  units=UNITS, goalposts=("", "", ""), max_weight=0.6):
    mc = mc_normalisers or ["efficacy", "minmax", "zscore", "rank"]
    text = f"""
version = "test-engine-1"
[scoring]
default_normaliser = "{normaliser}"
missing_policy = "{policy}"
[[group]]
id = "g"
name = "测试组"
units = {list(units)!r}
[robustness]
draws = {draws}
seed = {seed}
weight_spread = {spread}
normalisers = {mc!r}
[alternative_weights]
max_weight = {max_weight}
[attribution]
reference = "{reference}"
[[indicator]]
id = "a"
name = "甲指标"
formula = "funds_growth_yoy"
direction = "higher"
unit = "%"
weight = {weights[0]}
{goalposts[0]}
[[indicator]]
id = "b"
name = "乙指标"
formula = "major_projects_signed"
direction = "higher"
unit = "个"
weight = {weights[1]}
{goalposts[1]}
[[indicator]]
id = "c"
name = "丙指标"
formula = "stalled_share"
direction = "lower"
unit = "%"
weight = {weights[2]}
{goalposts[2]}
{extra_indicator}
[[adjustment]]
id = "late"
name = "迟报扣分"
formula = "late_submissions"
points_per = -1.0
max_points = {late_cap}
""".replace("'", '"')
    return parse_indicator_config(text, "engine-test.toml")


def make_values(rows: dict[str, list], *, incomplete=(), late=None, quarter="2025Q3", ids=("a", "b", "c")):
    units = pl.DataFrame(
        [(u, catalog.unit_name(u), u not in incomplete, 9, 8 if u in incomplete else 9,
          "2025年9月" if u in incomplete else "") for u in rows],
        schema=UNITS_SCHEMA, orient="row")
    values = pl.DataFrame([(u, i, None if v is None else float(v), f"{i}={v}")
                           for u, vs in rows.items() for i, v in zip(ids, vs)], schema=VALUES_SCHEMA, orient="row")
    adjustments = pl.DataFrame([(u, "late", (late or {}).get(u, 0), "") for u in rows],
                               schema=ADJUSTMENTS_SCHEMA, orient="row")
    return IndicatorValues(quarter, "g", "测试组", dt.date(2025, 1, 1), dt.date(2025, 9, 1), units, values,
                           adjustments, None, dt.datetime(2025, 10, 5, 10))


def spec(config, i):
    return config.indicators[i]


# --------------------------------------------------------------------------- normalisers

def test_efficacy_coefficient_by_hand_and_direction():
    cfg = engine_config()
    x = np.array([10.0, 20.0, 40.0])
    # 60 + 40 × (x − 10) / (40 − 10)
    assert normalise(x, spec(cfg, 0)) == pytest.approx([60.0, 60 + 40 * 10 / 30, 100.0])
    # lower is better (丙): 60 + 40 × (40 − x) / 30
    assert normalise(x, spec(cfg, 2)) == pytest.approx([100.0, 60 + 40 * 20 / 30, 60.0])
    # a missing value stays missing; it is not the minimum
    assert np.isnan(normalise(np.array([10.0, np.nan, 40.0]), spec(cfg, 0))[1])
    # an indicator on which everybody is equal does not tell them apart: all get the middle, 80
    assert normalise(np.array([3.0, 3.0, 3.0]), spec(cfg, 0)) == pytest.approx([80.0] * 3)


def test_other_normalisers_worked_examples():
    cfg = engine_config()
    s = spec(cfg, 0)
    x = np.array([10.0, 20.0, 40.0])
    assert normalise(x, s, "minmax") == pytest.approx([0.0, 100 / 3, 100.0])
    mu, sd = statistics.fmean(x), statistics.pstdev(x)
    assert normalise(x, s, "zscore") == pytest.approx([50 + 10 * (v - mu) / sd for v in x])
    # rank with a tie: average ranks 1, 2.5, 2.5, 4 → 0, 50, 50, 100
    assert normalise(np.array([10.0, 20.0, 20.0, 40.0]), s, "rank") == pytest.approx([0.0, 50.0, 50.0, 100.0])


def test_completion_goalposts_and_caps():
    cfg = engine_config(extra_indicator="""
[[indicator]]
id = "d"
name = "丁指标"
formula = "funds_arrival_rate"
direction = "higher"
unit = "%"
weight = 0.0001
normaliser = "completion"
target = 20
max_ratio = 1.5
cap = 35
""", weights=(0.5, 0.3, 0.1999), goalposts=('goalposts = [0, 50]', "", 'goalposts = [0, 50]'))
    d = cfg.indicators[3]
    # 100 × min(x / 20, 1.5) / 1.5; the raw cap 35 turns 40 into 35 → ratio 1.75 → held at 1.5
    assert normalise(np.array([10.0, 20.0, 40.0]), d) == pytest.approx([100 * 0.5 / 1.5, 100 / 1.5, 100.0])
    assert normalise(np.array([10.0, 20.0, 40.0, 80.0]), spec(cfg, 0), "goalposts") == pytest.approx(
        [20.0, 40.0, 80.0, 100.0])
    assert normalise(np.array([10.0, 20.0, 40.0]), spec(cfg, 2), "goalposts") == pytest.approx([80.0, 60.0, 20.0])


# --------------------------------------------------------------------------- aggregation, ranks, missing data

def test_competition_ranking_on_unrounded_scores():
    assert competition_rank(np.array([90.0, 80.0, 80.0, 70.0])).tolist() == [1, 2, 2, 4]
    # 80.000000001 beats 80: no rounding before ranking
    assert competition_rank(np.array([80.000000001, 80.0])).tolist() == [1, 2]


def test_tied_units_share_a_rank_and_the_next_rank_is_skipped():
    r = rank_values(make_values({"620100": [30, 2, 10], "620200": [20, 1, 20], "620300": [20, 1, 20],
                                 "620400": [10, 0, 30]}), engine_config())
    ranks = dict(zip(r.table["unit_code"], r.table["rank"]))
    assert ranks == {"620100": 1, "620200": 2, "620300": 2, "620400": 4}


def test_scores_by_hand_and_contributions_sum_to_the_score():
    cfg = engine_config()
    r = rank_values(make_values({"620100": [30, 2, 10], "620200": [20, 0, 20], "620300": [10, 1, 30]},
                                late={"620300": 1}), cfg)
    scores = dict(zip(r.table["unit_code"], r.table["score"]))
    # 兰州: best on all three → 100; 嘉峪关: 甲 80, 乙 60, 丙 80 → 0.5·80 + 0.3·60 + 0.2·80 = 74
    # 金昌: 甲 60, 乙 80, 丙 60 → 30 + 24 + 12 = 66, minus one late report = 65
    assert scores == pytest.approx({"620100": 100.0, "620200": 74.0, "620300": 65.0}, abs=1e-12)
    totals = r.contributions.group_by("unit_code").agg(pl.col("contribution").sum())
    for code, total in totals.iter_rows():
        assert total == pytest.approx(scores[code], abs=1e-9)
    c = r.contributions.filter((pl.col("unit_code") == "620200") & (pl.col("item_id") == "b")).row(0, named=True)
    assert (c["weight"], c["normalised"], c["contribution"]) == pytest.approx((0.3, 60.0, 18.0))


def test_incomplete_unit_is_ranked_and_marked_under_flag_policy():
    rows = {"620100": [30, 2, 10], "620200": [20, 0, 20], "620300": [10, 1, 30], "620400": [25, 3, 5]}
    r = rank_values(make_values(rows, incomplete=("620400",)), engine_config(policy="flag"))
    row = r.table.filter(pl.col("unit_code") == "620400").row(0, named=True)
    assert row["rank"] == 1 and row["complete"] is False and "数据不完整（缺2025年9月报表）" in row["flags"]
    assert not r.all_complete and r.incomplete_units()["unit_code"].to_list() == ["620400"]


def test_incomplete_unit_is_not_ranked_and_not_a_reference_under_exclude_policy():
    rows = {"620100": [30, 2, 10], "620200": [20, 0, 20], "620300": [10, 1, 30]}
    alone = rank_values(make_values(rows), engine_config(policy="exclude"))
    with_partial = rank_values(make_values({**rows, "620400": [99, 9, 0]}, incomplete=("620400",)),
                               engine_config(policy="exclude"))
    row = with_partial.table.filter(pl.col("unit_code") == "620400").row(0, named=True)
    assert row["rank"] is None and row["score"] is not None and "不参与排名" in row["flags"]
    # the incomplete unit's extreme values did not move anybody else's score
    others = with_partial.table.filter(pl.col("unit_code") != "620400").sort("unit_code")
    assert others["score"].to_list() == pytest.approx(alone.table.sort("unit_code")["score"].to_list())


def test_missing_indicator_shares_its_weight_and_is_flagged():
    r = rank_values(make_values({"620100": [30, 2, 10], "620200": [20, None, 20], "620300": [10, 1, 30]}),
                    engine_config())
    row = r.table.filter(pl.col("unit_code") == "620200").row(0, named=True)
    # 甲 80 and 丙 80 with weights 0.5 and 0.2 renormalised over 0.7 → 80, not a zero for 乙
    assert row["score"] == pytest.approx(80.0)
    assert "指标无法计算：乙指标" in row["flags"]


def test_unit_without_any_data_is_shown_unranked():
    r = rank_values(make_values({"620100": [30, 2, 10], "620200": [None, None, None], "620300": [10, 1, 30]},
                                incomplete=("620200",)), engine_config())
    row = r.table.filter(pl.col("unit_code") == "620200").row(0, named=True)
    assert row["rank"] is None and row["score"] is None and row["rank_q05"] is None
    assert "无任何指标数据" in row["flags"]
    assert r.table["unit_code"].to_list()[-1] == "620200"  # listed after the ranked units, not ranked last


def test_adjustments_are_capped():
    cfg = engine_config(late_cap=2.0)
    counts, points = adjustment_points(make_values({"620100": [1, 1, 1], "620200": [2, 2, 2]},
                                                   late={"620100": 3, "620200": 1}), cfg)
    assert counts[:, 0].tolist() == [3, 1] and points[:, 0].tolist() == [-2.0, -1.0]


def test_score_beyond_0_100_is_cut_and_the_cut_is_shown():
    cfg = engine_config(normaliser="minmax", late_cap=5.0)
    r = rank_values(make_values({"620100": [30, 2, 10], "620200": [10, 0, 30]}, late={"620200": 4}), cfg)
    row = r.table.filter(pl.col("unit_code") == "620200").row(0, named=True)
    assert row["score"] == 0.0 and "已截至边界" in row["flags"]
    total = r.contributions.filter(pl.col("unit_code") == "620200")["contribution"].sum()
    assert total == pytest.approx(0.0, abs=1e-12)


# --------------------------------------------------------------------------- weights

def _independent_entropy(Y):
    n, m = Y.shape
    w = []
    for j in range(m):
        col = Y[:, j]
        p = col / col.sum()
        e = -sum(pi * math.log(pi) for pi in p if pi > 0) / math.log(n)
        w.append(1 - e)
    return np.array(w) / sum(w)


def _independent_critic(Y):
    m = Y.shape[1]
    c = []
    for j in range(m):
        sd = statistics.stdev(Y[:, j])
        conflict = sum(1 - statistics.correlation(Y[:, j], Y[:, k]) for k in range(m))
        c.append(sd * conflict)
    return np.array(c) / sum(c)


def test_entropy_and_critic_against_an_independent_computation():
    Y = np.array([[1.0, 0.2, 0.5], [0.5, 1.0, 0.0], [0.0, 0.6, 1.0], [0.8, 0.0, 0.7], [0.3, 0.9, 0.2]])
    assert entropy_weights(Y) == pytest.approx(_independent_entropy(Y), abs=1e-12)
    assert critic_weights(Y) == pytest.approx(_independent_critic(Y), abs=1e-12)
    # a constant indicator gets no weight from either method
    Z = Y.copy()
    Z[:, 2] = 1.0
    assert entropy_weights(Z)[2] == 0.0 and critic_weights(Z)[2] == 0.0


def test_weight_cap_shares_the_excess_in_proportion():
    assert cap_weights(np.array([0.6, 0.3, 0.1]), 0.5) == pytest.approx([0.5, 0.375, 0.125])


def test_sparse_count_indicator_is_marked_and_capped():
    rows = {"620100": [30, 0, 10], "620200": [20, 0, 20], "620300": [10, 1, 30], "620400": [25, 3, 5],
            "620500": [15, 0, 12], "620600": [12, 2, 25]}
    cfg = engine_config(units=list(rows), max_weight=0.4)
    r = rank_values(make_values(rows), cfg)
    w = r.weights.filter(pl.col("indicator_id") == "b").row(0, named=True)
    # the 0, 0, 1, 3, 0, 2 count soaks up entropy weight (expert weight 0.3); the cap holds it at 0.4
    assert w["sparse"] is True
    assert w["entropy_uncapped"] > 0.5 and w["entropy"] == pytest.approx(0.4)
    assert r.weights["entropy"].sum() == pytest.approx(1.0)
    assert any("乙指标" in n and "取值稀疏" in n for n in r.notes)
    # entropy over the min-max (direction-applied) matrix, computed independently
    X = np.array(list(rows.values()), dtype=float)
    X[:, 2] = -X[:, 2]
    Y = (X - X.min(0)) / (X.max(0) - X.min(0))
    assert r.weights["entropy_uncapped"].to_list() == pytest.approx(_independent_entropy(Y).tolist(), abs=1e-12)


def test_alternative_weights_are_applied_only_when_asked_and_say_so():
    rows = {"620100": [30, 2, 10], "620200": [20, 0, 20], "620300": [10, 1, 30], "620400": [25, 3, 5]}
    cfg = engine_config()
    expert = rank_values(make_values(rows), cfg)
    assert expert.weight_scheme == "expert" and expert.applied_weights == pytest.approx({"a": 0.5, "b": 0.3, "c": 0.2})
    critic = rank_values(make_values(rows), cfg, "critic")
    assert critic.weight_scheme == "critic"
    assert list(critic.applied_weights.values()) == pytest.approx(critic.weights["critic"].to_list())
    assert any("指标冲突性赋权法" in n for n in critic.notes)


# --------------------------------------------------------------------------- robustness

ROWS = {"620100": [30, 2, 10], "620200": [20, 0, 20], "620300": [10, 1, 30], "620400": [25, 3, 5],
        "620500": [22, 1, 15]}


def test_monte_carlo_is_reproducible_with_a_seed_and_brackets_the_median():
    cfg = engine_config(units=list(ROWS))
    a, b = rank_values(make_values(ROWS), cfg), rank_values(make_values(ROWS), cfg)
    cols = ["rank_q05", "rank_median", "rank_q95"]
    assert a.table.select(cols).equals(b.table.select(cols))
    t = a.table
    assert (t["rank_q05"] <= t["rank_median"]).all() and (t["rank_median"] <= t["rank_q95"]).all()
    assert (t["rank_q05"] < t["rank_q95"]).any()  # the perturbation does move some ranks


def test_without_perturbation_the_interval_collapses_to_the_nominal_rank():
    cfg = engine_config(units=list(ROWS), spread=0.0, mc_normalisers=["efficacy"])
    t = rank_values(make_values(ROWS), cfg).table
    assert t["rank_q05"].to_list() == t["rank"].to_list() == t["rank_q95"].to_list()


def test_dominated_pairs_are_never_reversed_in_any_draw():
    cfg = engine_config(units=list(ROWS), draws=2000)
    values = make_values(ROWS)
    r = rank_values(values, cfg)
    pairs = set(zip(r.dominance["better_code"], r.dominance["worse_code"]))
    # 兰州 (30, 2, 10) is at least as good as 嘉峪关 (20, 0, 20) and 金昌 (10, 1, 30) everywhere
    assert {("620100", "620200"), ("620100", "620300")} <= pairs
    assert ("620100", "620400") not in pairs and ("620400", "620100") not in pairs
    X = values.matrix(["a", "b", "c"]).select("a", "b", "c").to_numpy().astype(float)
    mc = monte_carlo_ranks(X, cfg.indicators, np.array([0.5, 0.3, 0.2]), np.zeros(5), np.ones(5, bool),
                           np.ones(5, bool), cfg.robustness)
    codes = values.units["unit_code"].to_list()
    for better, worse in pairs:
        assert (mc[:, codes.index(better)] <= mc[:, codes.index(worse)]).all()


# --------------------------------------------------------------------------- explaining change

def test_attribution_sums_exactly_to_the_score_change():
    cfg = engine_config(units=list(ROWS))
    prev = make_values(ROWS, quarter="2025Q2")
    cur_rows = {**ROWS, "620200": [28, 1, 12], "620300": [12, 1, 35]}
    cur = make_values(cur_rows, late={"620300": 1})
    att = attribute_change(cur, prev, cfg)
    sums = att.items.group_by("unit_code").agg(pl.col("contribution").sum())
    change = dict(zip(att.summary["unit_code"], att.summary["change"]))
    assert len(change) == 5
    for code, total in sums.iter_rows():
        assert total == pytest.approx(change[code], abs=1e-9)
    # 620400 reported the same values: its own indicators explain nothing; other units moving the per-quarter
    # min/max is the whole of its change, shown as the reference effect
    own = att.items.filter((pl.col("unit_code") == "620400") & (pl.col("kind") != "reference"))
    assert own["contribution"].to_list() == pytest.approx([0.0] * own.height, abs=1e-12)
    ref = att.summary.filter(pl.col("unit_code") == "620400").row(0, named=True)
    assert ref["reference_effect"] == pytest.approx(ref["change"], abs=1e-12)
    # the late report shows up as exactly −1 point
    late = att.items.filter((pl.col("unit_code") == "620300") & (pl.col("item_id") == "late"))
    assert late["contribution"].to_list() == [-1.0]
    assert "上季度（2025Q2）" in att.notes[0]


def test_attribution_with_configured_goalposts():
    cfg = engine_config(units=list(ROWS), reference="goalposts",
                        goalposts=("goalposts = [0, 50]", "goalposts = [0, 5]", "goalposts = [0, 40]"))
    prev = make_values(ROWS, quarter="2025Q2")
    cur = make_values({**ROWS, "620200": [30, 0, 20]})
    att = attribute_change(cur, prev, cfg)
    a = att.items.filter((pl.col("unit_code") == "620200") & (pl.col("item_id") == "a")).row(0, named=True)
    # efficacy against fixed bounds 0–50: 0.5 × 40 × (30 − 20) / 50 = 4 points
    assert a["contribution"] == pytest.approx(4.0)
    total = att.items.filter(pl.col("unit_code") == "620200")["contribution"].sum()
    assert total == pytest.approx(att.summary.filter(pl.col("unit_code") == "620200")["change"][0], abs=1e-9)
