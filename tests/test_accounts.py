"""Account store: password hashing, policy, lockout, disabled accounts, sessions, audit log (issue 6)."""
import datetime as dt
import os
import stat

import pytest

from warehouse import accounts

T0 = dt.datetime(2025, 10, 9, 9, 0, 0)
GOOD = "correct-horse-9"


class Clock:
    def __init__(self, t: dt.datetime):
        self.t = t

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, **delta) -> None:
        self.t += dt.timedelta(**delta)


@pytest.fixture
def clock():
    return Clock(T0)


@pytest.fixture
def db(tmp_path, clock):
    s = accounts.AccountStore(tmp_path / "accounts.sqlite", clock=clock)
    s.add_user("lanzhou", "reporter", GOOD, unit="兰州", display_name="兰州市填报员", actor="root")
    return s


def events(db, username=None):
    return [(e.event, e.username) for e in reversed(db.recent_audit(1000))
            if username is None or e.username == username]


# --------------------------------------------------------------------------- hashing and policy

def test_same_password_gets_different_salted_hashes_that_both_verify():
    a, b = accounts.hash_password(GOOD), accounts.hash_password(GOOD)
    assert a != b
    assert a.startswith("scrypt$16384$8$1$")
    assert accounts.verify_password(GOOD, a) and accounts.verify_password(GOOD, b)
    assert not accounts.verify_password(GOOD + "x", a)
    assert not accounts.verify_password(GOOD, "not-a-hash")


def test_password_hash_is_stored_never_the_password(db):
    files = [db.path, db.path.with_name(db.path.name + "-wal")]
    assert not any(GOOD.encode() in f.read_bytes() for f in files if f.exists())
    assert db.account("lanzhou").user.username == "lanzhou"  # the store was really written


def test_password_policy_minimum_ten_characters(db):
    with pytest.raises(ValueError, match="至少需要 10 个字符"):
        db.add_user("short", "leader", "123456789")
    db.add_user("okay", "leader", "gansu-2025-zs")
    with pytest.raises(ValueError, match="至少需要 10 个字符"):
        db.reset_password("okay", "tooshort")
    assert db.authenticate("okay", "gansu-2025-zs").ok


@pytest.mark.parametrize("weak, why", [("aaaaaaaaaa", "至少需要 5 个不同的字符"), ("1212121212", "不同的字符"),
                                       ("1234567890", "连续数字"), ("qwertyuiop", "键盘序列"),
                                       ("Password123", "常见词")])
def test_trivial_passwords_are_refused(db, weak, why):
    with pytest.raises(ValueError, match=why):
        db.add_user("weak", "leader", weak)


def test_generated_passwords_pass_the_policy_and_differ():
    a, b = accounts.generate_password(), accounts.generate_password()
    assert a != b
    accounts.check_password_policy(a)


# --------------------------------------------------------------------------- accounts

def test_reporter_is_bound_to_one_unit_given_by_alias(db):
    acc = db.account("lanzhou")
    assert acc.role == "reporter" and acc.unit_code == "620100"
    with pytest.raises(ValueError, match="必须绑定"):
        db.add_user("nounit", "reporter", GOOD)
    with pytest.raises(ValueError, match="必须绑定"):
        db.add_user("badunit", "reporter", GOOD, unit="上海")
    with pytest.raises(ValueError, match="不绑定单位"):
        db.add_user("boss", "leader", GOOD, unit="兰州")
    with pytest.raises(ValueError, match="未知角色"):
        db.add_user("root", "superuser", GOOD)


def test_usernames_are_unique_and_case_insensitive(db):
    with pytest.raises(ValueError, match="用户名已存在"):
        db.add_user("LanZhou", "leader", GOOD)
    assert db.authenticate(" LANZHOU ", GOOD).user.username == "lanzhou"


def test_accounts_file_is_private(db):
    assert stat.S_IMODE(os.stat(db.path).st_mode) == 0o600


# --------------------------------------------------------------------------- login and lockout

def test_login_success_and_wrong_password(db):
    ok = db.authenticate("lanzhou", GOOD)
    assert ok.ok and ok.user.role == "reporter" and ok.user.unit_code == "620100"
    bad = db.authenticate("lanzhou", "wrong-password")
    assert not bad.ok and bad.message == "用户名或密码错误"
    unknown = db.authenticate("nobody", GOOD)
    assert not unknown.ok and unknown.message == "用户名或密码错误"


