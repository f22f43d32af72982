"""Local accounts, login sessions and the audit log, in SQLite beside the warehouse (`<dir>/accounts.sqlite`).

Login attempts, session touches and audit entries are small writes from many browser sessions at once. SQLite
serialises them cheaply; the DuckDB writer (warehouse/store.py) would take the warehouse lock and republish a
serving snapshot for each, so they never go through it.

Passwords: scrypt (n=2**14, r=8, p=1) with a random per-user salt, compared in constant time. A browser session
holds only the username and a random token; the store keeps the token's SHA-256 and its last-seen time, and
every check re-reads the account, so a role or unit claimed by the browser counts for nothing.
Times are Asia/Shanghai local, like the warehouse's; every time-dependent method reads the injectable clock.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import re
import secrets
import sqlite3
from pathlib import Path
from typing import Callable, Iterator

from core import catalog, roles
from core.clock import now_local
from core.roles import User
from warehouse import login_throttle, store
from warehouse.account_records import EVENTS, Account, AuditEntry, LoginResult, SessionCheck, parse_ts
from warehouse.account_records import account_from_row as _account
from warehouse.passwords import (
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    _dummy_hash,
    _token_digest,
    check_password_policy,
    generate_password,
    hash_password,
    verify_password,
)

__all__ = ["EVENTS", "Account", "AuditEntry", "LoginResult", "SessionCheck", "SCRYPT_N", "SCRYPT_P", "SCRYPT_R",
           "check_password_policy", "generate_password", "hash_password", "verify_password", "AccountStore",
           "open_accounts", "accounts_path", "audit", "recent_audit", "create_demo_accounts"]

ACCOUNTS_FILE = "accounts.sqlite"
SCHEMA_VERSION = 2
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    username        TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL,
    unit_code       TEXT,                -- reporters only
    email           TEXT UNIQUE,         -- for OpenID Connect sign-in (optional)
    password_hash   TEXT NOT NULL,       -- scrypt$n$r$p$salt_hex$key_hex
    disabled        INTEGER NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_sha256 TEXT PRIMARY KEY,
    username     TEXT NOT NULL REFERENCES accounts (username),
    created_at   TEXT NOT NULL,
    last_seen    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    event    TEXT NOT NULL,
    username TEXT NOT NULL,
    detail   TEXT NOT NULL
);
""" + login_throttle.SCHEMA + """
PRAGMA user_version = 2;
"""


USERNAME_MAX_CHARS = 64

def now() -> dt.datetime:
    """Asia/Shanghai local wall time, naive (the warehouse's convention)."""
    return now_local()


def _norm(username: str) -> str:
    return (username or "").strip().lower()


def _ts(t: dt.datetime | None) -> str | None:
    return t.isoformat(sep=" ", timespec="seconds") if t else None


_parse_ts = parse_ts


# --------------------------------------------------------------------------- the store

