"""Loading monthly submissions into the warehouse (CONTRACT.md §1 "Versions").

`load_files` holds the writer once for a batch and runs ONE transaction per file: a file is loaded whole or not at
all, and a crash mid-file leaves the warehouse as it was. `validate_file` is the same evaluation as a dry run
against the serving snapshot (the app's preview). Every attempt, including duplicates and rejected files, leaves a
`load_audit` row with the full report.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
from tqdm import tqdm

from analytics import domain
from analytics.periods import add_months
from etl.read import FileRejected, RawTable, check_size, decode_text, read_table
from etl.report import FileReport, Issue, report_dict
from etl.validate import REJECT, Context, ReferenceList, Validated, file_identity, validate_rows
from warehouse import store

__all__ = ["FileReport", "Issue", "load_files", "validate_file", "parse_received_at", "deadline_for", "read_manifest"]

Source = str | os.PathLike | tuple[str, bytes]
TZ = ZoneInfo("Asia/Shanghai")
PROGRESS_MIN_FILES = 4
READ_AHEAD = 2  # files read and parsed in worker threads while the current one is validated and written


# --------------------------------------------------------------------------- times

def now_local() -> dt.datetime:
    """The current Asia/Shanghai wall-clock time as a naive timestamp (how the warehouse stores times)."""
    return dt.datetime.now(TZ).replace(tzinfo=None)


def parse_received_at(value: str | dt.datetime) -> dt.datetime:
    """ISO 8601 (date, or date and time, with or without offset) -> naive Asia/Shanghai time."""
    if isinstance(value, dt.datetime):
        stamp = value
    else:
        try:
            stamp = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"收到时间“{value}”不是 ISO 8601 格式，应形如 2025-04-03T10:30:00 或 2025-04-03") from None
    return stamp.astimezone(TZ).replace(tzinfo=None) if stamp.tzinfo else stamp


def deadline_for(month: dt.date) -> dt.datetime:
    """The reporting deadline of a month: day `deadline_day` of the next month, end of day."""
    day = domain.etl_settings()["deadline_day"]
    return dt.datetime.combine(add_months(month, 1).replace(day=day), dt.time(23, 59, 59, 999000))


def read_manifest(path: str | os.PathLike) -> dict[str, dt.datetime]:
    """`file,received_at` CSV -> {file name relative to the loaded folder: received time}."""
    p = Path(path)
    try:
        text, _ = decode_text(p.name, p.read_bytes())
    except FileRejected as exc:
        raise ValueError(exc.message) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and not {"file", "received_at"} <= set(rows[0]):
        raise ValueError(f"清单文件“{p.name}”应有 file 和 received_at 两列，实际列为：{'、'.join(rows[0])}")
    out = {}
    for n, row in enumerate(rows, start=2):
        try:
            out[Path(row["file"].strip()).as_posix()] = parse_received_at(row["received_at"])
        except ValueError as exc:
            raise ValueError(f"清单文件“{p.name}”第 {n} 行：{exc}") from None
    return out


# --------------------------------------------------------------------------- sources

@dataclass(frozen=True)
class _Item:
    name: str            # as reported: relative to the loaded folder, or the file's own name
    path: Path | None
    data: bytes | None


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")  # ~$x.xlsx: Excel's lock file of an open workbook


def _expand(sources: Iterable[Source]) -> list[_Item]:
    items = []
    for src in sources:
        if isinstance(src, tuple):
            items.append(_Item(src[0], None, src[1]))
            continue
        p = Path(src)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if f.is_file() and not any(_is_hidden(part) for part in rel.parts):
                    items.append(_Item(rel.as_posix(), f, None))
        else:
            items.append(_Item(p.name, p, None))
    return items


# --------------------------------------------------------------------------- warehouse reads

def _existing(con: duckdb.DuckDBPyConnection | None, sha: str | None) -> dict | None:
    if con is None or sha is None:
        return None
    rel = con.sql(
        "SELECT submission_id, unit_code, month, version, received_at, deadline, is_late, rows_input, rows_loaded,"
        " rows_quarantined, rows_ignored, warnings FROM submission_versions WHERE sha256 = ?", params=[sha])
    found = rel.fetchall()
    return dict(zip(rel.columns, found[0], strict=True)) if found else None


def _latest_version(con: duckdb.DuckDBPyConnection | None, unit_code: str, month: dt.date) -> int:
    if con is None:
        return 0
    return con.sql("SELECT coalesce(max(version), 0) FROM submission_versions WHERE unit_code = ? AND month = ?",
                   params=[unit_code, month]).fetchall()[0][0]


def _five_hundred_lists(con: duckdb.DuckDBPyConnection, year: int) -> list[ReferenceList]:
    """Per list, the one of `year`, or else the latest loaded before it."""
    lists = con.sql(
        "SELECT list_name, year, company_name, uscc FROM five_hundred_list f"
        " WHERE year = (SELECT max(year) FROM five_hundred_list g WHERE g.list_name = f.list_name AND g.year <= ?)",
        params=[year]).pl()
    return [
        ReferenceList(name, int(part["year"][0]), part["company_name"], part["uscc"].drop_nulls())
        for (name,), part in lists.partition_by("list_name", as_dict=True, maintain_order=True).items()
    ]


def _context(con: duckdb.DuckDBPyConnection | None, unit_code: str, month: dt.date,
             lists_by_year: dict[int, list[ReferenceList]]) -> Context:
    """Last month's current submission of the unit, and the 500强 lists that apply to the month's year.

    `lists_by_year` caches the lists for one batch (a batch loads submissions only, so they cannot change).
    """
    if con is None:
        return Context()
    last = con.sql("SELECT submission_id FROM submission_versions WHERE unit_code = ? AND month = ?"
                   " ORDER BY version DESC LIMIT 1", params=[unit_code, add_months(month, -1)]).fetchall()
    previous = None
    if last:
        previous = con.sql(  # a constant submission_id lets DuckDB skip other submissions' row groups
            "SELECT project_id, status AS prev_status, funds_cum_wan AS prev_cum FROM project_rows"
            " WHERE submission_id = ?", params=[last[0][0]]).pl()
    if month.year not in lists_by_year:
        lists_by_year[month.year] = _five_hundred_lists(con, month.year)
    return Context(previous, lists_by_year[month.year])


# --------------------------------------------------------------------------- evaluation (shared by dry run and load)

@dataclass
class _Prepared:
    """A file read and parsed into cell texts (or the reason it cannot be): no warehouse access needed."""

    name: str
    size: int | None
    sha256: str | None
    raw: RawTable | None = None
    rejection: FileRejected | None = None


def _prepare(item: _Item) -> _Prepared:
    """Read, hash and parse one file. Safe to run ahead in a worker thread (reading releases the GIL)."""
    if item.path is None:
        data = item.data
    else:
        try:
            size = item.path.stat().st_size
            check_size(item.name, size)  # before reading a byte of it
            data = item.path.read_bytes()
        except FileRejected as exc:
            return _Prepared(item.name, size, None, rejection=exc)
        except OSError as exc:
            return _Prepared(item.name, None, None,
                             rejection=FileRejected(f"无法读取文件“{item.name}”：{exc.strerror or exc}"))
    prepared = _Prepared(item.name, len(data), hashlib.sha256(data).hexdigest())
    try:
        prepared.raw = read_table(item.name, data)
    except FileRejected as exc:
        prepared.rejection = exc
    return prepared


def _rejected(report: FileReport, exc: FileRejected) -> FileReport:
    report.outcome = "rejected"
    report.rows_input = report.rows_ignored = exc.rows_input  # the whole file is set aside, none of it loads
    report.issues = [Issue(None, None, None, REJECT, exc.message, "file_rejected")]
    return report


def _evaluate(con, prepared: _Prepared, received: dt.datetime, dry_run: bool,
              lists_by_year: dict[int, list[ReferenceList]]) -> tuple[FileReport, Validated | None, dict | None]:
    """The report of a load, the rows to write, and the existing version when the file is a duplicate."""
    report = FileReport(prepared.name, prepared.sha256, "loaded", received_at=received, dry_run=dry_run)
    existing = _existing(con, prepared.sha256)
    if existing is not None:
        report.outcome = "duplicate"
        for key in ("unit_code", "month", "version", "is_late", "deadline", "rows_input", "rows_loaded",
                    "rows_quarantined", "rows_ignored", "warnings"):
            setattr(report, key, existing[key])
        return report, None, existing
    try:
        if prepared.rejection is not None:
            raise prepared.rejection
        unit, month = file_identity(prepared.raw)
    except FileRejected as exc:
        return _rejected(report, exc), None, None
    validated = validate_rows(prepared.raw, unit, month, _context(con, unit.code, month, lists_by_year))
    latest = _latest_version(con, unit.code, month)
    report.unit_code, report.month = unit.code, month
    report.version, report.superseded_version = latest + 1, latest or None
    report.deadline = deadline_for(month)
    report.is_late = received > report.deadline
    report.rows_input, report.rows_ignored = validated.rows_input, validated.rows_ignored
    report.rows_loaded, report.rows_quarantined = validated.rows.height, validated.quarantine.height
    report.warnings = validated.warnings.height
    report.issues = [Issue(*row) for row in validated.issues.select(
        "row_no", "column", "value", "severity", "message", "code").iter_rows()]
    assert report.identity_holds, report.counts_zh
    return report, validated, None


def validate_file(name: str, data: bytes, *, warehouse=None, received_at=None) -> FileReport:
    """Dry run: what loading this file would do, checked against the serving snapshot. Writes nothing."""
    received = parse_received_at(received_at) if received_at else now_local()
    snapshot = store.current_snapshot(warehouse)
    con = store.open_snapshot(snapshot) if snapshot else None
    try:
        report, _, _ = _evaluate(con, _prepare(_Item(name, None, data)), received, dry_run=True, lists_by_year={})
    finally:
        if con is not None:
            con.close()
    return report


# --------------------------------------------------------------------------- writing

def _insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Bulk insert through Arrow (never row by row)."""
    if frame.height == 0:
        return
    con.register("_etl_frame", frame.to_arrow())
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _etl_frame")
    finally:
        con.unregister("_etl_frame")


