"""Timeliness is judged on the first version: a correction never turns an on-time month into 迟报, the 报送完整性
grid marks it 已更正, and the late-report deduction agrees with the grid."""
from __future__ import annotations

import datetime as dt

import polars as pl
from test_ranking_warehouse import LANZHOU, fill, hand, month, project, small_config  # noqa: F401 - fixture

from analytics.ranking.composite import rank_quarter
from analytics.submissions import status
from warehouse.queries import submissions as queries


def test_a_correction_the_next_day_keeps_an_on_time_month_on_time(hand):
    fill(hand)  # 兰州 sent September on time (v1, 5 October 10:00) …
    hand.submit(LANZHOU, month(2025, 9), [project(f"{LANZHOU}-1", funds_month_wan="950", funds_cum_wan="8150")],
                version=2, late=True, received_at=dt.datetime(2025, 10, 6, 9))   # … and a correction the next day
    snap = hand.write()
    grid = status.classify(queries.completeness(snap, 2025), dt.datetime(2025, 10, 20))
    sept = grid.filter((pl.col("unit_code") == LANZHOU) & (pl.col("month") == dt.date(2025, 9, 1))).row(0, named=True)
    assert sept["version"] == 2 and sept["status"] == status.STATUS_ON_TIME
    assert sept["cell"] == status.SYMBOLS[status.STATUS_ON_TIME] + status.MARK_RESUBMITTED
    assert "已更正" in status.LEGEND
    shown = status.matrix(grid).filter(pl.col("被考核单位") == "兰州市").row(0, named=True)
    assert shown["按时率"] == "100%" and "⏰" not in shown["9月"]
    # the score counts what the grid shows: no late report, no deduction; the corrected figures are used
    ranking = rank_quarter(snap, "2025Q3", small_config())
    late = ranking.contributions.filter((pl.col("unit_code") == LANZHOU) & (pl.col("item_id") == "late_reports"))
    assert late["value"].item() == 0 and late["contribution"].item() == 0
    late_months = grid.filter((pl.col("unit_code") == LANZHOU) & (pl.col("status") == status.STATUS_LATE)).height
    assert late_months == late["value"].item()
