"""Which pages a user gets, which one they land on, and what a bookmark or a mistyped address shows.

- Before login every known address (e.g. /ranking_live) shows the login form at that same address, so after the
  login's rerun the user is on the page they asked for (a page's identity is its url path).
- After login the menu holds the pages the role may see; the role's landing page (config/roles.toml `landing`)
  is the default at the root address.
- An address that is no page of this app, or a page the role may not open, gets a Chinese notice instead of
  Streamlit's English "Page not found" dialog.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import streamlit as st

from core import roles
from core.roles import User
from pages import auth

# (file, title, icon, permission that puts it in the menu). Every page checks its permission again itself.
PAGES = [
    ("pages/overview.py", "总览", "🧭", "view_overview"),
    ("pages/work_queue.py", "本月工作", "🗂️", "view_work_queue"),
    ("pages/my_unit.py", "本单位", "🏠", "view_unit_status"),
    ("pages/unit_progress.py", "本单位工作进展", "🏛️", "view_own_unit"),
    ("pages/submissions.py", "数据报送", "📥", "upload"),  # operational: not in a leader's menu
    ("pages/ranking_live.py", "实时排名", "🏆", "view_ranking_live"),
    ("pages/monthly_bulletin.py", "月度通报", "📰", "view_ranking_live"),
    ("pages/publication.py", "季度排名发布", "📢", "view_ranking_published"),
    ("pages/annual.py", "年度考核", "🏅", "view_ranking_published"),
    ("pages/office_lists.py", "表扬与约谈", "🎖️", "view_overview"),
    ("pages/targets.py", "目标进度", "🎯", "view_targets"),
    ("pages/major_projects.py", "重大项目与三个500强", "🏗️", "view_targets"),
    ("pages/lifecycle.py", "项目全周期", "🔄", "view_targets"),
    ("pages/supervision.py", "停滞项目督办", "📌", "view_supervision"),
    ("pages/verification.py", "抽样核查", "🔍", "view_verification"),
    ("pages/levels.py", "县区与产业链", "🗺️", "view_targets"),
]
TITLES = {Path(path).stem: title for path, title, _, _ in PAGES}
# Menu sections (the whole menu stays expanded: Streamlit folds a flat list after ten pages).
SECTIONS = {
    "工作台": ("overview", "work_queue", "my_unit", "unit_progress", "submissions"),
    "排名与通报": ("ranking_live", "monthly_bulletin", "publication", "annual", "office_lists"),
    "目标与项目": ("targets", "major_projects", "lifecycle", "supervision", "levels"),
    "抽样核查": ("verification",),
}


def slug(path: str) -> str:
    return Path(path).stem


def requested_slugs() -> list[str]:
    """Addresses this browser session asked for that are no page of the menu being built: the current one and
    those seen before (a later run may report the address trimmed, and the notice page must still exist)."""
    seen = st.session_state.setdefault("nav_asked", [])
    asked = _requested_slug()
    if asked and asked not in seen and len(seen) < 20:
        seen.append(asked)
    return list(seen)


def _requested_slug() -> str:
    """The first path segment of the address the browser asked for ('' for the root)."""
    try:
        url = st.context.url
    except Exception:  # noqa: BLE001 - no browser context (bare script, AppTest)
        url = None
    if not url:
        return ""
    path = unquote(urlsplit(url).path).strip("/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    if base and path.startswith(base):
        path = path[len(base):].strip("/")
    return path.split("/")[0] if path else ""


def _not_here(asked: str, landing: str | None) -> None:
    title = TITLES.get(asked)
    st.title("页面不存在" if title is None else "无权访问此页面")
    if title is None:
        st.warning(f"您访问的地址“/{asked[:60]}”不是本平台的页面，可能已更名或输入有误。")
    else:
        st.warning(f"当前账户的角色无权查看“{title}”页面。如需查看，请联系管理员调整权限。")
    if landing:
        st.page_link(f"pages/{landing}.py", label=f"返回{TITLES.get(landing, '首页')}", icon="↩️")


def _notice_page(asked: str, landing: str | None):
    def notice() -> None:
        _not_here(asked, landing)
    return notice


def before_login() -> None:
    """The login form at the root and at every known (or unknown) address, so a deep link survives the login."""
    pages = [st.Page(auth.login_form, title="登录", icon="🔐", default=True)]
    for s in dict.fromkeys([*TITLES, *requested_slugs()]):
        pages.append(st.Page(auth.login_form, title="登录", url_path=s, visibility="hidden"))
    st.navigation(pages, position="hidden").run()


def after_login(user: User) -> None:
    landing = roles.role(user.role).landing
    allowed = [(path, title, icon) for path, title, icon, perm in PAGES if user.can(perm)]
    if not allowed:
        st.error("当前账户没有可访问的页面，请联系管理员。")
        st.stop()
    if landing not in {slug(p) for p, _, _ in allowed}:
        landing = slug(allowed[0][0])
    section_of = {name: section for section, names in SECTIONS.items() for name in names}
    grouped: dict[str, list] = {}
    for path, title, icon in allowed:
        grouped.setdefault(section_of.get(slug(path), ""), []).append(
            st.Page(path, title=title, icon=icon, default=slug(path) == landing))
    shown = {slug(p) for p, _, _ in allowed}
    for asked in requested_slugs():
        if asked not in shown:
            grouped.setdefault("", []).append(st.Page(_notice_page(asked, landing), title="页面不存在", url_path=asked,
                                                      visibility="hidden"))
    page = st.navigation(grouped, expanded=True)
    if st.session_state.get("nav_last") not in (None, page.url_path):
        _close_menu_on_phones()
    st.session_state["nav_last"] = page.url_path
    page.run()


def _close_menu_on_phones() -> None:
    """After choosing a page on a narrow screen, fold the menu away (Streamlit 1.67 leaves it over the content)."""
    st.html("""<script>
      const bar = document.querySelector('[data-testid="stSidebar"]');
      if (window.innerWidth <= 640 && bar && bar.dataset.collapsed === "false") {
        document.querySelector('[data-testid="stSidebarCollapseButton"] button')?.click();
      }</script>""", unsafe_allow_javascript=True)
