"""The login form and the `require` guard, run through Streamlit's AppTest (issue 6)."""
import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from core.roles import User
from pages import auth
from warehouse import accounts

PASSWORDS = {"lanzhou": "lanzhou-pass-1", "leader": "leader-pass-12", "admin": "admin-pass-123"}


def guarded_page():
    import streamlit as st

    from pages import auth

    auth.require("view_ranking_live")
    st.write("实时排名数据")


def app():
    import streamlit as st

    from pages import auth

    user = auth.current_user()
    if user is None:
        auth.login_form()
        st.stop()
    auth.logout_button(user)
    st.write(f"欢迎，{user.display_name}")


def unit_page():
    import streamlit as st

    from pages import auth

    user = auth.require("view_submissions_own")
    auth.require_unit(user, st.session_state["asked_unit"])
    st.write("单位报送数据")


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    s = accounts.open_accounts()
    s.add_user("lanzhou", "reporter", PASSWORDS["lanzhou"], unit="兰州", display_name="兰州市填报员")
    s.add_user("leader", "leader", PASSWORDS["leader"], display_name="领导小组", email="leader@gs.gov.cn")
    s.add_user("admin", "admin", PASSWORDS["admin"])
    return s


def texts(at):
    return [e.value for e in (*at.markdown, *at.error, *at.warning, *at.info)]


def log_in(at, username, password):
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def new(script):
    return AppTest.from_function(script, default_timeout=30)


def last_event(db):
    e = db.recent_audit(1)[0]
    return e.event, e.username


def test_login_form_is_in_chinese_and_logs_in(db):
    at = new(app).run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert at.text_input[1].proto.type == at.text_input[1].proto.PASSWORD  # masked
    assert [b.label for b in at.button] == ["登录"]
    at = log_in(at, "lanzhou", PASSWORDS["lanzhou"])
    assert not at.exception
    assert "欢迎，兰州市填报员" in texts(at)
    assert [c.value for c in at.sidebar.caption] == ["当前用户：兰州市填报员（填报员 · 兰州市）"]
    assert last_event(db) == ("login_success", "lanzhou")


def test_wrong_password_shows_the_generic_message(db):
    at = log_in(new(app).run(), "lanzhou", "wrong-password")
    assert [e.value for e in at.error] == ["用户名或密码错误"]
    assert not any(t.startswith("欢迎") for t in texts(at))


def test_locked_and_disabled_messages(db):
    for _ in range(5):
        db.authenticate("lanzhou", "wrong-password")
    at = log_in(new(app).run(), "lanzhou", PASSWORDS["lanzhou"])
    assert [e.value for e in at.error] == ["账户已锁定，请 15 分钟后再试"]
    db.set_disabled("leader", True)
    at = log_in(new(app).run(), "leader", PASSWORDS["leader"])
    assert [e.value for e in at.error] == ["账户已停用"]


def test_guard_lets_a_leader_see_live_ranking(db):
    at = log_in(new(guarded_page).run(), "leader", PASSWORDS["leader"])
    assert "实时排名数据" in texts(at) and not at.error


def test_guard_refuses_a_reporter_shows_no_data_and_audits(db):
    at = new(guarded_page).run()
    assert "请先登录" in texts(at) and "实时排名数据" not in texts(at)
    at = log_in(at, "lanzhou", PASSWORDS["lanzhou"])
    assert [e.value for e in at.error] == ["无权访问：您的角色（填报员）没有“查看实时排名”权限"]
    assert "实时排名数据" not in texts(at)
    assert last_event(db) == ("access_denied", "lanzhou")


