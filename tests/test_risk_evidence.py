"""Evidence-weighted risk and the pattern rules (issue 16): each new rule on a planted case and on its nearest
legitimate look-alike (which must not fire strongly), and one decisive fact alone reaching the top 5 %."""
import datetime as dt
import random
from decimal import Decimal

import numpy as np
import polars as pl
import pytest
from test_sampling_warehouse import UNITS, Builder, month

from analytics.verification import scoring
from warehouse import store

QUARTER = "2025Q3"
STRONG = scoring.STRENGTH_ZH[0][0]


def change_from(b: Builder, unit: str, pid: str, start: str, **cols) -> None:
    """From month `start` on, the project's rows carry `cols` (a figure changed mid-life)."""
    for (u, m, _v), rows in b.rows.items():
        if u == unit and m >= month(start) and pid in rows:
            rows[pid].update({k: Decimal(str(v)) if k.endswith("_wan") else v for k, v in cols.items()})


def background(b: Builder, per_unit: int, seed: int = 11) -> None:
    """Ordinary projects: monthly funds of 0.3–4 % of the signed amount in about 60 % of the months."""
    rng = random.Random(seed)
    for unit in UNITS:
        for k in range(per_unit):
            signed = round(rng.uniform(5000, 200000), 2)
            funds = [round(signed * rng.uniform(0.003, 0.04), 2) if rng.random() < 0.6 else 0 for _ in range(12)]
            b.project(unit, f"B{unit[-4:]}{k:03d}", "2024-10", funds, signed=signed, planned=signed * 1.3,
                      investor=f"背景投资{unit}{k}有限公司", name=f"{('光伏', '食品', '物流')[k % 3]}{unit}{k}号项目")


