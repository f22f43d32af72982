"""The default method explains itself: fixed goalposts for the year (a unit's score change comes from its own
indicators), earlier publications keep their method and still reproduce, and the one sentence per unit says exactly
the numbers of the attribution."""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from test_ranking_warehouse import (  # noqa: F401 - `hand` is a fixture
    JIAYUGUAN,
    LANZHOU,
    XINQU,
    fill,
    hand,
    month,
    project,
    small_config,
    small_config_text,
)

from analytics.publication.archive import load_publication, publish, recompute_publication
from analytics.ranking.attribution import attribute_quarter
from analytics.ranking.composite import ENGINE_VERSION, rank_quarter
from analytics.ranking.explain import explain_all, score2
from analytics.ranking.goalposts import derive_goalposts, widen
from analytics.ranking.indicator_config import load_indicator_config, parse_indicator_config
from analytics.ranking.indicators import compute_indicator_values
from warehouse import store

OLD_CONFIG = Path(__file__).resolve().parent / "data" / "indicators-2025.1.toml"


def _correct_jiayuguan(hand) -> store.Snapshot:
    """A second version of 嘉峪关's September that differs a lot; the other units' data do not move."""
    hand.submit(JIAYUGUAN, month(2025, 9), [
        project(f"{JIAYUGUAN}-1", funds_month_wan="40000", funds_cum_wan="60000", planned_investment_wan="900000",
                signing_date=dt.date(2025, 2, 3), fortune500="世界500强"),
        project(f"{JIAYUGUAN}-2", funds_month_wan="300", funds_cum_wan="2700", status="已签约未开工", start_date=None,
                signing_date=dt.date(2024, 3, 1)),
    ], version=2)
    return hand.write()


def _changing(hand) -> store.Snapshot:
    fill(hand)
    return _correct_jiayuguan(hand)


def _relative():
    cfg = small_config(default_normaliser="efficacy")
    return dataclasses.replace(cfg, attribution_reference="previous_quarter")


def test_the_default_is_fixed_goalposts_with_a_new_version():
    cfg = load_indicator_config()
    assert cfg.version == "indicators-2026.1" and ENGINE_VERSION == "ranking-engine-1.1"
    assert cfg.default_normaliser == "goalposts" and cfg.attribution_reference == "goalposts"
    assert all(s.normaliser == "goalposts" and s.goalposts for s in cfg.indicators)
    assert "固定的上下限" in cfg.source and "2025年" in cfg.source         # the stated source of the goalposts


def test_score_change_is_the_sum_of_the_units_own_contributions(hand):
    snap = _changing(hand)
    att = attribute_quarter(snap, "2025Q3", small_config())
    assert att.summary.height == 3
    for r in att.summary.iter_rows(named=True):
        own = att.items.filter((pl.col("unit_code") == r["unit_code"]) & (pl.col("kind") != "reference"))
        assert own["contribution"].sum() == pytest.approx(r["change"], abs=1e-9)
        assert r["reference_effect"] == pytest.approx(0, abs=1e-9)
    # under the old default (功效系数法 on the quarter's own min/max) part of the change is the others' doing
    assert attribute_quarter(snap, "2025Q3", _relative()).summary["reference_effect"].abs().max() > 0.01


def test_a_units_score_moves_only_with_its_own_data(hand):
    before = fill(hand)
    after = _correct_jiayuguan(hand)

    def score(snap, cfg, unit):
        t = rank_quarter(snap, "2025Q3", cfg).table
        return t.filter(pl.col("unit_code") == unit)["score"][0]

    for unit in (LANZHOU, XINQU):   # 嘉峪关's correction leaves their scores alone under the default …
        assert score(after, small_config(), unit) == score(before, small_config(), unit)
    # … while under relative normalisation it moves someone else's score
    assert any(abs(score(after, _relative(), u) - score(before, _relative(), u)) > 0.01 for u in (LANZHOU, XINQU))


def test_earlier_publications_keep_their_method_and_reproduce(hand):
    snap = fill(hand)
    old_text = OLD_CONFIG.read_text(encoding="utf-8")
    head, rest = old_text.split("[[group]]", 1)
    small_old = small_config_text().replace(load_indicator_config().text.split("[[group]]", 1)[0], head)
    small_old = small_old.split("[robustness]", 1)[0] + "[robustness]" + old_text.split("[robustness]", 1)[1]
    small_old = small_old.replace("draws = 1000", "draws = 300")
    old = parse_indicator_config(small_old, "old.toml")
    assert old.version == "indicators-2025.1" and old.default_normaliser == "efficacy"
    ranking = rank_quarter(snap, "2025Q3", old)
    out = publish(hand.path, ranking, old, by="张三", at=dt.datetime(2025, 10, 10, 9))
    now = store.current_snapshot(hand.path)
    pub = load_publication(now, out.publication_id)
    assert pub.config.version == "indicators-2025.1"
    again = recompute_publication(now, out.publication_id)
    assert again.table.equals(ranking.table) and again.contributions.equals(ranking.contributions)
    # the new default ranks the same quarter differently, and says so in its versions
    new = rank_quarter(now, "2025Q3", small_config())
    assert new.config_version == "indicators-2026.1" and new.engine_version == "ranking-engine-1.1"
    assert not new.table["score"].equals(ranking.table["score"])


