"""No waiting (issue 11 §5): first render after a new load, with and without the precomputation, and warm renders.

    .venv/bin/python bench/bench_precompute.py [--rows 1000000] [--warm 3] [--keep DIR]

On the synthetic warehouse of `common.bench_warehouse` (one quarter published, so the bulletin has something to
export), for each of 实时排名, 目标进度 and 总览 and for each way:

- without: a new snapshot is published (as after a load) and the page is opened in a fresh process (cold caches;
  the modules a running server has long imported are imported before the clock starts, their time printed apart) — every analysis is computed on the visit, as before issue 11 §5;
- with: the same, but `python -m analytics precompute` has run on the new snapshot before the visit.

Each child process prints its first render and the median of `--warm` further renders (AppTest, as 管理员). Also
printed: the time the precomputation takes per snapshot, what starting it costs a writer (the detached start
returns at once), and the bulletin download after publication — built on the click (today's page) against read
from the precomputed files.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DASHBOARD_TODAY", "2026-11-27")
os.environ["DASHBOARD_PRECOMPUTE"] = "off"  # no watcher or background start inside the measured processes

from common import bench_warehouse  # noqa: E402  (same folder)

from analytics import precompute  # noqa: E402
from analytics.publication import bulletin  # noqa: E402
from analytics.publication.archive import publish  # noqa: E402
from analytics.ranking.composite import rank_quarter  # noqa: E402
from analytics.ranking.indicator_config import load_indicator_config  # noqa: E402
from warehouse import store  # noqa: E402
from warehouse.queries import ranking as queries  # noqa: E402

PAGES = {"实时排名": "pages/ranking_live.py", "目标进度": "pages/targets.py", "总览": "pages/overview.py"}
QUARTER = "2026Q3"
PRELOADED = ("plotly.graph_objects", "plotly.express", "analytics.overview", "analytics.ranking.charts",
             "analytics.ranking.explain", "analytics.ranking.attribution", "analytics.publication.workbook",
             "analytics.targets.province", "analytics.targets.unit_tasks", "pages.widgets", "pages.screen")


def child(page: str, warehouse: str, warm: int) -> None:
    """In a fresh process: the page's first render, then the median of `warm` renders."""
    import importlib
    t = time.perf_counter()
    for module in PRELOADED:  # what a running server has imported long before a new load
        importlib.import_module(module)
    imports = time.perf_counter() - t
    from core import periods
    from tests.apptest_support import app_as
    from warehouse.queries import submissions
    at = app_as("admin", warehouse, page, timeout=900)
    # the sidebar's default quarter, as app.py sets it (the newest quarter with data)
    at.session_state["quarter"] = periods.quarter_of(submissions.months_with_data(store.current_snapshot(warehouse))[-1])
    times = []
    for _ in range(1 + warm):
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
        if at.exception:
            raise SystemExit(f"page failed: {at.exception[0].value}")
    print(json.dumps({"first": times[0], "warm": statistics.median(times[1:]), "imports": imports}))


def visit(page: str, path: Path, warm: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", page, "--warehouse", str(path), "--warm", str(warm)],
                         cwd=ROOT, capture_output=True, text=True, env={**os.environ, "WAREHOUSE": str(path)})
    if out.returncode:
        raise SystemExit(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def new_load(path: Path) -> store.Snapshot:
    """A new serving snapshot, as every load makes one (same data: what is measured is the cold start)."""
    store.publish_now(path)
    return store.current_snapshot(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--warm", type=int, default=3)
    ap.add_argument("--keep", help="build the warehouse in this directory and keep it (reused if present)")
    ap.add_argument("--child")
    ap.add_argument("--warehouse")
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.warehouse, args.warm)

    path = bench_warehouse(args.keep, args.rows, "bench-precompute-")
    os.environ["WAREHOUSE"] = str(path)
    if queries.publications(store.current_snapshot(path), QUARTER).is_empty():
        config = load_indicator_config()
        publish(path, rank_quarter(store.current_snapshot(path), QUARTER, config), config, by="bench",
                incomplete_reason="基准测试")
    rows = store.frame(store.current_snapshot(path), "SELECT count(*) AS n FROM fact_project_month")["n"][0]
    print(f"{rows:,} project-month rows; today {os.environ['DASHBOARD_TODAY']}; warm = median of {args.warm} renders;"
          f" {os.cpu_count()} CPUs shared")

    t = time.perf_counter()
    started = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True, stdin=subprocess.DEVNULL)
    spawn = time.perf_counter() - t
    started.wait()
    print(f"a writer's extra wait for the detached start: {spawn * 1000:.1f} ms")

    print(f"\n{'page':<8} {'first, without':>15} {'first, with':>12} {'warm, without':>14} {'warm, with':>11}")
    precompute_s = []
    for title, page in PAGES.items():
        new_load(path)
        without = visit(page, path, args.warm)
        snap = new_load(path)
        t = time.perf_counter()
        precompute.run(snap)
        precompute_s.append(time.perf_counter() - t)
        with_ = visit(page, path, args.warm)
        print(f"{title:<8} {without['first']:>15.3f} {with_['first']:>12.3f} {without['warm']:>14.3f}"
              f" {with_['warm']:>11.3f}   (imports before the clock: {with_['imports']:.1f} s)")
    print("\nprecomputation per snapshot (in the background, after the snapshot is published): "
          + ", ".join(f"{s:.1f} s" for s in precompute_s))

    snap = store.current_snapshot(path)
    pid = queries.publications(snap, QUARTER)["publication_id"][0]
    print(f"\nbulletin download after publication ({pid})")
    print(f"{'format':<6} {'built on click (s)':>19} {'read precomputed (s)':>21}")
    for fmt in ("xlsx", "html", "pdf"):
        t = time.perf_counter()
        built = bulletin.publication_export(snap, pid, fmt)
        build_s = time.perf_counter() - t
        t = time.perf_counter()
        read = precompute.lookup(snap, bulletin.publication_export, (pid, fmt))
        read_s = time.perf_counter() - t
        note = "" if read is not precompute.MISSING and len(read) > 0 and len(built) > 0 else "  (not precomputed)"
        print(f"{fmt:<6} {build_s:>19.3f} {read_s:>21.4f}{note}")


if __name__ == "__main__":
    main()
