"""What the pages need, computed once per snapshot after it is published, not on a leader's first visit (issue 11 §5).

    python -m analytics precompute [--warehouse W]

`run(snapshot)` computes the results the pages ask for by default on that snapshot — the ranking of the latest
complete and the current quarter with the rank history of the past quarters, the 总览, the targets pages' project
states and province progress, the quarter's risk scores, the newest publication's bulletin files — and stores each one beside the snapshot, in
`<warehouse>.snapshots/precomputed/<snapshot identity>/<key>.pkl`, every file written to a temporary name and renamed
into place (a reader sees a whole file or none). `lookup(snapshot, fn, args, kwargs)` is what pages/data.py asks
before computing: the stored value when present and readable, else MISSING (the page computes, as before).

A result is keyed by the function's dotted name and its bound arguments with their defaults filled in, so
`rank_quarter(q)` and `rank_quarter(q, group_id=None)` are the same key. Past quarters' rank histories are also kept
across snapshots under `precomputed/quarters/<digest>.pkl`, where the digest covers everything a past quarter's
ranking reads: the submission versions up to the quarter's end, the verification findings, the 500强 lists, the
indicator config file and the ranking code; a new month's load thus leaves every past quarter's digest unchanged.

The writer (warehouse/store.py) never imports this module. `start_background(warehouse)` starts this command as a
detached process; the callers that write (the app's upload, `python -m analytics publish`) call it after their write,
and the serving process also starts it when it sees a snapshot without results (pages/data.py), which covers writes
made by `python -m etl` and any other writer without the writer knowing of analytics. Files are the owner's only
(0700 folder, as the snapshots), since they are unpickled by the server.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import inspect
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import polars as pl

from analytics import overview
from analytics.publication import archive, bulletin
from analytics.ranking import attribution, composite, history
from analytics.ranking.indicator_config import load_indicator_config
from analytics.ranking.indicators import compute_indicator_values
from analytics.ranking.normalise import RankingError
from analytics.targets import doubling, lifecycle, province
from analytics.verification import sampling
from core import clock, periods
from warehouse import store
from warehouse.queries import ranking as ranking_queries
from warehouse.queries import submissions as submission_queries
from warehouse.store import Snapshot

MISSING = object()
DONE = "COMPLETE"  # written last: the whole set for this snapshot is there (the watcher's signal, not the readers')
ROOT = Path(__file__).resolve().parent.parent
RANKING_CODE = ("analytics/ranking", "warehouse/queries/ranking.py")


# --------------------------------------------------------------------------- where results live

def results_dir(snapshot: Snapshot) -> Path:
    return snapshot.path.parent / "precomputed" / snapshot.path.stem


def _quarters_dir(snapshot: Snapshot) -> Path:
    return snapshot.path.parent / "precomputed" / "quarters"


def fn_path(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def key(fn: Callable, args: tuple, kwargs: dict) -> str:
    """The file stem of fn(snapshot, *args, **kwargs): its name and its bound arguments, defaults filled in."""
    bound = inspect.signature(fn).bind(None, *args, **kwargs)
    bound.apply_defaults()
    items = list(bound.arguments.items())[1:]  # without the snapshot
    text = fn_path(fn) + "(" + ", ".join(f"{k}={v!r}" for k, v in items) + ")"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".pkl")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read(path: Path) -> Any:
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except FileNotFoundError:
        return MISSING
    except Exception:  # noqa: BLE001 - a damaged or foreign file is as good as none: the page computes
        return MISSING


def lookup(snapshot: Snapshot, fn: Callable, args: tuple = (), kwargs: dict | None = None) -> Any:
    """The precomputed fn(snapshot, *args, **kwargs), or MISSING."""
    try:
        k = key(fn, args, kwargs or {})
    except TypeError:
        return MISSING
    return _read(results_dir(snapshot) / f"{k}.pkl")


def store_result(snapshot: Snapshot, fn: Callable, args: tuple, kwargs: dict, value: Any) -> None:
    _write(results_dir(snapshot) / f"{key(fn, args, kwargs)}.pkl", value)


def is_complete(snapshot: Snapshot) -> bool:
    return (results_dir(snapshot) / DONE).exists()


# --------------------------------------------------------------------------- past quarters by the digest of inputs

def _code_digest() -> str:
    h = hashlib.sha256()
    for part in RANKING_CODE:
        p = ROOT / part
        for f in sorted(p.rglob("*.py")) if p.is_dir() else [p]:
            h.update(f.read_bytes())
    return h.hexdigest()


def quarter_digest(con, quarter: str, config, group_id: str | None, weight_scheme: str) -> str:
    """Digest of everything `quarter`'s ranking reads (see the module text)."""
    end = periods.quarter_months(quarter)[-1]
    h = hashlib.sha256(f"{quarter}|{group_id}|{weight_scheme}|{config.sha256}|{_code_digest()}".encode())
    for sql, params in (
        ("SELECT md5(coalesce(string_agg(CAST(s AS VARCHAR), '|' ORDER BY submission_id), '')) "
         "FROM submission_versions s WHERE month <= ?", [end]),
        ("SELECT md5(coalesce(string_agg(CAST(f AS VARCHAR), '|' ORDER BY CAST(f AS VARCHAR)), '')) "
         "FROM mart_verification_findings f", []),
        ("SELECT md5(coalesce(string_agg(CAST(l AS VARCHAR), '|' ORDER BY CAST(l AS VARCHAR)), '')) "
         "FROM five_hundred_list l", []),
    ):
        cur = con.cursor()  # its own cursor: the session may hold an unfinished result
        try:
            h.update(str(cur.execute(sql, params).fetchone()[0]).encode())
        finally:
            cur.close()
    return h.hexdigest()


