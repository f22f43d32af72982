"""核减 (analytics/verification/deductions.py, migration 031): a verified discrepancy corrects 到位资金 in targets,
the monthly bulletin and the ranking from then on; the reported amounts stay; earlier publications stay identical;
bad input refused with nothing written."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from analytics.publication import signoff
from analytics.publication.archive import load_publication, publish, verify_publication
from analytics.publication.monthly import monthly_bulletin
from analytics.ranking.composite import rank_quarter
from analytics.targets.lifecycle import project_history
from analytics.targets.unit_tasks import units_vs_tasks
from analytics.verification import deductions as kd
from core.roles import User
from tests.test_pages_verification import small  # noqa: F401 (fixture)
from tests.test_ranking_warehouse import JIAYUGUAN, LANZHOU, HandWarehouse, fill, small_config
from warehouse import accounts, store
from warehouse.queries import sampling as sampling_queries

ADMIN = User("admin", "管理员甲", "admin")
SEPT = dt.date(2025, 9, 1)


@pytest.fixture
def wh(tmp_path):
    path = tmp_path / "wh.duckdb"
    fill(HandWarehouse(path))
    with store.write_transaction(path) as con:   # the firm's findings for 2025Q3 (兰州-1 reported 8100 万元 累计)
        for unit, pid, outcome, reported, verified in (
                (LANZHOU, f"{LANZHOU}-1", "存在差异", "8100", "6100"),
                (JIAYUGUAN, f"{JIAYUGUAN}-1", "核实无误", "8100", "8100")):
            con.execute("INSERT INTO verification_results VALUES ('S-2025Q3', '2025Q3', ?, ?, ?, ?, ?, '现场核查', "
                        "TIMESTAMP '2025-10-20 10:00:00', '核查组')", [unit, pid, outcome, reported, verified])
    return path


def ytd(snap, unit):
    t = units_vs_tasks(snap, SEPT).table.frame
    return t.filter(pl.col("unit_code") == unit)["ytd_wan"][0]


def test_deduction_corrects_every_figure_and_keeps_the_original_and_earlier_publications(wh):
    cfg = small_config()
    before = store.current_snapshot(wh)
    out = publish(wh, rank_quarter(before, "2025Q3", cfg), cfg, by="张三", at=dt.datetime(2025, 10, 10, 9))
    signoff.approve(wh, out.publication_id, User("leader", "领导", "leader"))
    published = store.current_snapshot(wh)
    frozen = load_publication(published, out.publication_id)
    ytd_before = ytd(published, LANZHOU)
    bulletin_before = monthly_bulletin(published, SEPT, cfg).table.filter(pl.col("unit_code") == LANZHOU)
    scores_before = rank_quarter(published, "2025Q3", cfg).table.sort("unit_code")["score"]

    kid = kd.record_deduction(wh, "S-2025Q3", LANZHOU, f"{LANZHOU}-1", ADMIN)
    now = store.current_snapshot(wh)
    assert ytd(now, LANZHOU) == ytd_before - 2000                      # targets
    assert ytd(now, JIAYUGUAN) == ytd(published, JIAYUGUAN)
    bulletin = monthly_bulletin(now, SEPT, cfg).table.filter(pl.col("unit_code") == LANZHOU)
    assert bulletin["funds_month_yi"][0] == bulletin_before["funds_month_yi"][0] - Decimal("0.20")   # 2000 万元
    assert bulletin["funds_ytd_yi"][0] == bulletin_before["funds_ytd_yi"][0] - Decimal("0.20")
    assert "到位资金已按抽样核查结果核减（兰州市0.20亿元）" in monthly_bulletin(now, SEPT, cfg).notes[-1]
    assert not any("核减" in n for n in monthly_bulletin(published, SEPT, cfg).notes)
    scores = rank_quarter(now, "2025Q3", cfg).table.sort("unit_code")["score"]
    assert not scores.equals(scores_before)                                                          # the ranking
    row = store.frame(now, "SELECT funds_month_wan, funds_cum_wan, reported_funds_month_wan, reported_funds_cum_wan, "
                           "deduction_wan FROM fact_project_month WHERE project_id = ? AND month = ?",
                      [f"{LANZHOU}-1", SEPT]).row(0)
    assert row == (Decimal(900 - 2000), Decimal(8100 - 2000), Decimal(900), Decimal(8100), Decimal(2000))
    mart = store.frame(now, "SELECT funds_month_wan, reported_funds_month_wan, deduction_wan FROM mart_unit_month "
                            "WHERE unit_code = ? AND month = ?", [LANZHOU, SEPT]).row(0)
    assert mart == (Decimal(1200 - 2000), Decimal(1200), Decimal(2000))
    trail = project_history(now, LANZHOU, f"{LANZHOU}-1").frame.filter(pl.col("month") == SEPT)   # as submitted
    assert trail.select("funds_month_wan", "funds_cum_wan", "deduction_wan").row(0) == (900, 8100, 2000)
    reported = sampling_queries.project_history(now, SEPT, SEPT).filter(pl.col("project_id") == f"{LANZHOU}-1")
    assert reported["funds_cum_wan"][0] == 8100                        # the risk rules see what was reported
    listed = kd.deduction_table(now).row(0, named=True)
    assert (listed["deduction_id"], listed["sample_id"], listed["outcome"]) == (kid, "S-2025Q3", "存在差异")
    # the earlier publication: identical and still verifies
    assert verify_publication(now, out.publication_id)
    assert load_publication(now, out.publication_id).content_hash == frozen.content_hash
    assert load_publication(now, out.publication_id).ranking.table.equals(frozen.ranking.table)
    assert any(e.event == "deduction" and kid in e.detail for e in accounts.recent_audit(10, warehouse=wh))


def count(wh) -> int:
    return store.frame(store.current_snapshot(wh), "SELECT count(*) AS n FROM funds_deductions")["n"][0]


def test_bad_deductions_are_refused_and_nothing_is_written(wh):
    cases = [
        (("S-2025Q3", LANZHOU, f"{LANZHOU}-1", ADMIN, "8100.0001"), "大于报送的累计到位资金 8100.0000 万元"),
        (("S-2025Q3", LANZHOU, f"{LANZHOU}-1", ADMIN, "0"), "核减金额应大于 0"),
        (("S-2025Q3", LANZHOU, f"{LANZHOU}-1", ADMIN, "很多"), "核减金额应为数字"),
        (("S-2025Q3", JIAYUGUAN, f"{JIAYUGUAN}-1", ADMIN, None), "只有“存在差异”的项目可以核减"),
        (("S-2025Q3", LANZHOU, f"{LANZHOU}-9", ADMIN, None), "的核查结果"),
        (("S-2025Q3", LANZHOU, f"{LANZHOU}-1", User("lz", "兰州填报", "reporter", LANZHOU), None), "无权核减"),
    ]
    for (sample, unit, pid, user, amount), message in cases:
        with pytest.raises(kd.DeductionRefused, match=message):
            kd.record_deduction(wh, sample, unit, pid, user, amount)
    assert count(wh) == 0
    kd.record_deduction(wh, "S-2025Q3", LANZHOU, f"{LANZHOU}-1", ADMIN, "8100")   # exactly the reported: allowed
    with pytest.raises(kd.DeductionRefused, match="已核减"):
        kd.record_deduction(wh, "S-2025Q3", LANZHOU, f"{LANZHOU}-1", ADMIN)
    assert count(wh) == 1


def test_admin_records_a_deduction_in_the_app(small):  # noqa: F811 - the fixture from test_pages_verification
    from analytics.verification import results, sampling
    from analytics.verification.sampling import Design
    from tests.test_pages_verification import QUARTER, button, filled, render

    s = sampling.record_draw(small, QUARTER, Design.from_sizes(8, 4, 5), "admin")
    bad = s.items.filter(pl.col("stratum") == "probability")["project_id"][:1].to_list()
    results.import_results(small, filled(s, bad), "admin", name="核查结果.xlsx")
    at = render("admin", small)
    assert not at.exception and "尚无核减记录。" in [i.value for i in at.info]
    next(t for t in at.text_input if t.key == "kd_amount").input("999999999")
    button(at, "核减").click()
    at.run()
    assert any("大于报送的累计到位资金" in e.value for e in at.error)
    next(t for t in at.text_input if t.key == "kd_amount").input("")
    button(at, "核减").click()
    at.run()
    assert not at.exception and any(m.value.startswith("已核减（K-") for m in at.success)
    listed = kd.deduction_table(store.current_snapshot(small))
    assert listed["project_id"].to_list() == bad
    leader = render("leader", small)
    assert not [b for b in leader.button if b.label == "核减"]          # reads, cannot record
