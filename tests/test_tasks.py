from decimal import Decimal

from analytics.targets import quotas


def test_task_is_last_year_times_dispatched_multiplier():
    assert quotas.annual_task_wan("620100", 2025, Decimal("1000000")) == Decimal("1200000.0000")


def test_task_unknown_without_prior_year_or_override():
    assert quotas.annual_task_wan("620100", 2025, None) is None


def test_calendar_progress_is_exact():
    assert quotas.calendar_progress(3) == Decimal("0.250000")
    assert quotas.calendar_progress(12) == Decimal("1")
