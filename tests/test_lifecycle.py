"""Stalled-project rules at their boundaries, the reference month, and the 签约 → 开工 → 投产 funnel."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from test_targets_warehouse import make_warehouse

from analytics.targets import lifecycle, settings

AS_OF = dt.date(2025, 6, 1)


def r(mon, pid, unit="620100", **kw):
    return {"unit_code": unit, "month": mon, "project_id": pid, **kw}


NOT_STARTED = {"status": "已签约未开工", "start_date": None}
ROWS = [
    # signed more than 12 months before the reference month (2025-06) and not started
    r("2025-06", "N12", signing_date="2024-06-20", **NOT_STARTED),       # 12 months: not yet
    r("2025-06", "N13", signing_date="2024-05-31", **NOT_STARTED),       # 13 months: stalled
    # started 2025-04 and no money since: 3 months (Apr, May, Jun)
    *(r(f"2025-{m:02d}", "M3", start_date="2025-04-02") for m in (4, 5, 6)),
    # money in April: May and June are only 2 months
    r("2025-04", "M2", start_date="2025-04-02", funds_month_wan="50", funds_cum_wan="50"),
    *(r(f"2025-{m:02d}", "M2", start_date="2025-04-02", funds_cum_wan="50") for m in (5, 6)),
    # 6 months after the start (2024-12): exactly 15 % of 签约金额 is enough, a hair less is not
    r("2025-06", "L15", start_date="2024-12-05", signed_amount_wan="1000", funds_month_wan="10", funds_cum_wan="150"),
    r("2025-06", "L14", start_date="2024-12-05", signed_amount_wan="1000", funds_month_wan="10",
      funds_cum_wan="149.9999"),
    r("2025-06", "L5", start_date="2025-01-05", signed_amount_wan="1000", funds_month_wan="1", funds_cum_wan="1"),
    # reported 停滞 for the last three months
    r("2025-03", "S", start_date="2025-01-01", funds_month_wan="5", funds_cum_wan="5"),
    *(r(f"2025-{m:02d}", "S", status="停滞", start_date="2025-01-01", funds_cum_wan="5") for m in (4, 5, 6)),
    r("2025-06", "P", status="已投产", start_date="2024-03-01", production_date="2025-01-01", funds_month_wan="1",
      funds_cum_wan="800"),
    r("2025-06", "X", status="终止", start_date=None),
    # 嘉峪关 has not reported since April: its projects are judged as of April
    r("2025-04", "J", unit="620200", signing_date="2024-03-15", **NOT_STARTED),
]


@pytest.fixture(scope="module")
def overview(tmp_path_factory):
    snap = make_warehouse(tmp_path_factory.mktemp("lifecycle"), ROWS)
    return snap, lifecycle.lifecycle_overview(snap, AS_OF, settings=settings.load_settings())


def stalled_row(result, pid):
    rows = result.stalled.frame.filter(pl.col("project_id") == pid)
    return rows.row(0, named=True) if rows.height else None


def test_rules_at_their_boundaries(overview):
    _, result = overview
    assert stalled_row(result, "N12") is None
    n13 = stalled_row(result, "N13")
    assert n13["rule_codes"] == ["not_started"] and n13["months_stuck"] == 13
    assert n13["detail"] == "签约已 13 个月仍未开工（超过 12 个月）"
    m3 = stalled_row(result, "M3")
    assert m3["rule_codes"] == ["no_money"] and m3["months_stuck"] == 3
    assert stalled_row(result, "M2") is None
    assert stalled_row(result, "L15") is None and stalled_row(result, "L5") is None
    l14 = stalled_row(result, "L14")
    assert l14["rule_codes"] == ["low_funds"] and l14["months_stuck"] == 6
    assert l14["detail"] == "开工 6 个月，累计到位资金仅为签约金额的 14.99%（低于 15%）"
    s = stalled_row(result, "S")
    assert s["rules"] == "报告停滞" and s["months_stuck"] == 3 and s["detail"] == "已连续 3 个月报告为停滞"
    assert stalled_row(result, "P") is None and stalled_row(result, "X") is None


def test_durations_run_to_the_units_latest_submission(overview):
    _, result = overview
    j = stalled_row(result, "J")
    assert j["unit_last_month"] == dt.date(2025, 4, 1) and j["months_stuck"] == 13


def test_thresholds_come_from_config(overview):
    snap, _ = overview
    cfg = settings.load_settings().cfg | {"stalled": {"not_started_months": 11, "no_money_months": 4,
                                                      "low_funds_after_months": 6, "low_funds_share": 0.2}}
    result = lifecycle.lifecycle_overview(snap, AS_OF, settings=settings.load_settings(cfg))
    assert stalled_row(result, "N12")["months_stuck"] == 12
    assert stalled_row(result, "M3") is None
    assert stalled_row(result, "L15")["rule_codes"] == ["low_funds"]


def test_funnel_and_counts_by_rule(overview):
    _, result = overview
    lz = result.funnel.frame.filter(pl.col("unit_code") == "620100").row(0, named=True)
    # 10 projects, 1 terminated; started: M3 M2 L15 L14 L5 S P; producing: P
    assert (lz["signed"], lz["started"], lz["producing"], lz["terminated"], lz["stalled"]) == (9, 7, 1, 1, 4)
    assert lz["start_rate"] == Decimal("0.7778") and lz["production_rate"] == Decimal("0.1111")
    province = result.funnel.frame.filter(pl.col("unit_name") == "全省").row(0, named=True)
    assert province["signed"] == 10 and province["stalled"] == 5
    counts = result.by_rule.frame.filter(pl.col("unit_code") == "620100").row(0, named=True)
    assert (counts["not_started"], counts["no_money"], counts["low_funds"], counts["reported"], counts["stalled"]) \
        == (1, 1, 1, 1, 4)
    assert result.by_rule.frame.height == 15
    assert next(f for f in result.figures if f.label == "停滞项目").value == 5


def test_drill_down_lists_the_projects_of_a_funnel_cell(overview):
    snap, _ = overview
    stalled = lifecycle.funnel_projects(snap, "stalled", "620100", AS_OF)
    assert sorted(stalled.frame["project_id"].to_list()) == ["L14", "M3", "N13", "S"]
    producing = lifecycle.funnel_projects(snap, "producing", None, AS_OF)
    assert producing.frame["project_id"].to_list() == ["P"]
    assert "停滞规则" not in producing.display().columns


def test_project_history_is_the_month_by_month_trail_as_submitted(overview):
    snap, result = overview
    history = lifecycle.project_history(snap, "620100", "S")
    assert history.frame["month"].to_list() == [dt.date(2025, m, 1) for m in (3, 4, 5, 6)]
    assert history.frame["status"].to_list() == ["在建", "停滞", "停滞", "停滞"]
    shown = history.display()
    assert shown["本月到位资金（万元）"].to_list() == [Decimal("5"), Decimal("0"), Decimal("0"), Decimal("0")]
    assert history.title.startswith("兰州市 S 项目S")
    assert lifecycle.project_history(snap, "620100", "nope").frame.is_empty()


def test_signing_years_offer_the_cohorts_present(overview):
    snap, result = overview
    assert result.signing_years == (2024,)                       # every project here was signed in 2024

    def province(year):
        o = lifecycle.lifecycle_overview(snap, AS_OF, signing_year=year, settings=settings.load_settings())
        return o.funnel.frame.filter(pl.col("unit_name") == "全省").row(0, named=True)["signed"]

    assert province(2024) == result.funnel.frame.filter(pl.col("unit_name") == "全省")["signed"][0] > 0
    assert province(2023) == 0
