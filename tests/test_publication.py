"""Publishing a quarter's ranking: frozen inputs and results, content hash, corrections, double clicks,
incomplete data, and later loads that never change what was published."""
from __future__ import annotations

import datetime as dt
import html
import io
import re
import shutil
from pathlib import Path

import duckdb
import openpyxl
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
)

from analytics.publication import bulletin
from analytics.publication.archive import (
    PublicationRefused,
    inputs_digest,
    load_publication,
    publication_list,
    publish,
    recompute_publication,
    verify_publication,
)
from analytics.ranking import charts
from analytics.ranking.attribution import attribute_quarter
from analytics.ranking.composite import rank_quarter
from analytics.ranking.explain import explain_all
from warehouse import store
from warehouse.queries import ranking as q

AT = dt.datetime(2025, 10, 10, 9, 30)


def test_publish_freezes_inputs_results_and_a_verifiable_hash(hand):
    snap = fill(hand)
    cfg = small_config()
    preview = rank_quarter(snap, "2025Q3", cfg)
    out = publish(hand.path, preview, cfg, by="张三", at=AT)
    assert out.publication_id == "2025Q3-01" and re.fullmatch(r"[0-9a-f]{64}", out.content_hash)
    assert not out.duplicate and out.corrects is None

    now = store.current_snapshot(hand.path)
    pub = q.publications(now).row(0, named=True)
    assert pub["publication_id"] == "2025Q3-01" and pub["is_current"] and pub["units"] == 3
    assert (pub["indicator_version"], pub["config_sha256"]) == (cfg.version, cfg.sha256)
    assert pub["snapshot_identity"] == snap.identity and pub["data_cutoff"] == preview.data_cutoff
    assert (pub["published_by"], pub["published_at"], pub["content_hash"]) == ("张三", AT, out.content_hash)
    rows = q.published_ranking(now, "2025Q3-01")
    assert rows.select("unit_code", "score", "rank").rows() == preview.table.select("unit_code", "score", "rank").rows()
    assert verify_publication(now, "2025Q3-01")
    # what was published can be recomputed from the stored inputs and config, to the last digit
    again = recompute_publication(now, "2025Q3-01")
    assert again.table.equals(preview.table) and again.contributions.equals(preview.contributions)
    assert load_publication(now, "2025Q3-01").ranking.table.equals(preview.table)


def test_later_data_loads_never_change_a_published_ranking(hand):
    snap = fill(hand)
    cfg = small_config()
    out = publish(hand.path, rank_quarter(snap, "2025Q3", cfg), cfg, by="张三", at=AT)
    before = q.published_ranking(store.current_snapshot(hand.path), out.publication_id)
    # 嘉峪关 sends a corrected September with ten times the money, and October arrives
    hand.submit(JIAYUGUAN, month(2025, 9), [project(f"{JIAYUGUAN}-1", funds_month_wan="90000",
                                                    funds_cum_wan="99000")], version=2)
    hand.submit(LANZHOU, month(2025, 10), [project(f"{LANZHOU}-1", funds_month_wan="5", funds_cum_wan="5")])
    later = hand.write()
    live = rank_quarter(later, "2025Q3", cfg).table
    published = q.published_ranking(later, out.publication_id)
    assert live.filter(live["unit_code"] == JIAYUGUAN)["score"][0] != \
        published.filter(published["unit_code"] == JIAYUGUAN)["score"][0]
    assert published.equals(before)
    assert verify_publication(later, out.publication_id)
    assert q.publications(later)["content_hash"].to_list() == [out.content_hash]


def test_republishing_needs_a_correction_note_and_both_stay_visible(hand):
    snap = fill(hand)
    cfg = small_config()
    first = publish(hand.path, rank_quarter(snap, "2025Q3", cfg), cfg, by="张三", at=AT)
    hand.submit(LANZHOU, month(2025, 9), [project(f"{LANZHOU}-1", funds_month_wan="1", funds_cum_wan="1")], version=2)
    corrected = rank_quarter(hand.write(), "2025Q3", cfg)
    with pytest.raises(PublicationRefused, match="已发布：编号 2025Q3-01.*请填写更正说明"):
        publish(hand.path, corrected, cfg, by="李四", at=AT + dt.timedelta(days=1))
    second = publish(hand.path, corrected, cfg, by="李四", note="兰州市9月报表更正，重新发布",
                     at=AT + dt.timedelta(days=1))
    assert second.publication_id == "2025Q3-02" and second.corrects == first.publication_id
    now = store.current_snapshot(hand.path)
    pubs = {r["publication_id"]: r for r in q.publications(now).iter_rows(named=True)}
    assert pubs["2025Q3-01"]["is_current"] is False and pubs["2025Q3-01"]["corrected_by"] == "2025Q3-02"
    assert pubs["2025Q3-02"]["is_current"] is True and pubs["2025Q3-02"]["note"] == "兰州市9月报表更正，重新发布"
    assert q.published_ranking(now, "2025Q3-01").height == q.published_ranking(now, "2025Q3-02").height == 3
    assert verify_publication(now, "2025Q3-01") and verify_publication(now, "2025Q3-02")


