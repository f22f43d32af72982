"""Tamper-evident publications (issue 15): the keyed hash chain detects an edited row (even with a recomputed plain
content hash), a deleted publication, a forged correction row; publications made before the chain are sealed by the
genesis step; `python -m analytics verify` and the 季度排名发布 page report it (and the failure is audited)."""
from __future__ import annotations

import datetime as dt
import json
import os
import stat

import duckdb
import pytest

from analytics import cli
from analytics.annual import entries
from analytics.annual.archive import publish_annual
from analytics.annual.engine import assess_year
from analytics.publication import integrity
from analytics.publication.archive import content_hash, publish, verify_publication
from analytics.ranking.composite import rank_quarter
from tests.apptest_support import app_as, clear_caches
from tests.test_annual import ADMIN, annual_config, year_2025
from tests.test_ranking_warehouse import (  # noqa: F401 - the hand fixture is used by name
    JIAYUGUAN,
    LANZHOU,
    XINQU,
    fill,
    hand,
    small_config,
)
from warehouse import accounts, chain, store

AT = dt.datetime(2025, 10, 10, 9, 30)


@pytest.fixture(autouse=True)
def _no_configured_key(monkeypatch, tmp_path):
    monkeypatch.delenv(chain.ENV_KEY, raising=False)
    monkeypatch.setattr(chain, "SECRETS_FILE", tmp_path / "no-secrets.toml")


def published(hand) -> str:
    snap = fill(hand)
    cfg = small_config()
    return publish(hand.path, rank_quarter(snap, "2025Q3", cfg), cfg, by="张三", at=AT).publication_id


def verify(hand, capsys, *extra) -> tuple[int, str]:
    code = cli.main(["verify", "--warehouse", str(hand.path), *extra])
    return code, capsys.readouterr().out


def raw(hand, sql: str, params=None) -> None:
    """An attacker with write access to the warehouse file, outside the product."""
    con = duckdb.connect(str(hand.path))
    try:
        con.execute(sql, params or [])
    finally:
        con.close()