def test_four_failures_do_not_lock_and_a_success_resets_the_count(db):
    for _ in range(4):
        assert db.authenticate("lanzhou", "wrong-password").refusal == "bad_credentials"
    assert db.authenticate("lanzhou", GOOD).ok
    for _ in range(4):
        db.authenticate("lanzhou", "wrong-password")
    assert db.authenticate("lanzhou", GOOD).ok  # the count restarted after the success


def test_lockout_at_exactly_five_failures_and_release_after_fifteen_minutes(db, clock):
    results = [db.authenticate("lanzhou", "wrong-password") for _ in range(5)]
    assert [r.refusal for r in results] == ["bad_credentials"] * 4 + ["locked"]
    assert results[-1].message == "账户已锁定，请 15 分钟后再试"
    # The right password does not get in while locked.
    clock.advance(minutes=10)
    locked = db.authenticate("lanzhou", GOOD)
    assert locked.refusal == "locked" and locked.message == "账户已锁定，请 5 分钟后再试"
    clock.advance(minutes=4, seconds=59)
    assert db.authenticate("lanzhou", GOOD).message == "账户已锁定，请 1 分钟后再试"
    clock.advance(seconds=1)
    assert db.authenticate("lanzhou", GOOD).ok


def test_after_a_lock_expires_the_count_starts_again(db, clock):
    for _ in range(5):
        db.authenticate("lanzhou", "wrong-password")
    clock.advance(minutes=15)
    assert db.authenticate("lanzhou", "wrong-password").refusal == "bad_credentials"
    assert db.account("lanzhou").failed_attempts == 1
    assert db.authenticate("lanzhou", GOOD).ok


def test_reset_password_releases_a_lock(db):
    for _ in range(5):
        db.authenticate("lanzhou", "wrong-password")
    db.reset_password("lanzhou", "brand-new-pass-1", actor="root")
    assert db.authenticate("lanzhou", "brand-new-pass-1").ok
    assert not db.authenticate("lanzhou", GOOD).ok


def test_disabled_account_is_refused_and_can_be_enabled_again(db):
    db.set_disabled("lanzhou", True, actor="root")
    result = db.authenticate("lanzhou", GOOD)
    assert not result.ok and result.message == "账户已停用"
    assert db.authenticate("lanzhou", "wrong-password").message == "用户名或密码错误"  # no hint without the password
    db.set_disabled("lanzhou", False, actor="root")
    assert db.authenticate("lanzhou", GOOD).ok
    with pytest.raises(ValueError, match="账户不存在"):
        db.set_disabled("nobody", True)


# --------------------------------------------------------------------------- sessions

def login(db):
    return db.start_session(db.authenticate("lanzhou", GOOD).user)


def test_session_returns_the_account_as_stored(db):
    token = login(db)
    check = db.check_session("lanzhou", token)
    assert check.user.username == "lanzhou" and check.user.unit_code == "620100"
    assert db.check_session("lanzhou", "forged-token").user is None
    assert db.check_session("lanzhou", "").user is None


def test_session_times_out_after_thirty_idle_minutes(db, clock):
    token = login(db)
    clock.advance(minutes=29, seconds=59)
    assert db.check_session("lanzhou", token).user is not None  # activity keeps it alive
    clock.advance(minutes=29, seconds=59)
    assert db.check_session("lanzhou", token).user is not None
    clock.advance(minutes=30)
    check = db.check_session("lanzhou", token)
    assert check.user is None and check.timed_out
    clock.advance(seconds=1)
    assert not db.check_session("lanzhou", token).timed_out  # the session is gone, not revived
    assert events(db, "lanzhou")[-1] == ("session_timeout", "lanzhou")


def test_a_token_presented_under_another_username_is_refused_and_audited(db):
    db.add_user("boss", "admin", GOOD)
    token = login(db)
    assert db.check_session("boss", token).user is None
    assert ("access_denied", "boss") in events(db)


