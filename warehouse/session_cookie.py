"""The browser's login cookie: a signed, expiring wrapper around an account-store session token.

The cookie carries `{"u": username, "t": session token}` signed with `itsdangerous` (HMAC-SHA1 over a timestamped
payload) with a key kept beside the warehouse (`<dir>/session.key`, owner-only). The signature proves the server
issued the value and when; it grants nothing by itself: every run still asks the account store
(warehouse/accounts.py) whether the token is live, not idle too long, and whose it is now.

The cookie is set and cleared by two small HTTP routes (serve.py) so that it can be HttpOnly: page scripts
never see it, Streamlit reads it from the WebSocket handshake (`st.context.cookies`).
"""
from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

from warehouse import store

COOKIE_NAME = "gansu_session"
MAX_AGE_SECONDS = 12 * 3600  # absolute lifetime of one login; the idle timeout (config/roles.toml) ends it sooner
KEY_FILE = "session.key"
_SALT = "gansu-dashboard-session-v1"


def key_path(warehouse: str | os.PathLike | None = None) -> Path:
    return store.warehouse_path(warehouse).parent / KEY_FILE


def _key(warehouse: str | os.PathLike | None = None) -> str:
    """The signing key, created on first use (random, owner-readable only)."""
    path = key_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def _serializer(warehouse: str | os.PathLike | None = None) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_key(warehouse), salt=_SALT)


def sign(username: str, token: str, *, warehouse: str | os.PathLike | None = None) -> str:
    return _serializer(warehouse).dumps({"u": username, "t": token})


def unsign(value: str | None, *, warehouse: str | os.PathLike | None = None,
           max_age: int = MAX_AGE_SECONDS) -> tuple[str, str] | None:
    """(username, token) from a cookie value this server signed less than `max_age` seconds ago, else None."""
    if not value or len(value) > 1024:
        return None
    try:
        payload = _serializer(warehouse).loads(value, max_age=max_age)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), str) or not isinstance(payload.get("t"), str):
        return None
    return payload["u"], payload["t"]
