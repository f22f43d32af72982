"""Benford digit tests (docs/METHODS.md "Benford facts"): first, second and first-two digits.

Stable API: `digit_test(values, test="first"|"second"|"first_two")` returns a `DigitTest` with n, mad, chi2,
p_value, conformity (Nigrini's MAD bands) and a per-digit table. Values ≤ 0 and below 10 (and missing values)
are excluded and counted in `excluded`. `digit_tests_by` runs one test per group (e.g. unit and period),
`digit_tables_by` gives their per-digit tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import numpy as np
import polars as pl
from scipy.stats import chi2 as chi2_dist

TESTS = ("first", "second", "first_two")
TEST_ZH = {"first": "首位数字", "second": "第二位数字", "first_two": "首两位数字"}
CONFORMITY_ZH = {"close": "高度符合", "acceptable": "可接受", "marginal": "勉强符合", "nonconformity": "不符合"}
# Nigrini's MAD upper bounds for close / acceptable / marginal; above the last is nonconformity.
MAD_BANDS = {
    "first": (0.006, 0.012, 0.015),
    "second": (0.008, 0.010, 0.012),
    "first_two": (0.0012, 0.0018, 0.0022),
}
# Below about this many values a digit test says little (docs/METHODS.md).
MIN_INFORMATIVE_N = 300


@lru_cache(maxsize=None)
def expected_proportions(test: str) -> tuple[tuple[int, ...], np.ndarray]:
    """The digits of a test and their Benford proportions."""
    _check_test(test)
    if test == "first":
        digits = tuple(range(1, 10))
        p = np.log10(1 + 1 / np.arange(1, 10))
    elif test == "second":
        digits = tuple(range(10))
        k = np.arange(1, 10)
        p = np.array([np.log10(1 + 1 / (10 * k + d)).sum() for d in digits])
    else:
        digits = tuple(range(10, 100))
        p = np.log10(1 + 1 / np.arange(10, 100))
    p.setflags(write=False)
    return digits, p


@dataclass(frozen=True)
class DigitTest:
    test: str
    n: int
    excluded: int
    mad: float
    chi2: float
    p_value: float
    conformity: str
    table: pl.DataFrame

    @property
    def informative(self) -> bool:
        """Whether n is large enough for the test to say much (≥ MIN_INFORMATIVE_N)."""
        return self.n >= MIN_INFORMATIVE_N

    @property
    def conformity_zh(self) -> str:
        return CONFORMITY_ZH[self.conformity]

    @property
    def mad_ratio(self) -> float:
        """MAD over the MAD expected from genuinely Benford data of this size: N-aware, ≈ 1 under Benford."""
        return self.mad / expected_mad(self.test, self.n)


def _check_test(test: str) -> None:
    if test not in TESTS:
        raise ValueError(f"数字检验类型应为 first、second 或 first_two，收到“{test}”")


def first_two_digits(values: np.ndarray) -> np.ndarray:
    """Leading two digits (10–99) of values ≥ 10, robust to float representation at powers of ten."""
    x = np.asarray(values, dtype=np.float64)
    exponent = np.floor(np.log10(x)) - 1
    scaled = x / np.power(10.0, exponent)
    scaled = np.where(scaled >= 100, scaled / 10, scaled)
    scaled = np.where(scaled < 10, scaled * 10, scaled)
    return np.floor(scaled + 1e-9).astype(np.int64)


def _usable(values: Iterable) -> tuple[np.ndarray, int]:
    """Values ≥ 10 as floats, and how many inputs were excluded (≤ 0, below 10, missing, not finite)."""
    if isinstance(values, pl.Series):
        arr = values.cast(pl.Float64, strict=False).to_numpy()
    else:
        arr = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    keep = np.isfinite(arr) & (arr >= 10)
    return arr[keep], int(arr.size - keep.sum())


def expected_mad(test: str, n: int) -> float:
    """Expected MAD of n genuinely Benford values: mean of E|p̂ − p| ≈ √(2p(1 − p)/(πn)) over the digits.

    Nigrini's bands do not depend on n, so small samples of honest data land in "nonconformity"
    (first-two digits need thousands of values); comparing MAD with this expectation says how unusual it is.
    """
    _, p = expected_proportions(test)
    return float(np.mean(np.sqrt(2 * p * (1 - p) / (np.pi * n))))


def conformity_of(test: str, mad: float) -> str:
    close, acceptable, marginal = MAD_BANDS[test]
    if mad <= close:
        return "close"
    if mad <= acceptable:
        return "acceptable"
    if mad <= marginal:
        return "marginal"
    return "nonconformity"


def z_statistics(observed: np.ndarray, expected: np.ndarray, n: int) -> np.ndarray:
    """Per-digit Z with the continuity term 1/(2N), applied only where it is smaller than |p̂ − p|."""
    diff = np.abs(observed - expected)
    correction = 1 / (2 * n)
    numerator = np.where(correction < diff, diff - correction, diff)
    return numerator / np.sqrt(expected * (1 - expected) / n)


def digit_test(values: Iterable, test: str = "first") -> DigitTest:
    """Benford test of `values` on the first, second or first-two digits."""
    _check_test(test)
    usable, excluded = _usable(values)
    n = int(usable.size)
    if n == 0:
        raise ValueError("没有可用于数字检验的数值（需大于等于 10）")
    digits, expected = expected_proportions(test)
    d2 = first_two_digits(usable)
    if test == "first":
        codes = d2 // 10
    elif test == "second":
        codes = d2 % 10
    else:
        codes = d2
    counts = np.bincount(codes - digits[0], minlength=len(digits))
    observed = counts / n
    mad = float(np.mean(np.abs(observed - expected)))
    chi2 = float(np.sum((counts - n * expected) ** 2 / (n * expected)))
    table = pl.DataFrame(
        {
            "digit": list(digits),
            "count": counts.astype(np.int64),
            "observed": observed,
            "expected": expected,
            "z": z_statistics(observed, expected, n),
        }
    )
    return DigitTest(
        test=test,
        n=n,
        excluded=excluded,
        mad=mad,
        chi2=chi2,
        p_value=float(chi2_dist.sf(chi2, len(digits) - 1)),
        conformity=conformity_of(test, mad),
        table=table,
    )


def digit_tests_by(
    frame: pl.DataFrame, by: list[str], value: str, test: str = "first_two", min_n: int = MIN_INFORMATIVE_N
) -> pl.DataFrame:
    """One digit test per group (e.g. unit and period): n, excluded, mad, mad_ratio, chi2, p_value, conformity,
    informative (n ≥ min_n).

    Groups without a single usable value are reported with n = 0 and no statistics.
    """
    _check_test(test)
    rows = []
    for key, group in frame.group_by(by, maintain_order=True):
        base = dict(zip(by, key))
        try:
            r = digit_test(group[value], test)
        except ValueError:
            rows.append({**base, "n": 0, "excluded": group.height, "mad": None, "mad_ratio": None,
                         "chi2": None, "p_value": None, "conformity": None, "informative": False})
            continue
        rows.append({**base, "n": r.n, "excluded": r.excluded, "mad": r.mad, "mad_ratio": r.mad_ratio,
                     "chi2": r.chi2, "p_value": r.p_value, "conformity": r.conformity, "informative": r.n >= min_n})
    schema = {**{c: frame.schema[c] for c in by}, "n": pl.Int64, "excluded": pl.Int64, "mad": pl.Float64,
              "mad_ratio": pl.Float64, "chi2": pl.Float64, "p_value": pl.Float64, "conformity": pl.String,
              "informative": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)


def conformity_label_zh(conformity: str | None) -> str:
    """Chinese label of a conformity value; groups without data are 数据不足."""
    return CONFORMITY_ZH[conformity] if conformity else "数据不足"


def digit_tables_by(frame: pl.DataFrame, by: list[str], value: str, test: str = "first_two") -> pl.DataFrame:
    """The per-digit tables of `digit_test` for every group, long: the `by` columns, then digit, count,
    observed, expected, z. Groups without a single usable value have no rows."""
    _check_test(test)
    parts = []
    for key, group in frame.group_by(by, maintain_order=True):
        try:
            table = digit_test(group[value], test).table
        except ValueError:
            continue
        parts.append(table.select(*[pl.lit(k, dtype=frame.schema[c]).alias(c) for c, k in zip(by, key)], pl.all()))
    schema = {**{c: frame.schema[c] for c in by}, "digit": pl.Int64, "count": pl.Int64, "observed": pl.Float64,
              "expected": pl.Float64, "z": pl.Float64}
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)