def plant(b: Builder) -> None:
    # funds that enter and leave: 8,000 booked in May, reversed in June (negative 本月)
    b.project("620100", "RT", "2024-10", [120.3, 0, 95.1, 0, 88.7, 0, 101.2, 8000, -8000, 77.4, 0, 66.1])
    # look-alike: a small correction right after, and a refund half a year after the money
    b.project("620100", "RTX", "2024-10", [120.3, 0, 95.1, 510.5, -20.2, 0, 101.2, 0, 0, -400.1, 66.6, 80.8])
    # money on a project not started: a fifth of the signed amount
    b.project("620400", "BS", "2025-01", [0, 0, 0, 0, 0, 10000.5, 0, 0, 0], status="已签约未开工", signed=50000,
              planned=60000, signing_date=dt.date(2024, 12, 1))
    # look-alike: a 2 % deposit before construction
    b.project("620400", "BSX", "2025-01", [0, 0, 0, 0, 0, 1000.5, 0, 0, 0], status="已签约未开工", signed=50000,
              planned=60000, signing_date=dt.date(2024, 12, 1))
    # the same deal in a second unit: new id, new signing date, other place name, amounts +6 %
    funds = [310.2, 0, 150.7, 120.1, 0, 99.9, 80.3, 0, 70.1]
    b.project("620100", "DUP1", "2025-01", funds, investor="庚新能源集团有限公司", uscc="91440300MA5FXXXX11",
              name="兰州市庚新能源风电装备制造基地项目", signed=80000, signing_date=dt.date(2024, 12, 20))
    b.project("620500", "DUP2", "2025-03", [round(f * 1.06, 2) for f in funds[2:]], investor="庚新能源集团有限公司",
              uscc="91440300MA5FXXXX11", name="天水市庚新能源风电装备制造基地（二期）项目", signed=84800,
              signing_date=dt.date(2025, 2, 27))
    # look-alike: the same group repeats a template project in another county, similar size, its own money
    b.project("620100", "TPL1", "2025-01", [55.5, 0, 66.6, 0, 44.4, 0, 33.3, 0, 22.2], investor="辛物流有限公司",
              uscc="91440300MA5FXXXX12", name="榆中县辛物流冷链仓储中心项目", signed=30000)
    b.project("621000", "TPL2", "2025-02", [0, 12.5, 0, 91.2, 17.3, 0, 5.5, 0], investor="辛物流有限公司",
              uscc="91440300MA5FXXXX12", name="庆城县辛物流冷链仓储中心项目", signed=31500)
    # 资金来源 changed mid-life into one that counts
    b.project("620500", "SRC", "2024-10", [60.1, 0, 70.2, 0, 80.3, 0, 90.4, 0, 50.5, 0, 40.6, 30.7],
              fund_source="省内市州外")
    change_from(b, "620500", "SRC", "2025-06", fund_source="省外境内")
    # 计划总投资 raised across the 10亿 threshold; look-alike: a project far above it all along
    b.project("621000", "THR", "2024-10", [60.1, 0, 70.2, 0, 80.3, 0, 90.4, 0, 50.5, 0, 40.6, 30.7],
              signed=90000, planned=95000)
    change_from(b, "621000", "THR", "2025-06", planned_investment_wan=101000)
    b.project("621000", "BIG", "2024-10", [1860.1, 0, 2170.2, 0, 2480.3, 0, 2790.4, 0, 1550.5, 0, 1240.6, 930.7],
              signed=250000, planned=300000)
    # token money keeping a large 在建 project alive; look-alike: a small project with small, ordinary sums
    b.project("620400", "TOK", "2025-01", [12.1, 5.3, 8.8, 3.2, 9.9, 6.1, 4.4, 7.7, 2.5], signed=200000)
    b.project("620400", "TOKX", "2025-01", [12.1, 5.3, 8.8, 3.2, 9.9, 6.1, 4.4, 7.7, 2.5], signed=1500,
              planned=1800)
    # 省外 money claimed by a company registered in Gansu whose name carries no outside-group marker; look-alike:
    # an outside group's Gansu subsidiary (group name first, （甘肃） after it)
    for pid, investor, k in (("LOC", "甘肃方岳实业有限公司", 1), ("LOCX", "中国癸岳集团（甘肃）实业有限公司", 2)):
        b.project("620400", pid, "2025-01", [44.1, 0, 52.3, 0, 61.7, 0, 38.2, 0, 47.9], investor=investor,
                  uscc=f"91620100MA5FXXXX2{k}", fund_source="省外境内", signed=12000 + k * 3000, planned=16000,
                  name=f"{('', '方岳新材料', '癸岳物流园')[k]}项目")
    # 签约额 just above the 10亿 threshold with 计划总投资 barely above it (nothing just below in the province)
    b.project("620500", "EDGE", "2025-01", [310.5, 0, 280.2, 0, 260.7, 0, 240.3, 0, 230.1], signed=100600,
              planned=101800)
    # not started for more than twice the stall rule, token money still reported; look-alike: just past the rule
    for pid, signed_on, k in (("LONG", dt.date(2023, 1, 16), 1), ("LONGX", dt.date(2024, 5, 20), 2)):
        b.project("621000", pid, "2025-01", [0, 3.5, 0, 0, 6.2, 0, 0, 4.8, 0], status="已签约未开工", signed=20000 * k,
                  planned=30000 * k, signing_date=signed_on, investor=f"子{k}能源有限公司",
                  name=f"{('', '子一光伏电站', '子二储能基地')[k]}项目")
    # the same investor re-signing a deal in the same unit at +7 % under a new id, eight months later; look-alike
    # TPL2 (a template project of the same group in another unit) stays below decisive strength
    for pid, signed, on, start in (("RES1", 42000, dt.date(2024, 9, 10), "2024-10"),
                                   ("RES2", 44940, dt.date(2025, 5, 12), "2025-06")):
        b.project("620100", pid, start, [80.5, 0, 72.1, 0][: 4 if pid == "RES2" else 9] + [0] * (5 if pid == "RES1" else 0),
                  investor="壬材料科技有限公司", uscc="91440300MA5FXXXX31", name="兰州新区壬材料科技产业园项目",
                  signed=signed, signing_date=on)
    # two projects below 10亿 reported as one "含二期" project just above it; look-alikes: a genuine second phase
    # reported on its own, and a bundled project far above the threshold (bundling gains nothing there)
    for pid, name, signed in (("BUN", "辰岳物流园项目（含二期）", 108000), ("BUNP", "辰岳物流园（二期）项目", 108000),
                              ("BUNX", "辰岳产业新城项目（含二期）", 420000)):
        b.project("620800", pid, "2025-01", [210.5, 0, 190.2, 0, 170.7, 0, 150.3, 0, 130.1], signed=signed,
                  planned=signed, name=name)
    # 省内 money passed off as foreign through a Hong Kong look-alike of a Gansu company; look-alikes: a genuine
    # Hong Kong investor, and one that shares only the brand (another trade) with a Gansu company
    b.project("620900", "GSCO", "2025-01", [35.5, 0, 41.2, 0, 29.9, 0, 33.3, 0, 30.1], investor="甘肃辰岳新材料有限公司",
              uscc="91620100MA5FXXXX41", fund_source="省内市州外", signed=9000, planned=9000, name="辰岳新材料一期项目")
    # the same through a company that reports no project but is on the enterprise register
    b.register.append(("天水瑞汇农牧有限公司", "91620500MA5FXXXX42"))
    for pid, investor in (("HKL", "香港辰岳新材料投资有限公司"), ("HKX", "香港丰岳国际投资有限公司"),
                          ("HKB", "香港辰岳矿业投资有限公司"), ("HKR", "香港瑞汇农牧投资有限公司")):
        b.project("620900", pid, "2025-01", [45.5, 0, 51.2, 0, 39.9, 0, 43.3, 0, 40.1], investor=investor, uscc=None,
                  fund_source="境外", signed=15000, planned=15000, name=f"{pid}新材料产业园项目")
    # 500强 claims by look-alikes of a listed group: a "（甘肃）" company registered in Qinghai, and a name that
    # only resembles the group's; the genuine Gansu-registered subsidiary stays a weak note
    b.five_hundred.append(("中国民营企业500强", 2025, "亥骏集团有限公司"))
    for pid, investor, uscc in (("F5Q", "亥骏（甘肃）有限公司", "91630100MA5FXXXX51"),
                                ("F5N", "亥骏集团有限公司（新建）", "91630100MA5FXXXX52"),
                                ("F5S", "亥骏（甘肃）实业有限公司", "91620100MA5FXXXX53")):
        b.project("620700", pid, "2025-01", [64.4, 0, 53.3, 0, 42.2, 0, 31.1, 0, 29.9], investor=investor, uscc=uscc,
                  fortune500="中国民营企业500强", signed=6000, planned=6000, name=f"{pid}康养中心项目")
        b.warn("620700", "2025-09", pid, "five_hundred_unverified", "投资方不在 2025 年中国民营企业500强名录中")
    # a re-signing through the group's Gansu subsidiary (another name and USCC), the original's money booked again
    # at 90 %; look-alike: the subsidiary's own similar project in the same unit, with its own money
    money = [210.4, 0, 188.6, 175.2, 0, 160.9, 150.5, 0, 140.3]
    b.project("621100", "GRP1", "2025-01", money, investor="寅辰控股有限公司", uscc="91440300MA5FXXXX61",
              name="岷县寅辰汽车销售服务中心项目", signed=26000, signing_date=dt.date(2024, 12, 5))
    b.project("621100", "GRP2", "2025-04", [round(f * 0.9, 2) for f in money[3:]], investor="寅辰控股（甘肃）有限公司",
              uscc="91620100MA5FXXXX62", name="岷县寅辰汽车销售服务中心（一期）项目", signed=21000,
              signing_date=dt.date(2025, 3, 28))
    b.project("621100", "GRPX", "2025-04", [0, 33.3, 0, 0, 71.7, 12.2], investor="寅辰控股（甘肃）有限公司",
              uscc="91620100MA5FXXXX62", name="岷县寅辰汽车销售服务中心二期项目", signed=9000,
              signing_date=dt.date(2025, 3, 28))
    # one decisive fact on an otherwise ordinary project: a 500强 claim the year's list does not support
    b.project("620500", "F500", "2025-01", [144.4, 0, 133.3, 0, 122.2, 0, 111.1, 0, 99.9], fortune500="世界500强",
              signed=3000, planned=3600)
    b.warn("620500", "2025-09", "F500", "five_hundred_unverified", "投资方不在 2025 年世界500强名录中")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    b = Builder(tmp_path_factory.mktemp("evidence") / "w.duckdb")
    background(b, per_unit=60)
    plant(b)
    return scoring.score_projects(scoring.load_inputs(store.current_snapshot(b.write()), QUARTER))


