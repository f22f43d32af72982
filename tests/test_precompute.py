"""analytics/precompute.py: the precomputed results equal the computed ones; pages read them when present and compute
when they are missing or damaged (on the hand-made warehouse of tests/test_pages_ranking.py)."""
from __future__ import annotations

import dataclasses
import functools
import math
import shutil

import polars as pl
import pytest
from test_pages_ranking import (  # noqa: F401 - `built` and `wh` are the shared warehouse fixtures
    LIVE,
    TODAY,
    _fill,
    built,
    wh,
)

from analytics import overview, precompute
from analytics.ranking import composite, history
from core import clock
from tests.apptest_support import app_as, clear_caches, shown_text
from warehouse import store

OVERVIEW, TARGETS = "pages/overview.py", "pages/targets.py"


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_caches()
    yield
    clear_caches()


def same(a, b) -> bool:
    if isinstance(a, pl.DataFrame):
        return isinstance(b, pl.DataFrame) and a.equals(b)
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(same(getattr(a, f.name), getattr(b, f.name))
                                          for f in dataclasses.fields(a))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def test_precomputed_results_equal_the_computed_ones(wh):
    snap = store.current_snapshot(wh)
    failed = []
    done = precompute.run(snap, log=failed.append)
    jobs = list(precompute.jobs(snap, clock.today()))
    assert len(done) + len(failed) == len(jobs) and precompute.is_complete(snap)
    assert all("quarter_risk" in f for f in failed), failed  # no labels yet for 2025Q3: the page says so itself
    names = {precompute.fn_path(fn) for fn, *_ in jobs}
    assert {"analytics.ranking.composite.rank_quarter", "analytics.ranking.history.rank_history",
            "analytics.overview.leader_overview", "analytics.targets.province.province_progress",
            "analytics.targets.lifecycle.lifecycle_overview", "analytics.verification.sampling.quarter_risk"} <= names
    for fn, args, kwargs, _ in jobs:
        stored = precompute.lookup(snap, fn, args, kwargs)
        if stored is precompute.MISSING:
            with pytest.raises(ValueError):
                fn(snap, *args, **kwargs)
            continue
        assert same(stored, fn(snap, *args, **kwargs)), precompute.fn_path(fn)
    # the key binds arguments: positional, keyword and defaults name the same result
    k = precompute.key
    assert k(composite.rank_quarter, ("2025Q3",), {"group_id": None}) == k(composite.rank_quarter, ("2025Q3",), {})
    assert k(composite.rank_quarter, (), {"quarter": "2025Q3"}) == k(composite.rank_quarter, ("2025Q3",), {})
    assert k(composite.rank_quarter, ("2025Q3",), {}) != k(composite.rank_quarter, ("2025Q2",), {})


def test_past_quarters_come_from_the_digest_cache_and_equal_the_recomputed_history(wh, monkeypatch):
    snap = store.current_snapshot(wh)
    first = precompute.rank_history(snap, "2025Q3")
    cached = sorted((wh.with_name(wh.stem + ".snapshots") / "precomputed" / "quarters").glob("*.pkl"))
    assert len(cached) == first["quarter"].n_unique() - 1  # every past quarter, not the current one
    assert first.equals(history.rank_history(snap, "2025Q3"))
    calls = []
    real = precompute.compute_indicator_values
    monkeypatch.setattr(precompute, "compute_indicator_values", lambda s, q, *a, **k: calls.append(q) or real(s, q, *a, **k))
    assert precompute.rank_history(snap, "2025Q3").equals(first)
    assert calls == ["2025Q3"]  # the past quarters were read


def _forbid(monkeypatch, module, name):
    """Replace module.name by a function with the same identity that fails when called; returns its call list."""
    real, calls = getattr(module, name), []

    @functools.wraps(real)
    def forbidden(*args, **kwargs):
        calls.append(args[1:])
        return real(*args, **kwargs)
    monkeypatch.setattr(module, name, forbidden)
    return calls


