"""Hand-made warehouses for the targets area, and tests of its marts (004_targets.sql).

`make_warehouse(tmp_path, rows)` builds a real warehouse through `warehouse.store`: one submission per
(unit, month, version) found in `rows`, each row a project-month with sensible defaults.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from warehouse import store
from warehouse.queries import targets as q

PROJECT_DEFAULTS = {
    "project_name": None,  # defaults to "项目" + project_id
    "county": None,
    "chain": "新材料",
    "investor_name": "某投资有限公司",
    "investor_uscc": None,
    "investor_origin": "广东省",
    "fortune500": "无",
    "fund_source": "省外境内",
    "project_type": "新建",
    "signing_date": "2024-01-10",
    "signed_amount_wan": "1000",
    "planned_investment_wan": "1000",
    "status": "在建",
    "start_date": "2024-02-01",
    "production_date": None,
    "funds_month_wan": "0",
    "funds_cum_wan": "0",
    "is_high_tech": False,
    "remark": None,
    "version": 1,
}

COLUMNS = [
    "submission_id", "row_no", "project_id", "project_name", "county", "chain", "investor_name", "investor_uscc",
    "investor_origin", "fortune500", "fund_source", "project_type", "signing_date", "signed_amount_wan",
    "planned_investment_wan", "status", "start_date", "production_date", "funds_month_wan", "funds_cum_wan",
    "is_high_tech", "remark",
]


def month(text: str) -> dt.date:
    y, m = text.split("-")[:2]
    return dt.date(int(y), int(m), 1)


def make_warehouse(tmp_path, rows, empty=(), five_hundred=()):
    """rows: dicts with unit_code, month ('YYYY-MM'), project_id and any PROJECT_DEFAULTS key.

    empty: (unit_code, 'YYYY-MM') submissions without project rows. five_hundred: (list, year, name, uscc).
    """
    path = tmp_path / "wh.duckdb"
    store.initialise(path)
    keys = sorted({(r["unit_code"], r["month"], r.get("version", 1)) for r in rows}
                  | {(u, m, 1) for u, m in empty})
    sub_ids = {key: i + 1 for i, key in enumerate(keys)}
    with store.write_transaction(path) as con:
        for (unit, mon, version), sid in sub_ids.items():
            start = month(mon)
            nxt = dt.date(start.year + start.month // 12, start.month % 12 + 1, 5)
            con.execute(
                "INSERT INTO submission_versions VALUES (?, ?, ?, ?, ?, ?, false, ?, ?, 0, 0, 0, 0, 0, 0)",
                [sid, unit, start, version, dt.datetime.combine(nxt, dt.time(9)),
                 dt.datetime.combine(nxt, dt.time(23, 59)), f"{unit}-{mon}-v{version}.xlsx", f"sha-{sid}"],
            )
        for i, r in enumerate(rows):
            full = {**PROJECT_DEFAULTS, **r}
            full["project_name"] = full["project_name"] or f"项目{full['project_id']}"
            full["submission_id"] = sub_ids[(r["unit_code"], r["month"], full["version"])]
            full["row_no"] = i + 4
            con.execute(
                f"INSERT INTO project_rows ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                [full[c] for c in COLUMNS],
            )
        for list_name, year, name, uscc in five_hundred:
            con.execute("INSERT INTO five_hundred_list VALUES (?, ?, NULL, ?, ?)", [list_name, year, name, uscc])
    return store.current_snapshot(path)


def test_unit_year_funds_sums_counted_sources_of_latest_versions(tmp_path):
    snap = make_warehouse(tmp_path, [
        {"unit_code": "620100", "month": "2024-01", "project_id": "A", "funds_month_wan": "100.0001"},
        {"unit_code": "620100", "month": "2024-02", "project_id": "A", "funds_month_wan": "50"},
        # version 2 of February supersedes version 1
        {"unit_code": "620100", "month": "2024-02", "project_id": "A", "funds_month_wan": "70", "version": 2},
        # 省内市州外 money does not count toward 到位资金
        {"unit_code": "620100", "month": "2024-02", "project_id": "B", "funds_month_wan": "999",
         "fund_source": "省内市州外", "version": 2},
        {"unit_code": "620200", "month": "2025-01", "project_id": "C", "funds_month_wan": "5"},
    ])
    out = store.frame(snap, "SELECT * FROM mart_unit_year_funds ORDER BY year")
    assert out["year"].to_list() == [2024, 2025]
    row = out.row(0, named=True)
    assert row["funds_wan"] == Decimal("170.0001")
    assert row["months_submitted"] == 2 and row["last_month"] == dt.date(2024, 2, 1)


def test_project_state_takes_latest_row_and_history_up_to_the_month(tmp_path):
    snap = make_warehouse(tmp_path, [
        {"unit_code": "620100", "month": "2024-01", "project_id": "A", "funds_month_wan": "10", "status": "在建"},
        {"unit_code": "620100", "month": "2024-02", "project_id": "A", "funds_month_wan": "0", "status": "在建"},
        {"unit_code": "620100", "month": "2024-03", "project_id": "A", "funds_month_wan": "5", "status": "已投产",
         "production_date": "2024-03-20"},
    ])
    feb = q.project_states(snap, dt.date(2024, 2, 1)).row(0, named=True)
    assert feb["status"] == "在建" and feb["last_month"] == dt.date(2024, 2, 1)
    assert feb["last_money_month"] == dt.date(2024, 1, 1) and feb["funds_reported_wan"] == Decimal("10")
    latest = q.project_states(snap, dt.date(2024, 3, 1)).row(0, named=True)
    assert latest["status"] == "已投产" and latest["months_reported"] == 3
    assert latest["funds_reported_wan"] == Decimal("15") and latest["funds_ytd_counted_wan"] == Decimal("15")
    trail = q.project_months(snap, "620100", "A")
    assert trail["funds_month_wan"].to_list() == [Decimal("10"), Decimal("0"), Decimal("5")]


def test_mart_views_show_the_latest_state(tmp_path):
    snap = make_warehouse(tmp_path, [
        {"unit_code": "620100", "month": "2024-01", "project_id": "A", "planned_investment_wan": "100000"},
        {"unit_code": "620100", "month": "2024-02", "project_id": "A", "planned_investment_wan": "250000"},
        {"unit_code": "620100", "month": "2024-02", "project_id": "B", "planned_investment_wan": "99999.9999"},
        {"unit_code": "620100", "month": "2024-02", "project_id": "C", "planned_investment_wan": "500000",
         "fund_source": "省内市州外"},
    ])
    majors = store.frame(snap, "SELECT project_id, size_tier FROM mart_major_projects")
    assert majors.rows() == [("A", "20亿元以上")]
    latest = store.frame(snap, "SELECT count(*) AS n, max(last_month) AS m FROM mart_project_latest").row(0)
    assert latest == (3, dt.date(2024, 2, 1))