def rank_history(snapshot: Snapshot, quarter: str, group_id: str | None = None, weight_scheme: str = "expert",
                 quarters: int = 8) -> pl.DataFrame:
    """`history.rank_history` with each past quarter's rows read from, or added to, the digest cache."""
    config = load_indicator_config()
    frames = []
    with store.session(snapshot) as con:
        for q in history.history_quarters(quarter, ranking_queries.first_month(con), quarters):
            path = _quarters_dir(snapshot) / f"{quarter_digest(con, q, config, group_id, weight_scheme)}.pkl"
            rows = _read(path) if q != quarter else MISSING
            if rows is MISSING:
                values = compute_indicator_values(snapshot, q, config, group_id, con=con)
                try:
                    table = composite.rank_values(values, config, weight_scheme).table
                    rows = table.select(pl.lit(q).alias("quarter"),
                                        *[c for c in history.HISTORY_SCHEMA if c != "quarter"])
                except RankingError:
                    rows = None
                if q != quarter:
                    _write(path, rows)
            if rows is not None:
                frames.append(rows)
    return pl.concat(frames) if frames else pl.DataFrame(schema=history.HISTORY_SCHEMA)


# --------------------------------------------------------------------------- the jobs

def jobs(snapshot: Snapshot, today: dt.date) -> Iterator[tuple[Callable, tuple, dict, Callable | None]]:
    """(fn, args, kwargs, how) for every default view of the pages; `how` computes it when not fn itself."""
    months = submission_queries.months_with_data(snapshot)
    yield submission_queries.data_freshness, (), {}, None
    yield submission_queries.months_with_data, (), {}, None
    first = ranking_queries.first_month(snapshot)
    yield ranking_queries.first_month, (), {}, None
    if not months:
        return
    current = periods.quarter_of(months[-1])  # the sidebar's default quarter (app.py)
    as_of = months[-1]  # the 截至月份 pickers' default: the newest month of that quarter
    group = load_indicator_config().groups[0].id
    complete = history.latest_complete_quarter(current, today, first)
    for q in dict.fromkeys(x for x in (complete, current) if x):
        for scheme in composite.WEIGHT_SCHEMES:  # 实时排名 shows the alternatives beside the expert weights
            yield composite.rank_quarter, (q,), {"group_id": group, "weight_scheme": scheme}, None
        yield attribution.attribute_quarter, (q,), {"group_id": group, "weight_scheme": "expert"}, None
        yield history.rank_history, (q,), {"group_id": group, "weight_scheme": "expert"}, \
            lambda s, q=q: rank_history(s, q, group_id=group)
        yield sampling.quarter_risk, (q,), {}, None
    yield overview.leader_overview, (today,), {}, None
    yield province.province_progress, (as_of,), {}, None
    yield lifecycle.lifecycle_overview, (as_of,), {}, None
    yield doubling.major_overview, (as_of,), {}, None
    # The newest current publication's bulletin files, for a download that reads instead of builds (its page has to
    # ask through data.load(bulletin.publication_export, ...) to get them; see the report of issue 11 §5).
    pubs = archive.publication_list(snapshot)
    yield archive.publication_list, (), {}, None
    current = pubs.filter(pl.col("is_current"))["publication_id"].to_list()[:1] if not pubs.is_empty() else []
    for pid in current:
        for fmt in ("xlsx", "html", "pdf"):
            yield bulletin.publication_export, (pid, fmt), {}, None


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[bool]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


