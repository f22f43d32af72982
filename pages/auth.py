"""Login gate and permission guard used by app.py and every page.

    # app.py
    user = auth.current_user()
    if user is None:
        auth.login_form()
        st.stop()
    auth.logout_button(user)

    # a page
    user = auth.require("view_ranking_live")          # refuses, audits and stops without the permission
    auth.require_unit(user, unit_code)                 # before showing one unit's submissions
    scope = roles.unit_scope(user)                     # None = all units; pass it to the data functions

The browser session holds only the username and a random token issued at login. To survive a reload the same
pair also travels in a signed, expiring, HttpOnly cookie (warehouse/session_cookie.py, set by serve.py's route);
a reload reads it from the WebSocket handshake and checks it like any other run. Every check asks the account
store (warehouse/accounts.py) who the token belongs to and what their role is NOW, enforces the idle timeout
(config/roles.toml), and ignores anything else in `st.session_state`, so a forged role there changes nothing.

Optional single sign-on (OpenID Connect). Put an `[auth]` section in `.streamlit/secrets.toml` (never commit it;
it is in .gitignore) and install Authlib (`pip install "Authlib>=1.3.2"`):

    [auth]
    redirect_uri = "https://dashboard.example.gov.cn/oauth2callback"
    cookie_secret = "<a long random string>"
    client_id = "..."
    client_secret = "..."
    server_metadata_url = "https://idp.example.gov.cn/.well-known/openid-configuration"

The login page then offers 使用统一身份认证登录 (`st.login`). The provider's e-mail is mapped to the local
account registered with it (`python -m warehouse users add NAME --role ... --email E`), which gives the role
and unit; an e-mail with no enabled local account is refused. Local passwords keep working alongside.
"""
from __future__ import annotations

import json

import streamlit as st

from core import catalog, roles
from core.roles import User
from warehouse import accounts, session_cookie

USERNAME_KEY = "auth_username"
TOKEN_KEY = "auth_token"
_NOTICE = "auth_notice"
_OIDC_REFUSED = "auth_oidc_refused"
_COOKIE_SET = "auth_cookie_set"        # a signed value the browser should store (after a login)
_COOKIE_CLEAR = "auth_cookie_clear"    # the browser should drop its cookie (logout, timeout, refused)
_COOKIE_TRIED = "auth_cookie_tried"    # the handshake cookie already tried in this browser session


def _store() -> accounts.AccountStore:
    return accounts.open_accounts()  # beside $WAREHOUSE or data/warehouse.duckdb


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets.toml, or one that does not parse
        return False


def _remember(user: User) -> None:
    token = _store().start_session(user)
    st.session_state[USERNAME_KEY] = user.username
    st.session_state[TOKEN_KEY] = token
    st.session_state[_COOKIE_SET] = session_cookie.sign(user.username, token)
    st.session_state.pop(_COOKIE_CLEAR, None)


def _forget() -> None:
    for key in (USERNAME_KEY, TOKEN_KEY, _COOKIE_SET):
        st.session_state.pop(key, None)
    st.session_state[_COOKIE_CLEAR] = True


def _from_cookie() -> bool:
    """Take the session from the reload's cookie (signed by us, not expired) once; True when one was found."""
    try:
        value = st.context.cookies.get(session_cookie.COOKIE_NAME)
    except Exception:  # noqa: BLE001 - no browser context (bare script, some test harnesses)
        return False
    if not value or st.session_state.get(_COOKIE_TRIED) == value:
        return False
    st.session_state[_COOKIE_TRIED] = value
    pair = session_cookie.unsign(value)
    if pair is None:
        st.session_state[_COOKIE_CLEAR] = True
        return False
    st.session_state[USERNAME_KEY], st.session_state[TOKEN_KEY] = pair
    return True


def cookie_sync() -> None:
    """Ask the browser to store or drop the HttpOnly login cookie (a POST to serve.py's route). Call on every run."""
    if value := st.session_state.pop(_COOKIE_SET, None):
        body, url = value, "api/session"
    elif st.session_state.pop(_COOKIE_CLEAR, None):
        body, url = "", "api/session/end"
    else:
        return
    script = f"fetch({json.dumps('/' + url)}, {{method: 'POST', body: {json.dumps(body)}, credentials: 'same-origin'}});"
    st.html(f"<script>{script}</script>", unsafe_allow_javascript=True)


