"""Loading monthly submissions into the warehouse (CONTRACT.md §1 "Versions").

`load_files` holds the writer once for a batch and runs ONE transaction per file: a file is loaded whole or not at
all, and a crash mid-file leaves the warehouse as it was. `validate_file` is the same evaluation as a dry run
against the serving snapshot (the app's preview). Every attempt, including duplicates and rejected files, leaves a
`load_audit` row with the full report.

How a batch stays fast (a monthly file is a few hundred rows, so per-file overheads dominate): worker threads read,
hash and parse files ahead of the writer; what the warehouse knows (loaded hashes, latest versions, last month's
rows, 500强 lists) is read once per session and kept current as files commit (`_State`); and consecutive files are
validated in one polars pass (`_batches`) — a file whose previous month is in the same batch starts a new one, so
month-to-month checks still see every earlier file in received order.
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
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
from tqdm import tqdm

from core import catalog
from core.periods import add_months
from etl.read import FileRejected, RawTable, check_size, decode_text, read_table
from etl.report import FileReport, Issue, report_dict
from etl.validate import REJECT, Context, ReferenceList, Submission, Validated, file_identity, validate_batch
from warehouse import store

__all__ = ["FileReport", "Issue", "load_files", "validate_file", "parse_received_at", "deadline_for", "read_manifest"]

Source = str | os.PathLike | tuple[str, bytes]
TZ = ZoneInfo("Asia/Shanghai")
PROGRESS_MIN_FILES = 4
READ_WORKERS = 2                      # threads reading and parsing files while the writer validates and writes
READ_AHEAD_FILES = 32                 # files read ahead of the writer at most…
READ_AHEAD_BYTES = 64 * 1024 * 1024   # …and at most this many bytes of them
BATCH_FILES = 64                      # files validated in one pass at most…
BATCH_ROWS = 100_000                  # …and at most this many rows (a single larger file is its own batch)


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
    day = catalog.etl_settings()["deadline_day"]
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


# --------------------------------------------------------------------------- what the warehouse knows

_VERSION_COLUMNS = ("submission_id", "unit_code", "month", "version", "received_at", "deadline", "is_late",
                    "rows_input", "rows_loaded", "rows_quarantined", "rows_ignored", "warnings")


def _five_hundred_lists(con: duckdb.DuckDBPyConnection, year: int) -> list[ReferenceList]:
    """Per list (in FIVE_HUNDRED_LISTS order), the one of `year`, or else the latest loaded before it."""
    lists = con.sql(
        "SELECT list_name, year, company_name, uscc FROM five_hundred_list f"
        " WHERE year = (SELECT max(year) FROM five_hundred_list g WHERE g.list_name = f.list_name AND g.year <= ?)",
        params=[year]).pl()
    parts = lists.partition_by("list_name", as_dict=True)
    return [
        ReferenceList(name, int(part["year"][0]), part["company_name"], part["uscc"].drop_nulls())
        for name in catalog.FIVE_HUNDRED_LISTS if (part := parts.get((name,))) is not None
    ]


class _State:
    """What evaluating a file needs from the warehouse, read once and kept current as files commit.

    A load session holds the writer lock throughout, so nothing else changes the warehouse meanwhile: the state is
    read at session start and `record`ed after each commit (never before: a rolled-back file changes nothing).
    A dry run reads it from the serving snapshot; `con` None means an empty warehouse. Reader threads call
    `existing` while the writer records (single dict operations, atomic in CPython).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection | None):
        self._con = con
        self._by_sha: dict[str, dict] = {}                    # loaded file hash -> its version's summary
        self._latest: dict[tuple[str, dt.date], tuple[int, int]] = {}  # (unit, month) -> (version, submission_id)
        self._rows: dict[int, pl.DataFrame] = {}              # submission_id -> project_id, prev_status, prev_cum
        self._lists: dict[int, list[ReferenceList]] = {}      # year -> 500强 lists (a load never changes them)
        if con is None:
            return
        for *values, sha in con.execute(f"SELECT {', '.join(_VERSION_COLUMNS)}, sha256 FROM submission_versions"  # noqa: S608 - column names are code constants
                                        " ORDER BY unit_code, month, version").fetchall():
            version = dict(zip(_VERSION_COLUMNS, values, strict=True))
            self._by_sha[sha] = version
            self._latest[(version["unit_code"], version["month"])] = (version["version"], version["submission_id"])

    def existing(self, sha: str | None) -> dict | None:
        """The loaded version with these bytes, if any."""
        return self._by_sha.get(sha) if sha else None

    def latest_version(self, unit_code: str, month: dt.date) -> int:
        return self._latest.get((unit_code, month), (0, 0))[0]

    def contexts(self, files: Sequence[tuple[str, dt.date]]) -> list[Context]:
        """Per (unit, month): last month's current rows of the unit and the 500强 lists of the month's year."""
        previous = [self._latest.get((unit, add_months(month, -1))) for unit, month in files]
        self._fetch_rows([sid for _, sid in filter(None, previous) if sid not in self._rows])
        return [Context(self._rows[found[1]] if found else None, self._five_hundred(month.year))
                for found, (_, month) in zip(previous, files, strict=True)]

    def _fetch_rows(self, submission_ids: list[int]) -> None:
        if not submission_ids or self._con is None:
            return
        marks = ", ".join("?" * len(submission_ids))  # constants let DuckDB skip other submissions' row groups
        found = self._con.sql(
            "SELECT submission_id, project_id, status AS prev_status, funds_cum_wan AS prev_cum FROM project_rows"  # noqa: S608 - only "?" placeholders are interpolated
            f" WHERE submission_id IN ({marks})", params=submission_ids).pl()
        parts = found.partition_by("submission_id", as_dict=True, include_key=False)
        empty = found.clear().drop("submission_id")
        for sid in submission_ids:
            self._rows[sid] = parts.get((sid,), empty)

    def _five_hundred(self, year: int) -> list[ReferenceList]:
        if year not in self._lists:
            self._lists[year] = _five_hundred_lists(self._con, year) if self._con is not None else []
        return self._lists[year]

    def record(self, report: FileReport, submission_id: int, validated: Validated) -> None:
        """A committed new version: later files see its hash, its version number and its rows."""
        self._by_sha[report.sha256] = {"submission_id": submission_id,
                                       **{k: getattr(report, k) for k in _VERSION_COLUMNS[1:]}}
        key = (report.unit_code, report.month)
        superseded = self._latest.get(key)
        if superseded is not None:
            self._rows.pop(superseded[1], None)
        self._latest[key] = (report.version, submission_id)
        rows = validated.rows
        self._rows[submission_id] = pl.DataFrame({"project_id": rows["project_id"], "prev_status": rows["status"],
                                                  "prev_cum": rows["funds_cum_wan"]})