def hits(result, pid: str) -> pl.DataFrame:
    return result.signals.filter(pl.col("project_id") == pid)


def strongest(result, pid: str, code: str) -> float:
    h = hits(result, pid).filter(pl.col("code") == code)
    return float(h["evidence"].max()) if h.height else 0.0


@pytest.mark.parametrize("planted, lookalike, code", [
    ("RT", "RTX", "funds_round_trip"),
    ("BS", "BSX", "funds_before_start"),
    ("DUP2", "TPL2", "duplicate_across_units"),
    ("SRC", "BIG", "source_changed"),
    ("THR", "BIG", "threshold_raised"),
    ("TOK", "TOKX", "token_funds"),
    ("LOC", "LOCX", "source_local_investor"),
    ("LONG", "LONGX", "stalled_long_not_started"),
    ("RES2", "TPL2", "repeat_signing_close"),
])
def test_rule_fires_strongly_on_the_pattern_and_not_on_its_look_alike(result, planted, lookalike, code):
    assert strongest(result, planted, code) >= STRONG
    look = hits(result, lookalike)
    assert code not in look["code"].to_list()
    decisive = look.filter(pl.col("code").is_in(scoring.sampling_config()["risk"]["decisive"]))
    assert decisive.is_empty(), decisive.select("code", "evidence", "reason").rows()


