"""The doubling tracker, 三个500强 enterprise identity and verification, new-project lists and 高新技术 shares."""
from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from test_targets_warehouse import make_warehouse

from analytics.targets import doubling, five_hundred, quotas, settings

AS_OF = dt.date(2025, 3, 1)
GROUP_USCC = "91110000MA0000001X"
EAST_USCC = "91310000MA0000002Y"


def p(unit, mon, pid, signed, planned="1000", **kw):
    return {"unit_code": unit, "month": mon, "project_id": pid, "signing_date": signed,
            "planned_investment_wan": planned, **kw}


ROWS = [
    # baseline period (2021-01 .. 2023-12): two 10亿元以上 projects count
    p("620100", "2023-06", "B1", "2023-05-10", "100000"),                 # exactly 10亿元: counts
    p("620200", "2023-07", "B2", "2023-07-01", "99999.9999"),             # just below: does not
    p("620100", "2023-02", "B3", "2023-02-01", "250000", chain="石化化工"),
    p("620300", "2023-08", "B4", "2023-08-01", "600000", status="终止"),   # terminated: not counted
    p("620400", "2023-08", "B5", "2023-08-01", "300000", fund_source="省内市州外"),  # not 到位资金 basis
    p("620100", "2023-08", "F0", "2023-08-15", investor_name="中国示范集团有限公司", investor_uscc=GROUP_USCC,
      fortune500="中国企业500强"),
    # target period (2024-01 ..): three 10亿元以上 projects so far
    p("620100", "2025-01", "T1", "2024-03-05", "150000", is_high_tech=True, funds_month_wan="300"),
    p("620200", "2025-02", "T2", "2025-02-10", "1000000", chain="新能源及其装备制造", funds_month_wan="100"),
    p("620200", "2025-03", "T3", "2025-03-20", "120000", is_high_tech=True),
    # the same group in two units (USCC), with its name spelled differently
    p("620100", "2024-05", "F1", "2024-05-01", investor_name="中国示范集团有限公司", investor_uscc=GROUP_USCC,
      fortune500="中国企业500强"),
    p("620200", "2025-01", "F2", "2025-01-08", investor_name="中国示范集团 有限公司", investor_uscc=GROUP_USCC,
      fortune500="中国企业500强"),
    # one enterprise without USCC in two spellings, and once with its USCC in a third unit
    p("620300", "2024-06", "F3", "2024-06-01", investor_name="华东（上海）实业有限公司", fortune500="中国企业500强"),
    p("620100", "2024-07", "F4", "2024-07-01", investor_name="华东(上海)实业 有限公司", fortune500="中国企业500强"),
    p("620400", "2024-08", "F5", "2024-08-01", investor_name="华东(上海)实业有限公司", investor_uscc=EAST_USCC,
      fortune500="中国企业500强"),
    # a claim not on the list, and a subsidiary of the listed group
    p("620100", "2024-09", "F6", "2024-09-01", investor_name="某某国际有限公司", fortune500="世界500强"),
    p("620500", "2024-10", "F7", "2024-10-01", investor_name="中国示范股份有限公司甘肃分公司",
      investor_uscc="91620000MA0000003Z", fortune500="中国企业500强"),
]
EMPTY = [("620100", f"2023-{m:02d}") for m in (1, 3, 4, 5, 9, 10, 11, 12)]
LISTS = [("中国企业500强", 2024, "中国示范集团有限公司", GROUP_USCC),
         ("中国企业500强", 2024, "华东(上海)实业有限公司", None),
         ("世界500强", 2024, "另一家跨国公司", None)]


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    return make_warehouse(tmp_path_factory.mktemp("major"), ROWS, empty=EMPTY, five_hundred=LISTS)


def targets_settings(**five_hundred) -> settings.Settings:
    cfg = copy.deepcopy(quotas.targets_config())
    cfg["five_hundred"] = {**cfg.get("five_hundred", {}), **five_hundred}
    return settings.load_settings(cfg)


def row(table, **match):
    frame = table.frame
    for k, v in match.items():
        frame = frame.filter(pl.col(k) == v)
    assert frame.height == 1, frame
    return frame.row(0, named=True)


