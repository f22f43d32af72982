"""Accounts, round two (issue 15): per-client backoff, an administrator nobody can lock out by guessing, an unlock
command; every command-line write recorded in the accounts audit log with the operating-system user."""
from __future__ import annotations

import datetime as dt
import getpass

import pytest
from test_accounts import GOOD, Clock
from test_ranking_warehouse import fill, hand, small_config  # noqa: F401 - the hand fixture is used by name
from test_sampling_record import warehouse as sampling_warehouse  # noqa: F401 - a fixture

from analytics import cli as analytics_cli
from analytics.verification import sample_cli
from etl import cli as etl_cli
from warehouse import __main__ as warehouse_cli
from warehouse import accounts, chain

T0 = dt.datetime(2025, 10, 9, 9, 0, 0)
ATTACKER, ADMIN_PC = "10.0.0.66", "10.0.0.1"
OS_USER = getpass.getuser()


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def db(tmp_path, clock):
    s = accounts.AccountStore(tmp_path / "accounts.sqlite", clock=clock)
    s.add_user("admin", "admin", GOOD, actor="root")
    s.add_user("lanzhou", "reporter", GOOD, unit="兰州", actor="root")
    return s


def test_a_client_that_keeps_failing_must_wait_longer_and_longer(db, clock):
    for _ in range(4):
        assert db.authenticate("nobody", "wrong-password-1", ATTACKER).refusal == "bad_credentials"
    db.authenticate("nobody", "wrong-password-1", ATTACKER)  # unknown names count for the client as well
    refused = db.authenticate("admin", GOOD, ATTACKER)  # even the right password waits out the backoff
    assert refused.refusal == "locked" and refused.locked_for == dt.timedelta(seconds=1)
    clock.advance(seconds=1)
    db.authenticate("nobody", "wrong-password-1", ATTACKER)
    assert db.authenticate("nobody", "x", ATTACKER).locked_for == dt.timedelta(seconds=2)  # doubled
    clock.advance(seconds=2)
    assert db.authenticate("admin", GOOD, ATTACKER).ok  # a success clears the client's count
    assert db.authenticate("nobody", "wrong-password-1", ATTACKER).refusal == "bad_credentials"


def test_guessing_cannot_lock_an_administrator_out(db, clock):
    for _ in range(5):
        db.authenticate("admin", "wrong-password-1", ATTACKER)
    assert db.account("admin").locked_until == T0 + dt.timedelta(minutes=15)  # the per-account delay holds …
    assert db.authenticate("admin", GOOD, ATTACKER).refusal == "locked"    # … for the guessing client
    assert db.authenticate("admin", GOOD).refusal == "locked"               # … and where no client is known
    assert db.authenticate("admin", GOOD, ADMIN_PC).ok                      # the administrator's own machine: in
    assert db.account("admin").locked_until is None


def test_the_per_account_delay_still_holds_for_other_accounts(db):
    for _ in range(5):
        db.authenticate("lanzhou", "wrong-password-1", ATTACKER)
    assert db.authenticate("lanzhou", GOOD, ADMIN_PC).refusal == "locked"


def test_an_administrator_unlocks_an_account_on_the_command_line(db, tmp_path, capsys):
    for _ in range(5):
        db.authenticate("lanzhou", "wrong-password-1")
    assert db.authenticate("lanzhou", GOOD).refusal == "locked"
    assert warehouse_cli.main(["users", "unlock", "lanzhou", "--warehouse", str(tmp_path / "w.duckdb")]) == 0
    assert "已解除账户锁定" in capsys.readouterr().out
    assert db.authenticate("lanzhou", GOOD).ok
    unlock = [e for e in db.recent_audit(50) if e.event == "user_unlock"]
    assert unlock and unlock[0].username == f"cli:{OS_USER}" and unlock[0].detail == "lanzhou"
    assert warehouse_cli.main(["users", "unlock", "nobody", "--warehouse", str(tmp_path / "w.duckdb")]) == 1


def cli_entries(warehouse, event):
    return [e for e in accounts.recent_audit(200, warehouse=warehouse)
            if e.event == event and f"操作系统用户 {OS_USER}" in e.detail]


def test_etl_load_and_load_reference_are_audited_with_the_os_user(write_submission, project_row, warehouse, tmp_path):
    path = write_submission([project_row(1)], "lz.xlsx")
    assert etl_cli.main(["load", str(path), "--warehouse", str(warehouse)]) == 0
    ref = tmp_path / "三个500强.csv"
    ref.write_text("名录,年度,排名,企业名称,统一社会信用代码\n世界500强,2024,1,甲公司,\n", encoding="utf-8")
    assert etl_cli.main(["load-reference", "five-hundred", str(ref), "--warehouse", str(warehouse),
                         "--actor", "王五"]) == 0
    loads = cli_entries(warehouse, "load")
    assert any("lz.xlsx（已入库）" in e.detail and e.username == f"cli:{OS_USER}" for e in loads)
    assert any("参考名录" in e.detail and e.username == "王五" for e in loads)


def test_analytics_publish_and_approve_are_audited_with_the_os_user(hand, monkeypatch, capsys):
    monkeypatch.delenv(chain.ENV_KEY, raising=False)
    fill(hand)
    cfg_path = hand.path.parent / "indicators.toml"
    cfg_path.write_text(small_config().text, encoding="utf-8")
    assert analytics_cli.main(["publish", "--quarter", "2025Q3", "--by", "张三", "--config", str(cfg_path),
                               "--warehouse", str(hand.path)]) == 0
    published = cli_entries(hand.path, "publish")
    assert published and published[0].username == "张三" and "2025Q3-01" in published[0].detail
    accounts.open_accounts(hand.path).add_user("leader", "leader", GOOD, actor="root")
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(GOOD + "\n"))
    assert analytics_cli.main(["approve", "--publication", "2025Q3-01", "--user", "leader", "--password-stdin",
                               "--warehouse", str(hand.path)]) == 0
    assert cli_entries(hand.path, "approve")[0].username == "leader"
    capsys.readouterr()


def test_sample_draw_and_warehouse_publish_are_audited(sampling_warehouse, tmp_path, capsys):
    out = tmp_path / "核查清单.xlsx"
    assert sample_cli.main(["--quarter", "2025Q3", "--size", "12", "--seed", "9", "--out", str(out),
                            "--warehouse", str(sampling_warehouse)]) == 0
    assert cli_entries(sampling_warehouse, "sample")[0].username == OS_USER
    assert warehouse_cli.main(["publish", "--warehouse", str(sampling_warehouse)]) == 0
    assert cli_entries(sampling_warehouse, "cli_write")
    capsys.readouterr()


@pytest.mark.parametrize("weak", ["P@ssw0rd123", "zhangsan1990", "monkey123456", "qwe123asdzxc"])
def test_guessable_passwords_are_refused_by_the_estimator(db, weak):
    with pytest.raises(ValueError, match="容易被猜中"):
        db.add_user("zhangsan", "leader", weak)


def test_the_username_counts_as_known_and_long_passwords_are_judged(db):
    with pytest.raises(ValueError, match="容易被猜中"):
        db.add_user("lanzhou2", "leader", "lanzhou2025!")
    db.add_user("long", "leader", "Gx7-river-lamp-" * 8)  # longer than the estimator's bound: no English error
    accounts.check_password_policy(accounts.generate_password())