def test_an_untouched_publication_verifies_and_the_key_file_is_private(hand, capsys):
    pid = published(hand)
    code, out = verify(hand, capsys)
    assert code == 0 and "核验通过" in out
    assert verify(hand, capsys, "--publication", pid)[0] == 0
    key = chain.key_file(hand.path)
    assert key.exists() and stat.S_IMODE(os.stat(key).st_mode) == 0o600
    code = cli.main(["verify", "--warehouse", str(hand.path), "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["ok"] is True


@pytest.mark.parametrize("sql", [
    "UPDATE published_ranking SET adjustment_points = adjustment_points + 5 WHERE publication_id = ?",
    "UPDATE published_ranking SET unit_name = '某某市' WHERE publication_id = ?",
    "UPDATE publications SET published_by = '李四' WHERE publication_id = ?",
])
def test_an_edited_row_is_detected(hand, capsys, sql):
    pid = published(hand)
    raw(hand, sql, [pid])
    code, out = verify(hand, capsys)
    assert code == 1 and "核验未通过" in out and f"季度排名发布 {pid}的内容与签名不符" in out
    entry = accounts.recent_audit(5, warehouse=hand.path)[0]
    assert entry.event == "integrity_failure" and entry.username.startswith("cli:")


def test_an_edit_with_a_recomputed_plain_content_hash_is_detected(hand, capsys):
    pid = published(hand)
    con = duckdb.connect(str(hand.path))
    row = con.execute("SELECT * FROM publications WHERE publication_id = ?", [pid]).fetchone()
    record = dict(zip([d[0] for d in con.description], row))
    record["published_at"] = record["published_at"].isoformat()
    record["data_cutoff"] = record["data_cutoff"].isoformat() if record["data_cutoff"] else None
    record["published_by"] = "李四"
    con.execute("UPDATE publications SET published_by = ?, content_hash = ? WHERE publication_id = ?",
                ["李四", content_hash(record), pid])
    con.close()
    with store.read_warehouse(hand.path) as con:
        assert verify_publication(con, pid)  # the unkeyed hash alone is fooled …
    code, out = verify(hand, capsys)
    assert code == 1 and "内容与签名不符" in out  # … the keyed chain is not


def test_a_deleted_publication_is_detected(hand, capsys):
    pid = published(hand)
    for table in ("published_ranking", "publication_signoffs", "publications"):
        raw(hand, f"DELETE FROM {table} WHERE publication_id = ?", [pid])  # noqa: S608 - test constants
    code, out = verify(hand, capsys)
    assert code == 1 and f"季度排名发布 {pid}已被删除" in out


def test_deleting_the_chain_rows_too_is_detected(hand, capsys):
    pid = published(hand)
    raw(hand, "DELETE FROM publication_chain WHERE record_id = ?", [pid])
    code, out = verify(hand, capsys)
    assert code == 1 and "签名链" in out and "记录缺失" in out


def test_a_forged_correction_row_is_detected(hand, capsys):
    pid = published(hand)
    forged = pid[:-2] + "99"
    raw(hand, "INSERT INTO publications SELECT * REPLACE (? AS publication_id, ? AS corrects, "
              "md5(random()::VARCHAR) AS request_key) FROM publications WHERE publication_id = ?", [forged, pid, pid])
    raw(hand, "INSERT INTO published_ranking SELECT * REPLACE (? AS publication_id, 1.0 AS score) "
              "FROM published_ranking WHERE publication_id = ?", [forged, pid])
    code, out = verify(hand, capsys)
    assert code == 1 and f"季度排名发布 {forged}不在签名链中" in out
    with store.read_warehouse(hand.path) as con:
        report = integrity.check(con)
    assert forged in report.failed_ids() and pid not in report.failed_ids()


def test_a_different_key_fails_every_record(hand, capsys, monkeypatch):
    published(hand)
    monkeypatch.setenv(chain.ENV_KEY, "another secret")
    code, out = verify(hand, capsys)
    assert code == 1 and "签名密钥与建链时不一致" in out


def test_the_configured_secret_wins_over_the_key_file(capsys, monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('publication_key = "from secrets"\n', encoding="utf-8")
    monkeypatch.setattr(chain, "SECRETS_FILE", secrets)
    path = store.initialise(tmp_path / "keyed.duckdb")  # the genesis row is signed with the configured key
    assert not chain.key_file(path).exists()
    assert cli.main(["verify", "--warehouse", str(path)]) == 0
    monkeypatch.setenv(chain.ENV_KEY, "the environment wins")
    assert cli.main(["verify", "--warehouse", str(path)]) == 1
    capsys.readouterr()


def test_legacy_publications_are_sealed_by_the_genesis_step(hand, capsys):
    pid = published(hand)
    # Make the warehouse look as it did before migration 023: no chain, migration not applied.
    raw(hand, "DROP TABLE publication_chain")
    raw(hand, "DELETE FROM schema_version WHERE version = 23")
    with store.read_warehouse(hand.path) as con:
        assert not integrity.check(con).ok  # not yet sealed: said so
    store.initialise(hand.path)  # the next write applies 023 and seals what it finds
    code, out = verify(hand, capsys)
    assert code == 0 and "建链前的发布 2 条" in out  # the publication and its 'prepared' step
    raw(hand, "UPDATE published_ranking SET adjustment_points = 9 WHERE publication_id = ?", [pid])
    code, out = verify(hand, capsys)
    assert code == 1 and "内容与签名不符" in out


def test_chain_column_lists_cover_every_column_of_the_tables(hand):
    store.initialise(hand.path)
    with store.read_warehouse(hand.path) as con:
        def cols(table):
            return tuple(r[0] for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table]).fetchall())
        for table, columns, row_table, row_columns in chain.KINDS.values():
            assert cols(table) == columns and cols(row_table) == row_columns
        assert cols("publication_signoffs") == chain.SIGNOFF_COLUMNS


def test_the_publication_page_shows_a_failure_prominently_and_audits_it(hand, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(hand.path))
    pid = published(hand)
    clear_caches()
    at = app_as("admin", hand.path, "pages/publication.py").run()
    assert not at.exception and not at.error
    raw(hand, "UPDATE published_ranking SET unit_name = '某某市' WHERE publication_id = ?", [pid])
    store.publish_now(hand.path)  # the next write publishes the edited file to readers
    clear_caches()
    at = app_as("admin", hand.path, "pages/publication.py").run()
    assert not at.exception
    assert any("核验未通过" in e.value and pid in e.value for e in at.error)
    assert any(e.event == "integrity_failure" for e in accounts.recent_audit(10, warehouse=hand.path))


def test_annual_publications_and_signoffs_are_chained_too(hand, capsys):
    year_2025(hand)
    for unit in (LANZHOU, JIAYUGUAN, XINQU):
        entries.record_supervision(hand.path, 2025, unit, "80", "2025年半年督查报告", ADMIN)
    snap = store.current_snapshot(hand.path)
    cfg = annual_config()
    out = publish_annual(hand.path, assess_year(snap, 2025, cfg, small_config()), cfg, by="张三", at=AT)
    assert verify(hand, capsys)[0] == 0
    raw(hand, "UPDATE annual_published_rows SET grade = '好' WHERE publication_id = ?", [out.publication_id])
    code, out_text = verify(hand, capsys, "--publication", out.publication_id)
    assert code == 1 and f"年度考核发布 {out.publication_id}的内容与签名不符" in out_text
    raw(hand, "INSERT INTO publication_signoffs VALUES (?, 'annual', 'approved', 'leader', now(), 'two_person')",
        [out.publication_id])  # a forged approval would publish it
    code, out_text = verify(hand, capsys)
    assert code == 1 and f"发布 {out.publication_id} 的签批记录不在签名链中" in out_text


def test_cutting_off_the_newest_records_and_their_chain_rows_is_detected(hand, capsys):
    pid = published(hand)
    for table in ("published_ranking", "publication_signoffs", "publications"):
        raw(hand, f"DELETE FROM {table} WHERE publication_id = ?", [pid])  # noqa: S608 - test constants
    raw(hand, "DELETE FROM publication_chain WHERE record_id IN (?, ?)", [pid, f"{pid}/prepared"])
    code, out = verify(hand, capsys)
    assert code == 1 and "签名链末尾的记录被删除" in out
    chain.head_file(hand.path).unlink()
    code, out = verify(hand, capsys)
    assert code == 1 and "链头记录缺失" in out
    assert stat.S_IMODE(os.stat(chain.key_file(hand.path)).st_mode) == 0o600


def test_a_chain_row_of_an_unknown_kind_is_a_finding_not_a_crash(hand, capsys):
    published(hand)
    raw(hand, "UPDATE publication_chain SET kind = 'other' WHERE seq = 2")
    code, out = verify(hand, capsys)
    assert code == 1 and "签名链第 2 条记录无法识别" in out
