"""Issue 15 §1: one implausible amount must not take down the ranking, and no sum of accepted rows can overflow."""
from __future__ import annotations

import json

import duckdb
import pytest
from conftest import csv_bytes

from analytics.cli import main as analytics_main
from etl.load import load_files
from warehouse import store

QUARTERS = ("2025Q1", "2025Q2")


def rank_everything(capsys, warehouse) -> list[list[dict]]:
    out = []
    for quarter in QUARTERS:
        code = analytics_main(["rank", "--quarter", quarter, "--format", "json", "--warehouse", str(warehouse)])
        printed, err = capsys.readouterr()
        assert code == 0, err
        assert "Exception" not in err and "Traceback" not in err
        out.append(json.loads(printed))
    return out


def test_a_huge_amount_is_quarantined_and_every_quarter_still_ranks(frozen_today, warehouse, project_row, capsys):
    rows = [project_row(1, **{"本月到位资金（万元）": "99999999999999.9999"}), project_row(2)]
    [report] = load_files([("兰州市-2025-03.csv", csv_bytes(rows))], warehouse=warehouse)
    assert (report.outcome, report.rows_loaded, report.rows_quarantined) == ("loaded", 1, 1)
    [issue] = [i for i in report.issues if i.code == "out_of_range"]
    assert issue.row_no == 2 and "超出范围" in issue.message and "10,000,000,000 万元" in issue.message
    ranked = rank_everything(capsys, warehouse)
    lanzhou = next(r for r in ranked[0] if r["unit_code"] == "620100")
    assert lanzhou["rank"] is not None


def test_sums_of_accepted_rows_at_the_bound_do_not_overflow(frozen_today, warehouse, project_row, capsys):
    # 12,000 project-months at the largest accepted amount: 1.2 × 10^14 万元, beyond what DECIMAL(18,4) can hold.
    at_bound = "10000000000"
    rows = [project_row(i, **{"签约金额（万元）": at_bound, "计划总投资（万元）": at_bound,
                              "本月到位资金（万元）": at_bound, "累计到位资金（万元）": at_bound})
            for i in range(1, 12_001)]
    [report] = load_files([("兰州市-2025-03.csv", csv_bytes(rows))], warehouse=warehouse)
    assert (report.outcome, report.rows_loaded, report.rows_quarantined) == ("loaded", 12_000, 0)
    con = duckdb.connect(str(store.current_snapshot(warehouse).path), read_only=True)
    try:
        [(month_sum, ytd)] = con.sql("SELECT funds_month_wan, funds_ytd_wan FROM mart_unit_month").fetchall()
        [(year_sum,)] = con.sql("SELECT funds_wan FROM mart_unit_year_funds").fetchall()
    finally:
        con.close()
    assert month_sum == ytd == year_sum == 12_000 * 10**10
    rank_everything(capsys, warehouse)


@pytest.mark.parametrize("column, value", [("签约日期", "9999-12-31"), ("开工日期", "0001-01-01")])
def test_absurd_dates_are_quarantined_not_loaded(frozen_today, warehouse, project_row, column, value):
    [report] = load_files([("a.csv", csv_bytes([project_row(1, **{column: value}), project_row(2)]))],
                          warehouse=warehouse)
    assert (report.rows_loaded, report.rows_quarantined) == (1, 1)
    assert any(i.code == "date_out_of_range" and i.column == column for i in report.issues)
