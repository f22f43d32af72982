"""Per-client login backoff (issue 15), in the accounts file beside the per-account lock.

A client is what the server can tell about the other end (the browser's IP address from `st.context`). After
`max_failures` failed logins from one client it must wait 1 s, then 2 s, 4 s … (capped at the account lockout) before
each further attempt; a successful login from it clears the count. The per-account lock (accounts.py) stays as the
longer delay, except that it never stops an administrator who logs in from a client with no failures on record:
guessing from one machine can slow that machine down, never lock the administrator out of the dashboard.
`python -m warehouse users unlock NAME` clears an account's lock (and is audited).
"""
from __future__ import annotations

import datetime as dt
import sqlite3

SCHEMA = """
CREATE TABLE IF NOT EXISTS login_clients (
    client        TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    blocked_until TEXT
);
"""
CLIENT_MAX_CHARS = 64


def _client(client: str) -> str:
    return client[:CLIENT_MAX_CHARS]


def _row(con: sqlite3.Connection, client: str):
    return con.execute("SELECT failures, blocked_until FROM login_clients WHERE client = ?", [_client(client)]
                       ).fetchone()


def wait(con: sqlite3.Connection, client: str | None, t: dt.datetime) -> dt.timedelta | None:
    """How long this client must still wait before its next attempt (None: it may try now)."""
    row = _row(con, client) if client else None
    if row is None or row[1] is None:
        return None
    until = dt.datetime.fromisoformat(row[1])
    return until - t if until > t else None


def clean(con: sqlite3.Connection, client: str | None) -> bool:
    """A known client with no failed login on record."""
    return bool(client) and _row(con, client) is None


def failed(con: sqlite3.Connection, client: str | None, t: dt.datetime, max_failures: int,
           cap: dt.timedelta) -> None:
    if not client:
        return
    row = _row(con, client)
    failures = (row[0] if row else 0) + 1
    blocked = None
    if failures >= max_failures:
        blocked = t + min(dt.timedelta(seconds=2 ** min(failures - max_failures, 30)), cap)
    con.execute("INSERT OR REPLACE INTO login_clients VALUES (?, ?, ?)",
                [_client(client), failures, blocked.isoformat(sep=" ") if blocked else None])


def succeeded(con: sqlite3.Connection, client: str | None) -> None:
    if client:
        con.execute("DELETE FROM login_clients WHERE client = ?", [_client(client)])
