"""督办 of stalled projects (analytics/office/supervision.py): dispatch, answers, refusals with nothing written,
every answer a new row, overdue, audit."""
from __future__ import annotations

import datetime as dt

import pytest

from analytics.office import supervision as sv
from core.roles import User
from tests.test_ranking_warehouse import JIAYUGUAN, LANZHOU, XINQU, HandWarehouse, fill
from warehouse import accounts, store

ADMIN = User("admin", "管理员甲", "admin")
REPORTER = User("lz", "兰州填报", "reporter", LANZHOU)
LEADER = User("leader", "领导", "leader")
SEPT = dt.date(2025, 9, 1)


@pytest.fixture
def wh(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_TODAY", "2025-10-20")
    path = tmp_path / "wh.duckdb"
    fill(HandWarehouse(path))
    return path


def answers(wh) -> int:
    return store.frame(store.current_snapshot(wh), "SELECT count(*) AS n FROM supervision_answers")["n"][0]


def test_dispatch_answer_and_every_answer_a_new_row(wh, monkeypatch):
    with pytest.raises(sv.SupervisionRefused, match="目前没有督办清单"):
        sv.answer(wh, f"{LANZHOU}-2", "推进中", "正在办理用地手续", dt.date(2025, 10, 18), REPORTER)
    with pytest.raises(sv.SupervisionRefused, match="没有“派发督办”权限"):
        sv.dispatch(wh, SEPT, LEADER)
    out = sv.dispatch(wh, SEPT, ADMIN, "请于15日内逐项答复")
    assert set(out) == {LANZHOU, JIAYUGUAN, XINQU} and out[LANZHOU] == f"D-202509-{LANZHOU}-01"
    status = sv.status_table(store.current_snapshot(wh))
    assert status.filter(status["unit_code"] == LANZHOU)["project_id"].to_list() == [f"{LANZHOU}-2",
                                                                                f"{LANZHOU}-base"]
    assert set(status["state"]) == {"待答复"} and str(status["due_date"][0]) == "2025-11-04"

    first = sv.answer(wh, f"{LANZHOU}-2", "推进中", "正在办理用地手续", dt.date(2025, 10, 18), REPORTER)
    second = sv.answer(wh, f"{LANZHOU}-2", "已复工", "10月19日已复工建设", dt.date(2025, 10, 19), REPORTER)
    assert first != second and answers(wh) == 2
    latest = sv.latest_answers(store.current_snapshot(wh))
    assert latest.select("project_id", "answer", "note").rows() == [(f"{LANZHOU}-2", "已复工", "10月19日已复工建设")]

    before = answers(wh)
    refusals = [
        (f"{LANZHOU}-1", "推进中", "说明情况如下", dt.date(2025, 10, 18), REPORTER, "不在兰州市的督办清单"),
        (f"{JIAYUGUAN}-2", "推进中", "说明情况如下", dt.date(2025, 10, 18), REPORTER, "不在兰州市的督办清单"),
        (f"{LANZHOU}-2", "完成了", "说明情况如下", dt.date(2025, 10, 18), REPORTER, "答复应为 已复工"),
        (f"{LANZHOU}-2", "推进中", "好", dt.date(2025, 10, 18), REPORTER, "请填写情况说明"),
        (f"{LANZHOU}-2", "推进中", "说明情况如下", dt.date(2025, 10, 21), REPORTER, "晚于今天"),
        (f"{LANZHOU}-2", "推进中", "说明情况如下", None, REPORTER, "请填写答复所述情况的日期"),
        (f"{LANZHOU}-2", "推进中", "说明情况如下", dt.date(2025, 10, 18), ADMIN, "无权答复督办"),
    ]
    for pid, reply, note, day, user, message in refusals:
        with pytest.raises(sv.SupervisionRefused, match=message):
            sv.answer(wh, pid, reply, note, day, user)
    assert answers(wh) == before                                     # nothing half-written

    events = [(e.event, e.username) for e in accounts.recent_audit(20, warehouse=wh)]
    assert ("supervision_dispatch", "admin") in events and events.count(("supervision_answer", "lz")) == 2

    monkeypatch.setenv("DASHBOARD_TODAY", "2025-11-05")              # the day after the due date
    late = sv.overdue(store.current_snapshot(wh))
    assert set(late["unit_code"]) == {LANZHOU, JIAYUGUAN, XINQU} and set(late["state"]) == {"逾期未答复"}
    assert f"{LANZHOU}-2" not in set(late["project_id"])                # answered in time
    jia = User("jy", "嘉峪关填报", "reporter", JIAYUGUAN)
    sv.answer(wh, f"{JIAYUGUAN}-2", "拟退出", "投资方拟撤回投资", dt.date(2025, 11, 5), jia)
    late = sv.overdue(store.current_snapshot(wh))
    got = {(u, p[len(u) + 1:]): state for u, p, state in late.select("unit_code", "project_id", "state").rows()}
    assert got[(JIAYUGUAN, "2")] == "逾期答复" and got[(XINQU, "2")] == "逾期未答复" and (LANZHOU, "2") not in got


def test_nothing_to_dispatch_is_refused_in_chinese(wh):
    with pytest.raises(sv.SupervisionRefused, match="没有符合停滞认定规则的项目"):
        sv.dispatch(wh, dt.date(2024, 1, 1), ADMIN)


def test_the_internal_monthly_document_reports_the_answers_and_the_overdue(wh, monkeypatch):
    from analytics.documents.monthly import supervision_sentences

    assert supervision_sentences(store.current_snapshot(wh)) == []          # nothing dispatched: no sentence
    sv.dispatch(wh, SEPT, ADMIN)
    sv.answer(wh, f"{LANZHOU}-2", "已复工", "10月18日已复工建设", dt.date(2025, 10, 18), REPORTER)
    monkeypatch.setenv("DASHBOARD_TODAY", "2025-11-05")
    [sentence] = supervision_sentences(store.current_snapshot(wh))
    assert sentence.text == ("督办的停滞项目6个，已答复1个（已复工1个），逾期未答复5个（兰州市、嘉峪关市、兰州新区），"
                             "请抓紧答复。")
    assert {f.key: int(f.value) for f in sentence.facts} == {
        "supervision_total": 6, "supervision_answered": 1, "supervision:已复工": 1, "supervision_overdue": 5}
