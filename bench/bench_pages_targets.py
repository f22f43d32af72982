"""Benchmark of the targets pages (目标进度, 重大项目与三个500强, 项目全周期) rendered with AppTest on ~1,000,000
project-month rows.

    .venv/bin/python bench/bench_pages_targets.py [--rows 1000000] [--keep DIR] [--warm 5]

The warehouse is synthesised with `common.synthesise` (15 units × 46 months, 2023-01 .. 2026-10). Each page
is measured in a fresh process, logged in as an admin with the sidebar's quarter set to the latest one: first = the
process's very first render (one-time warm-up of Streamlit, plotly and DuckDB included), cold = a render with the data
caches cleared (what a running server does after a new snapshot), warm = the median of the next renders (data cached
per snapshot); then cold and warm for one drill-down on the page. Every figure is split into the time spent in queries (opening the
snapshot, running SQL, fetching frames) and the rest (analytics in Python, building the page, AppTest).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from common import QueryClock, RenderTimer, bench_warehouse  # noqa: E402

from warehouse import store  # noqa: E402

PAGES = {
    "targets": ("pages/targets.py", ("targets_funds_unit", "")),                  # drill: 全省 YTD projects
    "major_projects": ("pages/major_projects.py", ("major_drill_scope", "unit:620100")),
    "lifecycle": ("pages/lifecycle.py", ("lc_drill_stage", "stalled")),
}


def measure(path: Path, page: str, warm_runs: int) -> dict:
    """In this (fresh) process: render `page` cold, then warm; then one drill-down cold and warm."""
    os.environ["WAREHOUSE"] = str(path)
    import plotly.graph_objects  # noqa: F401

    import analytics.targets.doubling  # noqa: F401
    import analytics.targets.lifecycle  # noqa: F401  (imported before timing: cold means no cached data, not no modules)
    import analytics.targets.province  # noqa: F401
    from core import periods
    from tests.apptest_support import app_as, clear_caches, ensure_users

    clock = QueryClock((store, "open_snapshot"), (store, "frame"))


    ensure_users(path)
    latest = store.frame(store.current_snapshot(path), "SELECT max(month) AS m FROM current_submission")["m"][0]
    file, (drill_key, drill_value) = PAGES[page]
    at = app_as("admin", path, file, timeout=300)
    at.session_state["quarter"] = periods.quarter_of(latest)

    timer = RenderTimer(at, clock, warm_runs)
    render, series = timer.render, timer.series

    first = render()          # the process's first render: Streamlit, plotly and DuckDB warm up once
    clear_caches()            # what a new snapshot means for a running server: no cached data
    page_times = series()
    drill_times = series(lambda: at.selectbox(key=drill_key).set_value(drill_value))
    return {"page": page, "first": first, "render": page_times, "drill": drill_times}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", help="build the warehouse in this directory and keep it (reused if present)")
    ap.add_argument("--warm", type=int, default=5, help="warm renders per page (median reported)")
    ap.add_argument("--measure", choices=PAGES, help=argparse.SUPPRESS)
    ap.add_argument("--warehouse", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:  # child process: one page, printed as JSON
        print(json.dumps(measure(Path(args.warehouse), args.measure, args.warm)))
        return
    path = bench_warehouse(args.keep, args.rows, "bench-pages-targets-")
    rows = store.frame(store.current_snapshot(path), "SELECT count(*) AS n FROM project_rows")["n"][0]
    print(f"warehouse: {rows:,} project-month rows; AppTest renders as admin, seconds (first = first render in a "
          f"fresh process, cold = data caches cleared, warm = median of {args.warm}); queries = connect + SQL + fetch")
    print(f"{'page':<16} {'what':<7} {'cold total':>10} {'queries':>8} {'rest':>7}   {'warm total':>10} {'queries':>8} "
          f"{'rest':>7}")
    env = {**os.environ, "DASHBOARD_TODAY": "2026-11-27"}
    for page in PAGES:
        out = subprocess.run([sys.executable, __file__, "--measure", page, "--warehouse", str(path),
                              "--warm", str(args.warm)], capture_output=True, text=True, env=env, cwd=ROOT)
        if out.returncode:
            print(f"{page}: failed\n{out.stderr[-2000:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        ft, fq = r["first"]
        print(f"{page:<16} {'first':<7} {ft:>10.3f} {fq:>8.3f} {ft - fq:>7.3f}")
        for what in ("render", "drill"):
            (ct, cq), (wt, wq) = r[what]["cold"], r[what]["warm"]
            print(f"{page:<16} {what:<7} {ct:>10.3f} {cq:>8.3f} {ct - cq:>7.3f}   {wt:>10.3f} {wq:>8.3f} {wt - wq:>7.3f}")
    if not args.keep:
        shutil.rmtree(path.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