def test_goalposts_are_last_years_range_widened_to_round_numbers(hand):
    assert widen(53.45, 123.9, 5) == (50, 125) and widen(-27.5, 100, 5) == (-30, 100)
    assert widen(0, 9, 1) == (0, 9) and widen(3, 3, 1) == (3, 4)
    snap = fill(hand)
    cfg = small_config()
    found = {g.indicator_id: g for g in derive_goalposts(snap, 2025, cfg)}
    values = pl.concat([compute_indicator_values(snap, f"2025Q{q}", cfg).values for q in range(1, 5)])
    for s in cfg.indicators:
        x = values.filter(pl.col("indicator_id") == s.id)["value"].drop_nulls()
        g = found[s.id]
        step = 5 if s.unit == "%" else 1
        lo, hi = max(x.min(), s.floor if s.floor is not None else -1e9), min(x.max(), s.cap or 1e9)
        assert (g.observed_min, g.observed_max) == pytest.approx((lo, hi))
        assert g.low <= lo < g.low + step and (g.high - step < hi <= g.high or g.high == g.low + step)
        assert g.low % step == 0 and g.high % step == 0


# --------------------------------------------------------------------------- the sentence

NUMBER = re.compile(r"\d+(\.\d+)?")


def _attribution_values(att) -> dict:
    out = {}
    for r in att.summary.iter_rows(named=True):
        u = r["unit_code"]
        out[("rank", u)] = Decimal(r["rank_current"])
        out[("rank_previous", u)] = Decimal(r["rank_previous"])
        out[("rank_rise", u)] = Decimal(r["rank_previous"] - r["rank_current"])
        out[("rank_fall", u)] = Decimal(r["rank_current"] - r["rank_previous"])
        out[("score_change", u)] = score2(r["change"])
    for r in att.items.iter_rows(named=True):
        out[(f"contribution:{r['item_id']}", r["unit_code"])] = score2(r["contribution"])
    return out


def test_each_sentence_says_exactly_the_attributions_numbers(hand):
    snap = _changing(hand)
    cfg = small_config()
    ranking = rank_quarter(snap, "2025Q3", cfg)
    att = attribute_quarter(snap, "2025Q3", cfg)
    sentences = explain_all(att, ranking.indicators)
    expected = _attribution_values(att)
    names = [s.name for s in cfg.indicators] + [a.name for a in cfg.adjustments]
    assert set(sentences) == {LANZHOU, JIAYUGUAN, XINQU}
    for u, e in sentences.items():
        row = att.summary.filter(pl.col("unit_code") == u).row(0, named=True)
        assert e.text.startswith(row["unit_name"] + f"位列第{row['rank_current']}位")
        for n in e.numbers:
            assert n.value == expected[(n.key, n.scope)], (n, e.text)
        plain = e.text
        for name in names:
            plain = plain.replace(name, "")
        printed = {n.text for n in e.numbers}
        for m in NUMBER.finditer(plain):
            assert m.group() in printed, (m.group(), e.text)
        if abs(score2(row["change"])) >= Decimal("0.01"):
            verb = "提高" if row["change"] > 0 else "下降"
            assert f"综合得分{verb}{abs(score2(row['change']))}分" in e.text
            assert "主要因为" in e.text
            main = max((r for r in att.items.filter(pl.col("unit_code") == u).iter_rows(named=True)),
                       key=lambda r: r["contribution"] * (1 if row["change"] > 0 else -1))
            assert main["item_name"] in e.text.split("主要因为")[1]      # the largest driver is named first
            assert e.text.split("主要因为")[1].startswith(main["item_name"])
    moved = [e.text for e in sentences.values() if "较上季度上升" in e.text or "较上季度下降" in e.text]
    for text in moved:
        assert re.search(r"（由第\d+位(升|降)至第\d+位）", text)


def test_the_public_sentence_names_no_deduction():
    from analytics.ranking.explain import explain_unit
    row = {"unit_code": "620100", "unit_name": "兰州市", "rank_current": 5, "rank_previous": 2, "change": -1.5}
    items = pl.DataFrame([
        ("620100", "late_reports", "迟报扣分", "adjustment", 0.0, -1.0, -1.0),
        ("620100", "verified_discrepancies", "核查发现差异扣分", "adjustment", 0.0, -0.6, -0.6),
        ("620100", "task_completion", "到位资金任务完成率", "indicator", 90.0, 92.0, 0.1),
    ], orient="row", schema=["unit_code", "item_id", "item_name", "kind", "value_previous", "value_current",
                             "contribution"])
    internal = explain_unit(row, items)
    assert internal.text == ("兰州市位列第5位，较上季度下降3位（由第2位降至第5位），综合得分下降1.50分，"
                             "主要因为迟报扣分增加（拉低1.00分）和核查发现差异扣分增加（拉低0.60分）；"
                             "到位资金任务完成率提高抵消了0.10分。")
    public = explain_unit(row, items, public=True)
    assert "核查" not in public.text and "迟报" not in public.text and "扣分事项增加（拉低1.00分）" in public.text
    flat = explain_unit({**row, "rank_current": 2, "change": 0.001}, items)
    assert flat.text == "兰州市位列第2位，与上季度持平，综合得分与上季度基本持平。"