def _page(wh, page):
    at = app_as("admin", wh, page)
    at.session_state["quarter"] = "2025Q3"  # the app shell's sidebar picker (its default: the newest quarter)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", [LIVE, OVERVIEW])
def test_a_page_reads_the_precomputed_result_when_it_is_there(wh, monkeypatch, page):
    precompute.run(store.current_snapshot(wh))
    ranked = _forbid(monkeypatch, composite, "rank_quarter")
    led = _forbid(monkeypatch, overview, "leader_overview")
    at = _page(wh, page)
    assert ranked == [] and led == []
    assert "综合排名" in shown_text(at) if page == LIVE else at.metric


def test_a_missing_or_damaged_result_is_computed(wh, monkeypatch):
    snap = store.current_snapshot(wh)
    precompute.run(snap)
    for fn, args, kwargs, _ in precompute.jobs(snap, clock.today()):
        if fn is composite.rank_quarter:
            path = precompute.results_dir(snap) / f"{precompute.key(fn, args, kwargs)}.pkl"
            path.write_bytes(path.read_bytes()[:40])  # half a file
    (precompute.results_dir(snap) / f"{precompute.key(overview.leader_overview, (clock.today(),), {})}.pkl").unlink()
    ranked = _forbid(monkeypatch, composite, "rank_quarter")
    _page(wh, LIVE)
    assert ranked  # computed, and the page showed it without a fault
    clear_caches()
    led = _forbid(monkeypatch, overview, "leader_overview")
    _page(wh, OVERVIEW)
    assert led


def test_without_any_results_every_page_computes_as_before(wh):
    snap = store.current_snapshot(wh)
    assert not precompute.results_dir(snap).exists()
    _page(wh, TARGETS)
    assert not precompute.results_dir(snap).exists()  # reading never writes results


def test_the_command_and_the_background_start(wh, monkeypatch, capsys):
    from analytics import cli

    snap = store.current_snapshot(wh)
    assert cli.main(["precompute", "--warehouse", str(wh), "--json"]) == 0
    assert '"results"' in capsys.readouterr().out and precompute.is_complete(snap)
    monkeypatch.setenv("DASHBOARD_PRECOMPUTE", "off")
    assert precompute.start_background(wh) is None  # switched off (as in the test suite)
    shutil.rmtree(precompute.results_dir(snap))
    monkeypatch.setenv("DASHBOARD_PRECOMPUTE", "on")
    process = precompute.start_background(wh)  # detached: returns at once; we wait on it only to check its work
    assert process.wait(timeout=300) == 0
    assert precompute.is_complete(snap)


def test_one_background_run_at_a_time_and_only_the_current_snapshot(wh):
    store.publish_now(wh)  # two loads in a row: the first snapshot is stale before anyone computes it
    stale = store.current_snapshot(wh)
    store.publish_now(wh)
    current = store.current_snapshot(wh)
    base = precompute.results_dir(current).parent
    with precompute._exclusive(base / ".running.lock"):  # another process is running: a second start returns
        assert precompute.run_current(wh) == ([], {})
    done, results = precompute.run_current(wh)
    assert done == [current] and results and precompute.is_complete(current)
    assert not precompute.is_complete(stale)
    assert precompute.run_current(wh) == ([], {})  # nothing left to do


def test_the_server_starts_the_precomputation_of_a_snapshot_another_writer_made(wh, monkeypatch):
    import time

    monkeypatch.setenv("DASHBOARD_PRECOMPUTE", "on")
    _page(wh, OVERVIEW)  # the server's first run starts its watcher
    store.publish_now(wh)  # e.g. `python -m etl load` in another process
    snap = store.current_snapshot(wh)
    deadline = time.monotonic() + 300
    while not precompute.is_complete(snap):  # wait on the condition (the background process's DONE file)
        assert time.monotonic() < deadline, "no precomputation within 5 minutes"
        time.sleep(0.2)