# --------------------------------------------------------------------------- evaluation (shared by dry run and load)

@dataclass
class _Prepared:
    """A file read, parsed into cell texts and its 报送单位/统计月份 found (or the reason it cannot be loaded).

    Needs no warehouse access (only which hashes are loaded), so worker threads prepare files ahead of the writer.
    """

    name: str
    size: int | None
    sha256: str | None
    raw: RawTable | None = None
    unit: catalog.Unit | None = None
    month: dt.date | None = None
    rejection: FileRejected | None = None
    fault: BaseException | None = field(default=None, repr=False)  # a reader bug: reported for this file only


def _prepare(item: _Item, state: _State) -> _Prepared:
    """Read, hash, parse and identify one file; a file whose bytes are already loaded is not parsed."""
    try:
        return _read_and_identify(item, state)
    except (Exception, pl.exceptions.PanicException) as exc:
        return _Prepared(item.name, None, None, fault=exc)


def _read_and_identify(item: _Item, state: _State) -> _Prepared:
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
    if state.existing(prepared.sha256) is not None:  # a duplicate: the report is the loaded version's
        return prepared
    try:
        prepared.raw = read_table(item.name, data)
        prepared.unit, prepared.month = file_identity(prepared.raw)
    except FileRejected as exc:
        prepared.rejection = exc
    return prepared


