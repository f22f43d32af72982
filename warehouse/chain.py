"""Tamper evidence for the publication log: an HMAC-SHA256 hash chain (migration 023, issue 15).

Every quarterly publication, annual publication and sign-off step appends one row to `publication_chain` in the
transaction that writes it. The row's `mac` is HMAC-SHA256, keyed with a secret, over the predecessor's mac, its own
position (seq, kind, record id, legacy flag) and every column of the record: the publications row including its
content_hash and every published_ranking row (annual: annual_publications and annual_published_rows; a sign-off:
its publication_signoffs row). Without the key nobody can write a valid row, so `verify` detects an edited row (even
with a recomputed unkeyed content hash), a deleted record, a deleted or reordered chain row and a forged record
(a correction row nobody chained). Records made before the chain existed are sealed as found by `genesis`, which
`store.migrate` runs once, right after migration 023 (legacy rows, then one 'genesis' row).

The key: $DASHBOARD_SECRET, else `publication_key` in .streamlit/secrets.toml (working directory), else a key file
`<warehouse stem>.publication.key` beside the warehouse, generated (0600) by the first writer that needs it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from core import clock

ENV_KEY = "DASHBOARD_SECRET"
SECRETS_FILE = Path(".streamlit") / "secrets.toml"
SECRETS_NAME = "publication_key"
SNAPSHOT_DIR_SUFFIX = ".snapshots"

# Every column of each chained table, in table order (tests/test_publication_chain.py checks these against the
# tables: a migration that adds a column must decide here whether and how new records cover it).
KINDS = {
    "quarterly": ("publications", (
        "publication_id", "quarter", "group_id", "group_name", "published_at", "published_by", "note", "corrects",
        "incomplete_reason", "all_complete", "indicator_version", "config_sha256", "config_text", "method_version",
        "weight_scheme", "snapshot_identity", "data_cutoff", "inputs_json", "results_json", "request_key",
        "content_hash"),
        "published_ranking", (
        "publication_id", "unit_code", "unit_name", "score", "rank", "rank_median", "rank_q05", "rank_q95",
        "complete", "adjustment_points", "flags")),
    "annual": ("annual_publications", (
        "publication_id", "year", "group_id", "group_name", "published_at", "published_by", "note", "corrects",
        "incomplete_reason", "all_complete", "annual_version", "config_sha256", "config_text", "method_version",
        "inputs_json", "results_json", "request_key", "content_hash"),
        "annual_published_rows", (
        "publication_id", "unit_code", "unit_name", "score", "rank", "grade", "complete", "flags")),
}
SIGNOFF_COLUMNS = ("publication_id", "kind", "step", "username", "step_at", "mode")
_EPHEMERAL_KEY = secrets.token_bytes(32)  # an in-memory database (tests) without a configured key


class KeyMissing(Exception):
    """No key is configured and the key file beside the warehouse does not exist (Chinese message)."""


# --------------------------------------------------------------------------- the key

def _beside(db_path: str | os.PathLike, suffix: str) -> Path:
    p = Path(db_path)
    if p.parent.name.endswith(SNAPSHOT_DIR_SUFFIX):  # <dir>/<stem>.snapshots/snapshot-….duckdb
        return p.parent.parent / f"{p.parent.name[:-len(SNAPSHOT_DIR_SUFFIX)]}{suffix}"
    return p.with_name(f"{p.stem}{suffix}")


def key_file(db_path: str | os.PathLike) -> Path:
    """The generated key's file for a warehouse or for one of its snapshots (both find the same file)."""
    return _beside(db_path, ".publication.key")


def head_file(db_path: str | os.PathLike) -> Path:
    """The chain's last (seq, mac), signed, written by every writer after its commits (catches a cut-off tail)."""
    return _beside(db_path, ".publication.head")


def _configured_key() -> bytes | None:
    env = os.environ.get(ENV_KEY, "").strip()
    if env:
        return env.encode("utf-8")
    try:
        with open(SECRETS_FILE, "rb") as fh:
            value = str(tomllib.load(fh).get(SECRETS_NAME) or "").strip()
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return None
    return value.encode("utf-8") if value else None