def _insert_submission(con: duckdb.DuckDBPyConnection, report: FileReport, validated: Validated,
                       load_id: int) -> int:
    submission_id = con.sql("SELECT nextval('submission_id_seq')").fetchall()[0][0]
    con.execute(
        "INSERT INTO submission_versions (submission_id, unit_code, month, version, received_at, deadline, is_late,"
        " file_name, sha256, load_id, rows_input, rows_loaded, rows_quarantined, rows_ignored, warnings)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [submission_id, report.unit_code, report.month, report.version, report.received_at, report.deadline,
         report.is_late, report.file_name, report.sha256, load_id, report.rows_input, report.rows_loaded,
         report.rows_quarantined, report.rows_ignored, report.warnings])
    sid = pl.lit(submission_id, pl.Int64).alias("submission_id")
    _insert_frame(con, "project_rows", validated.rows.with_columns(sid))
    _insert_frame(con, "quarantine_rows", validated.quarantine.with_columns(sid))
    _insert_frame(con, "row_warnings", validated.warnings.with_columns(sid))
    return submission_id


def write_audit(con: duckdb.DuckDBPyConnection, *, load_id: int, actor: str, file_name: str, sha256: str | None,
                file_bytes: int | None, outcome: str, message: str, report_json: str, kind: str = "submission",
                unit_code: str | None = None, month: dt.date | None = None, submission_id: int | None = None,
                counts: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)) -> None:
    """One load_audit row (counts: input, loaded, quarantined, ignored, warnings)."""
    con.execute(
        "INSERT INTO load_audit (load_id, loaded_at, actor, file_name, sha256, file_bytes, outcome, unit_code, month,"
        " submission_id, rows_input, rows_loaded, rows_quarantined, rows_ignored, warnings, message, report_json,"
        " kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, now_local(), actor, file_name, sha256, file_bytes, outcome, unit_code, month, submission_id,
         *counts, message, report_json, kind])


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.sql("SELECT nextval('load_id_seq')").fetchall()[0][0]


