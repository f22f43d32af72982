"""年终总评: the annual score by hand, each deduction counted once, grades, bad config refused in Chinese,
entries with evidence notes, and an annual publication frozen, verifiable and reproducible."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from analytics.annual import entries
from analytics.annual.archive import (
    load_annual_publication,
    publish_annual,
    recompute_annual_publication,
    verify_annual_publication,
)
from analytics.annual.engine import AnnualInputs, assess, assess_year, indicator_scores
from analytics.annual.settings import AnnualConfigError, parse_annual_config
from analytics.publication.archive import PublicationRefused
from analytics.ranking.composite import rank_quarter
from core.roles import User
from tests.test_ranking_warehouse import (  # noqa: F401 - the hand fixture is used by name
    JIAYUGUAN,
    LANZHOU,
    XINQU,
    HandWarehouse,
    hand,
    month,
    project,
    small_config,
    year_of_months,
)
from warehouse import accounts, store
from warehouse.queries import annual as q

CONFIG_TEXT = (Path(__file__).resolve().parents[1] / "config" / "annual.toml").read_text(encoding="utf-8")
ADMIN = User("admin", "管理员甲", "admin")
D = Decimal


def annual_config(text: str = CONFIG_TEXT, **replace):
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new, 1)
    return parse_annual_config(text, "annual.toml")


# --------------------------------------------------------------------------- by hand (pure)

def hand_inputs(**over) -> AnnualInputs:
    quarters = [{"quarter": f"2025Q{n}", "source": "preview", "publication_id": None, "indicator_version": "x",
                 "window": "ytd", "scores": scores} for n, scores in enumerate([
                     {LANZHOU: "80", JIAYUGUAN: "60", XINQU: "100"},
                     {LANZHOU: "70", JIAYUGUAN: "60", XINQU: "100"},
                     {LANZHOU: "90", JIAYUGUAN: "60", XINQU: "100"},
                     {LANZHOU: "60", JIAYUGUAN: None, XINQU: "100"}], start=1)]
    d = dict(
        year=2025, group_id="test", group_name="测试组",
        units=((LANZHOU, "兰州市"), (JIAYUGUAN, "嘉峪关市"), (XINQU, "兰州新区")), quarters=tuple(quarters),
        deductions={"specs": [{"id": "late_reports", "name": "迟报扣分", "points_per": "-1.0", "max_points": "5.0"}],
                    "counts": {LANZHOU: {"late_reports": 1}, JIAYUGUAN: {"late_reports": 7}},
                    "details": {}},
        supervision={u: {"entry_id": f"S-{u}", "score": s, "note": "督查报告", "entered_by": "admin"}
                     for u, s in ((LANZHOU, "90"), (JIAYUGUAN, "50"), (XINQU, "100"))},
        items=({"entry_id": "I1", "unit_code": LANZHOU, "item_id": "major_landed", "item_name": "重大项目落地",
                "points": "2", "note": "兰洽会签约", "entered_by": "admin"},
               {"entry_id": "I2", "unit_code": JIAYUGUAN, "item_id": "false_report", "item_name": "虚报",
                "points": "-3", "note": "核查报告", "entered_by": "admin"},
               {"entry_id": "I3", "unit_code": XINQU, "item_id": "major_landed", "item_name": "重大项目落地",
                "points": "2", "note": "兰洽会签约", "entered_by": "admin"},
               {"entry_id": "I4", "unit_code": XINQU, "item_id": "leader_praise", "item_name": "表扬",
                "points": "1", "note": "省委通报", "entered_by": "admin"}),
        data_cutoff=None)
    d.update(over)
    return AnnualInputs(**d)


def test_the_annual_score_equals_a_hand_computation():
    cfg = annual_config(**{"max_bonus = 5": "max_bonus = 2"})
    a = assess(hand_inputs(), cfg)
    rows = {r["unit_code"]: r for r in a.table.iter_rows(named=True)}
    # 兰州: quarters 0.2·80 + 0.2·70 + 0.3·90 + 0.3·60 = 75; 75·0.8 + 90·0.2 = 78; −1 late report; +2 → 79
    assert D(rows[LANZHOU]["score_exact"]) == D("79")
    # 嘉峪关: no Q4 score: (0.2·60 + 0.2·60 + 0.3·60) / 0.7 = 60; 60·0.8 + 50·0.2 = 58; 7 late reports capped at −5;
    # −3 penalty → 50
    assert D(rows[JIAYUGUAN]["score_exact"]) == D("50")
    assert "第四季度无排名，其权重按比例分配给其余季度" in rows[JIAYUGUAN]["flags"]
    assert not rows[JIAYUGUAN]["complete"]
    # 新区: 100·0.8 + 100·0.2 = 100; bonuses 2 + 1 capped at 2 → 102, kept at 100 (the cut is shown)
    assert D(rows[XINQU]["score_exact"]) == D("100") and D(rows[XINQU]["cut"]) == D("-2")
    assert "加分合计 3 分，按上限 2 分计" in rows[XINQU]["flags"]
    assert [(r["unit_code"], r["rank"], r["grade"]) for r in a.table.iter_rows(named=True)] == [
        (XINQU, 1, "优秀"), (LANZHOU, 2, "一般"), (JIAYUGUAN, 3, "较差")]
    # the breakdown adds up to the score, part by part
    parts = a.breakdown.filter(pl.col("unit_code") == LANZHOU)
    total = sum(D(p) for p in parts.filter(pl.col("part") != "quarters")["points"].drop_nulls())
    assert total == D("79")


def test_q4_ytd_method_and_grades_by_rank():
    cfg = annual_config(**{'method = "weights"\nweights = [0.2, 0.2, 0.3, 0.3]': 'method = "q4_ytd"',
                           'by = "score"': 'by = "rank"',
                           "from = 90\nto = 100": "from = 1\nto = 1", "from = 80\nto = 90": "from = 2\nto = 2",
                           "from = 60\nto = 80": "from = 3\nto = 3", "from = 0\nto = 60": "from = 4"})
    a = assess(hand_inputs(), cfg)
    rows = {r["unit_code"]: r for r in a.table.iter_rows(named=True)}
    # 兰州: Q4 60·0.8 + 90·0.2 − 1 + 2 = 67
    assert D(rows[LANZHOU]["score_exact"]) == D("67")
    assert rows[JIAYUGUAN]["rank"] is None and rows[JIAYUGUAN]["grade"] is None  # no Q4 score
    assert (rows[XINQU]["grade"], rows[LANZHOU]["grade"]) == ("优秀", "良好")


@pytest.mark.parametrize(("old", "new", "message", "line"), [
    ("weights = [0.2, 0.2, 0.3, 0.3]", "weights = [0.2, 0.2, 0.3, 0.4]", "四个季度权重之和为 1.1，应为 1", 19),
    ("supervision = 0.2", "supervision = 0.1", "季度部分权重与半年督查权重之和为 0.9，应为 1", 23),
    ("from = 80\nto = 90", "from = 85\nto = 90", "与“良好”（85–90）之间有空缺", None),
    ("from = 80\nto = 90", "from = 75\nto = 90", "与“良好”（75–90）重叠", None),
    ("from = 90\nto = 100", "from = 90\nto = 99", "等次分档应覆盖到 100 分", None),
    ("kind = \"bonus\"", "kind = \"extra\"", "类别 kind“extra”无效", None),
])
def test_bad_annual_config_is_refused_in_chinese_with_its_line(old, new, message, line):
    with pytest.raises(AnnualConfigError) as err:
        annual_config(**{old: new})
    assert message in str(err.value)
    assert err.value.line is not None and (line is None or err.value.line == line)


# --------------------------------------------------------------------------- a hand-made year in a warehouse

def year_2025(wh: HandWarehouse) -> store.Snapshot:
    """Three units, all of 2024 and 2025; 兰州's January 2025 report came late (a deduction in every YTD quarter)."""
    for k, unit in enumerate((LANZHOU, JIAYUGUAN, XINQU)):
        year_of_months(wh, unit, 2024, str(1000 * (k + 1)))
        for m in range(1, 13):
            wh.submit(unit, month(2025, m), [project(
                f"{unit}-1", funds_month_wan=str(900 + 400 * k), funds_cum_wan=str((900 + 400 * k) * m),
                signing_date=dt.date(2025, 1, 3), planned_investment_wan=str(60000 * (k + 1)))],
                late=unit == LANZHOU and m == 1)
    return wh.write()


