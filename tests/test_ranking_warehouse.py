"""Hand-made warehouses for the ranking area, and the indicator formulas computed on them by hand.

`HandWarehouse` writes submissions and project rows straight into a real warehouse through
`warehouse.store.write_transaction`, so `fact_project_month` and `mart_unit_month` have data.
Other ranking/publication test modules import it from here.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from analytics.ranking.composite import rank_quarter
from analytics.ranking.history import history_quarters, months_not_due, rank_changes, rank_history, reporting_status
from analytics.ranking.indicator_config import IndicatorConfig, parse_indicator_config
from analytics.ranking.indicators import compute_indicator_values
from analytics.targets.lifecycle import lifecycle_overview
from warehouse import store

LANZHOU, JIAYUGUAN, XINQU = "620100", "620200", "620171"

PROJECT_DEFAULTS = {
    "project_name": None, "county": None, "chain": "新材料", "investor_name": "某投资有限公司",
    "investor_uscc": None, "investor_origin": "广东省", "fortune500": "无", "fund_source": "省外境内",
    "project_type": "新建", "signing_date": dt.date(2024, 1, 10), "signed_amount_wan": Decimal("1000"),
    "planned_investment_wan": Decimal("1000"), "status": "在建", "start_date": dt.date(2024, 2, 1),
    "production_date": None, "funds_month_wan": Decimal("0"), "funds_cum_wan": Decimal("0"),
    "is_high_tech": False, "remark": None,
}
COLUMNS = ["submission_id", "row_no", "project_id", *PROJECT_DEFAULTS]


def project(project_id: str, **kw) -> dict:
    row = {**PROJECT_DEFAULTS, "project_id": project_id, **kw}
    row["project_name"] = row["project_name"] or f"项目{project_id}"
    for k in ("signed_amount_wan", "planned_investment_wan", "funds_month_wan", "funds_cum_wan"):
        row[k] = Decimal(str(row[k]))
    return row


def month(y: int, m: int) -> dt.date:
    return dt.date(y, m, 1)


class HandWarehouse:
    """A temp warehouse; `submit(...)` queues one submission, `write()` stores the queue in one transaction."""

    def __init__(self, path: Path):
        self.path = path
        store.initialise(path)
        self.queue: list[tuple] = []
        self.findings: list[tuple] = []
        self.next_id = 1

    def submit(self, unit: str, mon: dt.date, rows: list[dict], *, version: int = 1, late: bool = False,
               quarantined: int = 0, received_at: dt.datetime | None = None) -> "HandWarehouse":
        nxt = dt.date(mon.year + mon.month // 12, mon.month % 12 + 1, 5)
        received = received_at or dt.datetime.combine(nxt, dt.time(10 if not late else 23)) + (
            dt.timedelta(days=3) if late else dt.timedelta())
        self.queue.append((self.next_id, unit, mon, version, received, late, quarantined, rows))
        self.next_id += 1
        return self

    def finding(self, unit: str, quarter: str, project_id: str, outcome: str) -> "HandWarehouse":
        self.findings.append((f"S-{quarter}", quarter, unit, project_id, outcome))
        return self

    def write(self) -> store.Snapshot:
        with store.write_transaction(self.path) as con:
            for sid, unit, mon, version, received, late, quarantined, rows in self.queue:
                nxt = dt.date(mon.year + mon.month // 12, mon.month % 12 + 1, 5)
                con.execute(
                    "INSERT INTO submission_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, 0, 0)",
                    [sid, unit, mon, version, received, dt.datetime.combine(nxt, dt.time(23, 59, 59)), late,
                     f"{unit}-{mon:%Y-%m}-v{version}.xlsx", f"sha-{sid}-{self.path.name}",
                     len(rows) + quarantined, len(rows), quarantined],
                )
                con.executemany(
                    f"INSERT INTO project_rows ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                    [[sid, i + 4, *[r[c] for c in COLUMNS[2:]]] for i, r in enumerate(rows)],
                )
            for f in self.findings:
                con.execute("INSERT INTO verification_results VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, "
                            "TIMESTAMP '2025-10-20 10:00:00', '核查组')", list(f))
        self.queue, self.findings = [], []
        return store.current_snapshot(self.path)


def small_config_text(units=(LANZHOU, JIAYUGUAN, XINQU), **scoring) -> str:
    """The default indicator system restricted to a small group (fewer Monte-Carlo draws, for speed)."""
    text = (Path(__file__).resolve().parent.parent / "config" / "indicators.toml").read_text(encoding="utf-8")
    head, rest = text.split("[[group]]", 1)
    rest = rest[rest.index("[robustness]"):]
    group = f'[[group]]\nid = "test"\nname = "测试组"\nunits = {list(units)!r}\n\n'.replace("'", '"')
    text = head + group + rest.replace("draws = 1000", "draws = 300")
    for key, value in scoring.items():
        text = text.replace(f'{key} = "', f'{key} = "{value}"  # was "', 1)
    return text


def small_config(units=(LANZHOU, JIAYUGUAN, XINQU), **scoring) -> IndicatorConfig:
    return parse_indicator_config(small_config_text(units, **scoring), "test-indicators.toml")


@pytest.fixture
def hand(tmp_path) -> HandWarehouse:
    return HandWarehouse(tmp_path / "wh.duckdb")


def year_of_months(wh: HandWarehouse, unit: str, year: int, funds_per_month: str, last_month: int = 12,
                   **project_kw) -> None:
    """One project reporting `funds_per_month` 万元 every month of `year` up to `last_month`."""
    cum = Decimal(0)
    for m in range(1, last_month + 1):
        cum += Decimal(funds_per_month)
        wh.submit(unit, month(year, m), [project(f"{unit}-base", funds_month_wan=funds_per_month,
                                                 funds_cum_wan=cum, signed_amount_wan="100000", **project_kw)])


def fill(wh: HandWarehouse, skip_xinqu_september: bool = False) -> store.Snapshot:
    """Three units with all of 2024 and January–September 2025 (兰州新区 optionally without September)."""
    for k, unit in enumerate((LANZHOU, JIAYUGUAN, XINQU)):
        year_of_months(wh, unit, 2024, str(1000 * (k + 1)))
        for m in range(1, 10):
            if skip_xinqu_september and unit == XINQU and m == 9:
                continue
            wh.submit(unit, month(2025, m), [
                project(f"{unit}-1", funds_month_wan=str(900 + 400 * k), funds_cum_wan=str(900 * m),
                        signing_date=dt.date(2025, 1 + k, 3), planned_investment_wan=str(60000 * (k + 1)),
                        is_high_tech=k != 1),
                project(f"{unit}-2", funds_month_wan="300", funds_cum_wan=str(300 * m), status="已签约未开工",
                        start_date=None, signing_date=dt.date(2024, 2 + k, 1)),
            ])
    return wh.write()


# --------------------------------------------------------------------------- the formulas, by hand

def _values(snapshot, quarter, config):
    v = compute_indicator_values(snapshot, quarter, config)
    return {(r["unit_code"], r["indicator_id"]): r["value"] for r in v.values.iter_rows(named=True)}, v


def test_task_completion_and_growth_by_hand(hand):
    # 兰州: 2024 each month 100 → actual 1200 → task 1440; 2025 Jan–Mar 150 each → 450.
    # Completion 450/1440 = 31.25 % against 序时进度 3/12 = 25 % → 125 %; growth (450 − 300)/300 = 50 %.
    year_of_months(hand, LANZHOU, 2024, "100")
    for m in (1, 2, 3):
        hand.submit(LANZHOU, month(2025, m), [
            project("L1", funds_month_wan="150", funds_cum_wan=str(150 * m), signed_amount_wan="100000"),
            project("L-local", fund_source="省内市州外", funds_month_wan="999", funds_cum_wan="999"),
        ])
    # 嘉峪关: 2024 has only 11 months → task unknown; growth base Jan–Mar 2024 complete → computable.
    year_of_months(hand, JIAYUGUAN, 2024, "50", last_month=11)
    for m in (1, 2, 3):
        hand.submit(JIAYUGUAN, month(2025, m), [project("J1", funds_month_wan="40", funds_cum_wan=str(40 * m))])
    vals, v = _values(hand.write(), "2025Q1", small_config())
    assert vals[(LANZHOU, "task_completion")] == pytest.approx(125.0, abs=1e-12)
    assert vals[(LANZHOU, "funds_yoy")] == pytest.approx(50.0, abs=1e-12)
    assert vals[(JIAYUGUAN, "task_completion")] is None
    assert vals[(JIAYUGUAN, "funds_yoy")] == pytest.approx((120 - 150) / 150 * 100, abs=1e-12)
    details = {(r["unit_code"], r["indicator_id"]): r["detail"] for r in v.values.iter_rows(named=True)}
    assert "0.05亿元" in details[(LANZHOU, "task_completion")] and "0.14亿元" in details[(LANZHOU, "task_completion")]
    assert "上年仅报送 11 个月" in details[(JIAYUGUAN, "task_completion")]
    # 兰州新区 submitted nothing: no values, incomplete.
    assert vals[(XINQU, "funds_yoy")] is None
    units = {r["unit_code"]: r for r in v.units.iter_rows(named=True)}
    assert units[LANZHOU]["complete"] and not units[XINQU]["complete"]
    assert units[XINQU]["missing_months"] == "2025年1月、2025年2月、2025年3月"


def test_project_counts_shares_and_life_cycle_by_hand(hand):
    q3 = [month(2025, m) for m in range(1, 10)]
    rows = [
        # signed in 2025 (window Jan–Sep), exactly 10亿元: counts; a 500强 investor with two projects counts once
        project("A", signing_date=dt.date(2025, 2, 1), planned_investment_wan="100000", fortune500="世界500强",
                investor_uscc="91310000MA1FL0001X", is_high_tech=True, chain="新能源及其装备制造",
                funds_month_wan="30", funds_cum_wan="300", signed_amount_wan="1000"),
        project("B", signing_date=dt.date(2025, 5, 1), planned_investment_wan="99999.9999", fortune500="世界500强",
                investor_uscc="91310000MA1FL0001X", chain="其他", funds_month_wan="10", funds_cum_wan="100",
                signed_amount_wan="1000", status="已签约未开工", start_date=None),
        # signed in 2024: not new; signed ≥ 6 months before Sep → in the start-rate base; not started for
        # over 12 months → stalled
        project("C", signing_date=dt.date(2024, 3, 1), planned_investment_wan="500000", status="已签约未开工",
                start_date=None, funds_month_wan="0", funds_cum_wan="0", signed_amount_wan="2000"),
        project("D", signing_date=dt.date(2024, 6, 1), status="停滞", funds_month_wan="0", funds_cum_wan="600",
                signed_amount_wan="1000"),
        project("E", signing_date=dt.date(2024, 6, 1), status="终止", start_date=None, funds_cum_wan="0",
                signed_amount_wan="1000"),
        project("F", signing_date=dt.date(2025, 1, 5), fund_source="省内市州外", planned_investment_wan="900000",
                fortune500="中国企业500强", funds_month_wan="500", funds_cum_wan="500"),
    ]
    for m in q3:
        hand.submit(LANZHOU, m, rows)
    snap = hand.write()
    vals, _ = _values(snap, "2025Q3", small_config())
    assert vals[(LANZHOU, "major_projects")] == 1.0
    assert vals[(LANZHOU, "fortune500")] == 1.0
    # window funds: A 30×9 = 270 (high-tech, key chain), B 10×9 = 90 → shares 270/360
    assert vals[(LANZHOU, "high_tech_share")] == pytest.approx(75.0)
    assert vals[(LANZHOU, "key_chain_share")] == pytest.approx(75.0)
    # signed before 2025-04-01: A (Feb 2025), C, D, E → started: A (在建), D (停滞 with a start date) → 2/4
    assert vals[(LANZHOU, "start_rate")] == pytest.approx(50.0)
    # 资金到位率 and 停滞项目 as 项目全周期 defines them: every project reported, E (终止) left out, F (省内 funds)
    # in. arrival: (300 + 100 + 0 + 600 + 500) / (1000 + 1000 + 2000 + 1000 + 1000)
    assert vals[(LANZHOU, "arrival_rate")] == pytest.approx(1500 / 6000 * 100)
    # stalled among A, B, C, D, F: C (unstarted since 2024-03) and D (停滞) → 2/5
    assert vals[(LANZHOU, "stalled_share")] == pytest.approx(40.0)
    # … and the very numbers the 项目全周期 page shows for the same unit and month
    life = lifecycle_overview(snap, dt.date(2025, 9, 1))
    row = life.funnel.frame.filter(pl.col("unit_code") == LANZHOU).row(0, named=True)
    assert vals[(LANZHOU, "arrival_rate")] == pytest.approx(float(row["funds_rate"]) * 100, abs=0.01)
    assert vals[(LANZHOU, "stalled_share")] == pytest.approx(row["stalled"] / row["signed"] * 100)


def test_latest_version_lateness_quarantine_and_findings(hand):
    for m in (7, 8, 9):
        hand.submit(JIAYUGUAN, month(2025, m), [project("J", funds_month_wan="10000", funds_cum_wan="10000")],
                    late=(m == 8), quarantined=3 if m == 9 else 0)
    # a corrected September version, on time: figures and the quarantine count are the current version's;
    # August stays late
    hand.submit(JIAYUGUAN, month(2025, 9), [project("J", funds_month_wan="25000", funds_cum_wan="45000")],
                version=2, quarantined=1)
    hand.finding(JIAYUGUAN, "2025Q3", "J", "存在差异").finding(JIAYUGUAN, "2025Q2", "X", "无法核实")
    cfg = small_config(window="quarter")
    v = compute_indicator_values(hand.write(), "2025Q3", cfg)
    counts = {(r["unit_code"], r["adjustment_id"]): r["count"] for r in v.adjustments.iter_rows(named=True)}
    assert counts[(JIAYUGUAN, "late_reports")] == 1
    assert counts[(JIAYUGUAN, "quarantined_rows")] == 1
    assert counts[(JIAYUGUAN, "verified_discrepancies")] == 1
    assert counts[(JIAYUGUAN, "unverifiable")] == 0      # the Q2 finding is outside a quarter window
    details = {r["indicator_id"]: r["detail"] for r in v.values.iter_rows(named=True) if r["unit_code"] == JIAYUGUAN}
    assert details["key_chain_share"].endswith("到位资金 4.50亿元")
    assert details["funds_yoy"] == "上年同期报表不全（0/3 个月），增速无法计算"
    assert v.data_cutoff == dt.datetime(2025, 10, 5, 10, 0)


# --------------------------------------------------------------------------- history and reporting status

def test_history_quarters_stop_at_the_first_month_with_data():
    assert history_quarters("2025Q3", month(2024, 1), 8) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1",
                                                             "2025Q2", "2025Q3"]
    assert history_quarters("2025Q3", month(2024, 1), 3) == ["2025Q1", "2025Q2", "2025Q3"]
    assert history_quarters("2025Q1", month(2024, 12), 8) == ["2024Q4", "2025Q1"]  # 2024Q4 ends in December
    assert history_quarters("2025Q1", None, 8) == ["2025Q1"]


def test_rank_history_recomputes_every_quarter_and_gives_the_rank_change(hand):
    snap = fill(hand)
    cfg = small_config()
    history = rank_history(snap, "2025Q3", cfg, quarters=8)
    assert history["quarter"].unique(maintain_order=True).to_list() == [
        "2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3"]
    for quarter in ("2024Q2", "2025Q2", "2025Q3"):
        expected = rank_quarter(snap, quarter, cfg).table.select("unit_code", "score", "rank")
        assert history.filter(pl.col("quarter") == quarter).select("unit_code", "score", "rank").equals(expected)
    now = rank_quarter(snap, "2025Q3", cfg).table
    moved = rank_changes(now, history, "2025Q3")
    before = dict(rank_quarter(snap, "2025Q2", cfg).table.select("unit_code", "rank").iter_rows())
    assert moved["unit_code"].to_list() == now["unit_code"].to_list()  # the ranking's order is kept
    for r in moved.iter_rows(named=True):
        assert r["rank_previous"] == before[r["unit_code"]]
        assert r["rank_change"] == before[r["unit_code"]] - r["rank"]
    # no quarter before the data: no previous rank, no arrow
    first = rank_changes(rank_quarter(snap, "2024Q1", cfg).table, history, "2024Q1")
    assert first["rank_previous"].null_count() == first.height and first["rank_change"].null_count() == first.height


def test_reporting_status_tells_overdue_from_not_yet_due(hand):
    ranking = rank_quarter(fill(hand, skip_xinqu_september=True), "2025Q3", small_config())
    before_deadline = {r["unit_code"]: r for r in reporting_status(ranking, dt.date(2025, 10, 5)).iter_rows(named=True)}
    assert before_deadline[XINQU]["overdue"] == "" and before_deadline[XINQU]["pending"] == "2025年9月"
    assert before_deadline[XINQU]["status"] == "2025年9月未到截止日"
    assert months_not_due(ranking, dt.date(2025, 10, 5)) == [month(2025, 9)]
    assert months_not_due(ranking, dt.date(2025, 9, 5)) == [month(2025, 8), month(2025, 9)]  # August due 5 Sep
    after = {r["unit_code"]: r for r in reporting_status(ranking, dt.date(2025, 10, 6)).iter_rows(named=True)}
    assert after[XINQU]["overdue"] == "2025年9月" and after[XINQU]["pending"] == ""
    assert after[XINQU]["status"] == "缺报 2025年9月"
    assert after[LANZHOU]["status"] == after[JIAYUGUAN]["status"] == "完整"
