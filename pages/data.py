"""The pages' only door to data: cached calls keyed on the serving snapshot's identity.

Every query/analysis function takes a `warehouse.store.Snapshot` as its first argument. `load(fn, ...)` runs it on
the current snapshot and caches the result per snapshot file, so a new load shows up within one rerun, and no
session ever sees a half-written state (snapshots are immutable files).
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from warehouse import store


def current_snapshot() -> store.Snapshot | None:
    return store.current_snapshot()


@st.cache_data(show_spinner=False, max_entries=512)
def _run(fn_path: str, snapshot_path: str, args: tuple, kwargs: tuple) -> Any:
    module_name, _, fn_name = fn_path.rpartition(".")
    fn = getattr(importlib.import_module(module_name), fn_name)
    return fn(store.Snapshot(Path(snapshot_path)), *args, **dict(kwargs))


def load(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """fn(snapshot, *args, **kwargs) on the current snapshot, cached per snapshot. None when no data yet."""
    snap = current_snapshot()
    if snap is None:
        return None
    return _run(f"{fn.__module__}.{fn.__qualname__}", str(snap.path), args, tuple(sorted(kwargs.items())))


def snapshot_identity() -> str | None:
    snap = current_snapshot()
    return snap.identity if snap else None
