"""年度考核 page through the real app: the admin enters 半年督查 and a 扣分 item (refused without a note), prepares the
publication; a reporter sees nothing until a leader approves it in the app; the published grades are the engine's."""
from __future__ import annotations

import pytest

from analytics.annual.archive import load_annual_publication
from tests.apptest_support import app_as, clear_caches, shown_text
from tests.test_annual import year_2025
from tests.test_ranking_warehouse import LANZHOU, HandWarehouse
from warehouse import accounts, store
from warehouse.queries import annual as q

PAGE = "pages/annual.py"


@pytest.fixture
def wh(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.duckdb"
    year_2025(HandWarehouse(path))
    monkeypatch.setenv("WAREHOUSE", str(path))
    monkeypatch.setenv("DASHBOARD_TODAY", "2026-01-20")
    clear_caches()
    yield path
    clear_caches()


def run(user, wh):
    at = app_as(user, wh, PAGE, timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def submit(at, form_button: str, **fields):
    for key, value in fields.items():
        widget = next(w for w in [*at.text_input, *at.text_area, *at.selectbox] if w.key == key)
        widget.set_value(value) if key.endswith("unit") or key == "item_id" else widget.input(value)
    next(b for b in at.button if b.label == form_button).click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_admin_enters_prepares_and_a_leader_approves_in_the_app(wh):
    at = run("admin", wh)
    assert "2025年度考核结果尚未发布。" in [i.value for i in at.info]
    for unit, score in (("620100", "90"), ("620200", "80"), ("620171", "70")):
        at = submit(at, "录入督查结果", sup_unit=unit, sup_score=score, sup_note="2025年半年督查通报")
    assert q.supervision(store.current_snapshot(wh), 2025).height == 3
    at = submit(at, "录入事项", item_unit=LANZHOU, item_id="false_report", item_points="2", item_note="")
    assert any("请填写证明材料说明" in e.value for e in at.error)
    assert q.items(store.current_snapshot(wh), 2025).is_empty()
    at = submit(at, "录入事项", item_unit=LANZHOU, item_id="false_report", item_points="2",
                item_note="2025年第二季度核查报告：虚报到位资金")
    assert q.items(store.current_snapshot(wh), 2025)["points"].to_list()[0] == -2
    at = submit(at, "冻结并准备发布", annual_publish_reason="其余单位不在本次测试范围")
    assert any("已准备 2025年度考核结果：编号 2025-A-01，待领导签批后正式发布" in s.value for s in at.success), shown_text(at)

    assert "2025年度考核结果尚未发布。" in [i.value for i in run("lanzhou", wh).info]  # not approved yet
    leader = run("leader", wh)
    assert any("尚待领导签批" in w.value for w in leader.warning)
    next(b for b in leader.button if b.label == "签批发布").click()
    leader.run()
    assert any("已签批年度考核结果发布 2025-A-01（准备人 admin）" in s.value for s in leader.success), shown_text(leader)
    events = [(e.event, e.username) for e in accounts.recent_audit(warehouse=wh)]
    assert ("approve", "leader") in events and ("publish", "admin") in events and ("annual_entry", "admin") in events

    reporter = run("lanzhou", wh)
    shown = next(d.value for d in reporter.dataframe if "等次" in d.value.columns)
    frozen = load_annual_publication(store.current_snapshot(wh), "2025-A-01").assessment.table
    assert list(shown["被考核单位"]) == frozen["unit_name"].to_list()
    assert list(shown["等次"].fillna("—")) == [g or "—" for g in frozen["grade"].to_list()]
    assert not [b for b in reporter.button if b.label in ("签批发布", "冻结并准备发布")]
