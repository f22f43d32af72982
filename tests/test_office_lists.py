"""表扬/约谈 lists by rule (analytics/office/lists.py): each rule at its boundary, and on a hand-made warehouse with
published rankings."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from analytics.office.lists import behind_entries, last_place_entries, office_lists, praise_entries
from analytics.office.settings import load_office_config, parse_office_config
from analytics.publication import signoff
from analytics.publication.archive import publish
from analytics.ranking.composite import rank_quarter
from core.config import ConfigError
from core.roles import User
from tests.test_ranking_warehouse import JIAYUGUAN, LANZHOU, XINQU, fill, hand, small_config  # noqa: F401
from warehouse import store


def table(ranks: dict[str, int | None]) -> pl.DataFrame:
    return pl.DataFrame({"unit_code": list(ranks), "unit_name": [f"单位{c}" for c in ranks],
                         "score": [100.0 - (r or 0) for r in ranks.values()], "rank": list(ranks.values()),
                         "ranked": [r is not None for r in ranks.values()]},
                        schema={"unit_code": pl.String, "unit_name": pl.String, "score": pl.Float64,
                                "rank": pl.Int64, "ranked": pl.Boolean})


def test_praise_takes_the_top_places_with_ties_and_nothing_without_a_publication():
    t = table({"a": 1, "b": 2, "c": 3, "d": 3, "e": 5, "f": None})
    got = praise_entries("2025Q3", t, 3)
    assert got["unit_code"].to_list() == ["a", "b", "c", "d"]           # the tie at 3 is in, 5 is out
    assert got["history"][0] == "2025年第三季度第1名（综合得分99.00分）"
    assert praise_entries("2025Q3", t, 2)["unit_code"].to_list() == ["a", "b"]
    assert praise_entries("2025Q3", t, 0).is_empty()
    assert praise_entries("2025Q3", None, 3).is_empty()


def test_last_place_needs_every_quarter_of_the_run_published_and_last():
    q2, q3 = table({"a": 1, "b": 2, "c": 3}), table({"a": 1, "b": 3, "c": 3})   # q3: b and c tie for last
    got = last_place_entries([("2025Q2", q2), ("2025Q3", q3)], 2)
    assert got["unit_code"].to_list() == ["c"]                            # b was last only once
    assert got["history"][0] == ("2025年第二季度第3名（共3个单位排名，末位）；"
                                 "2025年第三季度第3名（共3个单位排名，末位）")
    assert got["rule"][0] == "连续2个季度综合排名末位"
    assert last_place_entries([("2025Q2", None), ("2025Q3", q3)], 2).is_empty()   # Q2 not published
    assert last_place_entries([("2025Q3", q3)], 2).is_empty()                    # one quarter only
    assert last_place_entries([("2025Q2", q2), ("2025Q3", q3)], 1)["unit_code"].to_list() == ["b", "c"]
    assert last_place_entries([("2025Q2", q2), ("2025Q3", q3)], 0).is_empty()


def test_behind_fires_only_above_the_points_and_in_every_month_of_the_run():
    may, june = dt.date(2025, 5, 1), dt.date(2025, 6, 1)
    schema = {"unit_code": pl.String, "unit_name": pl.String, "completion": pl.Decimal(18, 4),
              "calendar_progress": pl.Decimal(18, 6)}

    def f(cal: str, rows: dict[str, str | None]) -> pl.DataFrame:
        return pl.DataFrame({"unit_code": list(rows), "unit_name": [f"单位{c}" for c in rows],
                             "completion": [None if v is None else Decimal(v) for v in rows.values()],
                             "calendar_progress": [Decimal(cal)] * len(rows)}, schema=schema)

    frames = [(may, f("0.4", {"exact": "0.3", "above": "0.2999", "once": "0.35", "none": None})),
              (june, f("0.5", {"exact": "0.3999", "above": "0.3999", "once": "0.2", "none": None}))]
    got = behind_entries(frames, Decimal(10), 2)
    assert got["unit_code"].to_list() == ["above"]        # exactly 10 points in May does not fire; once is not twice
    assert got["history"][0] == ("2025年5月完成率30.0%、序时进度40.0%，落后10.0个百分点；"
                                 "2025年6月完成率40.0%、序时进度50.0%，落后10.0个百分点")
    assert got["rule"][0] == "连续2个月任务完成率落后序时进度超过10个百分点"
    assert behind_entries(frames, Decimal(10), 1)["unit_code"].to_list() == ["above", "exact", "once"]
    assert behind_entries(frames[1:], Decimal(10), 2).is_empty()
    assert behind_entries(frames, Decimal(10), 0).is_empty()


def test_config_is_read_and_bad_values_are_refused_with_the_line():
    cfg = load_office_config()
    assert cfg.praise.top == 3 and cfg.interview.last_place_quarters == 2 and cfg.supervision.answer_days > 0
    text = (load_office_config.__globals__["config"].CONFIG_DIR / "office.toml").read_text(encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        parse_office_config(text.replace("top = 3", "top = -1"))
    assert "表扬名次" in str(e.value) and "第 " in str(e.value)
    with pytest.raises(ConfigError):
        parse_office_config(text.replace("answer_days = 15", "answer_dayz = 15"))


def test_lists_from_published_rankings_on_a_hand_made_warehouse(hand):  # noqa: F811
    snap = fill(hand)
    cfg = small_config()
    group = cfg.group().id
    office = parse_office_config(
        'version = "t"\n[praise]\ntop = 1\n[interview]\nlast_place_quarters = 2\nbehind_points = 10\n'
        'behind_months = 0\n[supervision]\nanswer_days = 15\n')
    before = office_lists(snap, "2025Q3", office, group)
    assert not before.published and before.praise.is_empty() and before.interview.is_empty()   # previews never count
    leader = User("leader", "领导", "leader")
    for q, day in (("2025Q2", 7), ("2025Q3", 10)):
        out = publish(hand.path, rank_quarter(store.current_snapshot(hand.path), q, cfg), cfg, by="张三",
                      at=dt.datetime(2025, day, 10, 9))
        signoff.approve(hand.path, out.publication_id, leader)
    now = store.current_snapshot(hand.path)
    got = office_lists(now, "2025Q3", office, group)
    q2 = rank_quarter(now, "2025Q2", cfg).table
    q3 = rank_quarter(now, "2025Q3", cfg).table
    top = q3.filter(pl.col("rank") == 1)["unit_code"].to_list()
    assert got.published and got.praise["unit_code"].to_list() == sorted(top)
    last2 = set(q2.filter(pl.col("rank") == q2["rank"].max())["unit_code"])
    last3 = set(q3.filter(pl.col("rank") == q3["rank"].max())["unit_code"])
    assert last2 & last3 and set(got.interview["unit_code"]) == last2 & last3
    assert got.interview["history"][0].startswith("2025年第二季度第3名")
