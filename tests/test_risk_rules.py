"""Every risk rule on a hand-made warehouse: planted cases are flagged with a Chinese reason, ordinary
projects mostly are not."""
import datetime as dt
import random
import re

import polars as pl
import pytest
from test_sampling_warehouse import Builder, background

from analytics.verification import scoring
from analytics.verification.rules import FAMILIES, FAMILY_ZH
from warehouse import store

QUARTER = "2025Q3"


def plant(b: Builder) -> None:
    """Planted cases; the background has 50 ordinary projects per unit reported 2024-10 … 2025-09."""
    b.project("620100", "CDEC", "2024-10", [300, 200, 150, -250, 120, 80, 60, 140, 90, 110, 70, 130])
    b.project("620400", "WARN", "2025-07", [210.5, 130.25, 99.75])
    for m in ("2025-07", "2025-08", "2025-09"):
        b.warn("620400", m, "WARN", "uscc_check_digit", "投资方统一社会信用代码校验位错误")
    b.warn("620400", "2025-09", "WARN", "five_hundred_unverified", "三个500强类别“世界500强”未在 2025 年名录中找到")
    b.warn("620400", "2025-08", "WARN", "cum_mismatch", "累计到位资金与上月累计加本月到位资金不符")
    b.project("620500", "LATE", "2025-07", [120.5, 80.25, 60.75])
    b.project("621000", "BUNCH", "2024-10", [0, 0, 800.5, 0, 0, 650.3, 0, 0, 720.7, 0, 0, 910.9])
    b.project("620100", "ROUND", "2024-10", [300, 500, 0, 800, 1200, 0, 700, 900, 0, 400, 600, 1100])
    b.project("620400", "REPEAT", "2024-10", [123.45] * 5 + [88.1, 0, 77.3, 0, 66.2, 0, 51.9])
    b.project("620100", "DUPA", "2025-01", [310.2, 0, 150.7, 120.1, 0, 99.9, 80.3, 0, 70.1],
              investor="甲集团有限公司", uscc="91440300MA5FXXXX01", name="兰州甲集团新能源装备产业园项目",
              signing_date=dt.date(2024, 12, 20))
    b.project("620400", "DUPB", "2025-03", [150.7, 120.1, 0, 99.9, 80.3, 0, 70.1],
              investor="甲集团有限公司", uscc="91440300MA5FXXXX01", name="白银市甲集团新能源装备产业园项目",
              signing_date=dt.date(2024, 12, 20))
    # the same group, a similar project elsewhere, but another contract: only a weak signal
    b.project("620500", "SIMA", "2025-01", [33.3, 0, 41.2, 0, 52.9, 0, 17.5, 0, 21.4], signed=25000,
              investor="戊能源集团有限公司", uscc="91440300MA5FXXXX05", name="戊能源集团光伏电站项目")
    b.project("621000", "SIMB", "2025-02", [12.3, 0, 45.6, 0, 78.9, 0, 32.1, 0], signed=48000,
              investor="戊能源集团有限公司", uscc="91440300MA5FXXXX05", name="戊能源集团光伏电站二期项目")
    b.project("621000", "SIMC", "2025-01", [23.3, 0, 11.2, 0, 42.9, 0, 17.5, 0, 21.4], signed=9000,
              investor="己食品有限公司", uscc="91440300MA5FXXXX06", name="己公司食品加工园项目")
    b.project("621000", "SIMD", "2025-04", [0, 45.6, 0, 78.9, 0, 32.1], signed=30000,
              investor="己食品有限公司", uscc="91440300MA5FXXXX06", name="己公司食品加工园二期项目")
    # a subsidiary claiming its listed group's 500强 rank
    b.project("620100", "SUBS", "2025-07", [120.5, 0, 80.25], investor="杭州利龙庆阳投资有限公司",
              fortune500="中国企业500强")
    b.warn("620100", "2025-09", "SUBS", "five_hundred_unverified", "投资方不在 2025 年中国企业500强名录中")
    b.five_hundred.append(("中国企业500强", 2025, "杭州利龙集团有限公司"))
    b.project("620500", "RS1", "2024-12", [90.3, 0, 85.1, 0, 120.7, 0, 66.6, 0, 77.7, 0],
              investor="乙物流有限公司", uscc="91440300MA5FXXXX02", name="乙公司冷链物流园项目",
              signing_date=dt.date(2024, 11, 1))
    b.project("620500", "RS2", "2025-05", [0, 130.3, 0, 99.4, 0],
              investor="乙物流有限公司", uscc="91440300MA5FXXXX02", name="乙公司冷链物流园二期项目",
              signing_date=dt.date(2025, 4, 1))
    b.project("620100", "NM1", "2025-01", [0, 55.5, 0, 66.6, 0, 77.7, 0, 88.8, 0], name="丙丁现代农业示范园项目",
              investor="丙公司", uscc="91440300MA5FXXXX03")
    b.project("621000", "NM2", "2025-01", [44.4, 0, 33.3, 0, 22.2, 0, 11.1, 0, 99.9], name="丙丁现代农业示范园项目",
              investor="丁公司", uscc="91440300MA5FXXXX04")
    b.project("620400", "NOSTART", "2024-10", [0] * 12, status="已签约未开工", signing_date=dt.date(2024, 1, 10))
    b.project("620500", "NOMONEY", "2025-01", [0] * 9, start_date=dt.date(2025, 3, 5))
    b.project("621000", "LOWFUND", "2024-10", [50.5] + [0] * 11, signed=100000, start_date=dt.date(2024, 10, 8))
    b.project("620100", "STOPPED", "2024-10", [2000.5, 3100.2, 1500.7] + [0] * 9, signed=30000)
    rng = random.Random(4)
    for k in range(12):
        b.project("620500", f"FAB{k:02d}", "2024-10", [round(rng.uniform(550, 559.9), 2) for _ in range(12)],
                  signed=60000)


