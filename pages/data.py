"""The pages' only door to data: cached calls keyed on the serving snapshot's identity.

Every query/analysis function takes a `warehouse.store.Snapshot` as its first argument. `load(fn, ...)` runs it on
the current snapshot and caches the result per snapshot file, so a new load shows up within one rerun, and no
session ever sees a half-written state (snapshots are immutable files).

A result precomputed for the snapshot after it was published (analytics/precompute.py) is read instead of computed;
without one (not yet there, damaged, or a view nobody precomputes) the page computes it as before. The first run of
the server starts a watcher that launches the precomputation for every new snapshot, whoever wrote it.

`guarded(what, fn, ...)` is `load` for one part of a page: if it fails, the part is replaced by a Chinese notice
naming `what` and an incident id (the trace goes to the server log, never to the browser) and the page goes on.
"""
from __future__ import annotations

import datetime as dt
import importlib
import logging
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from analytics import precompute
from core import clock
from core.periods import month_label
from warehouse import store
from warehouse.queries import submissions as submission_queries

LOG = logging.getLogger("dashboard.incident")
FAILED = object()  # what `guarded` returns when the part could not be computed


def current_snapshot() -> store.Snapshot | None:
    return store.current_snapshot()


@st.cache_data(show_spinner=False, max_entries=512)
def _run(fn_path: str, snapshot_path: str, args: tuple, kwargs: tuple) -> Any:
    module_name, _, fn_name = fn_path.rpartition(".")
    fn = getattr(importlib.import_module(module_name), fn_name)
    snapshot = store.Snapshot(Path(snapshot_path))
    found = precompute.lookup(snapshot, fn, args, dict(kwargs))
    if found is not precompute.MISSING:
        return found
    return fn(snapshot, *args, **dict(kwargs))


WATCH_SECONDS = 2.0


@st.cache_resource(show_spinner=False)
def _watcher(warehouse: str) -> threading.Thread:
    """One thread per server process and warehouse: start the precomputation of each new snapshot that has none."""
    def watch() -> None:
        seen = None
        while True:
            try:
                snap = store.current_snapshot(warehouse)
                if snap is not None and snap.path != seen:
                    seen = snap.path
                    if not precompute.is_complete(snap):
                        precompute.start_background(warehouse)
            except Exception as exc:  # noqa: BLE001 - the watcher must outlive a passing fault (e.g. a full disk)
                LOG.warning("precompute watcher: %s", exc)
            time.sleep(WATCH_SECONDS)
    thread = threading.Thread(target=watch, name="precompute-watcher", daemon=True)
    thread.start()
    return thread


def precompute_now() -> None:
    """After a write from the app: start the precomputation for the new snapshot now (detached; returns at once)."""
    try:
        precompute.start_background(store.warehouse_path())
    except OSError as exc:  # the pages then compute on first visit, as before
        LOG.warning("precompute not started: %s", exc)


def load(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn(snapshot, *args, **kwargs) on the current snapshot, cached per snapshot. None when no data yet."""
    if precompute.enabled():
        _watcher(str(store.warehouse_path()))
    snap = current_snapshot()
    if snap is None:
        return None
    return _run(f"{fn.__module__}.{fn.__qualname__}", str(snap.path), args, tuple(sorted(kwargs.items())))


def snapshot_identity() -> str | None:
    snap = current_snapshot()
    return snap.identity if snap else None


def incident(what: str, exc: BaseException) -> str:
    """Log `exc` with a new incident id and show a Chinese notice naming `what`; returns the id."""
    incident_id = f"{clock.now_local():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    LOG.error("incident %s: %s could not be computed", incident_id, what, exc_info=exc)
    st.error(f"{what}暂时无法计算（事件编号 {incident_id}），页面其余内容不受影响。请将事件编号告知系统管理员，"
             f"技术细节已记入服务器日志。")
    return incident_id


def guarded(what: str, fn: Callable[..., Any], *args: Any, expected: tuple[type[Exception], ...] = (),
            **kwargs: Any) -> Any:
    """`load(fn, ...)`, or FAILED after an `incident` notice (exceptions in `expected` are the caller's to show)."""
    try:
        return load(fn, *args, **kwargs)
    except expected:
        raise
    except Exception as exc:  # noqa: BLE001 - any fault of one part must not take the page down
        incident(what, exc)
        return FAILED


def name_failing_unit_months(first_month: dt.date, last_month: dt.date) -> None:
    """After a failed whole-period figure: say which unit-months' data cannot be read, if that is the cause."""
    snap = current_snapshot()
    if snap is None:
        return
    try:
        failing = submission_queries.failing_unit_months(snap, first_month, last_month)
    except Exception as exc:  # noqa: BLE001 - the diagnosis itself must not take the page down either
        LOG.error("diagnosis of failing unit-months failed", exc_info=exc)
        return
    if failing:
        st.warning("以下单位月份的数据无法计算，相关结果暂缺，请核对其报送数据："
                   + "、".join(f"{name}{month_label(m)}" for name, m in failing))
