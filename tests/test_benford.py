import math
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
from scipy.stats import chisquare

from analytics.verification.benford import (
    MAD_BANDS,
    conformity_of,
    digit_tables_by,
    digit_test,
    digit_tests_by,
    expected_mad,
    expected_proportions,
    first_two_digits,
)

# docs/METHODS.md "Benford facts", first digits 1–9.
FIRST_DIGIT_FACTS = [0.30103, 0.17609, 0.12494, 0.09691, 0.07918, 0.06695, 0.05799, 0.05115, 0.04576]


def test_expected_proportions_are_the_benford_facts():
    digits, p = expected_proportions("first")
    assert digits == tuple(range(1, 10))
    assert np.allclose(p, FIRST_DIGIT_FACTS, atol=5e-6)
    digits, p = expected_proportions("second")
    assert digits == tuple(range(10))
    assert p.sum() == pytest.approx(1.0)
    assert p[0] == pytest.approx(sum(math.log10(1 + 1 / (10 * k)) for k in range(1, 10)))
    assert p[0] == pytest.approx(0.11968, abs=1e-5) and p[9] == pytest.approx(0.08500, abs=1e-5)
    digits, p = expected_proportions("first_two")
    assert digits == tuple(range(10, 100))
    assert p.sum() == pytest.approx(1.0)
    assert p[digits.index(55)] == pytest.approx(math.log10(1 + 1 / 55))


def test_first_test_hand_computed_with_exclusions():
    # 5, -3, 0 and None are excluded; 10, 11 → 1; 20 → 2; 35 → 3
    r = digit_test([10, 11, 20, 35, 5, -3, 0, None], "first")
    assert (r.n, r.excluded) == (4, 4)
    counts = dict(zip(r.table["digit"], r.table["count"]))
    assert counts[1] == 2 and counts[2] == 1 and counts[3] == 1 and sum(counts.values()) == 4
    observed = [0.5, 0.25, 0.25] + [0.0] * 6
    p = [math.log10(1 + 1 / d) for d in range(1, 10)]
    assert r.mad == pytest.approx(sum(abs(o - e) for o, e in zip(observed, p)) / 9)
    # Z with the continuity term 1/(2N) = 0.125: applied to digit 1 (|diff| 0.199 > 0.125) …
    z = dict(zip(r.table["digit"], r.table["z"]))
    assert z[1] == pytest.approx((0.5 - p[0] - 0.125) / math.sqrt(p[0] * (1 - p[0]) / 4))
    # … but not to digit 4, whose |diff| 0.0969 is smaller than the term
    assert z[4] == pytest.approx(p[3] / math.sqrt(p[3] * (1 - p[3]) / 4))


def test_chi_square_and_p_value_match_scipy():
    rng = np.random.default_rng(3)
    values = rng.integers(10, 100_000, 500)
    r = digit_test(values, "first")
    counts = r.table["count"].to_numpy()
    expected = r.n * expected_proportions("first")[1]
    ref = chisquare(counts, expected)
    assert r.chi2 == pytest.approx(ref.statistic)
    assert r.p_value == pytest.approx(ref.pvalue)


def test_second_and_first_two_digits_of_exact_decimals():
    values = [Decimal("1000.0000"), Decimal("99.9900"), Decimal("10"), Decimal("123.4500"), Decimal("5500")]
    assert first_two_digits(np.array([float(v) for v in values])).tolist() == [10, 99, 10, 12, 55]
    second = digit_test(values, "second")
    assert dict(zip(second.table["digit"], second.table["count"]))[0] == 2   # 1000 and 10
    assert dict(zip(second.table["digit"], second.table["count"]))[9] == 1   # 99.99
    first_two = digit_test(values, "first_two")
    assert first_two.table.filter(pl.col("count") > 0)["digit"].to_list() == [10, 12, 55, 99]


@pytest.mark.parametrize("test", ["first", "second", "first_two"])
def test_mad_bands(test):
    close, acceptable, marginal = MAD_BANDS[test]
    assert conformity_of(test, close) == "close"
    assert conformity_of(test, close + 1e-6) == "acceptable"
    assert conformity_of(test, acceptable) == "acceptable"
    assert conformity_of(test, marginal) == "marginal"
    assert conformity_of(test, marginal + 1e-6) == "nonconformity"


def test_large_benford_sample_conforms_and_uniform_digits_do_not():
    rng = np.random.default_rng(11)
    benford_like = 10 ** rng.uniform(1, 7, 50_000)
    for test in ("first", "second", "first_two"):
        r = digit_test(benford_like, test)
        assert r.conformity == "close", test
        assert r.informative
        assert r.mad_ratio < 1.5
    uniform = rng.uniform(100, 1000, 50_000)   # first digits 1–9 equally likely
    r = digit_test(uniform, "first")
    assert r.conformity == "nonconformity"
    assert r.mad_ratio > 10


def test_expected_mad_tracks_sample_size():
    """Honest data of size n has MAD ≈ expected_mad(n): the N-aware yardstick beside Nigrini's fixed bands."""
    rng = np.random.default_rng(5)
    ratios = [digit_test(10 ** rng.uniform(1, 6, 400), "first_two").mad_ratio for _ in range(100)]
    assert 0.9 < float(np.mean(ratios)) < 1.1
    assert expected_mad("first_two", 400) > MAD_BANDS["first_two"][2]   # why small honest samples "fail"


def test_bad_requests_are_explained_in_chinese():
    with pytest.raises(ValueError, match="数字检验类型"):
        digit_test([10, 20], "third")
    with pytest.raises(ValueError, match="没有可用于数字检验的数值"):
        digit_test([1, 2, -5, 0], "first")


def test_digit_tests_per_unit_and_period():
    rng = np.random.default_rng(2)
    frame = pl.DataFrame({
        "unit_code": ["620100"] * 400 + ["620400"] * 50 + ["620500"] * 3,
        "period": ["2025Q3"] * 453,
        "amount": np.concatenate([10 ** rng.uniform(1, 5, 400), 10 ** rng.uniform(1, 5, 50), [1.0, 2.0, 3.0]]),
    })
    out = digit_tests_by(frame, ["unit_code", "period"], "amount", "first")
    rows = {r["unit_code"]: r for r in out.iter_rows(named=True)}
    assert rows["620100"]["n"] == 400 and rows["620100"]["informative"]
    assert rows["620400"]["n"] == 50 and not rows["620400"]["informative"]
    assert rows["620500"]["n"] == 0 and rows["620500"]["excluded"] == 3 and rows["620500"]["conformity"] is None


def test_digit_tables_by_gives_each_groups_table():
    rng = np.random.default_rng(5)
    frame = pl.DataFrame({
        "unit_code": ["A"] * 400 + ["B"] * 50 + ["C"] * 3,
        "amount": np.concatenate([10 ** rng.uniform(1, 5, 400), rng.uniform(550, 560, 50), [1.0, 2.0, 5.0]]),
    })
    tables = digit_tables_by(frame, ["unit_code"], "amount", "first_two")
    assert set(tables["unit_code"]) == {"A", "B"}          # C has no usable value
    for unit in ("A", "B"):
        mine = tables.filter(pl.col("unit_code") == unit).drop("unit_code")
        assert mine.equals(digit_test(frame.filter(pl.col("unit_code") == unit)["amount"], "first_two").table)
    assert digit_tables_by(frame.head(0), ["unit_code"], "amount").columns == [
        "unit_code", "digit", "count", "observed", "expected", "z"]
