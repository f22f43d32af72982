"""The seasonal-share year-end forecast, its extension to a later year, and its reproducible back-test."""
from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from statistics import fmean, stdev

import polars as pl
from scipy import stats
from test_targets_warehouse import make_warehouse

from analytics.targets import forecast
from warehouse.queries import targets as queries


def series(years: dict[int, list[str]]) -> pl.DataFrame:
    """{year: [12 monthly amounts or fewer]} -> the province monthly frame."""
    rows = [(dt.date(y, i + 1, 1), Decimal(v)) for y, months in years.items() for i, v in enumerate(months)]
    return pl.DataFrame(rows, schema={"month": pl.Date, "funds_month_wan": pl.Decimal(18, 4)}, orient="row")


def shaped(total: int, december_share: str) -> list[str]:
    """A year whose December brings `december_share` of the total, the rest spread evenly (exactly)."""
    dec = Decimal(total) * Decimal(december_share)
    rest = (Decimal(total) - dec) / 11
    assert rest == rest.quantize(Decimal("0.0001")), "choose a total that splits exactly"
    return [str(rest)] * 11 + [str(dec)]


def test_a_large_december_is_taken_into_account():
    monthly = series({2023: shaped(1100, "0.34"), 2024: ["66"] * 11})
    f = forecast.forecast_year_end(monthly, 2024, 11)
    assert f.ytd_wan == Decimal("726")
    assert f.point_wan == Decimal("1100.0000")            # 726 / 0.66, not the linear 726 × 12 / 11 = 792
    assert f.history_years == (2023,) and f.low_wan is None
    assert any("无法估计预测区间" in m for m in f.messages)


def test_interval_is_the_t_prediction_interval_of_past_shares():
    monthly = series({2021: shaped(1100, "0.40"), 2022: shaped(1100, "0.30"), 2023: shaped(1100, "0.35"),
                      2024: ["100"] * 11})
    f = forecast.forecast_year_end(monthly, 2024, 11, level=0.8)
    r = [math.log(1 / 0.60), math.log(1 / 0.70), math.log(1 / 0.65)]
    half = stats.t.ppf(0.9, 2) * stdev(r) * math.sqrt(1 + 1 / 3)
    assert f.point_wan == Decimal(f"{1100 * math.exp(fmean(r)):.4f}")
    assert f.low_wan == Decimal(f"{1100 * math.exp(fmean(r) - half):.4f}")
    assert f.high_wan == Decimal(f"{1100 * math.exp(fmean(r) + half):.4f}")
    assert f.low_wan < f.point_wan < f.high_wan
    wider = forecast.forecast_year_end(monthly, 2024, 11, level=0.95)
    assert wider.low_wan < f.low_wan and wider.high_wan > f.high_wan


def test_without_history_there_is_no_forecast_and_a_reason():
    monthly = series({2024: ["10", "0", "30"]})
    f = forecast.forecast_year_end(monthly, 2024, 3)
    assert f.point_wan is None and any("没有完整年度" in m for m in f.messages)
    gap = forecast.forecast_year_end(series({2024: ["10"]}), 2024, 2)
    assert any("2月无报送数据" in m for m in gap.messages)


def test_backtest_on_identical_seasonal_shapes_is_exact_and_covered():
    monthly = series({2022: shaped(1100, "0.34"), 2023: shaped(2200, "0.34"), 2024: shaped(3300, "0.34")})
    bt = forecast.backtest(monthly)
    assert bt.detail.height == 22                          # 2023 and 2024, months 1–11
    assert bt.detail["ape"].max() < 1e-9
    assert bt.by_horizon["horizon"].to_list() == list(range(1, 12))
    assert bt.by_horizon["forecasts"].to_list() == [2] * 11
    # 2024 has two past years: an interval, and it holds the actual total.
    with_interval = bt.detail.filter(pl.col("covered").is_not_null())
    assert with_interval["year"].unique().to_list() == [2024] and with_interval["covered"].all()


