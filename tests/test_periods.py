import datetime as dt

import pytest

from core import periods


def test_quarter_months_and_labels():
    assert periods.quarter_months("2025Q3") == [dt.date(2025, 7, 1), dt.date(2025, 8, 1), dt.date(2025, 9, 1)]
    assert periods.quarter_of(dt.date(2025, 12, 1)) == "2025Q4"
    assert periods.previous_quarter("2025Q1") == "2024Q4"
    assert periods.quarter_zh("2025Q3") == "2025年第三季度"


def test_bad_quarter_gets_chinese_message():
    with pytest.raises(ValueError, match="季度格式"):
        periods.parse_quarter("2025-3")


def test_month_arithmetic():
    assert periods.add_months(dt.date(2025, 11, 1), 3) == dt.date(2026, 2, 1)
    assert periods.last_complete_month(dt.date(2026, 11, 27)) == dt.date(2026, 10, 1)
