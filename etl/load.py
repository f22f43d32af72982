"""Loading monthly submissions into the warehouse (docs/CONTRACT.md §1 "Versions").

`load_files` holds the writer once for a batch and runs ONE transaction per file: a file is loaded whole or not at
all, and a crash mid-file leaves the warehouse as it was. `validate_file` is the same evaluation as a dry run
against the serving snapshot (the app's preview). Every attempt, including duplicates and rejected files, leaves a
`load_audit` row with the full report.

How a batch stays fast (a monthly file is a few hundred rows, so per-file overheads dominate): worker threads read,
hash and parse files ahead of the writer; what the warehouse knows (loaded hashes, latest versions, last month's
rows, 500强 lists) is read once per session and kept current as files commit (`etl.known.KnownState`); and consecutive files are
validated in one polars pass (`_batches`) — a file whose previous month is in the same batch starts a new one, so
month-to-month checks still see every earlier file in received order.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from tqdm import tqdm

from core import catalog, clock, reporting
from etl.audit import audit_report, next_load_id, write_audit
from etl.audit import insert_submission as _insert_submission  # a module global: tests stop a load mid-write here
from etl.isolate import read_isolated
from etl.known import KnownState
from etl.read import FileRejected, RawTable, check_size, read_table
from etl.received import deadline_for, parse_received_at, read_manifest
from etl.report import FileReport, Issue
from etl.validate import REJECT, Submission, Validated, file_identity, validate_batch
from warehouse import store

__all__ = ["FileReport", "Issue", "load_files", "validate_file", "parse_received_at", "deadline_for", "read_manifest",
           "write_audit", "next_load_id"]

Source = str | os.PathLike | tuple[str, bytes]
PROGRESS_MIN_FILES = 4
READ_WORKERS = 2                      # threads reading and parsing files while the writer validates and writes
READ_AHEAD_FILES = 32                 # files read ahead of the writer at most…
READ_AHEAD_BYTES = 64 * 1024 * 1024   # …and at most this many bytes of them
BATCH_FILES = 64                      # files validated in one pass at most…
BATCH_ROWS = 100_000                  # …and at most this many rows (a single larger file is its own batch)


# --------------------------------------------------------------------------- sources

@dataclass(frozen=True)
class _Item:
    name: str            # as reported: relative to the loaded folder, or the file's own name
    path: Path | None
    data: bytes | None
    isolate: bool = False  # parse in a memory-limited worker process (etl.isolate): uploads through the app


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")  # ~$x.xlsx: Excel's lock file of an open workbook


def _expand(sources: Iterable[Source], isolate: bool = False) -> list[_Item]:
    items = []
    for src in sources:
        if isinstance(src, tuple):
            items.append(_Item(src[0], None, src[1], isolate))
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


def _prepare(item: _Item, state: KnownState) -> _Prepared:
    """Read, hash, parse and identify one file; a file whose bytes are already loaded is not parsed."""
    try:
        return _read_and_identify(item, state)
    except (Exception, pl.exceptions.PanicException) as exc:
        return _Prepared(item.name, None, None, fault=exc)


def _read_and_identify(item: _Item, state: KnownState) -> _Prepared:
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
        prepared.raw = read_isolated(item.name, data) if item.isolate else read_table(item.name, data)
        prepared.unit, prepared.month = file_identity(prepared.raw)
    except FileRejected as exc:
        prepared.rejection = exc
    return prepared


def _validate(state: KnownState, batch: Sequence[_Prepared]) -> list[Validated | BaseException | None]:
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


def _evaluate(state: KnownState, prepared: _Prepared, validated: Validated | BaseException | None,
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


def validate_file(name: str, data: bytes, *, warehouse=None, received_at=None, isolate: bool = False) -> FileReport:
    """Dry run: what loading this file would do, checked against the serving snapshot. Writes nothing.

    `isolate`: parse in a memory-limited worker process (etl.isolate), as the app does for uploads."""
    received = parse_received_at(received_at) if received_at else clock.now_local()
    snapshot = store.current_snapshot(warehouse)
    con = store.open_snapshot(snapshot) if snapshot else None
    try:
        state = KnownState(con)
        prepared = _prepare(_Item(name, None, data, isolate), state)
        [validated] = _validate(state, [prepared])
        report, _, _ = _evaluate(state, prepared, validated, received, dry_run=True)
    finally:
        if con is not None:
            con.close()
    return report


# --------------------------------------------------------------------------- writing

def _failed(name: str, received: dt.datetime, exc: BaseException) -> FileReport:
    report = FileReport(name, None, "rejected", received_at=received, internal_error=True)
    message = f"加载“{name}”时发生内部错误（{type(exc).__name__}: {exc}），该文件未入库，请联系系统管理员"
    report.issues = [Issue(None, None, None, REJECT, message, "internal_error")]
    return report


def _load_one(writer: store.Writer, state: KnownState, prepared: _Prepared, validated: Validated | BaseException | None,
              received: dt.datetime, actor: str) -> FileReport:
    """One file in one transaction; `state` learns of the new version only once it is committed."""
    try:
        with writer.transaction() as con:
            report, rows, existing = _evaluate(state, prepared, validated, received, dry_run=False)
            load_id = next_load_id(con)
            submission_id = existing["submission_id"] if existing else None
            if rows is not None:
                submission_id = _insert_submission(con, report, rows, load_id)
            audit_report(con, report, load_id, prepared.size, actor, submission_id)
    except (Exception, pl.exceptions.PanicException) as exc:  # a loader fault must not stop the batch
        report = _failed(prepared.name, received, exc)
        with writer.transaction() as con:
            audit_report(con, report, next_load_id(con), None, actor, None)
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


def _read_ahead(items: Sequence[_Item], state: KnownState,
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
        follows = p.unit is not None and (p.unit.code, reporting.previous_report_month(p.month)) in months
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
               manifest: str | os.PathLike | None = None, progress: bool = False,
               isolate: bool = False) -> list[FileReport]:
    """Load files (paths, folders searched recursively, or (name, bytes) pairs); one transaction per file.

    Received time: the manifest's entry for the file, else `received_at`, else now. With a manifest, files load
    in the order they were received (so versions and month-to-month checks follow history). `progress` shows a
    progress bar on stderr. `isolate`: (name, bytes) sources are parsed in a memory-limited worker process.
    """
    default_received = parse_received_at(received_at) if received_at else None
    times = read_manifest(manifest) if manifest else {}
    items = _expand(sources, isolate)
    if times:
        items.sort(key=lambda it: times.get(it.name, dt.datetime.max))
    reports: list[FileReport] = []
    try:
        _load_items(items, times, default_received, warehouse, actor, progress, reports)
    except store.SnapshotNotPublished as exc:
        raise LoadNotPublished(reports, exc.message) from exc
    return reports


class LoadNotPublished(Exception):
    """Every file in `reports` is committed (or rejected) as reported, but readers do not see it yet: publishing the
    snapshot failed. `message` says so in Chinese and how to retry (no reload needed)."""

    def __init__(self, reports: list[FileReport], message: str):
        super().__init__(message)
        self.reports, self.message = reports, message


def _load_items(items: list[_Item], times: dict, default_received, warehouse, actor: str, progress: bool,
                reports: list[FileReport]) -> None:
    with store.open_writer(warehouse) as writer, ThreadPoolExecutor(READ_WORKERS) as pool, \
            _progress_bar(len(items), progress) as bar:
        state = KnownState(writer.con)
        writer.con.execute("SET threads = 1")  # a few small statements per file: more threads only add overhead
        try:
            for batch in _batches(_read_ahead(items, state, pool)):
                checked = _validate(state, [p for _, p in batch])
                for (item, prepared), validated in zip(batch, checked, strict=True):
                    received = times.get(item.name) or default_received or clock.now_local()
                    reports.append(_load_one(writer, state, prepared, validated, received, actor))
                    bar.update()
        finally:
            writer.con.execute("RESET threads")  # the closing checkpoint may use them all