def _validate(state: _State, batch: Sequence[_Prepared]) -> list[Validated | BaseException | None]:
    """Validate in one pass the files of a batch that a load would write (not rejected, not already loaded).

    Should the pass fail, each file is validated alone, so that a fault is reported for the file that causes it.
    """
    todo = [i for i, p in enumerate(batch) if p.fault is None and p.rejection is None
            and state.existing(p.sha256) is None]

    def run(indexes: list[int]) -> list[Validated]:
        files = [batch[i] for i in indexes]
        contexts = state.contexts([(p.unit.code, p.month) for p in files])
        return validate_batch([Submission(p.raw, p.unit, p.month, c) for p, c in zip(files, contexts, strict=True)])

    out: list[Validated | BaseException | None] = [None] * len(batch)
    try:
        for i, validated in zip(todo, run(todo), strict=True):
            out[i] = validated
    except (Exception, pl.exceptions.PanicException):
        for i in todo:
            try:
                [out[i]] = run([i])
            except (Exception, pl.exceptions.PanicException) as exc:
                out[i] = exc
    return out


def _rejected(report: FileReport, exc: FileRejected) -> FileReport:
    report.outcome = "rejected"
    report.rows_input = report.rows_ignored = exc.rows_input  # the whole file is set aside, none of it loads
    report.issues = [Issue(None, None, None, REJECT, exc.message, "file_rejected")]
    return report


def _evaluate(state: _State, prepared: _Prepared, validated: Validated | BaseException | None,
              received: dt.datetime, dry_run: bool) -> tuple[FileReport, Validated | None, dict | None]:
    """The report of a load, the rows to write, and the existing version when the file is a duplicate."""
    if prepared.fault is not None:
        raise prepared.fault
    report = FileReport(prepared.name, prepared.sha256, "loaded", received_at=received, dry_run=dry_run)
    existing = state.existing(prepared.sha256)
    if existing is not None:
        report.outcome = "duplicate"
        for key in ("unit_code", "month", "version", "is_late", "deadline", "rows_input", "rows_loaded",
                    "rows_quarantined", "rows_ignored", "warnings"):
            setattr(report, key, existing[key])
        return report, None, existing
    if prepared.rejection is not None:
        return _rejected(report, prepared.rejection), None, None
    if isinstance(validated, BaseException):
        raise validated
    latest = state.latest_version(prepared.unit.code, prepared.month)
    report.unit_code, report.month = prepared.unit.code, prepared.month
    report.version, report.superseded_version = latest + 1, latest or None
    report.deadline = deadline_for(prepared.month)
    report.is_late = received > report.deadline
    report.rows_input, report.rows_ignored = validated.rows_input, validated.rows_ignored
    report.rows_loaded, report.rows_quarantined = validated.rows.height, validated.quarantine.height
    report.warnings = validated.warnings.height
    issues = validated.issues
    report.issues = [Issue(*fields) for fields in zip(*(issues[c].to_list() for c in (
        "row_no", "column", "value", "severity", "message", "code")))]
    assert report.identity_holds, report.counts_zh
    return report, validated, None


def validate_file(name: str, data: bytes, *, warehouse=None, received_at=None) -> FileReport:
    """Dry run: what loading this file would do, checked against the serving snapshot. Writes nothing."""
    received = parse_received_at(received_at) if received_at else now_local()
    snapshot = store.current_snapshot(warehouse)
    con = store.open_snapshot(snapshot) if snapshot else None
    try:
        state = _State(con)
        prepared = _prepare(_Item(name, None, data), state)
        [validated] = _validate(state, [prepared])
        report, _, _ = _evaluate(state, prepared, validated, received, dry_run=True)
    finally:
        if con is not None:
            con.close()
    return report


