"""Two-person sign-off (签批) and the annual commands: prepare → approve → published; the preparer can never approve;
a leader account is needed (with the same login rules as the app); one-person publishing only when configured."""
from __future__ import annotations

import datetime as dt
import io
import json

import polars as pl
import pytest

from analytics import cli
from analytics.annual import entries
from analytics.documents.quarterly import quarter_ranking
from analytics.publication import signoff
from analytics.publication.archive import publish
from analytics.ranking.composite import rank_quarter
from core.roles import User
from tests.apptest_support import PASSWORD, ensure_users
from tests.test_annual import ADMIN, year_2025
from tests.test_ranking_warehouse import (  # noqa: F401 - the hand fixture is used by name
    LANZHOU,
    XINQU,
    fill,
    hand,
    small_config,
    small_config_text,
)
from warehouse import accounts, store
from warehouse.queries import ranking as q

AT = dt.datetime(2025, 10, 15, 9, 30)
LEADER = User("leader", "领导小组", "leader")


def status(path, pid):
    snap = store.current_snapshot(path)
    listing = signoff.with_status(q.publications(snap), signoff.signoff_table(snap))
    return listing.filter(pl.col("publication_id") == pid).row(0, named=True)


def test_prepare_then_approve_publishes_and_both_steps_are_audited(hand):
    cfg = small_config()
    snap = fill(hand)
    out = publish(hand.path, rank_quarter(snap, "2025Q3", cfg), cfg, by="管理员甲（admin）", at=AT,
                  prepared_by_user="admin")
    assert status(hand.path, out.publication_id)["status"] == "待签批"
    # not yet published: the 公文 still show the preview
    assert not quarter_ranking(store.current_snapshot(hand.path), "2025Q3", cfg).published
    with pytest.raises(signoff.ApprovalRefused, match="没有“签批发布”权限"):
        signoff.approve(hand.path, out.publication_id, ADMIN)
    # a leader who prepared it cannot approve it either
    other = publish(hand.path, rank_quarter(snap, "2025Q2", cfg), cfg, by="leader", at=AT, prepared_by_user="leader")
    with pytest.raises(signoff.ApprovalRefused, match="不能由本人签批"):
        signoff.approve(hand.path, other.publication_id, LEADER)
    assert status(hand.path, other.publication_id)["status"] == "待签批"
    done = signoff.approve(hand.path, out.publication_id, LEADER, at=AT + dt.timedelta(hours=2))
    assert (done.prepared_by, done.approved_by) == ("admin", "leader")
    row = status(hand.path, out.publication_id)
    assert (row["status"], row["approved_by"], row["current_published"]) == ("已发布", "leader", True)
    assert quarter_ranking(store.current_snapshot(hand.path), "2025Q3", cfg).published
    with pytest.raises(signoff.ApprovalRefused, match="已由 leader"):
        signoff.approve(hand.path, out.publication_id, User("leader2", "领导乙", "leader"))
    log = [(e.event, e.username) for e in accounts.recent_audit(warehouse=hand.path)]
    assert ("approve", "leader") in log and ("approve_refused", "leader") in log and ("approve_refused", "admin") in log


def test_one_person_publishing_is_off_by_default_and_configurable(hand, monkeypatch, tmp_path):
    assert not signoff.one_person()
    path = tmp_path / "publication.toml"
    path.write_text('version = "p"\n[signoff]\ntwo_person = false\n', encoding="utf-8")
    monkeypatch.setattr(signoff, "one_person", lambda path_=None: signoff._settings(str(path)).signoff.two_person
                        is False)
    cfg = small_config()
    out = publish(hand.path, rank_quarter(fill(hand), "2025Q3", cfg), cfg, by="admin", at=AT)
    assert status(hand.path, out.publication_id)["status"] == "已发布"


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_annual_publish_by_year_and_approve_with_a_leader_password(hand, tmp_path, capsys, monkeypatch):
    year_2025(hand)
    for unit, score in ((LANZHOU, "90"), ("620200", "80"), (XINQU, "70")):
        entries.record_supervision(hand.path, 2025, unit, score, "2025年半年督查报告", ADMIN)
    config = tmp_path / "indicators.toml"
    config.write_text(small_config_text(), encoding="utf-8")
    base = ["--warehouse", hand.path, "--config", config]
    code, out, _ = run(capsys, "annual", "--year", "2025", "--format", "json", *base)
    records = json.loads(out)
    assert code == 0 and list(records[0]) == [*cli.RECORD_COLUMNS, "grade"]
    assert [r["rank"] for r in records] == [1, 2, 3] and all(r["grade"] for r in records)
    code, out, _ = run(capsys, "annual", "--year", "2025", "--format", "csv", *base)
    assert out.splitlines()[0] == ",".join([*cli.RECORD_COLUMNS, "grade"])
    code, out, _ = run(capsys, "annual", "--year", "2025", *base)
    assert "2025年度考核结果" in out and "等次" in out
    code, out, _ = run(capsys, "publish", "--year", "2025", "--by", "admin", "--json", *base)
    pub = json.loads(out)
    assert code == 0 and pub["awaiting_approval"] and pub["publication_id"] == "2025-A-01"
    ensure_users(hand.path)
    approve = ["approve", "--publication", "2025-A-01", "--password-stdin", "--warehouse", hand.path]
    code, _, err = run(capsys, *approve, "--user", "leader", stdin="wrong-password\n", monkeypatch=monkeypatch)
    assert code == 1 and "用户名或密码错误" in err
    code, _, err = run(capsys, *approve, "--user", "admin", stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    assert code == 1 and "没有“签批发布”权限" in err  # an administrator is not a leader
    code, out, _ = run(capsys, *approve, "--user", "leader", stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    assert code == 0 and "已签批年度考核结果发布 2025-A-01" in out
    events = [(e.event, e.username) for e in accounts.recent_audit(warehouse=hand.path)]
    assert ("login_failure", "leader") in events and ("login_success", "leader") in events
    assert ("approve", "leader") in events and ("publish", "admin") in events
    code, _, err = run(capsys, "annual", "--year", "20x5", *base)
    assert code == 1 and "年度应写作 2025" in err