def test_backtest_is_reproducible_and_fingerprinted():
    years = {2022: shaped(1100, "0.30"), 2023: shaped(2200, "0.40"), 2024: shaped(3300, "0.35")}
    a, b = forecast.backtest(series(years)), forecast.backtest(series(years))
    assert a.detail.equals(b.detail) and a.by_horizon.equals(b.by_horizon) and a.fingerprint == b.fingerprint
    # 2023 in November, from 2022 alone: 2022 had 70 % by November, 2023 had 60 %.
    cell = a.detail.filter((pl.col("year") == 2023) & (pl.col("month") == 11)).row(0, named=True)
    assert cell["forecast_wan"] == (Decimal("1320") / Decimal("0.7")).quantize(Decimal("0.0001")) and cell["horizon"] == 1
    assert abs(cell["ape"] - abs(0.6 / 0.7 - 1)) < 1e-7        # the forecast is kept to 0.0001 万元
    assert a.by_horizon.filter(pl.col("horizon") == 1)["mape"][0] == (cell["ape"] + a.detail.filter(
        (pl.col("year") == 2024) & (pl.col("month") == 11))["ape"][0]) / 2
    years[2023] = years[2023][:11] + [str(Decimal(years[2023][11]) + 1)]
    assert forecast.backtest(series(years)).fingerprint != a.fingerprint


def test_a_later_year_compounds_past_growth_with_a_widening_interval():
    monthly = series({2022: shaped(1100, "0.34"), 2023: shaped(1320, "0.34"), 2024: shaped(1650, "0.34"),
                      2025: shaped(1980, "0.34")[:6]})
    base = forecast.forecast_year_end(monthly, 2025, 6)
    assert base.point_wan == Decimal("1980.0000")
    y2026 = forecast.forecast_year(monthly, base, 2026)
    g = fmean([math.log(1.2), math.log(1.25)])
    assert y2026.point_wan == Decimal(f"{1980 * math.exp(g):.4f}") and y2026.growth_years == (2023, 2024)
    assert y2026.low_wan < y2026.point_wan < y2026.high_wan
    y2027 = forecast.forecast_year(monthly, base, 2027)
    assert (y2027.high_wan / y2027.low_wan) > (y2026.high_wan / y2026.low_wan)
    assert forecast.forecast_year(monthly, base, 2025).point_wan == base.point_wan


def test_backtest_command_runs_on_a_warehouse(tmp_path, capsys):
    rows = [{"unit_code": "620100", "month": f"{y}-{m:02d}", "project_id": "A",
             "funds_month_wan": str(100 * (y - 2022) + (300 if m == 12 else m))}
            for y in (2023, 2024, 2025) for m in range(1, 13)]
    snap = make_warehouse(tmp_path, rows)
    assert forecast.main(["--warehouse", str(tmp_path / "wh.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "MAPE" in out
    monthly = forecast.province_monthly(queries.unit_months(snap))
    assert forecast.fingerprint(monthly, 0.8)[:16] in out   # says which data it used


def test_the_forecast_path_runs_from_the_ytd_to_the_year_end_forecast():
    monthly = series({2021: shaped(1100, "0.40"), 2022: shaped(1100, "0.30"), 2023: shaped(1100, "0.35"),
                      2024: ["100"] * 9})
    path = forecast.forecast_path(monthly, 2024, 9)
    assert path["month"].to_list() == [dt.date(2024, m, 1) for m in (9, 10, 11, 12)]
    september = path.row(0, named=True)
    assert september["forecast_wan"] == september["low_wan"] == september["high_wan"] == Decimal("900.0000")
    december = path.row(3, named=True)
    year_end = forecast.forecast_year_end(monthly, 2024, 9)
    assert (december["forecast_wan"], december["low_wan"], december["high_wan"]) == \
        (year_end.point_wan, year_end.low_wan, year_end.high_wan)
    # Past years brought in the same amount every month before December, so October and November are
    # certain (10/9 and 11/9 of September's YTD, no spread) and only December's large share fans out.
    assert path["forecast_wan"].to_list()[1:3] == [Decimal("1000.0000"), Decimal("1100.0000")]
    assert path["low_wan"].to_list()[1:3] == path["high_wan"].to_list()[1:3]
    assert december["low_wan"] < december["forecast_wan"] < december["high_wan"]


def test_no_forecast_path_without_history_or_money():
    assert forecast.forecast_path(series({2024: ["10", "20"]}), 2024, 2).is_empty()
    assert forecast.forecast_path(series({2023: shaped(1100, "0.34"), 2024: ["0", "0"]}), 2024, 2).is_empty()
    one = forecast.forecast_path(series({2023: shaped(1100, "0.34"), 2024: ["50", "50"]}), 2024, 2)
    assert one.height == 11 and one["low_wan"].is_null().all()      # one past year: points, no interval
