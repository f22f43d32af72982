"""The one clock: today and now in Asia/Shanghai. Logic never reads the machine's clock directly.

Tests and demos freeze the date with DASHBOARD_TODAY=YYYY-MM-DD.
"""
from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def today() -> dt.date:
    """Today's date in Asia/Shanghai (or DASHBOARD_TODAY when set)."""
    frozen = os.environ.get("DASHBOARD_TODAY")
    if frozen:
        return dt.date.fromisoformat(frozen)
    return dt.datetime.now(TZ).date()


def now_local() -> dt.datetime:
    """Now in Asia/Shanghai as a naive timestamp to the second (how the warehouse stores times)."""
    return dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)