class AccountStore:
    """Accounts, sessions and audit log in one SQLite file. `clock` returns local naive datetimes (tests inject it)."""

    def __init__(self, path: str | os.PathLike, *, clock: Callable[[], dt.datetime] | None = None):
        self.path = Path(path)
        self._clock = clock or now

    # ---- plumbing

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # password hashes: readable by the owner only
            os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        con = sqlite3.connect(self.path, timeout=15, isolation_level=None)
        con.row_factory = sqlite3.Row
        if con.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
            con.execute("PRAGMA journal_mode = WAL")  # readers do not wait for writers
            con.executescript(_SCHEMA)
        return con

    @contextlib.contextmanager
    def _tx(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction; `BEGIN IMMEDIATE` takes the write lock up front so read-modify-write is atomic."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    def _row(self, con: sqlite3.Connection, username: str) -> sqlite3.Row | None:
        return con.execute("SELECT * FROM accounts WHERE username = ?", [username]).fetchone()

    def _audit(self, con: sqlite3.Connection, event: str, username: str, detail: str) -> None:
        if event not in EVENTS:
            raise ValueError(f"未知审计事件：{event}")
        con.execute("INSERT INTO audit_log (at, event, username, detail) VALUES (?, ?, ?, ?)",
                    [_ts(self._clock()), event, username, detail])

    # ---- audit log

    def audit(self, event: str, user: User | str | None, detail: str = "") -> None:
        """Record an event by a user (a User, a username, or None for nobody logged in)."""
        name = user.username if isinstance(user, User) else (user or "")
        with self._tx() as con:
            self._audit(con, event, name, detail)

    def recent_audit(self, limit: int = 100) -> list[AuditEntry]:
        """The latest audit entries, newest first."""
        with self._tx(write=False) as con:
            rows = con.execute("SELECT * FROM audit_log ORDER BY id DESC LIMIT ?", [limit]).fetchall()
        return [AuditEntry(r["id"], _parse_ts(r["at"]), r["event"], r["username"], r["detail"]) for r in rows]

    def previous_login(self, username: str) -> dt.datetime | None:
        """When the user logged in before the current login (None for a first login): "since your last visit"."""
        with self._tx(write=False) as con:
            rows = con.execute("SELECT at FROM audit_log WHERE event = 'login_success' AND username = ?"
                               " ORDER BY id DESC LIMIT 2", [_norm(username)]).fetchall()
        return _parse_ts(rows[1]["at"]) if len(rows) == 2 else None

    # ---- account management

    def add_user(self, username: str, role: str, password: str, *, display_name: str | None = None,
                 unit: str | None = None, email: str | None = None, actor: str = "") -> Account:
        """Create an account. A reporter needs a unit (name, short name or code); other roles take none."""
        name = _norm(username)
        if not _USERNAME.match(name):
            raise ValueError(f"用户名“{username[:USERNAME_MAX_CHARS]}”不合规：2–64 个字符，只含小写字母、数字和 . _ @ -，以字母或数字开头")
        r = roles.role(role)
        unit_code = None
        if r.bound_to_unit:
            resolved = catalog.resolve_unit(unit)
            if resolved is None:
                raise ValueError(f"{r.label}必须绑定一个被考核单位，收到“{unit or ''}”")
            unit_code = resolved.code
        elif unit:
            raise ValueError(f"{r.label}不绑定单位，请去掉单位参数")
        check_password_policy(password, (username, display_name or "", email or ""))
        t = _ts(self._clock())
        with self._tx() as con:
            if self._row(con, name) is not None:
                raise ValueError(f"用户名已存在：{name}")
            try:
                con.execute(
                    "INSERT INTO accounts (username, display_name, role, unit_code, email, password_hash,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [name, display_name or name, r.name, unit_code, email or None, hash_password(password), t, t],
                )
            except sqlite3.IntegrityError:
                raise ValueError(f"邮箱已被其他账户使用：{email}") from None
            unit_text = f"，{catalog.unit_name(unit_code)}" if unit_code else ""
            self._audit(con, "user_add", actor, f"{name}（{r.label}{unit_text}）")
            return _account(self._row(con, name))

    def _update(self, username: str, event: str, sets: str, params: list, actor: str) -> None:
        name = _norm(username)
        with self._tx() as con:
            cur = con.execute(f"UPDATE accounts SET {sets}, updated_at = ? WHERE username = ?",  # noqa: S608 - column names are code constants; values bound
                              [*params, _ts(self._clock()), name])
            if cur.rowcount == 0:
                raise ValueError(f"账户不存在：{name}")
            con.execute("DELETE FROM sessions WHERE username = ?", [name])  # open sessions end now
            self._audit(con, event, actor, name)

    def set_disabled(self, username: str, disabled: bool, *, actor: str = "") -> None:
        self._update(username, "user_disable" if disabled else "user_enable",
                     "disabled = ?", [int(disabled)], actor)

    def reset_password(self, username: str, password: str, *, actor: str = "") -> None:
        """New password; also clears failed attempts and a lockout, and ends the user's sessions."""
        check_password_policy(password, (username,))
        self._update(username, "password_reset", "password_hash = ?, failed_attempts = 0, locked_until = NULL",
                     [hash_password(password)], actor)

    def list_accounts(self) -> list[Account]:
        with self._tx(write=False) as con:
            return [_account(r) for r in con.execute("SELECT * FROM accounts ORDER BY role, username")]

    def account(self, username: str) -> Account | None:
        with self._tx(write=False) as con:
            row = self._row(con, _norm(username))
        return _account(row) if row else None

    def active_user_by_email(self, email: str) -> User | None:
        """The enabled account registered with this e-mail (OpenID Connect sign-in), else None."""
        with self._tx(write=False) as con:
            row = con.execute("SELECT * FROM accounts WHERE lower(email) = lower(?) AND disabled = 0",
                              [(email or "").strip()]).fetchone()
        return _account(row).user if row else None

    # ---- login

    def authenticate(self, username: str, password: str, client: str | None = None) -> LoginResult:
        """Check a login; count failures, lock after `max_failures` for `lockout`; audit every outcome.

        `client` (the browser's address, when known) gets its own backoff (warehouse/login_throttle.py); an
        administrator's account lock does not stop a client with no failures on record."""
        policy = roles.login_policy()
        name = _norm(username)
        t = self._clock()
        with self._tx(write=False) as con:
            row = self._row(con, name)
            client_wait = login_throttle.wait(con, client, t)
        if client_wait:
            self.audit("login_failure", name[:USERNAME_MAX_CHARS], f"本终端（{client}）连续登录失败，须等待后再试")
            return LoginResult(None, "locked", client_wait)
        if row is None:
            verify_password(password, _dummy_hash())
            with self._tx() as con:
                login_throttle.failed(con, client, t, policy.max_failures, policy.lockout)
                # What an anonymous caller typed is logged, but never more than a username can be long.
                self._audit(con, "login_failure", name[:USERNAME_MAX_CHARS], "未知用户名")
            return LoginResult(None, "bad_credentials")
        correct = verify_password(password, row["password_hash"])
        with self._tx() as con:
            acc = _account(self._row(con, name))  # re-read under the write lock: attempts may run in parallel
            exempt = acc.role == "admin" and login_throttle.clean(con, client)
            if acc.locked_until and acc.locked_until > t and not exempt:
                login_throttle.failed(con, client, t, policy.max_failures, policy.lockout)
                self._audit(con, "login_failure", name, "账户锁定中")
                return LoginResult(None, "locked", acc.locked_until - t)
            if correct:
                login_throttle.succeeded(con, client)
                con.execute("UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE username = ?", [name])
                if acc.disabled:
                    self._audit(con, "login_failure", name, "账户已停用")
                    return LoginResult(None, "disabled")
                self._audit(con, "login_success", name, "")
                return LoginResult(acc.user)
            login_throttle.failed(con, client, t, policy.max_failures, policy.lockout)
            expired = acc.locked_until and acc.locked_until <= t
            failures = (0 if expired else acc.failed_attempts) + 1  # an expired lock starts a new count
            locked_until = t + policy.lockout if failures >= policy.max_failures else None
            con.execute("UPDATE accounts SET failed_attempts = ?, locked_until = ? WHERE username = ?",
                        [failures, _ts(locked_until), name])
            self._audit(con, "login_failure", name, f"密码错误（连续第 {failures} 次）")
            if locked_until:
                self._audit(con, "lockout", name, f"连续 {failures} 次密码错误，锁定至 {_ts(locked_until)}")
                return LoginResult(None, "locked", policy.lockout)
            return LoginResult(None, "bad_credentials")

    def unlock(self, username: str, *, actor: str = "") -> None:
        """Clear an account's failed attempts and lock (sessions stay); audited."""
        name = _norm(username)
        with self._tx() as con:
            if con.execute("UPDATE accounts SET failed_attempts = 0, locked_until = NULL WHERE username = ?",
                           [name]).rowcount == 0:
                raise ValueError(f"账户不存在：{name}")
            self._audit(con, "user_unlock", actor, name)

    # ---- sessions

    def start_session(self, user: User) -> str:
        """Issue a random session token for a user who just logged in; the browser keeps it, we keep its hash."""
        token = secrets.token_urlsafe(32)
        t = self._clock()
        with self._tx() as con:
            self._expire_idle_sessions(con, t)
            con.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                        [_token_digest(token), user.username, _ts(t), _ts(t)])
        return token

    def _expire_idle_sessions(self, con: sqlite3.Connection, t: dt.datetime) -> None:
        cutoff = _ts(t - roles.login_policy().session_idle)
        for row in con.execute("DELETE FROM sessions WHERE last_seen <= ? RETURNING username, last_seen",
                               [cutoff]).fetchall():
            self._audit(con, "session_timeout", row["username"], f"最后活动 {row['last_seen']}")

    def check_session(self, username: str, token: str) -> SessionCheck:
        """The session's user as the store knows them now; ends the session after the idle timeout."""
        if not token:
            return SessionCheck(None)
        name = _norm(username)
        t = self._clock()
        with self._tx() as con:
            row = con.execute(
                "SELECT s.username, s.last_seen, a.disabled FROM sessions s JOIN accounts a USING (username)"
                " WHERE s.token_sha256 = ?", [_token_digest(token)]).fetchone()
            if row is None:
                return SessionCheck(None)
            if row["username"] != name:
                self._audit(con, "access_denied", name, f"会话令牌属于另一账户 {row['username']}")
                return SessionCheck(None)
            if t - _parse_ts(row["last_seen"]) >= roles.login_policy().session_idle:
                con.execute("DELETE FROM sessions WHERE token_sha256 = ?", [_token_digest(token)])
                self._audit(con, "session_timeout", name, f"最后活动 {row['last_seen']}")
                return SessionCheck(None, timed_out=True)
            if row["disabled"]:
                return SessionCheck(None)
            con.execute("UPDATE sessions SET last_seen = ? WHERE token_sha256 = ?", [_ts(t), _token_digest(token)])
            return SessionCheck(_account(self._row(con, name)).user)

    def end_session(self, token: str) -> None:
        """Log out: forget the session and audit it."""
        with self._tx() as con:
            row = con.execute("DELETE FROM sessions WHERE token_sha256 = ? RETURNING username",
                              [_token_digest(token)]).fetchone()
            if row:
                self._audit(con, "logout", row["username"], "")


