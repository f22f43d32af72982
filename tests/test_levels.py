"""Every level the policy holds responsible: county and chain rankings on a hand-made warehouse (issue 14).

兰州市 reports projects in 城关区, 七里河区, 榆中县 and one without 所在县区 (市州本级); 白银市 in 白银区 and 靖远县.
Every figure asserted below is worked out by hand from those rows.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest
from test_ranking_warehouse import HandWarehouse, month, project, small_config

from analytics.ranking import levels
from analytics.ranking.levels import LevelError, entities, level_config, rank_level
from core import catalog, config
from warehouse import store
from warehouse.queries import levels as lq

LANZHOU, BAIYIN = "620100", "620400"
CHENGGUAN, QILIHE, YUZHONG, BAIYIN_QU, JINGYUAN = "620102", "620103", "620123", "620402", "620421"


def _rows(unit: str, m: int) -> list[dict]:
    """A month of each unit: fixed monthly funds per project, so year-to-date sums are easy by hand."""
    if unit == LANZHOU:
        return [
            project("LZ-1", county="城关区", chain="新材料", funds_month_wan="100.1234", funds_cum_wan=100 * m,
                    planned_investment_wan="150000", signing_date=dt.date(2025, 1, 8), is_high_tech=True),
            project("LZ-2", county="七里河区", chain="文化旅游", funds_month_wan="50", funds_cum_wan=50 * m,
                    status="已签约未开工", start_date=None, signing_date=dt.date(2024, 1, 8)),
            project("LZ-3", county="榆中县", chain="新材料", funds_month_wan="20.0001", funds_cum_wan=20 * m,
                    fortune500="世界500强", signing_date=dt.date(2025, 2, 1)),
            project("LZ-4", county=None, chain="其他", funds_month_wan="7.5", funds_cum_wan="7.5"),
            # 省内市州外 money does not count toward 到位资金, at any level
            project("LZ-5", county="城关区", chain="新材料", fund_source="省内市州外", funds_month_wan="999"),
        ]
    return [
        project("BY-1", county="白银区", chain="石化化工", funds_month_wan="300", funds_cum_wan=300 * m,
                planned_investment_wan="200000", signing_date=dt.date(2025, 3, 1)),
        project("BY-2", county="靖远县", chain="新材料", funds_month_wan="10", funds_cum_wan=10 * m),
    ]


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    wh = HandWarehouse(tmp_path_factory.mktemp("levels") / "wh.duckdb")
    for unit in (LANZHOU, BAIYIN):
        for y, last in ((2024, 12), (2025, 9)):
            for m in range(1, last + 1):
                wh.submit(unit, month(y, m), _rows(unit, m))
    return wh.write()


@pytest.fixture(scope="module")
def cfg():
    return small_config(units=(LANZHOU, BAIYIN))


def test_the_86_counties_have_codes_of_their_own_unit():
    counties = catalog.counties()
    assert len(counties) == 86 and len({c.code for c in counties}) == 86
    assert all(c.code[:4] == c.unit_code[:4] for c in counties)
    assert catalog.county_code("620800", "华亭市") == "620881"
    assert catalog.counties_of("620200") == () and catalog.counties_of("620171") == ()


def test_a_county_code_of_another_unit_is_refused_in_chinese(tmp_path):
    text = (config.CONFIG_DIR / "units.toml").read_text(encoding="utf-8").replace('"城关区" = "620102"',
                                                                                  '"城关区" = "620402"')
    with pytest.raises(config.ConfigError) as e:
        config.parse_model(text, catalog._UnitsFile, "单位配置", "units.toml")
    assert "城关区" in str(e.value) and "6201" in str(e.value)


def test_county_funds_sum_exactly_to_the_units_figure(snap):
    """Σ over a unit's counties (plus the rows without 所在县区) = mart_unit_month, to the last 0.0001 万元."""
    parts = lq.part_months(snap, [LANZHOU, BAIYIN], month(2025, 1), month(2025, 9), "county")
    units = store.frame(snap, "SELECT unit_code, month, funds_month_wan FROM mart_unit_month "
                              "WHERE month >= DATE '2025-01-01'")
    summed = parts.group_by("unit_code", "month").agg(pl.col("funds_month_wan").sum())
    joined = units.join(summed, on=["unit_code", "month"], suffix="_parts")
    assert joined.height == 18
    assert all(Decimal(a) == Decimal(b) for a, b in zip(joined["funds_month_wan"], joined["funds_month_wan_parts"]))
    chengguan = parts.filter((pl.col("part") == "城关区") & (pl.col("month") == month(2025, 9)))
    assert chengguan["funds_month_wan"].item() == Decimal("100.1234")  # 省内市州外 999 not counted