def publication_key(db_path: str | os.PathLike | None, *, create: bool = False) -> bytes:
    """The chain's key (see the module text); `create` (writers only) generates the key file when there is none."""
    configured = _configured_key()
    if configured:
        return configured
    if db_path is None:
        return _EPHEMERAL_KEY
    kf = key_file(db_path)
    if create and not kf.exists():
        kf.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(kf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
    try:
        return kf.read_text(encoding="utf-8").strip().encode("utf-8")
    except FileNotFoundError:
        raise KeyMissing("未找到发布签名密钥：未设置环境变量 DASHBOARD_SECRET，.streamlit/secrets.toml 中也没有 "
                         "publication_key，数据仓库旁的密钥文件也不存在，无法核验发布记录") from None


def _db_path(con: duckdb.DuckDBPyConnection) -> str | None:
    rows = con.sql("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return rows[0][0] if rows and rows[0][0] else None


def connection_key(con: duckdb.DuckDBPyConnection, *, create: bool = False) -> bytes:
    return publication_key(_db_path(con), create=create)


# --------------------------------------------------------------------------- records and macs

def _json_default(o):
    if isinstance(o, (dt.datetime, dt.date)):
        return o.isoformat()
    if isinstance(o, Decimal):
        return str(o)
    raise TypeError(f"无法序列化 {type(o).__name__}")


def _canonical(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_json_default)


def _select(con, table: str, columns: tuple[str, ...], where: str, params: list, order: str) -> list[dict]:
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {where} ORDER BY {order}"  # noqa: S608 - names are code constants; values bound
    return [dict(zip(columns, r)) for r in con.execute(sql, params).fetchall()]


def record_content(con: duckdb.DuckDBPyConnection, kind: str, record_id: str) -> dict | None:
    """Every column of a chained record as stored now; None when the record is gone."""
    if kind == "genesis":
        return {"genesis": record_id}
    if kind == "signoff":
        pid, step = record_id.rsplit("/", 1)
        rows = _select(con, "publication_signoffs", SIGNOFF_COLUMNS, "publication_id = ? AND step = ?", [pid, step],
                       "step")
        return {"signoff": rows[0]} if rows else None
    table, columns, row_table, row_columns = KINDS[kind]
    head = _select(con, table, columns, "publication_id = ?", [record_id], "publication_id")
    if not head:
        return None
    rows = _select(con, row_table, row_columns, "publication_id = ?", [record_id], "unit_code")
    return {"publication": head[0], "rows": rows}


def _mac(key: bytes, seq: int, kind: str, record_id: str, legacy: bool, prev_mac: str, content: dict) -> str:
    message = _canonical({"seq": seq, "kind": kind, "record_id": record_id, "legacy": legacy, "prev_mac": prev_mac,
                          "content": content})
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()


def _chain_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return con.sql("SELECT count(*) FROM information_schema.tables WHERE table_name = 'publication_chain'"
                   ).fetchall()[0][0] > 0


def _append(con, key: bytes, kind: str, record_id: str, legacy: bool = False) -> None:
    last = con.sql("SELECT seq, mac FROM publication_chain ORDER BY seq DESC LIMIT 1").fetchall()
    seq, prev = (last[0][0] + 1, last[0][1]) if last else (1, "")
    content = record_content(con, kind, record_id)
    if content is None:
        raise KeyError(f"chain: no {kind} record {record_id}")
    con.execute("INSERT INTO publication_chain VALUES (?, ?, ?, ?, ?, ?, ?)",
                [seq, kind, record_id, legacy, clock.now_local(), prev,
                 _mac(key, seq, kind, record_id, legacy, prev, content)])


def append(con: duckdb.DuckDBPyConnection, kind: str, record_id: str) -> None:
    """Chain a record just written in this transaction (called by warehouse/writes for every publication write)."""
    _append(con, connection_key(con, create=True), kind, record_id)


def signoff_id(publication_id: str, step: str) -> str:
    return f"{publication_id}/{step}"


def _all_records(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(time, kind, record_id) of every chainable record in the tables, oldest first."""
    rows = [(t, "quarterly", pid) for pid, t in con.sql("SELECT publication_id, published_at FROM publications"
                                                         ).fetchall()]
    rows += [(t, "annual", pid) for pid, t in con.sql("SELECT publication_id, published_at FROM annual_publications"
                                                      ).fetchall()]
    rows += [(t, "signoff", signoff_id(pid, step)) for pid, step, t in
             con.sql("SELECT publication_id, step, step_at FROM publication_signoffs").fetchall()]
    order = {"quarterly": 0, "annual": 0, "signoff": 1}
    return sorted(rows, key=lambda r: (r[0] or dt.datetime.min, order[r[1]], r[2]))


def genesis(con: duckdb.DuckDBPyConnection) -> int:
    """Once, on an empty chain: seal every record found (legacy), then a 'genesis' row. Returns the records sealed."""
    if not _chain_exists(con) or con.sql("SELECT count(*) FROM publication_chain").fetchall()[0][0]:
        return 0
    key = connection_key(con, create=True)
    records = _all_records(con)
    for _, kind, record_id in records:
        _append(con, key, kind, record_id, legacy=True)
    _append(con, key, "genesis", f"{len(records)}")
    return len(records)


def _head_tag(key: bytes, seq: int, mac: str) -> str:
    return hmac.new(key, f"head:{seq}:{mac}".encode(), hashlib.sha256).hexdigest()


def write_head(con: duckdb.DuckDBPyConnection, path: str | os.PathLike) -> None:
    """After the writer's last commit (store.open_writer): the chain's last row, signed, in a file beside it."""
    if not _chain_exists(con):
        return
    last = con.sql("SELECT seq, mac FROM publication_chain ORDER BY seq DESC LIMIT 1").fetchall()
    if not last:
        return
    seq, mac = last[0]
    target = head_file(path)
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{seq} {mac} {_head_tag(publication_key(path, create=True), seq, mac)}\n")
    os.replace(tmp, target)


def _check_head(con, key: bytes, entries: list[tuple], report: ChainReport) -> None:
    path = _db_path(con)
    if path is None or not entries:
        return
    try:
        seq_text, mac, tag = head_file(path).read_text(encoding="utf-8").split()
        seq = int(seq_text)
    except (FileNotFoundError, ValueError):
        report.problems.append((None, "签名链的链头记录缺失或无效（可能被删除；若上次写入异常中断，再写入一次即可恢复）"))
        return
    if not hmac.compare_digest(_head_tag(key, seq, mac), tag):
        report.problems.append((None, "签名链的链头记录与签名不符（链头记录被改动）"))
    elif seq > len(entries) or entries[seq - 1][5] != mac:
        report.problems.append((None, f"签名链末尾的记录被删除：链头记录显示应有 {seq} 条，现有 {len(entries)} 条"))


# --------------------------------------------------------------------------- verification

@dataclass
class ChainReport:
    """What `verify` found: problems as (publication_id or None for the whole chain, Chinese sentence)."""

    entries: int = 0
    legacy: int = 0
    problems: list[tuple[str | None, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def failed_ids(self) -> set[str]:
        return {pid for pid, _ in self.problems if pid}


def _publication_of(kind: str, record_id: str) -> str | None:
    return record_id.rsplit("/", 1)[0] if kind == "signoff" else None if kind == "genesis" else record_id


def _what(kind: str, record_id: str) -> str:
    if kind == "signoff":
        pid, step = record_id.rsplit("/", 1)
        return f"发布 {pid} 的{'准备' if step == 'prepared' else '签批'}记录"
    return f"{'年度考核' if kind == 'annual' else '季度排名'}发布 {record_id}"


def verify(con: duckdb.DuckDBPyConnection, key: bytes | None = None, head: bool = False) -> ChainReport:
    """Check the whole chain against the tables as they are now (read-only). `head`: also against the head file
    (only for the warehouse file itself, read under the writer lock: a snapshot may be older than the head)."""
    report = ChainReport()
    if not _chain_exists(con):
        if _all_records(con):
            report.problems.append((None, "发布记录尚未建立签名链（数据仓库尚未升级，下一次写入时自动建立）"))
        return report
    key = key if key is not None else connection_key(con)
    entries = con.sql("SELECT seq, kind, record_id, legacy, prev_mac, mac FROM publication_chain ORDER BY seq"
                      ).fetchall()
    report.entries = len(entries)
    report.legacy = sum(1 for e in entries if e[3])
    if not entries:
        report.problems.append((None, "签名链为空：签名链记录已被删除"))
    prev, chained, bad_macs = "", set(), 0
    for i, (seq, kind, record_id, legacy, prev_mac, mac) in enumerate(entries, start=1):
        pid = _publication_of(kind, record_id)
        if seq != i:
            report.problems.append((pid, f"签名链第 {i} 条记录缺失（签名链记录被删除）"))
        if prev_mac != prev:
            report.problems.append((pid, f"签名链在第 {seq} 条处断开（前后记录对不上）"))
        prev = mac
        chained.add((kind, record_id))
        if kind not in (*KINDS, "signoff", "genesis") or (kind == "signoff" and "/" not in record_id):
            report.problems.append((None, f"签名链第 {seq} 条记录无法识别（签名链记录被改动）"))
            continue
        content = record_content(con, kind, record_id)
        if content is None:
            report.problems.append((pid, f"{_what(kind, record_id)}已被删除"))
        elif not hmac.compare_digest(_mac(key, seq, kind, record_id, legacy, prev_mac, content), mac):
            bad_macs += 1
            report.problems.append((pid, f"{_what(kind, record_id)}的内容与签名不符（记录被改动）"))
    if head:
        _check_head(con, key, entries, report)
    if entries and bad_macs == len(entries):
        report.problems.insert(0, (None, "签名全部不符：签名密钥与建链时不一致，或全部记录被改动"))
    for _, kind, record_id in _all_records(con):
        if (kind, record_id) not in chained:
            report.problems.append((_publication_of(kind, record_id),
                                    f"{_what(kind, record_id)}不在签名链中（未经正常发布写入，可能是伪造的记录）"))
    return report