def _audit(con, report: FileReport, load_id: int, file_bytes: int | None, actor: str,
           submission_id: int | None) -> None:
    write_audit(
        con, load_id=load_id, actor=actor, file_name=report.file_name, sha256=report.sha256, file_bytes=file_bytes,
        outcome=report.outcome, message=report.summary_zh,
        report_json=json.dumps(report_dict(report), ensure_ascii=False),
        unit_code=report.unit_code, month=report.month, submission_id=submission_id,
        counts=(report.rows_input, report.rows_loaded, report.rows_quarantined, report.rows_ignored, report.warnings))


def _load_one(con: duckdb.DuckDBPyConnection, prepared: _Prepared, received: dt.datetime, actor: str,
              lists_by_year: dict[int, list[ReferenceList]]) -> FileReport:
    report, validated, existing = _evaluate(con, prepared, received, False, lists_by_year)
    load_id = next_load_id(con)
    submission_id = existing["submission_id"] if existing else None
    if validated is not None:
        submission_id = _insert_submission(con, report, validated, load_id)
    _audit(con, report, load_id, prepared.size, actor, submission_id)
    return report


def _read_ahead(items: list[_Item], pool: ThreadPoolExecutor) -> Iterator[tuple[_Item, Future]]:
    """Items in order, each with its `_prepare` future; up to READ_AHEAD files are read while one loads."""
    pending: deque[tuple[_Item, Future]] = deque()
    for item in items:
        pending.append((item, pool.submit(_prepare, item)))
        if len(pending) > READ_AHEAD:
            yield pending.popleft()
    yield from pending


