"""Claims that hold: a forecast interval is shown only when its back-test covers near its nominal level; otherwise it
is widened from the back-test errors or the forecast is called unreliable, and no verdict leans on it."""
from __future__ import annotations

import math
from decimal import Decimal

import polars as pl

from analytics.targets import forecast, province

LEVEL = 0.8


def year_end(month: int = 10) -> forecast.YearEndForecast:
    return forecast.YearEndForecast(2026, month, Decimal("8000"), Decimal("10000.0000"), Decimal("9800.0000"),
                                    Decimal("10200.0000"), LEVEL, (2023, 2024, 2025), 0.015, ())


def backtest(rows: list[tuple[int, str, str, bool | None]]) -> forecast.Backtest:
    """rows: (horizon, forecast, actual, covered)."""
    detail = pl.DataFrame([{"horizon": h, "forecast_wan": Decimal(f), "actual_wan": Decimal(a), "covered": c}
                           for h, f, a, c in rows],
                          schema={"horizon": pl.Int32, "forecast_wan": pl.Decimal(18, 4),
                                  "actual_wan": pl.Decimal(18, 4), "covered": pl.Boolean})
    return forecast.Backtest(detail, pl.DataFrame(), LEVEL, "0" * 64)


def test_an_interval_whose_back_test_covers_near_nominal_is_kept():
    bt = backtest([(2, "100", "101", True)] * 4 + [(2, "100", "120", False)])  # 4 of 5 covered at 80 %
    f = forecast.calibrate(year_end(), bt)
    assert f.reliability == forecast.CHECKED and (f.low_wan, f.high_wan) == (year_end().low_wan, year_end().high_wan)
    assert "4/5" in f.reliability_note


def test_poor_coverage_widens_the_interval_from_the_back_test_errors():
    errors = ["80", "90", "95", "105", "110", "125"]   # actual vs a forecast of 100, all outside a ±2 % interval
    bt = backtest([(2, "100", a, False) for a in errors] + [(5, "100", "70", None)])  # longer horizons count too
    f = forecast.calibrate(year_end(), bt)
    assert f.reliability == forecast.WIDENED
    logs = sorted(math.log(float(a) / 100) for a in [*errors, "70"])
    q_low, q_high = logs[0], logs[-1]             # inverted-cdf 10 % and 90 % quantiles of 7 errors
    assert f.low_wan == Decimal(f"{10000 * math.exp(q_low):.4f}")
    assert f.high_wan == Decimal(f"{10000 * math.exp(q_high):.4f}")
    assert f.low_wan < year_end().low_wan and f.high_wan > year_end().high_wan
    assert "0/6" in f.reliability_note and "放宽" in f.reliability_note
    # the fan's December row is the widened interval
    path = pl.DataFrame({"month": [None], "forecast_wan": [Decimal("10000")], "low_wan": [Decimal("9800")],
                         "high_wan": [Decimal("10200")]},
                        schema={"month": pl.Date, "forecast_wan": pl.Decimal(18, 4), "low_wan": pl.Decimal(18, 4),
                                "high_wan": pl.Decimal(18, 4)})
    fan = forecast.calibrate_path(path, year_end(), f).row(0, named=True)
    assert abs(fan["low_wan"] - f.low_wan) < Decimal("0.01") and abs(fan["high_wan"] - f.high_wan) < Decimal("0.01")


def test_poor_coverage_with_few_errors_is_unreliable_and_decides_nothing():
    bt = backtest([(2, "100", "130", False), (2, "100", "125", False)])   # coverage 0 %
    f = forecast.calibrate(year_end(), bt)
    assert f.reliability == forecast.UNRELIABLE and f.low_wan is None and f.high_wan is None
    goal = Decimal("9000")   # the model's lower bound 9,800 is above it: the old verdict claimed 区间下限亦达到
    assert province._verdict(goal, year_end().point_wan, year_end().low_wan, year_end().high_wan) == "预计达成（区间下限亦达到）"
    verdict = province._verdict(goal, f.point_wan, f.low_wan, f.high_wan, f.reliability)
    assert verdict == province.UNRELIABLE_VERDICT and "区间下限" not in verdict
    assert province.interval_text(f).startswith("预测不可靠")


def test_too_few_checks_cannot_vouch_for_an_interval():
    assert not forecast.coverage_is_near_nominal(2, 2, LEVEL)     # two covered of two: not enough to tell
    assert forecast.coverage_is_near_nominal(3, 3, LEVEL)
    assert not forecast.coverage_is_near_nominal(0, 5, LEVEL)      # 0 % of 5 at 80 %: rejected