def test_forged_role_in_session_state_changes_nothing(db):
    at = log_in(new(guarded_page).run(), "lanzhou", PASSWORDS["lanzhou"])
    # Everything a tampering client could claim: a role, a user object, an admin flag.
    at.session_state["role"] = "admin"
    at.session_state["auth_role"] = "admin"
    at.session_state["user"] = User("lanzhou", "兰州市填报员", "admin")
    at.session_state["is_admin"] = True
    at.run()
    assert [e.value for e in at.error] == ["无权访问：您的角色（填报员）没有“查看实时排名”权限"]
    assert "实时排名数据" not in texts(at)
    # Claiming to be the admin with the reporter's token does not work either: it logs the user out.
    at.session_state[auth.USERNAME_KEY] = "admin"
    at.run()
    assert "实时排名数据" not in texts(at) and "请先登录" in texts(at)
    assert ("access_denied", "admin") in [(e.event, e.username) for e in db.recent_audit(5)]


def test_role_and_status_are_reread_on_every_run(db):
    at = log_in(new(app).run(), "leader", PASSWORDS["leader"])
    assert "欢迎，领导小组" in texts(at)
    db.set_disabled("leader", True, actor="admin")  # an admin acts while the leader's browser is open
    at.run()
    assert not any(t.startswith("欢迎") for t in texts(at))
    assert [t.label for t in at.text_input] == ["用户名", "密码"]


def test_idle_session_times_out_back_to_the_login_form(db):
    idle_since = accounts.now() - dt.timedelta(minutes=31)
    stale = accounts.AccountStore(db.path, clock=lambda: idle_since)
    token = stale.start_session(stale.authenticate("leader", PASSWORDS["leader"]).user)
    at = new(app)
    at.session_state[auth.USERNAME_KEY] = "leader"
    at.session_state[auth.TOKEN_KEY] = token
    at.run()
    assert "会话已超时，请重新登录" in texts(at)
    assert not any(t.startswith("欢迎") for t in texts(at))
    assert last_event(db) == ("session_timeout", "leader")


def test_reporter_sees_own_unit_and_is_refused_another(db):
    at = new(unit_page)
    at.session_state["asked_unit"] = "620100"
    at = log_in(at.run(), "lanzhou", PASSWORDS["lanzhou"])
    assert "单位报送数据" in texts(at) and not at.error
    at.session_state["asked_unit"] = "621000"
    at.run()
    assert [e.value for e in at.error] == ["无权访问：您只能查看本单位（兰州市）的数据"]
    assert "单位报送数据" not in texts(at)
    entry = db.recent_audit(1)[0]
    assert (entry.event, entry.username) == ("access_denied", "lanzhou") and "庆阳市" in entry.detail


def test_admin_may_open_any_unit(db):
    at = new(unit_page)
    at.session_state["asked_unit"] = "621000"
    at = log_in(at.run(), "admin", PASSWORDS["admin"])
    assert "单位报送数据" in texts(at)


def test_logout_ends_the_session_and_is_audited(db):
    at = log_in(new(app).run(), "lanzhou", PASSWORDS["lanzhou"])
    token = at.session_state[auth.TOKEN_KEY]
    at.sidebar.button[0].click().run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert db.check_session("lanzhou", token).user is None
    assert last_event(db) == ("logout", "lanzhou")


def test_single_sign_on_maps_the_email_to_the_local_account(db):
    at = new(app)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32}
    at.user = {"is_logged_in": True, "email": "leader@gs.gov.cn"}
    at.run()
    assert "欢迎，领导小组" in texts(at)
    assert last_event(db) == ("login_success", "leader")


def test_single_sign_on_without_a_local_account_is_refused_once(db):
    at = new(app)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32}
    at.user = {"is_logged_in": True, "email": "stranger@example.com"}
    at.run()
    assert "统一身份认证账户 stranger@example.com 未开通本系统权限，请联系管理员" in texts(at)
    assert "使用统一身份认证登录" in [b.label for b in at.button]
    at.run()
    refusals = [e for e in db.recent_audit(10) if e.event == "login_failure"]
    assert [(e.username, e.detail) for e in refusals] == [("stranger@example.com", "统一身份认证邮箱未关联启用的本地账户")]