# --------------------------------------------------------------------------- writing

def _insert_submission(con: duckdb.DuckDBPyConnection, report: FileReport, validated: Validated,
                       load_id: int) -> int:
    """The new version, then its loaded rows, quarantined rows and warnings in one round trip (no row loops)."""
    [(submission_id,)] = con.execute(
        "INSERT INTO submission_versions (submission_id, unit_code, month, version, received_at, deadline, is_late,"
        " file_name, sha256, load_id, rows_input, rows_loaded, rows_quarantined, rows_ignored, warnings)"
        " VALUES (nextval('submission_id_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING submission_id",
        [report.unit_code, report.month, report.version, report.received_at, report.deadline, report.is_late,
         report.file_name, report.sha256, load_id, report.rows_input, report.rows_loaded, report.rows_quarantined,
         report.rows_ignored, report.warnings]).fetchall()
    # DuckDB reads these Arrow streams of the polars frames by their variable names (replacement scans): cheaper
    # than registering a view per frame, which changes the catalog in every transaction.
    etl_rows, etl_quarantine, etl_warnings = (
        f.__arrow_c_stream__() for f in (validated.rows, validated.quarantine, validated.warnings))
    inserts = [f"INSERT INTO {table} BY NAME SELECT *, {submission_id:d} AS submission_id FROM {name}"  # noqa: S608 - table names are code constants, the id an int
               for table, name, frame in (("project_rows", "etl_rows", validated.rows),
                                          ("quarantine_rows", "etl_quarantine", validated.quarantine),
                                          ("row_warnings", "etl_warnings", validated.warnings)) if frame.height]
    if inserts:
        con.execute(";\n".join(inserts))
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
    [(load_id,)] = con.execute("SELECT nextval('load_id_seq')").fetchall()
    return load_id


def _audit(con, report: FileReport, load_id: int, file_bytes: int | None, actor: str,
           submission_id: int | None) -> None:
    write_audit(
        con, load_id=load_id, actor=actor, file_name=report.file_name, sha256=report.sha256, file_bytes=file_bytes,
        outcome=report.outcome, message=report.summary_zh,
        report_json=json.dumps(report_dict(report), ensure_ascii=False),
        unit_code=report.unit_code, month=report.month, submission_id=submission_id,
        counts=(report.rows_input, report.rows_loaded, report.rows_quarantined, report.rows_ignored, report.warnings))


def _failed(name: str, received: dt.datetime, exc: BaseException) -> FileReport:
    report = FileReport(name, None, "rejected", received_at=received, internal_error=True)
    message = f"加载“{name}”时发生内部错误（{type(exc).__name__}: {exc}），该文件未入库，请联系系统管理员"
    report.issues = [Issue(None, None, None, REJECT, message, "internal_error")]
    return report


def _load_one(writer: store.Writer, state: _State, prepared: _Prepared, validated: Validated | BaseException | None,
              received: dt.datetime, actor: str) -> FileReport:
    """One file in one transaction; `state` learns of the new version only once it is committed."""
    try:
        with writer.transaction() as con:
            report, rows, existing = _evaluate(state, prepared, validated, received, dry_run=False)
            load_id = next_load_id(con)
            submission_id = existing["submission_id"] if existing else None
            if rows is not None:
                submission_id = _insert_submission(con, report, rows, load_id)
            _audit(con, report, load_id, prepared.size, actor, submission_id)
    except (Exception, pl.exceptions.PanicException) as exc:  # a loader fault must not stop the batch
        report = _failed(prepared.name, received, exc)
        with writer.transaction() as con:
            _audit(con, report, next_load_id(con), None, actor, None)
        return report
    if rows is not None:
        state.record(report, submission_id, rows)
    return report


# --------------------------------------------------------------------------- the batch pipeline