PLANTED = {
    ("620100", "CDEC"): "cum_decrease",
    ("620400", "WARN"): "uscc_check_digit",
    ("620500", "LATE"): "late_upward_revision",
    ("621000", "BUNCH"): "quarter_end_bunching",
    ("620100", "ROUND"): "round_numbers",
    ("620400", "REPEAT"): "repeated_amount",
    ("620100", "DUPA"): "duplicate_across_units_original",   # reported first: the genuine deal, named
    ("620400", "DUPB"): "duplicate_across_units",
    ("620500", "SIMA"): "similar_project_same_investor",
    ("621000", "SIMB"): "similar_project_same_investor",
    ("621000", "SIMC"): "similar_project_same_investor",
    ("621000", "SIMD"): "similar_project_same_investor",
    ("620100", "SUBS"): "five_hundred_unverified",
    ("620500", "RS2"): "repeat_signing",
    ("620500", "RS1"): "repeat_signing_original",
    ("620100", "NM1"): "duplicate_name_across_units",
    ("621000", "NM2"): "duplicate_name_across_units",
    ("620400", "NOSTART"): "stalled_long_not_started",  # signed 2+ years ago: far beyond the stall rule
    ("620500", "NOMONEY"): "stalled_no_money",
    ("621000", "LOWFUND"): "stalled_low_funds",
    ("620100", "STOPPED"): "stalled_no_money",
    **{("620500", f"FAB{k:02d}"): "benford_bins" for k in range(12)},
}


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    b = Builder(tmp_path_factory.mktemp("risk") / "w.duckdb")
    background(b, 50)
    plant(b)
    b.revise("620500", "2025-07", dt.datetime(2025, 10, 20), {"LATE": {"funds_month_wan": 5120.5}})
    return store.current_snapshot(b.write())


@pytest.fixture(scope="module")
def result(snapshot):
    return scoring.score_projects(scoring.load_inputs(snapshot, QUARTER))


def row(result, unit, pid) -> dict:
    return result.projects.filter((pl.col("unit_code") == unit) & (pl.col("project_id") == pid)).row(0, named=True)


@pytest.mark.parametrize("key", sorted(PLANTED))
def test_each_planted_case_is_flagged_by_its_rule(result, key):
    assert PLANTED[key] in row(result, *key)["reason_codes"]


def test_reasons_say_what_happened_in_chinese(result):
    def reasons(unit, pid):
        shown = row(result, unit, pid)["reasons"]
        assert all(re.match(r"【(强|中等|弱)证据】", r) for r in shown)
        return [re.sub(r"^【[^】]+】", "", r) for r in shown]

    assert "2025年1月累计到位资金比上月减少 250 万元" in reasons("620100", "CDEC")
    assert any("同一投资方（甲集团有限公司）在 白银市 与 兰州市 重复填报同一项目" in r for r in reasons("620400", "DUPB"))
    assert any(r.startswith("本项目与白银市的同一项目重复填报（后者填报在后）") for r in reasons("620100", "DUPA"))
    assert any("同一投资方（戊能源集团有限公司）在 天水市 与 庆阳市 有名称相近的项目" in r for r in reasons("620500", "SIMA"))
    assert "与本单位项目 SIMC“己公司食品加工园项目”投资方相同、名称相近（金额不同），请核实是否为同一项目" in reasons(
        "621000", "SIMD")
    assert any(r.startswith("疑似重复签约：与本单位项目 RS1") for r in reasons("620500", "RS2"))
    assert any("2025年7月到位资金在第 2 版（2025年10月20日逾期报送）中由 120.5 万元上调为 5,120.5 万元" in r for r in reasons("620500", "LATE"))
    assert any(r.startswith("连续 4 个季度到位资金只在季末月份填报") for r in reasons("621000", "BUNCH"))
    assert any("本月到位资金有 5 个月均为 123.45 万元" in r for r in reasons("620400", "REPEAT"))
    assert any(r.startswith("签约未开工：签约已 20 个月仍未开工（超过 12 个月）") for r in reasons("620400", "NOSTART"))
    assert "开工后无到位资金：连续 9 个月无到位资金（达到 3 个月）" in reasons("620100", "STOPPED")
    warn = reasons("620400", "WARN")
    assert any("统一社会信用代码校验位错误（共 3 个月出现）" in r for r in warn)
    assert any(r.startswith("2025年9月报表：三个500强类别") for r in warn)
    for r in result.signals["reason"]:
        assert re.search(r"[\u4e00-\u9fff]", r) and "None" not in r and "nan" not in r


