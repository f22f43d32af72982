from decimal import Decimal

from analytics import tasks


def test_task_is_last_year_times_dispatched_multiplier():
    assert tasks.annual_task_wan("620100", 2025, Decimal("1000000")) == Decimal("1200000.0000")


def test_task_unknown_without_prior_year_or_override():
    assert tasks.annual_task_wan("620100", 2025, None) is None


def test_calendar_progress_is_exact():
    assert tasks.calendar_progress(3) == Decimal("0.250000")
    assert tasks.calendar_progress(12) == Decimal("1")