def _size(item: _Item) -> int:
    if item.path is None:
        return len(item.data)
    try:
        return item.path.stat().st_size
    except OSError:
        return 0  # reported when the file is read


def _read_ahead(items: Sequence[_Item], state: _State,
                pool: ThreadPoolExecutor) -> Iterator[tuple[_Item, _Prepared]]:
    """Items in order with their prepared files; workers read up to READ_AHEAD_FILES / _BYTES ahead of the caller."""
    pending: deque[tuple[_Item, int, Future]] = deque()
    in_flight = 0
    for item in items:
        size = _size(item)
        while pending and (len(pending) >= READ_AHEAD_FILES or in_flight + size > READ_AHEAD_BYTES):
            done, done_size, future = pending.popleft()
            in_flight -= done_size
            yield done, future.result()
        pending.append((item, size, pool.submit(_prepare, item, state)))
        in_flight += size
    for done, _, future in pending:
        yield done, future.result()


def _batches(prepared: Iterable[tuple[_Item, _Prepared]]) -> Iterator[list[tuple[_Item, _Prepared]]]:
    """Consecutive files to validate together (up to BATCH_FILES files and BATCH_ROWS rows).

    A file whose unit's previous month is already in the batch starts the next batch: its month-to-month checks
    must see that file written first.
    """
    batch: list[tuple[_Item, _Prepared]] = []
    months: set[tuple[str, dt.date]] = set()
    rows = 0
    for item, p in prepared:
        height = p.raw.frame.height if p.raw is not None else 0
        follows = p.unit is not None and (p.unit.code, add_months(p.month, -1)) in months
        if batch and (follows or len(batch) == BATCH_FILES or rows + height > BATCH_ROWS):
            yield batch
            batch, months, rows = [], set(), 0
        batch.append((item, p))
        rows += height
        if p.unit is not None:
            months.add((p.unit.code, p.month))
    if batch:
        yield batch


def _progress_bar(total: int, enabled: bool) -> tqdm:
    """The load's progress bar on stderr (for PROGRESS_MIN_FILES files or more).

    tqdm fits the bar to the terminal; one that reports no size (a pseudo-terminal nobody sized) would hide it, so
    it gets 80 × 24.
    """
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError):  # not a terminal
        size = None
    shape = {"ncols": 80, "nrows": 24} if size is not None and 0 in size else {}
    return tqdm(total=total, desc="加载", unit="个文件", file=sys.stderr,
                disable=not enabled or total < PROGRESS_MIN_FILES, **shape)


def load_files(sources: Sequence[Source], *, warehouse=None, actor: str = "cli", received_at=None,
               manifest: str | os.PathLike | None = None, progress: bool = False) -> list[FileReport]:
    """Load files (paths, folders searched recursively, or (name, bytes) pairs); one transaction per file.

    Received time: the manifest's entry for the file, else `received_at`, else now. With a manifest, files load
    in the order they were received (so versions and month-to-month checks follow history). `progress` shows a
    progress bar on stderr.
    """
    default_received = parse_received_at(received_at) if received_at else None
    times = read_manifest(manifest) if manifest else {}
    items = _expand(sources)
    if times:
        items.sort(key=lambda it: times.get(it.name, dt.datetime.max))
    reports = []
    with store.open_writer(warehouse) as writer, ThreadPoolExecutor(READ_WORKERS) as pool, \
            _progress_bar(len(items), progress) as bar:
        state = _State(writer.con)
        writer.con.execute("SET threads = 1")  # a few small statements per file: more threads only add overhead
        try:
            for batch in _batches(_read_ahead(items, state, pool)):
                checked = _validate(state, [p for _, p in batch])
                for (item, prepared), validated in zip(batch, checked, strict=True):
                    received = times.get(item.name) or default_received or now_local()
                    reports.append(_load_one(writer, state, prepared, validated, received, actor))
                    bar.update()
        finally:
            writer.con.execute("RESET threads")  # the closing checkpoint may use them all
    return reports
