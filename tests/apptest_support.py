"""AppTest helpers: run the real app.py as a logged-in user against a given warehouse."""
from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from pages import auth
from warehouse import accounts

PASSWORD = "page-test-password-1"
ROLE_OF = {"admin": "admin", "leader": "leader", "lanzhou": "reporter", "qingyang": "reporter"}
APP = str(Path(__file__).resolve().parents[1] / "app.py")
UNIT_OF = {"lanzhou": "620100", "qingyang": "621000"}


def ensure_users(warehouse) -> accounts.AccountStore:
    store = accounts.open_accounts(warehouse)
    for name, role in ROLE_OF.items():
        if store.account(name) is None:
            store.add_user(name, role, PASSWORD, unit=UNIT_OF.get(name))
    return store


def app_as(username: str, warehouse, page: str | None = None, timeout: float = 60) -> AppTest:
    """The app logged in as `username` (created if needed), optionally switched to `page`; not yet run."""
    store = ensure_users(warehouse)
    user = store.account(username).user
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state[auth.USERNAME_KEY] = user.username
    at.session_state[auth.TOKEN_KEY] = store.start_session(user)
    if page:
        at.switch_page(page)
    return at


def clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def shown_text(at: AppTest) -> str:
    """Everything a person would read on the page (titles, markdown, captions, alerts, metrics)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    return "\n".join(parts)