def test_a_double_click_publishes_once(hand):
    snap = fill(hand)
    cfg = small_config()
    preview = rank_quarter(snap, "2025Q3", cfg)
    one = publish(hand.path, preview, cfg, by="张三", at=AT)
    two = publish(hand.path, preview, cfg, by="张三", at=AT + dt.timedelta(seconds=1))
    # the same request again from the newer snapshot file the first publish wrote (same data)
    three = publish(hand.path, rank_quarter(store.current_snapshot(hand.path), "2025Q3", cfg), cfg, by="张三")
    assert (two.duplicate, three.duplicate) == (True, True)
    assert one.publication_id == two.publication_id == three.publication_id
    assert two.content_hash == one.content_hash
    assert q.publications(store.current_snapshot(hand.path)).height == 1


def test_incomplete_data_warns_and_needs_an_explicit_reason(hand):
    snap = fill(hand, skip_xinqu_september=True)
    cfg = small_config()
    preview = rank_quarter(snap, "2025Q3", cfg)
    with pytest.raises(PublicationRefused, match="兰州新区（缺2025年9月报表）.*请填写发布理由"):
        publish(hand.path, preview, cfg, by="张三", at=AT)
    assert q.publications(store.current_snapshot(hand.path)).is_empty()
    out = publish(hand.path, preview, cfg, by="张三", incomplete_reason="新区9月报表经批准延期，先行发布", at=AT)
    pub = q.publications(store.current_snapshot(hand.path)).row(0, named=True)
    assert pub["publication_id"] == out.publication_id and pub["all_complete"] is False
    assert pub["incomplete_reason"] == "新区9月报表经批准延期，先行发布"
    row = q.published_ranking(store.current_snapshot(hand.path), out.publication_id).filter(
        q.published_ranking(store.current_snapshot(hand.path), out.publication_id)["unit_code"] == XINQU)
    assert row["complete"][0] is False and "数据不完整" in row["flags"][0]


def test_tampering_is_detected(hand, tmp_path):
    snap = fill(hand)
    cfg = small_config()
    out = publish(hand.path, rank_quarter(snap, "2025Q3", cfg), cfg, by="张三", at=AT)
    for sql in ("UPDATE published_ranking SET score = score + 1 WHERE unit_code = '620200'",
                "UPDATE publications SET results_json = replace(results_json, '\"rank\":1', '\"rank\":2')",
                "UPDATE publications SET published_by = '王五'"):
        copy = tmp_path / f"tampered-{abs(hash(sql))}.duckdb"
        shutil.copyfile(store.current_snapshot(hand.path).path, copy)
        con = duckdb.connect(str(copy))
        con.execute(sql)  # the test plays the forger; the product never updates these tables
        con.close()
        assert not verify_publication(store.Snapshot(copy), out.publication_id), sql


def test_publication_code_never_updates_or_deletes():
    root = Path(__file__).resolve().parent.parent
    for path in (root / "warehouse" / "writes" / "publication.py", root / "warehouse" / "migrations" / "003_ranking_publication.sql"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(UPDATE|DELETE)\b", text), path.name


def test_publication_list_verifies_each_and_exports_what_was_published(hand, monkeypatch):
    snap = fill(hand)
    cfg = small_config()
    preview = rank_quarter(snap, "2025Q3", cfg)
    publish(hand.path, preview, cfg, by="张三", at=AT)
    now = store.current_snapshot(hand.path)
    assert inputs_digest(rank_quarter(now, "2025Q3", cfg)) == inputs_digest(preview)  # same data, newer snapshot
    listing = publication_list(now)
    assert listing["publication_id"].to_list() == ["2025Q3-01"] and listing["verified"].to_list() == [True]

    workbook = openpyxl.load_workbook(io.BytesIO(bulletin.publication_export(now, "2025Q3-01", "xlsx")))
    assert workbook["综合排名"]["A3"].value.startswith("发布编号：2025Q3-01；发布人：张三；发布时间：2025-10-10 09:30")
    names = [workbook["综合排名"].cell(r, 1).value for r in range(5, 8)]  # title, 2 meta lines, header
    assert names == preview.table["unit_name"].to_list()
    monkeypatch.setattr(bulletin, "render_pngs", lambda figures: (_ for _ in ()).throw(RuntimeError("no Chromium")))
    page = bulletin.publication_export(now, "2025Q3-01", "html").decode("utf-8")
    assert "发布编号：2025Q3-01" in page and charts.CHART_OMITTED in page
    # one sentence per unit on its rank movement, the very sentences of the ranking page
    moves = explain_all(attribute_quarter(now, "2025Q3", cfg), preview.indicators)
    assert "名次变化说明" in page and all(html.escape(m.text) in page for m in moves.values())
    # what leaders read carries no version, hash, file or table name (they stay in the publication record)
    pub = q.publications(now).row(0, named=True)
    for developer_text in (cfg.version, "ranking-engine", pub["content_hash"][:16], cfg.sha256[:12], "config/",
                           ".toml", "mart_", ".duckdb"):
        assert developer_text not in page, developer_text
    assert bulletin.publication_export(now, "2025Q3-01", "pdf").startswith(b"%PDF")
    with pytest.raises(ValueError, match="未知的导出格式“doc”"):
        bulletin.publication_export(now, "2025Q3-01", "doc")

    hand.submit(LANZHOU, month(2025, 10), [project(f"{LANZHOU}-1", funds_month_wan="5", funds_cum_wan="5")])
    later = hand.write()
    assert inputs_digest(rank_quarter(later, "2025Q4", cfg)) != inputs_digest(preview)
    with store.write_transaction(hand.path) as con:  # the test plays the forger
        con.execute("UPDATE published_ranking SET rank = 3 WHERE unit_code = '620100'")
    assert publication_list(store.current_snapshot(hand.path))["verified"].to_list() == [False]