def test_a_subsidiary_claiming_its_groups_rank_is_a_weak_signal(result):
    sub = result.signals.filter((pl.col("project_id") == "SUBS") & (pl.col("code") == "five_hundred_unverified"))
    assert "投资方名称以名录企业“杭州利龙”开头，疑为其下属企业" in sub["reason"][0]
    fake = result.signals.filter((pl.col("project_id") == "WARN") & (pl.col("code") == "five_hundred_unverified"))
    assert sub["severity"][0] < 0.3 < fake["severity"][0]


def test_the_same_contract_outweighs_a_similar_name(result):
    assert row(result, "620400", "DUPB")["score_duplication"] > 2 * row(result, "620500", "SIMA")["score_duplication"]


def test_a_longer_dry_spell_weighs_more(result):
    settings = scoring.sampling_config()["risk"]
    full, months = settings["severity"]["stalled_no_money"], settings["no_money_full_months"]
    no_money = result.signals.filter(pl.col("code") == "stalled_no_money")
    rule = 3   # config/targets.toml [stalled] no_money_months: the stall rule itself says almost nothing
    stopped = no_money.filter(pl.col("project_id") == "STOPPED")["severity"][0]        # 9 dry months
    assert stopped == pytest.approx(full * (9 - rule) / (months - rule))
    short = no_money.filter(pl.col("reason").str.contains("连续 3 个月无到位资金"))
    assert short.height > 0 and (short["severity"] - full * 0.1).abs().max() < 1e-9
    assert stopped > 5 * short["severity"].max()
    # a year of 在建 without money is decisive on its own: the project is among the highest risks
    assert "stalled_no_money" in scoring.sampling_config()["risk"]["decisive"]
    assert row(result, "620100", "STOPPED")["risk_score"] > 0.3


def test_warning_codes_feed_their_families(result):
    r = row(result, "620400", "WARN")
    assert r["score_duplication"] > 0.9        # invalid USCC and the unlisted 500强 claim: identity
    assert r["score_consistency"] == pytest.approx(0.6)   # one cum_mismatch


def test_ordinary_projects_are_rarely_flagged(result):
    bg = result.signals.filter(pl.col("project_id").str.starts_with("B"))
    never = {"cum_decrease", "late_upward_revision", "repeated_amount", "duplicate_across_units", "repeat_signing",
             "duplicate_name_across_units", "same_investor_same_amount", "similar_project_same_investor",
             "benford_bins", "stalled_not_started", "uscc_check_digit"}
    assert set(bg["code"]) & never == set()
    n_bg = result.projects.filter(pl.col("project_id").str.starts_with("B")).height
    for code in ("quarter_end_bunching", "round_numbers", "stalled_no_money"):
        assert bg.filter(pl.col("code") == code).height <= 0.1 * n_bg, code


def test_only_the_deviating_unit_fails_the_n_aware_digit_test(result):
    window = result.benford.filter(pl.col("period") == "近24个月")
    deviating = window.filter(pl.col("mad_ratio") >= 1.5)["unit_code"].to_list()
    assert deviating == ["620500"]
    verdict = window.filter(pl.col("unit_code") == "620500")["verdict_zh"][0]
    assert verdict.startswith("明显偏离")


def test_planted_projects_outrank_the_background(result):
    p = result.projects
    bg_median = p.filter(pl.col("project_id").str.starts_with("B"))["risk_score"].median()
    weak = {("620100", "SUBS"), ("620500", "SIMA"), ("621000", "SIMB"), ("621000", "SIMC"), ("621000", "SIMD"),
            ("620400", "NOSTART")}   # weak signals by design
    for key in PLANTED.keys() - weak:
        assert row(result, *key)["risk_score"] > bg_median, key
    assert p["risk_score"].is_between(0, 1).all()
    assert p.height == p.select("unit_code", "project_id").n_unique()


def test_heatmap_is_unit_by_family(result):
    h = result.heatmap
    assert h.height == 4 * len(FAMILIES)
    assert set(h["family_name"]) == set(FAMILY_ZH.values())
    zx = h.filter((pl.col("unit_code") == "620500") & (pl.col("family") == "digits"))
    assert zx["flagged"][0] >= 12


