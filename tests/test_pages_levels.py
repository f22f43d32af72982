"""本单位工作进展 and 县区与产业链 through AppTest (issue 14): a 市州领导 sees only their unit, asking for another unit
is refused in Chinese; the county and chain views show the exact figures."""
from __future__ import annotations

import pytest
from test_targets_warehouse import make_warehouse

from core import roles
from tests.apptest_support import PASSWORD, clear_caches, ensure_users, shown_text
from warehouse import accounts

MY_UNIT, LEVELS = "pages/unit_progress.py", "pages/levels.py"


def _rows():
    rows = []
    for y, last in ((2024, 12), (2025, 3)):
        for i in range(1, last + 1):
            mon = f"{y}-{i:02d}"
            rows.append({"unit_code": "620100", "month": mon, "project_id": "LZ-CG", "county": "城关区",
                         "funds_month_wan": "100", "project_name": "兰州城关项目"})
            rows.append({"unit_code": "620100", "month": mon, "project_id": "LZ-YZ", "county": "榆中县",
                         "funds_month_wan": "40", "project_name": "兰州榆中项目"})
            rows.append({"unit_code": "621000", "month": mon, "project_id": "QY-SECRET", "county": "西峰区",
                         "funds_month_wan": "500", "project_name": "庆阳保密项目", "status": "停滞"})
    rows.append({"unit_code": "620100", "month": "2025-03", "project_id": "LZ-STALL", "county": "城关区",
                 "status": "停滞", "project_name": "兰州停滞项目"})
    return rows


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    snap = make_warehouse(tmp_path_factory.mktemp("pages_levels"), _rows())
    path = snap.path.parent.parent / "wh.duckdb"
    store = ensure_users(path)
    if store.account("lz_leader") is None:
        store.add_user("lz_leader", "unit_leader", PASSWORD, unit="兰州")
    return path


@pytest.fixture
def warehouse(built, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(built))
    monkeypatch.setenv("DASHBOARD_TODAY", "2025-04-20")
    clear_caches()
    yield built
    clear_caches()


def _app(username, warehouse, page, **query):
    from streamlit.testing.v1 import AppTest

    from pages import auth
    from tests.apptest_support import APP
    store = accounts.open_accounts(warehouse)
    user = store.account(username).user
    at = AppTest.from_file(APP, default_timeout=90)
    at.session_state[auth.USERNAME_KEY] = user.username
    at.session_state[auth.TOKEN_KEY] = store.start_session(user)
    at.session_state["quarter"] = "2025Q1"
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page)
    return at.run()


def test_the_unit_leader_role_is_read_only_and_bound_to_one_unit():
    r = roles.role("unit_leader")
    assert r.label == "市州领导" and r.bound_to_unit
    assert not roles.can("unit_leader", "upload") and not roles.can("unit_leader", "view_ranking_live")
    assert not roles.can("unit_leader", "view_targets")


def test_a_unit_leader_sees_only_their_unit(warehouse):
    at = _app("lz_leader", warehouse, MY_UNIT)
    assert not at.exception
    text = shown_text(at)
    assert "兰州市" in text
    frames = " ".join(df.value.to_csv() for df in at.dataframe)
    assert "兰州停滞项目" in frames and "城关区" in frames and "榆中县" in frames
    # nothing of 庆阳: not its project, not its county, not its name
    assert "庆阳" not in frames + text and "QY-SECRET" not in frames and "西峰区" not in frames
    # the year-to-date figure: Jan–Mar 2025, 3 × (100 + 40) = 420 万元 = 0.04 亿元
    assert "年初至今到位资金（亿元） 0.04" in text


def test_a_unit_leader_asking_for_another_unit_is_refused_in_chinese(warehouse):
    at = _app("lz_leader", warehouse, MY_UNIT, unit="621000")
    assert [e.value for e in at.error] == ["无权访问：您只能查看本单位（兰州市）的数据"]
    frames = " ".join(df.value.to_csv() for df in at.dataframe)
    assert "庆阳保密项目" not in frames and "西峰区" not in frames


def test_a_unit_leader_cannot_open_the_province_pages(warehouse):
    at = _app("lz_leader", warehouse, LEVELS)
    assert any("无权访问" in e.value for e in at.error)


def test_the_leader_sees_county_and_chain_views(warehouse):
    at = _app("leader", warehouse, LEVELS)
    assert not at.exception
    frames = " ".join(df.value.to_csv() for df in at.dataframe)
    assert "城关区" in frames and "西峰区" in frames and "未填县区（市州本级）" in frames
    assert "不绘制县区地图" in shown_text(at)
    at.radio(key="levels_level").set_value("chain").run()
    assert not at.exception
    assert any("暂定" in w.value for w in at.warning)
    assert "省工业和信息化厅" in " ".join(df.value.to_csv() for df in at.dataframe)


def test_the_leader_sees_where_investment_comes_from(warehouse):
    at = _app("leader", warehouse, LEVELS)
    assert not at.exception
    text, frames = shown_text(at), " ".join(df.value.to_csv() for df in at.dataframe)
    assert "投资来源地" in text and "长三角" in frames and "其中：东西部协作省份（暂定）" in frames
    at.selectbox(key="levels_origin_unit").set_value("620100").run()
    assert not at.exception and "兰州市" in shown_text(at)
