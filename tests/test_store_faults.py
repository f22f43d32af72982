"""Issue 15 §4–5: honest outcomes under faults (a full disk while publishing, crashed writes) and snapshots that
outlive their readers."""
from __future__ import annotations

import errno
import shutil

import duckdb
from conftest import csv_bytes

from etl.cli import main as etl_main
from warehouse import store
from warehouse.__main__ import main as warehouse_main


def leftovers(warehouse):
    return sorted(p.name for p in warehouse.with_name(warehouse.stem + ".snapshots").glob(".tmp-*"))


def rows_in(path, sql="SELECT count(*) FROM project_rows"):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()[0][0]
    finally:
        con.close()


def test_disk_full_while_publishing_reports_the_load_as_committed(frozen_today, warehouse, project_row, tmp_path,
                                                                  monkeypatch, capsys):
    store.initialise(warehouse)
    before = store.current_snapshot(warehouse)
    real_copy = shutil.copyfile

    def disk_full(src, dst):
        with open(dst, "wb") as fh:
            fh.write(b"\0" * 4096)  # part of the copy made it, then the disk filled up
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.shutil, "copyfile", disk_full)
    f = tmp_path / "兰州市-2025-03.csv"
    f.write_bytes(csv_bytes([project_row(1), project_row(2)]))
    code = etl_main(["load", str(f), "--warehouse", str(warehouse)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "兰州市-2025-03.csv：" in out and "入库 2" in out
    assert "数据已写入并提交，但供页面查询的快照未能发布（磁盘空间不足）" in out
    assert "python -m warehouse publish" in out
    assert "No space" not in out + err and "Errno" not in out + err
    assert leftovers(warehouse) == []
    assert store.current_snapshot(warehouse) == before  # readers still see the previous data…
    assert rows_in(warehouse) == 2                       # …but the load is committed

    monkeypatch.setattr(store.shutil, "copyfile", real_copy)
    assert warehouse_main(["publish", "--warehouse", str(warehouse)]) == 0  # the retry needs no reload
    assert "快照已发布" in capsys.readouterr().out
    assert rows_in(store.current_snapshot(warehouse).path) == 2


def test_the_next_writer_removes_files_of_a_crashed_write(warehouse):
    store.initialise(warehouse)
    sdir = warehouse.with_name(warehouse.stem + ".snapshots")
    (sdir / ".tmp-abc123.duckdb").write_bytes(b"\0" * 1024)  # a copy a killed writer never finished
    (sdir / ".tmp-ptr-xyz").write_text("snapshot-x")
    with store.write_transaction(warehouse) as con:
        con.execute("SELECT 1")
    assert leftovers(warehouse) == []


def test_a_slow_reader_opens_its_snapshot_after_five_writes(warehouse):
    store.initialise(warehouse)
    chosen = store.current_snapshot(warehouse)  # a reader picks the snapshot, then is slow to open it
    for i in range(5):
        with store.write_transaction(warehouse) as con:
            con.execute("INSERT INTO counted_fund_sources VALUES (?)", [f"测试来源{i}"])
    assert store.current_snapshot(warehouse) != chosen
    assert store.frame(chosen, "SELECT count(*) AS n FROM units")["n"][0] == 15


def test_snapshots_past_their_grace_time_are_removed(warehouse, monkeypatch):
    monkeypatch.setattr(store, "SNAPSHOT_GRACE_S", -1)
    store.initialise(warehouse)
    for _ in range(5):
        with store.write_transaction(warehouse) as con:
            con.execute("SELECT 1")
    sdir = warehouse.with_name(warehouse.stem + ".snapshots")
    assert len(list(sdir.glob("snapshot-*.duckdb"))) == store.SNAPSHOTS_KEPT


def test_the_warehouse_and_its_directory_are_private(warehouse):
    store.initialise(warehouse)
    assert warehouse.stat().st_mode & 0o777 == 0o600
    assert warehouse.parent.stat().st_mode & 0o777 == 0o700