def _oidc_sign_in() -> None:
    """Map the identity provider's e-mail to a local account and open a session for it."""
    email = str(st.user.get("email") or "")
    user = _store().active_user_by_email(email) if email else None
    if user is not None:
        _remember(user)
        _store().audit("login_success", user, f"统一身份认证 {email}")
        return
    st.session_state[_NOTICE] = f"统一身份认证账户 {email or '（无邮箱）'} 未开通本系统权限，请联系管理员"
    if st.session_state.get(_OIDC_REFUSED) != email:  # audit once per browser session, not on every rerun
        st.session_state[_OIDC_REFUSED] = email
        _store().audit("login_failure", email, "统一身份认证邮箱未关联启用的本地账户")


def current_user() -> User | None:
    """The logged-in user as the account store knows them now, or None (not logged in, expired, disabled)."""
    oidc = _oidc_configured() and st.user.is_logged_in
    if not st.session_state.get(TOKEN_KEY) and oidc:
        _oidc_sign_in()
    if not st.session_state.get(TOKEN_KEY):
        _from_cookie()
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        return None
    check = _store().check_session(str(st.session_state.get(USERNAME_KEY) or ""), str(token))
    if check.user is None:
        _forget()
        if check.timed_out:
            st.session_state[_NOTICE] = "会话已超时，请重新登录"
            if oidc:
                st.logout()  # otherwise the provider's cookie would silently open a new session
    return check.user


def _client() -> str | None:
    """The browser's address as the server sees it (per-client login backoff); None when unknown."""
    try:
        ip = st.context.ip_address
    except Exception:  # noqa: BLE001 - no address (tests, bare mode): the account lock alone applies
        return None
    return ip if isinstance(ip, str) and ip else None


def login_form() -> None:
    """The login page: 用户名, 密码, 登录 (and single sign-on when configured). Reruns the app on success."""
    st.header("登录")
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.warning(notice)
    with st.form("login"):
        username = st.text_input("用户名", max_chars=accounts.USERNAME_MAX_CHARS)
        password = st.text_input("密码", type="password")
        submitted = st.form_submit_button("登录")
    if submitted:
        if not username.strip() or not password:
            st.error("请输入用户名和密码")
        else:
            result = _store().authenticate(username, password, _client())
            if result.ok:
                _remember(result.user)
                st.rerun()
            st.error(result.message)
    if _oidc_configured():
        if st.button("使用统一身份认证登录"):
            st.login()
        if st.user.is_logged_in and st.button("切换统一身份认证账户"):
            st.logout()


def _refuse(user: User, message: str, detail: str) -> None:
    st.error(message)
    _store().audit("access_denied", user, detail)
    st.stop()


def require(permission: str) -> User:
    """The current user if they hold `permission`; otherwise a Chinese refusal (audited) or the login form, then stop."""
    if permission not in roles.PERMISSIONS:
        raise ValueError(f"未知权限：{permission}")
    user = current_user()
    if user is None:
        st.info("请先登录")
        login_form()
        st.stop()
    if not user.can(permission):
        label = roles.PERMISSIONS[permission]
        _refuse(user, f"无权访问：您的角色（{user.role_label}）没有“{label}”权限", f"缺少权限 {permission}（{label}）")
    return user


def require_unit(user: User, unit_code: str) -> None:
    """Stop with a refusal (audited) when the user may not see this unit's submissions."""
    if not roles.may_see_unit(user, unit_code):
        own = catalog.unit_name(user.unit_code) if user.unit_code else "无"
        asked = catalog.resolve_unit(unit_code)
        _refuse(user, f"无权访问：您只能查看本单位（{own}）的数据",
                f"请求查看单位 {unit_code}（{asked.name if asked else '未知单位'}）的数据")


def logout_button(user: User | None = None) -> None:
    """Sidebar: who is logged in, and 退出登录."""
    if user is not None:
        unit = f" · {catalog.unit_name(user.unit_code)}" if user.unit_code else ""
        st.sidebar.caption(f"当前用户：{user.display_name}（{user.role_label}{unit}）")
    if st.sidebar.button("退出登录"):
        token = st.session_state.get(TOKEN_KEY)
        if token:
            _store().end_session(str(token))
        _forget()
        if _oidc_configured() and st.user.is_logged_in:
            st.logout()
        st.rerun()


def previous_visit(user: User):
    """When this user last logged in before this session (for "since your last visit"), remembered per session."""
    key = f"auth_previous_visit_{user.username}"
    if key not in st.session_state:
        st.session_state[key] = _store().previous_login(user.username)
    return st.session_state[key]
