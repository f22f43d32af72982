"""Every page for the admin and the leader on one hand-made warehouse (all 15 units, 2024-01 .. 2025-09): no
developer text outside the admin 技术信息 fold, and the same label shows the same value on two pages."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from test_pages_ranking import (  # noqa: F401 - `built` and `wh` are the shared warehouse fixtures
    QUARTER,
    TODAY,
    _fill,
    built,
    wh,
)

from pages.nav import PAGES
from tests.apptest_support import app_as, clear_caches, ensure_users

FORBIDDEN = re.compile(r"config/|\.toml|mart_|\.duckdb|\bNone\b|\bnan\b|\b[0-9a-f]{64}\b|ECOD|logistic|AICPA|Nigrini"
                       r"|[Ee]ntropy|CRITIC|Isolation ?Forest|Benford|TOPSIS", re.I)
FOLD = "技术信息"


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


def _texts(node, out: list[str]) -> None:
    """Every text a person reads under `node`, except inside the 技术信息 fold."""
    if type(node).__name__ == "Expander" and getattr(node, "label", None) == FOLD:
        return
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        label = getattr(node, "label", None)
        if isinstance(label, str):
            out.append(label)
        for child in children.values():
            _texts(child, out)
        return
    for attr in ("label", "help", "placeholder", "caption"):
        value = getattr(node, attr, None)
        if isinstance(value, str):
            out.append(value)
    try:
        value = node.value
    except Exception:  # noqa: BLE001 - widgets without a value
        value = None
    if isinstance(value, pd.DataFrame):
        out.extend(str(c) for c in value.columns)
        cells = value.to_numpy().ravel()
        out.extend(str(v) for v in cells if not pd.isna(v))
        if pd.isna(cells).any() and not _placeholder(node):
            out.append("None (empty cells shown without the — placeholder)")
    elif isinstance(value, str):
        out.append(re.sub(r"<style>.*?</style>", "", value, flags=re.S))  # page styling is not text a user reads
    elif isinstance(value, int | float):
        out.append(str(value))
    options = getattr(node, "options", None)
    if isinstance(options, list | tuple):
        out.extend(str(o) for o in options)


def _placeholder(node) -> str:
    """The text an empty cell of a shown table reads as (st.dataframe(placeholder=...)), '' when none is set."""
    proto = getattr(node, "proto", None)
    spec = getattr(proto, "arrow_data_frame", proto)
    return getattr(proto, "placeholder", "") or getattr(spec, "placeholder", "") or ""


def run_page(user: str, wh, page: str):
    at = app_as(user, wh, page, timeout=120)
    at.session_state["quarter"] = QUARTER
    at.run()
    assert not at.exception, (page, at.exception)
    return at


@pytest.mark.parametrize("user", ["admin", "leader"])
def test_no_page_shows_developer_text_outside_the_admin_fold(wh, user):
    me = ensure_users(wh).account(user).user
    found = {}
    for path, _, _, permission in PAGES:
        if not me.can(permission):
            continue
        at = run_page(user, wh, path)
        out: list[str] = []
        _texts(at._tree, out)
        bad = sorted({m.group(0) + " ← " + t[:80] for t in out for m in [FORBIDDEN.search(t)] if m})
        if bad:
            found[path] = bad
    assert found == {}, "\n".join(f"{p}: {b}" for p, bad in found.items() for b in bad)


def _cell(frame: pd.DataFrame, where: str, equals: str, column: str):
    return frame.loc[frame[where] == equals, column].iloc[0]


def test_the_same_label_shows_the_same_value_on_unit_detail_and_lifecycle(wh):
    live = run_page("admin", wh, "pages/ranking_live.py")
    live.selectbox(key="live_unit").set_value("620100").run()
    detail = next(d.value for d in live.dataframe if "计算说明" in d.value.columns and "指标" in d.value.columns)
    rate_live = float(_cell(detail, "指标", "资金到位率", "指标值"))
    stalled_text = _cell(detail, "指标", "停滞项目占比", "计算说明")
    stalled_live = int(re.search(r"停滞 (\d+) 个", stalled_text).group(1))

    lc = run_page("admin", wh, "pages/lifecycle.py")   # 截至 the quarter's last month, as the ranking
    funnel = next(d.value for d in lc.dataframe if "资金到位率（%）" in d.value.columns)
    assert round(float(_cell(funnel, "被考核单位", "兰州市", "资金到位率（%）")), 2) == round(rate_live, 2)
    assert int(_cell(funnel, "被考核单位", "兰州市", "停滞项目（个）")) == stalled_live


def test_the_uploader_reads_in_chinese(wh):
    at = run_page("admin", wh, "pages/submissions.py")
    css = "\n".join(e.proto.body for e in at.get("html"))
    assert "选择文件" in css and "单个文件不超过 50MB" in css and "将文件拖放到此处" in css
    assert 'stFileUploaderDropzoneInstructions"] * { display: none' in css   # the English is hidden, not translated
