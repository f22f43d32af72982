"""The login cookie: only values this server signed, not tampered with, not older than their lifetime."""
from __future__ import annotations

from warehouse import session_cookie


def test_signed_value_round_trips_and_key_is_private(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    value = session_cookie.sign("leader", "tok-123", warehouse=wh)
    assert session_cookie.unsign(value, warehouse=wh) == ("leader", "tok-123")
    assert "tok-123" not in value or "." in value  # itsdangerous payload.timestamp.signature
    assert oct(session_cookie.key_path(wh).stat().st_mode & 0o777) == "0o600"


def test_tampered_foreign_or_expired_values_are_refused(tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    value = session_cookie.sign("leader", "tok-123", warehouse=wh)
    payload, stamp, sig = value.split(".")
    assert session_cookie.unsign(f"{payload}.{stamp}.{sig[:-2]}xx", warehouse=wh) is None
    other = tmp_path / "other" / "warehouse.duckdb"  # another installation's key
    assert session_cookie.unsign(session_cookie.sign("admin", "t", warehouse=other), warehouse=wh) is None
    assert session_cookie.unsign("", warehouse=wh) is None and session_cookie.unsign("x" * 5000, warehouse=wh) is None
    assert session_cookie.unsign(value, warehouse=wh, max_age=-1) is None  # older than its lifetime