@pytest.fixture
def year(hand):
    year_2025(hand)
    for unit, score in ((LANZHOU, "90"), (JIAYUGUAN, "80"), (XINQU, "70")):
        entries.record_supervision(hand.path, 2025, unit, score, "2025年半年督查报告", ADMIN)
    return hand


def test_a_late_report_is_deducted_once_in_the_year_though_every_quarter_shows_it(year):
    snap = store.current_snapshot(year.path)
    icfg, cfg = small_config(), annual_config()
    quarters = [rank_quarter(snap, f"2025Q{n}", icfg) for n in range(1, 5)]
    # the quarterly (year-to-date) rankings all carry 兰州's January late report
    for r in quarters:
        late = r.contributions.filter((pl.col("unit_code") == LANZHOU) & (pl.col("item_id") == "late_reports"))
        assert late["contribution"][0] == -1.0
    a = assess_year(snap, 2025, cfg, icfg)
    row = a.table.filter(pl.col("unit_code") == LANZHOU).row(0, named=True)
    assert D(row["deductions"]) == D("-1")
    # by hand, from the quarters' indicator scores (without their deductions) and the weights of config/annual.toml
    scores = [D(indicator_scores(r)[LANZHOU]) for r in quarters]
    qp = D("0.2") * scores[0] + D("0.2") * scores[1] + D("0.3") * scores[2] + D("0.3") * scores[3]
    assert D(row["score_exact"]) == qp * D("0.8") + D("90") * D("0.2") - 1
    # what a naive weighted mean of the quarterly scores would give differs by the hidden extra deduction shares
    assert indicator_scores(quarters[0])[LANZHOU] == format(
        D(str(quarters[0].contributions.filter((pl.col("unit_code") == LANZHOU) & (pl.col("kind") == "indicator"))
              ["contribution"].sum())).quantize(D("0.0001")), "f")
    assert row["grade"] == cfg.grade_of(D(row["score_exact"]), row["rank"])


