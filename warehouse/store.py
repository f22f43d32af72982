"""One door for writes, read-only snapshots for readers (docs/DEVELOPING.md "One door for writes").

Writers call `write_transaction(path)`: it takes an OS file lock, opens the warehouse read-write, applies
pending migrations, runs the caller's work in ONE transaction, and after commit publishes a serving snapshot:
a copy of the database written to a temporary file and renamed into place, plus a pointer file renamed
atomically. Readers call `open_snapshot(path)` and never touch the writer's file.

DuckDB is transactional: a process killed mid-transaction leaves the file as it was at the last commit.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb

from core import catalog
from warehouse import chain

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
SNAPSHOTS_KEPT = 3
# A superseded snapshot is kept at least this long: a reader that chose it a moment ago may not have opened it yet
# (pages resolve the current snapshot on every rerun; a long analysis holds one for minutes at most).
SNAPSHOT_GRACE_S = 30 * 60
TEMP_PREFIX = ".tmp-"


class SnapshotNotPublished(Exception):
    """The write is committed, but the serving snapshot could not be published (e.g. the disk is full): readers
    still see the previous one. `message` is Chinese; `python -m warehouse publish` retries without reloading."""

    def __init__(self, path: Path, exc: OSError):
        reason = "磁盘空间不足" if getattr(exc, "errno", None) == 28 else f"系统错误：{exc.strerror or exc}"
        self.message = (f"数据已写入并提交，但供页面查询的快照未能发布（{reason}），页面暂时仍显示上一版数据。"
                        f"请腾出磁盘空间后运行 python -m warehouse publish --warehouse {path} 重新发布，无需重新加载")
        super().__init__(self.message)


def warehouse_path(path: str | os.PathLike | None = None) -> Path:
    """--warehouse PATH, else $WAREHOUSE, else data/warehouse.duckdb (docs/CONTRACT.md §3)."""
    return Path(path or os.environ.get("WAREHOUSE") or DEFAULT_WAREHOUSE)


def _config() -> dict:
    # Offline machines: never try to download an extension.
    return {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def connect_writer(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), config=_config())


# --------------------------------------------------------------------------- migrations

def migrations() -> list[tuple[int, Path]]:
    out = []
    for p in sorted(MIGRATIONS_DIR.glob("*.sql")):
        out.append((int(p.name.split("_", 1)[0]), p))
    return out


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return con.sql("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration not yet recorded (in number order) inside the caller's transaction.

    Areas own their migration numbers, so a warehouse may have 005 before 003: each file is applied once,
    whenever it first appears. Returns the highest applied version.
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP)"
    )
    applied = {v for (v,) in con.sql("SELECT version FROM schema_version").fetchall()}
    for version, path in migrations():
        if version not in applied:
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_version VALUES (?, now()::TIMESTAMP)", [version])
    chain.genesis(con)  # once, when migration 023 has just created the publication chain
    _sync_reference_config(con)
    return schema_version(con)


def _sync_reference_config(con: duckdb.DuckDBPyConnection) -> None:
    """Keep the units and counted fund sources tables equal to config/ (they are configuration)."""
    con.execute("DELETE FROM units")
    con.executemany(
        "INSERT INTO units VALUES (?, ?, ?)",
        [(u.code, u.name, i) for i, u in enumerate(catalog.units())],
    )
    con.execute("DELETE FROM counted_fund_sources")
    con.executemany(
        "INSERT INTO counted_fund_sources VALUES (?)",
        [(s,) for s in catalog.etl_settings()["counted_fund_sources"]],
    )


# --------------------------------------------------------------------------- the writer

@contextlib.contextmanager
def writer_lock(path: Path, timeout_s: float = 600.0) -> Iterator[None]:
    """Exclusive OS lock shared by every process that writes this warehouse."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.with_name(path.name + ".lock")
    with open(lock_path, "a+") as fh:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"数据仓库正被其他写入占用，等待超时：{path}")
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


class Writer:
    """An open read-write session under the lock; `transaction()` runs one atomic unit of work."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection):
        self.path = path
        self.con = con

    @contextlib.contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")


@contextlib.contextmanager
def open_writer(path: str | os.PathLike | None = None, publish: bool = True) -> Iterator[Writer]:
    """Lock, open read-write, migrate; on exit close and publish a fresh serving snapshot.

    Use one `Writer.transaction()` per atomic unit (e.g. one file). A batch of many files holds the
    lock once and publishes one snapshot at the end.
    """
    p = warehouse_path(path)
    with writer_lock(p):
        remove_temporary_files(p)  # left by a writer that crashed or ran out of disk (we hold the lock)
        con = connect_writer(p)
        _make_private(p)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                migrate(con)
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
            yield Writer(p, con)
            con.execute("CHECKPOINT")
            chain.write_head(con, p)  # the publication chain's last row, signed (catches a cut-off tail)
        finally:
            con.close()
        if publish:
            try:
                publish_snapshot(p)
            except OSError as exc:
                remove_temporary_files(p)
                raise SnapshotNotPublished(p, exc) from exc


@contextlib.contextmanager
def write_transaction(path: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The common case: one atomic write, then a new snapshot."""
    with open_writer(path) as w, w.transaction() as con:
        yield con