def _failed(item: _Item, received: dt.datetime, exc: Exception) -> FileReport:
    report = FileReport(item.name, None, "rejected", received_at=received, internal_error=True)
    message = f"加载“{item.name}”时发生内部错误（{type(exc).__name__}: {exc}），该文件未入库，请联系系统管理员"
    report.issues = [Issue(None, None, None, REJECT, message, "internal_error")]
    return report


def load_files(sources: Sequence[Source], *, warehouse=None, actor: str = "cli", received_at=None,
               manifest: str | os.PathLike | None = None, progress: bool = False) -> list[FileReport]:
    """Load files (paths, folders searched recursively, or (name, bytes) pairs); one transaction per file.

    Received time: the manifest's entry for the file, else `received_at`, else now. With a manifest, files load
    in the order they were received (so versions and month-to-month checks follow history).
    """
    default_received = parse_received_at(received_at) if received_at else None
    times = read_manifest(manifest) if manifest else {}
    items = _expand(sources)
    if times:
        items.sort(key=lambda it: times.get(it.name, dt.datetime.max))
    reports, lists_by_year = [], {}
    with store.open_writer(warehouse) as writer, ThreadPoolExecutor(READ_AHEAD) as pool:
        bar = tqdm(_read_ahead(items, pool), total=len(items), desc="加载", unit="个文件", file=sys.stderr,
                   disable=not progress or len(items) < PROGRESS_MIN_FILES)
        for item, prepared in bar:
            received = times.get(item.name) or default_received or now_local()
            try:
                with writer.transaction() as con:
                    reports.append(_load_one(con, prepared.result(), received, actor, lists_by_year))
            except (Exception, pl.exceptions.PanicException) as exc:  # a loader fault must not stop the batch
                report = _failed(item, received, exc)
                with writer.transaction() as con:
                    _audit(con, report, next_load_id(con), None, actor, None)
                reports.append(report)
    return reports