def test_an_item_needs_an_evidence_note_and_is_audited(year):
    cfg = annual_config()
    with pytest.raises(entries.EntryRefused, match="请填写证明材料说明"):
        entries.record_item(year.path, cfg, 2025, "兰州", "major_landed", "2", "  ", ADMIN)
    with pytest.raises(entries.EntryRefused, match="不超过 2 分"):
        entries.record_item(year.path, cfg, 2025, "兰州", "major_landed", "3", "兰洽会签约项目落地", ADMIN)
    with pytest.raises(entries.EntryRefused, match="没有“发布排名”权限"):
        entries.record_item(year.path, cfg, 2025, "兰州", "major_landed", "1", "兰洽会签约项目落地",
                            User("leader", "领导", "leader"))
    assert q.items(store.current_snapshot(year.path), 2025).is_empty()  # nothing half-written
    entry = entries.record_item(year.path, cfg, 2025, "兰州", "false_report", "2", "2025Q2核查发现虚报", ADMIN)
    snap = store.current_snapshot(year.path)
    got = q.items(snap, 2025).row(0, named=True)
    assert (got["entry_id"], got["points"], got["note"]) == (entry, D("-2"), "2025Q2核查发现虚报")
    log = accounts.recent_audit(warehouse=year.path)
    assert log[0].event == "annual_entry" and "扣分“经核实的虚报、瞒报” -2 分" in log[0].detail
    before = assess_year(snap, 2025, cfg, small_config()).table.filter(pl.col("unit_code") == LANZHOU)
    entries.withdraw_item(year.path, 2025, entry, "复核后撤销", ADMIN)
    after_snap = store.current_snapshot(year.path)
    assert q.items(after_snap, 2025).is_empty() and q.items(after_snap, 2025, include_withdrawn=True).height == 2
    after = assess_year(after_snap, 2025, cfg, small_config()).table.filter(pl.col("unit_code") == LANZHOU)
    assert D(after["score_exact"][0]) - D(before["score_exact"][0]) == 2