def test_model_flags_the_most_unusual_projects_with_feature_reasons(result):
    model = result.signals.filter(pl.col("family") == "model")
    assert model.height > 0
    assert all("主要因素：" in r for r in model["reason"])
    f = result.features
    assert f.height == result.projects.height
    contrib = f.select(pl.sum_horizontal(pl.col("^contrib_.*$"))).to_series()
    assert (contrib - f["ecod_score"]).abs().max() < 1e-9


def test_weights_change_the_ranking(result):
    inputs_weights = {**result.weights, "lifecycle": 0.0, "duplication": 8.0}
    p = result.projects.with_columns(alt=scoring.risk_expr(inputs_weights))
    top = p.sort("alt", descending=True).head(4)
    assert set(top["project_id"]) <= {"DUPA", "DUPB", "RS1", "RS2", "WARN", "NM1", "NM2", "REPEAT", "SIMA", "SIMB",
                                "SIMC", "SIMD"}


def test_unit_level_signals(result):
    u = result.units
    assert u.height == 4 and u["projects"].sum() == result.projects.height
    assert u["quarter_end_share"].is_between(0, 1).all()
    zx = u.filter(pl.col("unit_code") == "620500").row(0, named=True)
    assert zx["verdict_zh"].startswith("明显偏离") and zx["benford_n"] >= 300
    others = u.filter(pl.col("unit_code") != "620500")
    assert (others["mad_ratio"] < 1.5).all()


def test_unit_flagged_counts_projects_with_a_signal(result):
    flagged = result.projects.group_by("unit_code").agg((pl.col("reasons").list.len() > 0).sum().alias("n"))
    assert dict(result.units.select("unit_code", "flagged").iter_rows()) == dict(flagged.iter_rows())
    assert (result.units["flagged"] >= result.units["high_risk"]).all()


def test_digit_report_is_the_risk_results_digit_test_with_its_tables(snapshot, result):
    report = scoring.digit_report(snapshot, QUARTER)
    assert report.periods == (QUARTER, "近24个月") and report.test == "first_two"
    cols = ["unit_code", "period", "n", "excluded", "mad", "verdict_zh"]
    assert report.summary.select(cols).equals(result.benford.select(cols))
    per_group = report.tables.group_by("unit_code", "period").agg(pl.col("count").sum(), pl.col("observed").sum(),
                                                                 pl.len().alias("digits"))
    joined = per_group.join(report.summary, on=["unit_code", "period"])
    assert (joined["count"] == joined["n"]).all() and (joined["digits"] == 90).all()
    assert ((joined["observed"] - 1).abs() < 1e-9).all()
    assert ((joined["mad"] / joined["expected_mad"] - joined["mad_ratio"]).abs() < 1e-9).all()
    # 620500's fabricated amounts (550–559.9) over-fill first-two digit 55 over the window
    fab = report.tables.filter((pl.col("unit_code") == "620500") & (pl.col("period") == "近24个月")
                               & (pl.col("digit") == 55)).row(0, named=True)
    assert fab["observed"] > 3 * fab["expected"] and fab["z"] > 2.58


def test_digit_report_for_the_first_digit(snapshot, result):
    first = scoring.digit_report(snapshot, QUARTER, "first")
    two = scoring.digit_report(snapshot, QUARTER)
    assert first.summary["n"].to_list() == two.summary["n"].to_list()   # the same amounts, another test
    assert first.bands == (0.006, 0.012, 0.015)
    assert first.tables.group_by("unit_code", "period").len()["len"].unique().to_list() == [9]


def test_project_table_ranks_over_the_quarter_then_filters(result):
    everything = scoring.project_table(result.projects)
    assert everything["risk_rank"].to_list() == list(range(1, result.projects.height + 1))
    assert everything["risk_score"].is_sorted(descending=True)
    rank = dict(zip(everything["project_id"], everything["risk_rank"]))
    picked = scoring.project_table(result.projects, ("621000",), ("timing", "lifecycle"))
    assert set(picked["unit_code"]) == {"621000"}
    assert {"BUNCH", "LOWFUND"} <= set(picked["project_id"])
    assert ((picked["score_timing"] > 0) | (picked["score_lifecycle"] > 0)).all()
    assert all(rank[p] == r for p, r in zip(picked["project_id"], picked["risk_rank"]))
    bunch = picked.filter(pl.col("project_id") == "BUNCH").row(0, named=True)
    assert "时间特征" in bunch["families_zh"] and bunch["reasons_text"] == "；".join(bunch["reasons"])
    quiet = everything.filter(pl.col("reasons").list.len() == 0).head(1)
    assert quiet["families_zh"].to_list() == [""]