def test_doubling_counts_by_tier_against_the_baseline(snap):
    o = doubling.major_overview(snap, AS_OF, targets_settings())
    major = row(o.doubling.summary, measure="10亿元以上")
    assert (major["baseline_count"], major["target_count"], major["current_count"]) == (2, 4, 3)
    assert major["progress"] == Decimal("0.7500")
    assert major["path_count"] == 2   # ⌈4 × 15 / 36 months⌉: a count
    # the baseline is only partly in the data: no verdict, said so instead of 是/否
    assert major["on_track"] is None and major["basis_complete"] is False
    assert major["verdict"] == doubling.INCOMPLETE_BASIS
    assert o.doubling.summary.display()["达到序时"].to_list()[0] == "基期数据不完整"
    assert row(o.doubling.summary, measure="20亿元以上")["baseline_count"] == 1
    assert row(o.doubling.summary, measure="100亿元以上")["current_count"] == 1
    # the 2021–2023 baseline has data only for 2023: said, not hidden
    assert major["baseline_coverage"] == Decimal("0.3333") and major["baseline_source"] == "仓库数据（不完整）"
    assert any("仅有 12 个月的数据（最早 2023-01）" in m for m in o.messages)
    path = o.doubling.path.frame.filter(pl.col("measure") == "10亿元以上")
    assert path.height == 15 and path["cumulative"].to_list()[-1] == 3
    assert path.filter(pl.col("month") == dt.date(2025, 1, 1))["cumulative"][0] == 1


def test_breakdowns_by_unit_and_chain(snap):
    o = doubling.major_overview(snap, AS_OF, targets_settings())
    jy = row(o.doubling.by_unit, measure="10亿元以上", group="嘉峪关市")
    assert (jy["baseline_count"], jy["current_count"]) == (0, 2) and jy["progress"] is None
    lz = row(o.doubling.by_unit, measure="10亿元以上", group="兰州市")
    assert (lz["baseline_count"], lz["target_count"], lz["current_count"]) == (2, 4, 1)
    assert row(o.doubling.by_chain, measure="10亿元以上", group="新能源及其装备制造")["current_count"] == 1


def test_an_enterprise_counts_once_for_the_province_and_once_per_unit(snap):
    o = doubling.major_overview(snap, AS_OF, targets_settings())
    five = row(o.doubling.summary, measure="三个500强企业")
    assert (five["baseline_count"], five["current_count"]) == (1, 4)   # group, 华东, the unlisted one, the branch
    ents = o.enterprises.frame
    group = ents.filter(pl.col("enterprise_id") == GROUP_USCC).row(0, named=True)
    assert group["unit_count"] == 2 and group["projects"] == 2 and group["verified"] is True
    east = ents.filter(pl.col("enterprise_id") == EAST_USCC).row(0, named=True)
    assert east["projects"] == 3 and east["units"] == "兰州市、白银市、金昌市"
    per_unit = {r["group"]: r["current_count"] for r in
                o.doubling.by_unit.frame.filter(pl.col("measure") == "三个500强企业").iter_rows(named=True)}
    assert per_unit == {"兰州市": 3, "嘉峪关市": 1, "金昌市": 1, "白银市": 1, "天水市": 1}
    assert sum(per_unit.values()) > five["current_count"]


def test_claims_are_checked_against_the_list_of_the_signing_year_or_the_latest_earlier(snap):
    o = doubling.major_overview(snap, AS_OF, targets_settings())
    quarter = o.new_this_quarter.frame
    assert "中国企业500强：已核实（2024年名录）" == row(o.new_this_quarter, project_id="F2")["verification"]
    listed = doubling.enterprise_projects(snap, GROUP_USCC, AS_OF, targets_settings()).frame
    f0 = listed.filter(pl.col("project_id") == "F0").row(0, named=True)
    assert f0["verification"] == "中国企业500强：无对应名录（未载入2023年及以前的名录）"
    unlisted = doubling.doubling_projects(snap, "三个500强企业", "target", AS_OF, unit_code="620100", settings=targets_settings())
    f6 = unlisted.frame.filter(pl.col("project_id") == "F6").row(0, named=True)
    assert f6["verification"] == "世界500强：名录中未找到（2024年名录）"
    assert any("未能在对应年度名录中核实" in m for m in o.messages)
    assert quarter["project_id"].sort().to_list() == ["F2", "T2", "T3"]


def test_group_matching_and_verified_only_are_configuration(snap):
    grouped = doubling.major_overview(snap, AS_OF, targets_settings(group_match=True))
    assert row(grouped.doubling.summary, measure="三个500强企业")["current_count"] == 3   # the branch joins its group
    group = grouped.enterprises.frame.filter(pl.col("enterprise_id") == GROUP_USCC).row(0, named=True)
    assert group["unit_count"] == 3
    verified = doubling.major_overview(snap, AS_OF, targets_settings(basis="verified"))
    assert row(verified.doubling.summary, measure="三个500强企业")["current_count"] == 2