def test_a_copy_is_found_by_the_deal_not_by_its_dates(result):
    """DUP2 took a new id, a new signing date, another place name and +6 % amounts: the later-reported copy
    is the strong signal, the genuine first project gets only a weak note naming it."""
    copy = hits(result, "DUP2").filter(pl.col("code") == "duplicate_across_units").row(0, named=True)
    assert "DUP1" in copy["reason"] and "本项目填报不早于对方" in copy["reason"]
    assert strongest(result, "DUP1", "duplicate_across_units") == 0
    assert 0 < strongest(result, "DUP1", "duplicate_across_units_original") < 0.6
    # the template look-alike is a medium hint at most, never a decisive duplicate
    assert 0 < strongest(result, "TPL2", "similar_deal") < STRONG


def test_one_decisive_fact_alone_puts_a_project_in_the_top_five_percent(result):
    ranked = scoring.project_table(result.projects)
    f500 = ranked.filter(pl.col("project_id") == "F500").row(0, named=True)
    assert [c for c in f500["reason_codes"] if c != "ecod_outlier"] == ["five_hundred_unverified"]
    assert f500["risk_rank"] <= 0.05 * ranked.height
    assert f500["reasons"][0].startswith("【强证据】")


def test_a_signal_on_most_projects_says_almost_nothing():
    pop = pl.DataFrame({"unit_code": ["1"] * 100, "project_id": [f"p{i}" for i in range(100)]})
    rows = [{"unit_code": "1", "project_id": f"p{i}", "family": "duplication", "code": "everywhere",
             "severity": 0.9, "reason": "甲"} for i in range(90)]
    rows.append({"unit_code": "1", "project_id": "p95", "family": "duplication", "code": "rare",
                 "severity": 0.9, "reason": "乙"})
    weighed = scoring.weigh_evidence(pl.DataFrame(rows), pop.height, scoring.sampling_config()["risk"])
    evidence = dict(weighed.group_by("code").agg(pl.col("evidence").max()).iter_rows())
    assert evidence["everywhere"] < 0.05 and evidence["rare"] == pytest.approx(0.9)
    assert [scoring.strength_zh(e) for e in (0.9, 0.45, 0.1)] == ["强证据", "中等证据", "弱证据"]