def test_county_ranking_within_one_unit(snap, cfg):
    r = rank_level(snap, "2025Q3", "county", LANZHOU, config=cfg)
    t = r.table
    assert set(t["unit_code"]) == {c.code for c in catalog.counties_of(LANZHOU)}
    assert set(t["parent_code"]) == {LANZHOU} and set(t["parent_name"]) == {"兰州市"}
    assert r.group_name == "兰州市各县（市、区）"
    # 城关区 has the 10亿元以上 project, 榆中县 the 500强 investor; counties without projects still rank (zeros)
    assert t.filter(pl.col("unit_code") == CHENGGUAN)["rank"].item() == 1
    board = r.indicator_board("major_projects")
    assert board.filter(pl.col("unit_code") == CHENGGUAN)["value"].item() == 1.0
    assert r.indicator_board("fortune500").filter(pl.col("unit_code") == YUZHONG)["value"].item() == 1.0
    # the county system has no task completion: no county is assigned a task
    assert "task_completion" not in r.indicators["indicator_id"].to_list()
    assert abs(sum(r.applied_weights.values()) - 1) < 1e-12
    assert any("县区没有下达任务" in n for n in r.notes)
    # contributions still add up to the score
    for row in t.filter(pl.col("ranked")).iter_rows(named=True):
        c = r.contributions.filter(pl.col("unit_code") == row["unit_code"])["contribution"].sum()
        assert abs(c - row["score"]) < 1e-9


def test_county_ranking_province_wide_ranks_every_county_with_its_parent(snap, cfg):
    r = rank_level(snap, "2025Q3", "county", config=cfg)
    assert r.table.height == 86
    by = {row["unit_code"]: row for row in r.table.iter_rows(named=True)}
    assert by[JINGYUAN]["parent_code"] == BAIYIN and by[CHENGGUAN]["parent_code"] == LANZHOU
    # a county of a unit with no submissions has no data: flagged, not ranked
    assert by["620302"]["ranked"] is False and "无任何指标数据" in by["620302"]["flags"]
    # 白银区's yoy growth by hand: Jan–Sep 2025 = 2700, same period 2024 = 2700 -> 0 %
    yoy = r.indicator_board("funds_yoy").filter(pl.col("unit_code") == BAIYIN_QU)
    assert yoy["value"].item() == 0.0


def test_chain_ranking_with_lead_departments(snap, cfg):
    r = rank_level(snap, "2025Q3", "chain", config=cfg)
    t = r.table
    assert t.height == 14 and set(t["parent_code"]) == {"620000"}
    new_materials = catalog.resolve_chain("新材料")
    code = next(c.code for c in catalog.chain_entries() if c.name == new_materials)
    row = t.filter(pl.col("unit_code") == code).row(0, named=True)
    assert row["unit_name"] == "新材料" and row["lead_department"]
    # the chain ranking needs all 15 units' reports: with 2 of 15 in, every chain is flagged incomplete
    assert row["complete"] is False and "数据不完整" in row["flags"]
    assert "key_chain_share" not in r.indicators["indicator_id"].to_list()
    assert any("暂定" in n for n in r.notes)
    # 新材料 arrival rate by hand, 项目全周期 definition (every reported project not terminated, the 省内-funded
    # one included, latest month Sep): cum (100·9 + 20·9 + 10·9) / signed (4 × 1000) = 29.25 %
    arrival = r.indicator_board("arrival_rate").filter(pl.col("unit_code") == code)["value"].item()
    assert arrival == pytest.approx((900 + 180 + 90) / 4000 * 100)


def test_bad_requests_are_refused_in_chinese(snap, cfg):
    with pytest.raises(LevelError, match="未知的考核层级"):
        rank_level(snap, "2025Q3", "town", config=cfg)
    with pytest.raises(LevelError, match="没有下辖县区"):
        entities("county", "嘉峪关")
    with pytest.raises(LevelError, match="未知的单位"):
        entities("county", "999999")
    with pytest.raises(LevelError, match="只用于县区排名"):
        entities("chain", LANZHOU)


def test_a_level_indicator_that_needs_unit_facts_is_refused_with_its_line(tmp_path, cfg):
    text = (config.CONFIG_DIR / "levels.toml").read_text(encoding="utf-8")
    bad = tmp_path / "levels.toml"
    bad.write_text(text.replace('indicators = ["funds_yoy", "major_projects", "fortune500", "high_tech_share", '
                                '"key_chain_share"', 'indicators = ["task_completion", "major_projects", "fortune500", '
                                '"high_tech_share", "key_chain_share"'), encoding="utf-8")
    with pytest.raises(config.ConfigError) as e:
        level_config("county", cfg, str(bad))
    assert "不能在县（市、区）层级计算" in str(e.value) and e.value.line is not None
    levels._levels_file.cache_clear()


# --------------------------------------------------------------------------- the command line

def _cli(capsys, *argv):
    from analytics.cli import main
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def cli_warehouse(snap, tmp_path_factory):
    from test_ranking_warehouse import small_config_text
    cfg_path = tmp_path_factory.mktemp("levels-cli") / "indicators.toml"
    cfg_path.write_text(small_config_text(units=(LANZHOU, BAIYIN)), encoding="utf-8")
    return snap.path.parent.parent / "wh.duckdb", cfg_path