def test_annual_publication_is_frozen_verifiable_reproducible_and_corrected_by_a_new_row(year, hand):
    cfg, icfg = annual_config(), small_config()
    snap = store.current_snapshot(year.path)
    a = assess_year(snap, 2025, cfg, icfg)
    out = publish_annual(year.path, a, cfg, by="张三", at=dt.datetime(2026, 1, 20, 9))
    now = store.current_snapshot(year.path)
    assert verify_annual_publication(now, out.publication_id)
    pub = load_annual_publication(now, out.publication_id)
    assert pub.assessment.table.equals(a.table) and pub.config.version == "annual-2025.1"
    assert recompute_annual_publication(now, out.publication_id).table.equals(a.table)
    with pytest.raises(PublicationRefused, match="已发布"):
        publish_annual(year.path, a, cfg, by="李四")
    # later data never change it
    entries.record_supervision(year.path, 2025, XINQU, "95", "督查复核改分", ADMIN)
    later = store.current_snapshot(year.path)
    assert load_annual_publication(later, out.publication_id).assessment.table.equals(a.table)
    second = publish_annual(year.path, assess_year(later, 2025, cfg, icfg), cfg, by="李四", note="新区督查复核改分")
    assert second.corrects == out.publication_id
    pubs = q.publications(store.current_snapshot(year.path))
    assert pubs.filter(pl.col("is_current"))["publication_id"].to_list() == [second.publication_id]
    with store.write_transaction(year.path) as con:
        con.execute("UPDATE annual_published_rows SET grade = '优秀' WHERE unit_code = ?", [JIAYUGUAN])
    assert not verify_annual_publication(store.current_snapshot(year.path), out.publication_id)


def test_publishing_without_every_supervision_score_is_refused(hand):
    snap = year_2025(hand)
    cfg = annual_config()
    a = assess_year(snap, 2025, cfg, small_config())
    with pytest.raises(PublicationRefused, match="半年督查结果尚未录入：兰州市、嘉峪关市、兰州新区"):
        publish_annual(hand.path, a, cfg, by="张三")
    assert q.publications(store.current_snapshot(hand.path)).is_empty()


def test_the_annual_document_prints_the_assessment_when_one_is_configured(year):
    from analytics.documents.annual import annual_document
    from analytics.documents.settings import load_document_settings
    snap = store.current_snapshot(year.path)
    cfg, icfg = annual_config(), small_config()
    doc = annual_document(snap, 2025, load_document_settings(), version="public", number=None,
                          date=dt.date(2026, 1, 25), config=icfg, annual=cfg)
    text = "\n".join(p.text for p in doc.paragraphs())
    a = assess_year(snap, 2025, cfg, icfg)
    top = a.table.row(0, named=True)
    assert f"{top['unit_name']}（{D(top['score_exact']).quantize(D('0.01'))}分，{top['grade']}）" in text
    assert "全年扣分（每项只计一次）" in text and doc.preview
    table = doc.attachments[0]
    assert table.columns == ("名次", "单位", "年度得分（分）", "等次")
    assert [r[3] for r in table.rows] == a.table["grade"].to_list()
