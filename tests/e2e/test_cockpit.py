"""The leader's cockpit in a real browser: landing pages per role, a login that survives F5 and deep links, logout and
the idle timeout, unknown addresses, no request leaving the host, the phone layout and the 大屏 mode."""
from __future__ import annotations

import datetime as dt
import re
import sqlite3
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import shot
from tests.e2e.test_browser import READY, assert_no_exception, menu_items, open_page, wait_idle

pytestmark = pytest.mark.timeout(900)

LANDING = {"leader": "总览", "admin": "本月工作", "lanzhou": "本单位"}
PHONE = {"width": 390, "height": 844}


def heading(page, title: str):
    return page.get_by_role("heading", name=re.compile(title)).first


def landed(page, title: str) -> None:
    heading(page, title).wait_for(timeout=120_000)
    page.get_by_text(re.compile(READY[title])).first.wait_for(timeout=180_000)
    wait_idle(page)


def reload(page) -> None:
    page.reload(wait_until="networkidle")


@pytest.mark.parametrize("username", ["leader", "admin", "lanzhou"])
def test_each_role_lands_on_its_page(login, username):
    page = login(username)
    landed(page, LANDING[username])
    assert_no_exception(page)
    assert page.get_by_text("Page not found").count() == 0
    shot(page, f"landing-{username}")


def test_reload_keeps_the_user_logged_in_on_the_same_page(login):
    page = login("leader")
    open_page(page, "实时排名")
    reload(page)
    landed(page, "实时排名")
    assert urlsplit(page.url).path == "/ranking_live"
    assert page.get_by_text("退出登录").count() == 1
    assert page.get_by_label("密码").count() == 0
    # the session cookie is HttpOnly: page scripts cannot read it
    cookie = next(c for c in page.context.cookies() if c["name"] == "gansu_session")
    assert cookie["httpOnly"] and "gansu_session" not in page.evaluate("document.cookie")


def test_a_deep_link_works_through_the_login(login):
    page = login("leader", path="/targets")
    landed(page, "目标进度")
    assert urlsplit(page.url).path == "/targets"


def test_logout_then_reload_shows_the_login(login):
    page = login("admin")
    landed(page, "本月工作")
    page.get_by_role("button", name="退出登录").click()
    page.get_by_label("密码").wait_for(timeout=30_000)
    wait_idle(page)
    reload(page)
    page.get_by_label("密码").wait_for(timeout=30_000)
    assert page.get_by_text("退出登录").count() == 0


def test_an_expired_session_asks_to_log_in_again(login, demo_env):
    page = login("lanzhou")
    landed(page, "本单位")
    # The user walks away: their session was last seen two hours ago (longer than the idle timeout).
    db = sqlite3.connect(demo_env["warehouse"].parent / "accounts.sqlite")
    with db:
        db.execute("UPDATE sessions SET last_seen = ? WHERE username = 'lanzhou'",
                   [(dt.datetime.now() - dt.timedelta(days=2)).isoformat(sep=" ", timespec="seconds")])
    db.close()
    reload(page)
    page.get_by_text("会话已超时，请重新登录").wait_for(timeout=30_000)
    assert page.get_by_label("密码").count() == 1
    shot(page, "session-expired")


def test_unknown_and_forbidden_addresses_get_a_chinese_notice(login, server):
    page = login("lanzhou")
    landed(page, "本单位")
    page.goto(server + "/no_such_page", wait_until="networkidle")
    heading(page, "页面不存在").wait_for(timeout=60_000)
    page.goto(server + "/ranking_live", wait_until="networkidle")
    heading(page, "无权访问此页面").wait_for(timeout=60_000)
    wait_idle(page)
    assert page.get_by_text("Page not found").count() == 0
    shot(page, "forbidden-page")


@pytest.mark.parametrize("username", ["leader", "admin", "lanzhou"])
def test_no_request_leaves_the_host_on_any_page(login, server, username):
    requests: list[str] = []
    page = login(username)
    page.context.on("request", lambda r: requests.append(r.url))
    landed(page, LANDING[username])
    for link in [re.sub(r"^\W+", "", t).strip() for t in menu_items(page)]:
        if link in READY and link != LANDING[username]:
            open_page(page, link)
            for tab in page.get_by_role("tab").all():  # tabs render lazily: open each (the map is in one)
                tab.click()
                wait_idle(page)
    host = urlsplit(server).netloc
    assert requests, "no requests were recorded"
    outside = sorted({u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                      and urlsplit(u).netloc != host})
    assert outside == []


def test_the_overview_on_a_phone(login):
    page = login("leader", viewport=PHONE)
    landed(page, "总览")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    sidebar = page.locator("[data-testid='stSidebar']")
    assert sidebar.get_attribute("data-collapsed") == "true"  # closed on a narrow screen
    shot(page, "overview-phone")
    # open the menu, choose a page: the menu closes and the page fills the screen
    page.locator("[data-testid='stExpandSidebarButton']").click()
    page.wait_for_function("document.querySelector(\"[data-testid='stSidebar']\").dataset.collapsed === 'false'")
    page.locator("[data-testid='stSidebar']").get_by_role("link", name="目标进度").click()
    landed(page, "目标进度")
    page.wait_for_function("document.querySelector(\"[data-testid='stSidebar']\").dataset.collapsed === 'true'")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "phone-after-navigation")


def test_the_big_screen_mode_renders_and_refreshes_on_a_new_snapshot(login, server, demo_env):
    from warehouse import store

    page = login("leader", path="/overview?screen=1", viewport={"width": 1920, "height": 1080})
    page.get_by_text("每 20 秒轮换").wait_for(timeout=120_000)
    wait_idle(page)
    assert page.locator("[data-testid='stSidebar']").is_hidden()
    shot(page, "big-screen")
    before = page.get_by_text(re.compile("快照 ")).first.inner_text()
    with store.write_transaction(demo_env["warehouse"]):  # every write publishes a new serving snapshot
        pass
    page.wait_for_function("t => !document.body.innerText.includes(t)", arg=before.split("快照 ")[1].split(" ")[0],
                           timeout=120_000)