def test_cli_ranks_counties_and_chains_with_the_same_columns_plus_parent(cli_warehouse, capsys):
    import json
    path, cfg_path = cli_warehouse
    base = ["rank", "--quarter", "2025Q3", "--warehouse", path, "--config", cfg_path, "--format", "json"]
    code, out, _ = _cli(capsys, *base, "--level", "county", "--unit", "兰州")
    counties = json.loads(out)
    assert code == 0 and len(counties) == 8
    assert {r["parent_code"] for r in counties} == {LANZHOU} and counties[0]["unit_code"] == CHENGGUAN
    code, out, _ = _cli(capsys, *base, "--level", "chain")
    chains = json.loads(out)
    assert code == 0 and len(chains) == 14 and all(r["lead_department"] for r in chains)
    code, out, _ = _cli(capsys, *base, "--level", "unit")
    units = json.loads(out)
    assert set(units[0]) == set(counties[0]) == set(chains[0])
    code, out, _ = _cli(capsys, *base[:-2])
    assert "level" not in json.loads(_cli(capsys, *base)[1])[0]  # without --level: the contract's v1 columns
    code, out, _ = _cli(capsys, *base[:-2], "--level", "county", "--unit", "620100")
    assert code == 0 and "所属市州" in out and "城关区" in out and "县区没有下达任务" in out


def test_cli_refuses_a_unit_for_chains_and_a_county_list_of_a_unit_without_counties(cli_warehouse, capsys):
    path, cfg_path = cli_warehouse
    base = ["rank", "--quarter", "2025Q3", "--warehouse", path, "--config", cfg_path]
    code, _, err = _cli(capsys, *base, "--level", "chain", "--unit", "620100")
    assert code == 1 and "--unit 只用于县区排名" in err
    code, _, err = _cli(capsys, *base, "--level", "county", "--unit", "兰州新区")
    assert code == 1 and "兰州新区没有下辖县区" in err


# --------------------------------------------------------------------------- county and chain views

def test_county_view_adds_up_exactly_to_the_units_year_to_date_funds(snap):
    from analytics.targets.parts import TOTAL, UNASSIGNED_COUNTY, part_figures
    t = part_figures(snap, month(2025, 9), "county", LANZHOU)
    rows = {r["name"]: r for r in t.frame.iter_rows(named=True)}
    assert list(t.frame["name"][:8]) == list(catalog.unit_lookup()[LANZHOU].counties)
    # by hand: 城关区 9 × 100.1234, 七里河区 9 × 50, 榆中县 9 × 20.0001, 市州本级 9 × 7.5
    assert rows["城关区"]["funds_wan"] == Decimal("901.1106")
    assert rows["七里河区"]["funds_wan"] == Decimal("450")
    assert rows["榆中县"]["funds_wan"] == Decimal("180.0009")
    assert rows[UNASSIGNED_COUNTY]["funds_wan"] == Decimal("67.5")
    ytd = store.frame(snap, "SELECT funds_ytd_wan FROM mart_unit_month WHERE unit_code = '620100' "
                            "AND month = DATE '2025-09-01'")["funds_ytd_wan"].item()
    assert rows[TOTAL]["funds_wan"] == Decimal(ytd) == Decimal("1598.6115")
    assert rows["城关区"]["major"] == 1 and rows["榆中县"]["fortune500"] == 1
    # 七里河区's project was signed in January 2024 and has not started: start rate 0 %
    assert rows["七里河区"]["start_rate"] == 0 and rows["皋兰县"]["start_rate"] is None
    assert rows["城关区"]["code"] == CHENGGUAN and rows["城关区"]["parent"] == "兰州市"


def test_province_county_view_and_chain_view_add_up_to_the_province(snap):
    from analytics.targets.parts import OTHER_CHAIN, TOTAL, part_figures
    province = store.frame(snap, "SELECT sum(funds_ytd_wan) AS s FROM mart_unit_month "
                                 "WHERE month = DATE '2025-09-01'")["s"].item()
    counties = part_figures(snap, month(2025, 9), "county")
    chains = part_figures(snap, month(2025, 9), "chain")
    for t in (counties, chains):
        body = t.frame.filter(pl.col("name") != TOTAL)
        assert sum(body["funds_wan"], Decimal(0)) == Decimal(province)
        assert t.frame.filter(pl.col("name") == TOTAL)["funds_wan"].item() == Decimal(province)
    assert counties.frame.height == 86 + 15 + 1
    rows = {r["name"]: r for r in chains.frame.iter_rows(named=True)}
    # 新材料: 兰州 LZ-1 (9 × 100.1234) + LZ-3 (9 × 20.0001) + 白银 BY-2 (9 × 10)
    assert rows["新材料"]["funds_wan"] == Decimal("901.1106") + Decimal("180.0009") + Decimal("90")
    assert rows[OTHER_CHAIN]["funds_wan"] == Decimal("67.5") and rows["石化化工"]["major"] == 1
    assert "暂定" in chains.columns[2].label and rows["石化化工"]["parent"] == "省工业和信息化厅"