def test_an_amount_just_above_the_threshold_is_flagged_by_how_lopsided_the_province_is(result):
    """threshold_edge's strength is the province's pile-up just above 10亿 against just below it (this small
    test province has some honest amounts on both sides, so it is not strong here)."""
    assert strongest(result, "EDGE", "threshold_edge") > 0
    assert "threshold_edge" not in hits(result, "BIG")["code"].to_list()
    assert "threshold_edge" not in hits(result, "RTX")["code"].to_list()   # exactly 10亿元: a round contract


def decisive_evidence(result, pid: str) -> float:
    codes = scoring.sampling_config()["risk"]["decisive"]
    h = hits(result, pid).filter(pl.col("code").is_in(codes))
    return float(h["evidence"].max()) if h.height else 0.0


def test_two_deals_bundled_across_the_threshold_are_decisive_but_a_genuine_phase_is_not(result):
    bundled = hits(result, "BUN").filter(pl.col("code") == "threshold_bundled").row(0, named=True)
    assert "含二期" in bundled["reason"] and "10亿元" in bundled["reason"]
    assert decisive_evidence(result, "BUN") >= 0.3
    for lookalike in ("BUNP", "BUNX"):
        assert "threshold_bundled" not in hits(result, lookalike)["code"].to_list()


def test_foreign_money_through_a_look_alike_of_a_gansu_company_is_decisive(result):
    h = hits(result, "HKL").filter(pl.col("code") == "source_foreign_lookalike").row(0, named=True)
    assert "甘肃辰岳新材料有限公司" in h["reason"] and h["evidence"] >= STRONG
    for lookalike in ("HKX", "HKB"):
        assert "source_foreign_lookalike" not in hits(result, lookalike)["code"].to_list()
    registered = hits(result, "HKR").filter(pl.col("code") == "source_foreign_lookalike").row(0, named=True)
    assert "天水瑞汇农牧有限公司" in registered["reason"]


def test_500_claims_of_group_look_alikes_keep_full_strength_but_a_gansu_subsidiary_is_weak(result):
    def claim(pid):
        return hits(result, pid).filter(pl.col("code") == "five_hundred_unverified").row(0, named=True)
    assert claim("F5Q")["evidence"] >= STRONG and "登记地不在甘肃" in claim("F5Q")["reason"]
    assert claim("F5N")["evidence"] >= STRONG and "仅字面相近" in claim("F5N")["reason"]
    assert claim("F5S")["evidence"] < 0.3 and "疑为其下属企业" in claim("F5S")["reason"]


def test_the_probability_stratum_weighs_evidence_not_the_prior_everyone_carries():
    """Thousands of projects at the prior risk must not outweigh the few with evidence: the weight is the risk
    above the population's floor (the uniform part still keeps every project drawable)."""
    from analytics.verification.sampling import mixed_weights
    risk = np.array([0.018] * 998 + [0.2, 0.2])
    w = mixed_weights(risk, 0.8)
    assert w[-2:].sum() == pytest.approx(0.8 + 0.2 * 2 / 1000)
    assert w[0] == pytest.approx(0.2 / 1000)


def test_a_re_signing_through_the_groups_subsidiary_is_found_by_its_mirrored_money(result):
    """GRP2 is signed by the group's Gansu subsidiary (another name and USCC) and books the original's money again:
    the same deal. GRPX, the subsidiary's own similar project with its own money, is no duplicate."""
    copy = hits(result, "GRP2").filter(pl.col("code") == "repeat_signing").row(0, named=True)
    assert "GRP1" in copy["reason"] and copy["evidence"] >= STRONG
    assert "投资方同属一个集团（对方投资方：寅辰控股有限公司）" in copy["reason"] and "各月到位资金一一对应" in copy["reason"]
    assert decisive_evidence(result, "GRPX") == 0