def test_disabling_or_resetting_ends_open_sessions(db):
    token = login(db)
    db.set_disabled("lanzhou", True)
    db.set_disabled("lanzhou", False)
    assert db.check_session("lanzhou", token).user is None
    token = login(db)
    db.reset_password("lanzhou", "brand-new-pass-1")
    assert db.check_session("lanzhou", token).user is None


def test_logout_ends_the_session(db):
    token = login(db)
    db.end_session(token)
    assert db.check_session("lanzhou", token).user is None
    assert events(db)[-1] == ("logout", "lanzhou")


def test_idle_sessions_of_others_are_expired_and_audited_at_the_next_login(db, clock):
    db.add_user("boss", "admin", GOOD)
    login(db)
    clock.advance(minutes=45)
    db.start_session(db.authenticate("boss", GOOD).user)
    assert ("session_timeout", "lanzhou") in events(db)


# --------------------------------------------------------------------------- audit log

def test_every_login_event_is_audited(db, clock):
    db.authenticate("lanzhou", GOOD)
    for _ in range(5):
        db.authenticate("lanzhou", "wrong-password")
    db.authenticate("lanzhou", GOOD)  # refused while locked
    db.authenticate("ghost", GOOD)
    db.set_disabled("lanzhou", True, actor="root")
    clock.advance(minutes=15)
    db.authenticate("lanzhou", GOOD)
    assert events(db) == [
        ("user_add", "root"),
        ("login_success", "lanzhou"),
        *[("login_failure", "lanzhou")] * 5,
        ("lockout", "lanzhou"),
        ("login_failure", "lanzhou"),
        ("login_failure", "ghost"),
        ("user_disable", "root"),
        ("login_failure", "lanzhou"),
    ]
    latest = db.recent_audit(1)[0]
    assert latest.detail == "账户已停用" and latest.label == "登录失败" and latest.at == T0 + dt.timedelta(minutes=15)


def test_writes_are_audited_with_user_and_time(tmp_path, monkeypatch):
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    accounts.audit("publish", "admin", "2025Q3 排名", warehouse=warehouse)
    accounts.audit("load", None, "2025-03 兰州市.xlsx", warehouse=warehouse)
    monkeypatch.setenv("WAREHOUSE", str(warehouse))
    entries = accounts.recent_audit(10)  # found through $WAREHOUSE, beside the warehouse file
    assert (warehouse.parent / "accounts.sqlite").exists()
    assert [(e.event, e.username, e.detail) for e in entries] == [
        ("load", "", "2025-03 兰州市.xlsx"), ("publish", "admin", "2025Q3 排名")]
    assert all(isinstance(e.at, dt.datetime) for e in entries)


def test_unknown_audit_event_is_refused(db):
    with pytest.raises(ValueError, match="未知审计事件"):
        db.audit("delete_everything", "lanzhou")


def test_recent_audit_is_newest_first_and_limited(db):
    for i in range(5):
        db.audit("load", "admin", f"file-{i}")
    assert [e.detail for e in db.recent_audit(3)] == ["file-4", "file-3", "file-2"]


# --------------------------------------------------------------------------- demo accounts

def test_demo_accounts_have_random_working_passwords_and_are_created_once(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    created = accounts.create_demo_accounts(warehouse)
    assert set(created) == {"admin", "leader", "lanzhou", "qingyang"}
    assert len(set(created.values())) == 4
    db = accounts.open_accounts(warehouse)
    users = {name: db.authenticate(name, pw).user for name, pw in created.items()}
    assert {n: (u.role, u.unit_code) for n, u in users.items()} == {
        "admin": ("admin", None), "leader": ("leader", None),
        "lanzhou": ("reporter", "620100"), "qingyang": ("reporter", "621000")}
    assert accounts.create_demo_accounts(warehouse) == {}
    assert db.authenticate("admin", created["admin"]).ok  # a second run does not change passwords


def test_parallel_wrong_attempts_lock_once_without_lost_counts(db):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: db.authenticate("lanzhou", "wrong-password"), range(8)))
    acc = db.account("lanzhou")
    assert acc.failed_attempts == 5 and acc.locked_until == T0 + dt.timedelta(minutes=15)
    assert sum(r.refusal == "bad_credentials" for r in results) == 4
    assert [e for e, _ in events(db)].count("lockout") == 1