def run(snapshot: Snapshot, today: dt.date | None = None, log=None) -> dict[str, float]:
    """Compute and store every job for `snapshot` (skipped when another process is doing it); seconds per job.

    A job that fails is left out (its page computes and shows its own notice), the others go on."""
    today = today or clock.today()
    out: dict[str, float] = {}
    with _exclusive(results_dir(snapshot).parent / f".{snapshot.path.stem}.lock") as mine:
        if not mine or is_complete(snapshot):
            return out
        for fn, args, kwargs, how in jobs(snapshot, today):
            t = time.perf_counter()
            name = f"{fn_path(fn)}{args!r}{kwargs!r}"
            try:
                value = how(snapshot) if how else fn(snapshot, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - one failing view must not stop the others
                if log:
                    log(f"{name}: {type(exc).__name__}: {exc}")
                continue
            store_result(snapshot, fn, args, kwargs, value)
            out[name] = time.perf_counter() - t
        (results_dir(snapshot) / DONE).write_text(clock.now_local().isoformat())
    prune(snapshot)
    return out


def run_current(warehouse: str | os.PathLike | None = None, log=None) -> tuple[list[Snapshot], dict[str, float]]:
    """Precompute the current snapshot, one process at a time per warehouse: a start while another is running
    returns at once, and the running one goes on with whatever snapshot is current when it has finished (a burst of
    loads at month-end thus costs one background process, not one per load, and stale snapshots are skipped)."""
    path = store.warehouse_path(warehouse)
    base = path.with_name(path.stem + ".snapshots") / "precomputed"
    done: list[Snapshot] = []
    seconds: dict[str, float] = {}
    while True:
        with _exclusive(base / ".running.lock") as mine:
            if not mine:
                return done, seconds
            while (snap := store.current_snapshot(path)) is not None and not is_complete(snap):
                if snap in done:  # another process holds this snapshot's own lock (e.g. a direct `run`)
                    return done, seconds
                seconds.update(run(snap, log=log))
                done.append(snap)
        snap = store.current_snapshot(path)  # published between the last check and the release: go on with it
        if snap is None or is_complete(snap) or snap in done:
            return done, seconds


def prune(snapshot: Snapshot) -> None:
    """Remove the results of snapshots that no longer exist (the writer prunes old snapshots)."""
    base = results_dir(snapshot).parent
    for d in base.iterdir():
        if d.is_dir() and d.name != "quarters" and not (snapshot.path.parent / f"{d.name}.duckdb").exists():
            shutil.rmtree(d, ignore_errors=True)
            with contextlib.suppress(OSError):
                (base / f".{d.name}.lock").unlink()


def enabled() -> bool:
    return os.environ.get("DASHBOARD_PRECOMPUTE", "on").lower() not in ("0", "off", "no", "false")


def start_background(warehouse: str | os.PathLike | None = None) -> subprocess.Popen | None:
    """Start `python -m analytics precompute --warehouse W` detached (it outlives the caller; returns at once)."""
    if not enabled():
        return None
    path = store.warehouse_path(warehouse)
    log_dir = path.with_name(path.stem + ".snapshots") / "precomputed"
    log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(log_dir / "precompute.log", "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "analytics", "precompute", "--warehouse", str(path)],
                                cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