@contextlib.contextmanager
def read_warehouse(path: str | os.PathLike | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse file itself, read-only, under the writer lock (checks that must see what is stored now,
    not the last published snapshot)."""
    p = warehouse_path(path)
    with writer_lock(p):
        con = duckdb.connect(str(p), read_only=True, config=_config())
        try:
            yield con
        finally:
            con.close()


def initialise(path: str | os.PathLike | None = None) -> Path:
    """Create (or migrate) the warehouse and publish its first snapshot."""
    with open_writer(path) as w:
        pass
    return w.path


# --------------------------------------------------------------------------- snapshots

def _snapshot_dir(path: Path) -> Path:
    return path.with_name(path.stem + ".snapshots")


def _pointer(path: Path) -> Path:
    return _snapshot_dir(path) / "CURRENT"


def publish_snapshot(path: Path) -> Path:
    """Copy the (closed, checkpointed) warehouse to a new immutable snapshot file; switch readers to it."""
    sdir = _snapshot_dir(path)
    sdir.mkdir(parents=True, exist_ok=True)
    name = f"snapshot-{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**9:09d}.duckdb"
    fd, tmp = tempfile.mkstemp(dir=sdir, prefix=TEMP_PREFIX, suffix=".duckdb")
    os.close(fd)
    shutil.copyfile(path, tmp)
    os.replace(tmp, sdir / name)
    fd, tmp_ptr = tempfile.mkstemp(dir=sdir, prefix=TEMP_PREFIX + "ptr-")
    with os.fdopen(fd, "w") as fh:
        fh.write(name)
    os.replace(tmp_ptr, _pointer(path))
    _prune_snapshots(sdir, keep=name)
    return sdir / name


def publish_now(path: str | os.PathLike | None = None) -> Path:
    """Publish a snapshot of the warehouse as it is (the retry after SnapshotNotPublished), under the writer lock."""
    p = warehouse_path(path)
    with writer_lock(p):
        remove_temporary_files(p)
        try:
            return publish_snapshot(p)
        except OSError as exc:
            remove_temporary_files(p)
            raise SnapshotNotPublished(p, exc) from exc


def _make_private(path: Path) -> None:
    """The warehouse, its WAL and its directory readable by the owner only (0600 / 0700), like the snapshots."""
    for f in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            os.chmod(f, 0o600)
    with contextlib.suppress(PermissionError):  # a directory someone else owns (e.g. /tmp) stays as it is
        os.chmod(path.parent, 0o700)


def remove_temporary_files(path: Path) -> None:
    """Half-written snapshot and pointer files; only a writer holding the lock may call this."""
    for tmp in _snapshot_dir(path).glob(TEMP_PREFIX + "*"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def _prune_snapshots(sdir: Path, keep: str) -> None:
    """Remove old snapshots: beyond the SNAPSHOTS_KEPT newest, those superseded more than SNAPSHOT_GRACE_S ago.

    A snapshot is superseded when the next one is written (that one's mtime); readers holding one open keep its
    inode alive anyway (POSIX), the grace time covers readers that chose it and have not opened it yet.
    """
    snaps = sorted(p for p in sdir.glob("snapshot-*.duckdb"))
    now = time.time()
    for old, successor in zip(snaps[:-SNAPSHOTS_KEPT], snaps[1:]):
        if old.name == keep:
            continue
        with contextlib.suppress(OSError):
            if now - successor.stat().st_mtime > SNAPSHOT_GRACE_S:
                old.unlink()


@dataclass(frozen=True)
class Snapshot:
    """Identity of the serving snapshot: its file name changes with every write."""

    path: Path

    @property
    def identity(self) -> str:
        return self.path.name


def current_snapshot(path: str | os.PathLike | None = None) -> Snapshot | None:
    p = warehouse_path(path)
    ptr = _pointer(p)
    try:
        name = ptr.read_text().strip()
    except FileNotFoundError:
        return None
    return Snapshot(_snapshot_dir(p) / name)


def open_snapshot(snapshot: Snapshot) -> duckdb.DuckDBPyConnection:
    """A read-only connection to one immutable snapshot file."""
    return duckdb.connect(str(snapshot.path), read_only=True, config=_config())


# A query that failed in DuckDB (conversion, overflow, I/O): callers that can carry on without it catch this.
QueryFailed = duckdb.Error

# A read source: a Snapshot (a connection per query) or a connection opened once with `session(snapshot)`.
Source = Snapshot | duckdb.DuckDBPyConnection


@contextlib.contextmanager
def session(source: Source) -> Iterator[duckdb.DuckDBPyConnection]:
    """One read-only connection for several queries (a connect costs tens of ms); a connection passes through."""
    if not isinstance(source, Snapshot):
        yield source
        return
    con = open_snapshot(source)
    try:
        yield con
    finally:
        con.close()


def frame(source: Source, sql: str, params: list | dict | None = None):
    """Run one read query on a snapshot or an open session and return a polars DataFrame (the one read door)."""
    with session(source) as con:
        return con.sql(sql, params=params).pl() if params else con.sql(sql).pl()
