import datetime as dt

import polars as pl

from analytics.submissions import status


def _frame():
    return pl.DataFrame(
        {
            "unit_code": ["620100", "620100", "620100", "620100"],
            "unit_name": ["兰州市"] * 4,
            "sort_order": [0] * 4,
            "month": [dt.date(2025, 1, 1), dt.date(2025, 2, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 1)],
            "version": [1, 2, None, None],
            "is_late": [False, True, None, None],
            "rows_quarantined": [0, 3, None, None],
        }
    )


def test_classify_marks_each_case():
    # "now" lies after March's deadline (5 April) but before April's (5 May)
    out = status.classify(_frame(), dt.datetime(2025, 4, 20))
    assert out["status"].to_list() == ["按时", "迟报", "缺报", "未到期"]
    assert out["cell"].to_list() == ["✅", "⏰🔁⚠️", "❌", "·"]


def test_deadline_is_end_of_fifth_of_next_month():
    assert status.deadline_for(dt.date(2025, 12, 1)) == dt.datetime(2026, 1, 5, 23, 59, 59, 999000)


def test_matrix_has_on_time_rate_over_due_months_only():
    out = status.matrix(status.classify(_frame(), dt.datetime(2025, 4, 20)))
    row = out.row(0, named=True)
    assert row["被考核单位"] == "兰州市" and row["1月"] == "✅"
    assert row["按时率"] == "33%"  # 1 on time of 3 due months; April not yet due