def test_new_projects_this_month_and_high_tech_shares(snap):
    o = doubling.major_overview(snap, AS_OF, targets_settings())
    assert o.new_this_month.frame["project_id"].to_list() == ["T3"]
    assert row(o.new_this_month, project_id="T3")["tier"] == "10亿元以上"
    shown = o.new_this_month.display()
    assert shown.row(0, named=True)["计划总投资（亿元）"] == Decimal("12.00")
    figures = {f.label: f for f in o.figures}
    assert figures["高新技术项目到位资金占比"].value == Decimal("75.00")      # 300 of 400 万元
    assert figures["高新技术项目数占比"].value == Decimal("33.33")           # T3 of T2, T3, F2 signed in 2025


def test_drill_down_returns_the_projects_behind_a_count(snap):
    jy = doubling.doubling_projects(snap, "10亿元以上", "target", AS_OF, unit_code="620200", settings=targets_settings())
    assert sorted(jy.frame["project_id"].to_list()) == ["T2", "T3"]
    base = doubling.doubling_projects(snap, "10亿元以上", "baseline", AS_OF, settings=targets_settings())
    assert sorted(base.frame["project_id"].to_list()) == ["B1", "B3"]
    five = doubling.doubling_projects(snap, "三个500强企业", "baseline", AS_OF, settings=targets_settings())
    assert five.frame["project_id"].to_list() == ["F0"]


def test_configured_baseline_and_a_baseline_without_data():
    cfg = copy.deepcopy(quotas.targets_config())
    cfg["doubling"]["baseline_counts"] = {"10亿元以上": 10, "一百强": 3}
    s = settings.load_settings(cfg)
    assert s.baseline_counts == {"10亿元以上": 10} and any("“一百强”" in m for m in s.messages)
    cfg["doubling"]["baseline"] = {"from": "2019-01", "to": "2019-12"}
    s = settings.load_settings(cfg)
    events = pl.DataFrame(schema={"measure": pl.String, "unit_code": pl.String, "unit_name": pl.String,
                                  "chain": pl.String, "signing_date": pl.Date, "project_key": pl.String,
                                  "key": pl.String, "period": pl.String, "month": pl.Date})
    d = doubling.doubling_tracker(events, [dt.date(2024, 1, 1)], AS_OF, s)
    configured = row(d.summary, measure="10亿元以上")
    assert (configured["baseline_count"], configured["target_count"], configured["baseline_source"]) == (10, 20, "配置值")
    # a configured baseline is complete: the verdict is given (0 signed against ⌈20 × 15 / 36⌉ = 9)
    assert configured["path_count"] == 9 and configured["verdict"] == "否" and configured["on_track"] is False
    empty = row(d.summary, measure="20亿元以上")
    assert empty["baseline_count"] is None and empty["target_count"] is None and empty["progress"] is None
    assert any(m.startswith("基期（2019-01至2019-12）仓库中没有数据") and m.endswith("：20亿元以上、50亿元以上、100亿元以上、三个500强企业")
               for m in d.messages)


def test_names_are_normalised_for_matching():
    assert five_hundred.normalise_name("华东（上海）实业 有限公司") == five_hundred.normalise_name("华东(上海)实业有限公司")
    assert five_hundred.normalise_name("ＡＢＣ Ltd") == "abcltd"


def test_a_broken_doubling_rule_still_gives_the_page_with_a_message(snap):
    cfg = copy.deepcopy(quotas.targets_config())
    cfg["doubling"]["target"] = {"from": "2024-01"}
    o = doubling.major_overview(snap, AS_OF, settings.load_settings(cfg))
    assert o.doubling.summary.frame.is_empty() and o.figures[0].value is None
    assert any("目标期 target" in m for m in o.messages) and any("翻番规则配置有误" in m for m in o.messages)
    assert o.new_this_month.frame["project_id"].to_list() == ["T3"]


def test_drill_down_title_says_what_is_counted(snap):
    five = doubling.doubling_projects(snap, "三个500强企业", "target", AS_OF, settings=targets_settings())
    by_unit = five.frame.group_by("unit_code").len()
    assert by_unit.height > 1
    # F1, F2 (one group by USCC), F3, F4, F5 (one enterprise by name, then USCC), F6, F7: 7 projects, 4 enterprises
    assert "（全省，4 家企业、7 个项目）" in five.title
    tier = doubling.doubling_projects(snap, "10亿元以上", "target", AS_OF, unit_code="620200", settings=targets_settings())
    assert tier.title.endswith("（嘉峪关市，2 个项目）")


def test_breakdowns_warn_when_the_baseline_is_partly_covered(snap):
    o = doubling.major_overview(snap, AS_OF, targets_settings())
    # the warehouse holds 2023 only: 12 of the baseline's 36 months
    assert "仓库仅有 12 个月的数据" in o.doubling.by_unit.definition
    assert "仓库仅有 12 个月的数据" in o.doubling.by_chain.definition
