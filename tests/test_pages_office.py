"""表扬与约谈 and 督办 pages through the real app."""
from __future__ import annotations

import pytest

from tests.apptest_support import app_as, clear_caches, shown_text
from tests.test_ranking_warehouse import HandWarehouse, fill

LISTS = "pages/office_lists.py"


@pytest.fixture
def wh(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    fill(HandWarehouse(path))
    monkeypatch.setenv("WAREHOUSE", str(path))
    monkeypatch.setenv("DASHBOARD_TODAY", "2025-10-20")
    clear_caches()
    yield path
    clear_caches()


def run(user, wh, page):
    at = app_as(user, wh, page, timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_lists_page_shows_the_rules_and_says_when_nothing_is_published(wh):
    at = run("leader", wh, LISTS)
    text = shown_text(at)
    assert "通报表扬：季度已发布综合排名前3位（含并列）" in text
    assert "综合排名尚未发布（或尚未签批）" in text and "拟约谈" in text
    reporter = run("lanzhou", wh, LISTS)
    assert "表扬与约谈" not in [t.value for t in reporter.title]