# --------------------------------------------------------------------------- module-level entry points

def accounts_path(warehouse: str | os.PathLike | None = None) -> Path:
    """`<warehouse dir>/accounts.sqlite` for --warehouse PATH / $WAREHOUSE / the default warehouse."""
    return store.warehouse_path(warehouse).parent / ACCOUNTS_FILE


def open_accounts(warehouse: str | os.PathLike | None = None) -> AccountStore:
    return AccountStore(accounts_path(warehouse))


def audit(event: str, user: User | str | None, detail: str = "", *,
          warehouse: str | os.PathLike | None = None) -> None:
    """Record an event (see EVENTS) for the warehouse at `warehouse` (default: $WAREHOUSE or data/)."""
    open_accounts(warehouse).audit(event, user, detail)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "未知"


def audit_cli(event: str, by: str | None, detail: str, *, warehouse: str | os.PathLike | None = None) -> None:
    """A command-line write: the operator it names (`--by`/`--actor`, else cli:<OS user>) and always the OS user."""
    who = (by or "").strip() or f"cli:{os_user()}"
    open_accounts(warehouse).audit(event, who[:USERNAME_MAX_CHARS], f"{detail}（命令行，操作系统用户 {os_user()}）")


def recent_audit(limit: int = 100, *, warehouse: str | os.PathLike | None = None) -> list[AuditEntry]:
    return open_accounts(warehouse).recent_audit(limit)


DEMO_ACCOUNTS = (
    # username, role, unit, display name
    ("admin", "admin", None, "系统管理员"),
    ("leader", "leader", None, "领导小组"),
    ("lanzhou", "reporter", "620100", "兰州市填报员"),
    ("qingyang", "reporter", "621000", "庆阳市填报员"),
)


def create_demo_accounts(warehouse: str | os.PathLike | None = None) -> dict[str, str]:
    """Create the demo accounts that do not exist yet, with random passwords; return {username: password}.

    Existing accounts are left alone (their passwords are not reset), so a second run returns only new ones.
    The caller shows the passwords once.
    """
    accounts = open_accounts(warehouse)
    created = {}
    for username, role, unit, display_name in DEMO_ACCOUNTS:
        if accounts.account(username) is None:
            password = generate_password()
            accounts.add_user(username, role, password, display_name=display_name, unit=unit, actor="demo")
            created[username] = password
    return created
