import math

import numpy as np
import polars as pl
import pytest

from analytics.verification import scoring
from analytics.verification.model import ecod
from analytics.verification.rules import FAMILIES, bigrams, dice, fmt_wan, noisy_or


def test_ecod_tail_scores_by_hand():
    # column 0 is skewed right (one large value), column 1 skewed left (one small value), column 2 constant
    x = np.array([[1.0, 10.0, 5.0], [2.0, 9.0, 5.0], [3.0, 10.0, 5.0], [100.0, -50.0, 5.0]])
    contrib, left_tail = ecod(x)
    assert left_tail.tolist() == [False, True, False]
    # right tail of column 0: P(X ≥ 100) = 1/4, P(X ≥ 1) = 1
    assert contrib[3, 0] == pytest.approx(math.log(4))
    assert contrib[0, 0] == pytest.approx(0.0)
    # left tail of column 1: P(X ≤ −50) = 1/4, P(X ≤ 10) = 1
    assert contrib[3, 1] == pytest.approx(math.log(4))
    assert contrib[0, 1] == pytest.approx(0.0)
    assert np.all(contrib[:, 2] == 0)
    assert int(np.argmax(contrib.sum(axis=1))) == 3


def test_ecod_ranks_a_planted_outlier_first():
    rng = np.random.default_rng(1)
    x = rng.lognormal(size=(2000, 5))
    x[17] = x.max(axis=0) * 3
    contrib, _ = ecod(x)
    assert int(np.argmax(contrib.sum(axis=1))) == 17


def test_family_score_is_noisy_or_and_risk_is_monotone():
    pop = pl.DataFrame({"unit_code": ["1", "1", "2"], "project_id": ["a", "b", "c"]})
    hits = pl.DataFrame({
        "unit_code": ["1", "1", "1"], "project_id": ["a", "a", "b"],
        "family": ["timing", "timing", "lifecycle"], "code": ["x", "y", "z"],
        "severity": [0.5, 0.4, 0.3], "reason": ["甲", "乙", "丙"],
    }).with_columns(evidence=pl.col("severity"))
    s = scoring.family_scores(pop, hits)
    a = s.filter(pl.col("project_id") == "a").row(0, named=True)
    assert a["score_timing"] == pytest.approx(1 - 0.5 * 0.6)
    assert s.filter(pl.col("project_id") == "c").select(scoring.SCORE_COLUMNS).sum_horizontal()[0] == 0
    w = scoring.prior_weights()
    scored = s.with_columns(r=scoring.risk_expr(w))["r"].to_list()
    assert scored[2] == pytest.approx(1 / (1 + math.exp(-w["intercept"])))
    assert scored[0] > scored[2] and scored[1] > scored[2]
    assert set(w) == {"intercept", *FAMILIES}


def test_helpers_format_and_compare_names():
    assert fmt_wan(1200) == "1,200 万元"
    assert fmt_wan("1234.5000") == "1,234.5 万元"
    assert fmt_wan(-250) == "-250 万元"
    assert noisy_or(0.5, 2) == pytest.approx(0.75)
    names = pl.DataFrame({
        "a": ["甲集团新能源装备产业园", "乙公司冷链物流园", "乙公司冷链物流园", "甲", "甲"],
        "b": ["甲集团新能源装备产业园", "乙公司冷链物流园二期", "丙公司光伏电站", "甲", "乙"],
    }).with_columns(ba=bigrams("a"), bb=bigrams("b"))
    sim = names.select(dice("a", "b", "ba", "bb")).to_series().to_list()
    assert sim[0] == 1 and sim[3] == 1 and sim[4] == 0
    assert sim[1] == pytest.approx(2 * 7 / (7 + 9))      # 7 shared bigrams of 7 and 9
    assert sim[2] == pytest.approx(2 * 1 / (7 + 6))      # only 公司
