"""An idle session and a forged username or role are refused by the real app.py."""
from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core import roles
from pages import auth
from tests.apptest_support import (
    APP,
    app_as,
    ensure_users,
    shown_text,
)
from tests.hostile_support import (  # noqa: F401 - fixtures are used by name
    HOSTILE,
    SUBMISSIONS_PAGE,
    _frozen_today_and_fresh_caches,
    hostile,
    hostile_copy,
)
from warehouse import accounts

# --------------------------------------------------------------------------- 4. expired session, forged state

def age_sessions(warehouse: Path, username: str, idle: dt.timedelta) -> None:
    """Make a user's sessions look unused for `idle` (as the account store's clock sees time)."""
    with sqlite3.connect(accounts.accounts_path(warehouse)) as con:
        con.execute("UPDATE sessions SET last_seen = ? WHERE username = ?",
                    [(accounts.now() - idle).isoformat(sep=" "), username])


def sees_login_form_only(at: AppTest) -> bool:
    return ([t.label for t in at.text_input] == ["用户名", "密码"] and not at.dataframe and not at.metric
            and auth.TOKEN_KEY not in at.session_state)


def test_idle_session_in_the_real_app_returns_to_the_login_form(hostile_copy, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(hostile_copy))
    at = app_as("admin", hostile_copy, SUBMISSIONS_PAGE).run()
    assert not at.exception and at.dataframe and at.metric and "数据报送" in shown_text(at)
    age_sessions(hostile_copy, "admin", roles.login_policy().session_idle + dt.timedelta(minutes=1))
    at.run()
    assert not at.exception
    assert "会话已超时，请重新登录" in [w.value for w in at.warning]
    assert sees_login_form_only(at) and "数据报送" not in shown_text(at)
    last = accounts.open_accounts(hostile_copy).recent_audit(1)[0]
    assert (last.event, last.username) == ("session_timeout", "admin")


def test_session_just_inside_the_idle_limit_still_works(hostile_copy, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(hostile_copy))
    at = app_as("admin", hostile_copy, SUBMISSIONS_PAGE).run()
    age_sessions(hostile_copy, "admin", roles.login_policy().session_idle - dt.timedelta(minutes=1))
    at.run()
    assert not at.exception and at.dataframe and not at.warning


def test_forged_admin_username_with_a_reporters_token_is_refused(hostile_copy, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(hostile_copy))
    at = app_as("lanzhou", hostile_copy, SUBMISSIONS_PAGE).run()
    assert list(at.dataframe[0].value["被考核单位"]) == ["兰州市"]  # the reporter's own view
    at.session_state[auth.USERNAME_KEY] = "admin"
    at.run()
    assert not at.exception and sees_login_form_only(at)
    last = accounts.open_accounts(hostile_copy).recent_audit(1)[0]
    assert (last.event, last.username, last.detail) == ("access_denied", "admin", "会话令牌属于另一账户 lanzhou")


def test_forged_token_or_role_keys_grant_nothing(hostile_copy, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(hostile_copy))
    ensure_users(hostile_copy)
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[auth.USERNAME_KEY] = "admin"
    at.session_state[auth.TOKEN_KEY] = HOSTILE[0]
    at.session_state["role"] = "admin"
    at.run()
    assert not at.exception and sees_login_form_only(at)
    at.text_input[0].input("admin' --")
    at.text_input[1].input("' OR '1'='1")
    at.button[0].click()
    at.run()
    assert [e.value for e in at.error] == ["用户名或密码错误"] and sees_login_form_only(at)
