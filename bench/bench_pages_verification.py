"""Benchmark of the 抽样核查 page rendered with AppTest on ~1,000,000 project-month rows.

    .venv/bin/python bench/bench_pages_verification.py [--rows 1000000] [--keep DIR] [--warm 5] [--quarter Q]

The warehouse is synthesised with `common.synthesise` (15 units × 46 months, 2023-01 .. 2026-10). In a fresh
process, logged in as an admin with the sidebar's quarter set to the latest one (or --quarter): first = the process's
very first render (one-time warm-up of Streamlit, plotly, scikit-learn and DuckDB included), cold = a render with the
data caches cleared (what a running server does after a new snapshot), warm = the median of the next renders (data
cached per snapshot). Then three interactions, each cold and warm: filtering the risk list by a unit, changing the
seed (a new preview draw, never cached), and switching the Benford test to the first digit (a new digit report).
Every figure is split into the time spent in queries (opening the snapshot, running SQL, fetching frames) and the rest
(risk scoring and the other analytics in Python, building the page, AppTest). All five tabs render on every run.
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

PAGE = "pages/verification.py"


def measure(path: Path, warm_runs: int, quarter: str | None) -> dict:
    """In this (fresh) process: render the page cold, then warm; then each interaction cold and warm."""
    os.environ["WAREHOUSE"] = str(path)
    import plotly.graph_objects  # noqa: F401
    import sklearn.linear_model  # noqa: F401

    import analytics.verification.results  # noqa: F401
    import analytics.verification.sampling  # noqa: F401  (imported before timing: cold means no cached data, not no modules)
    from core import periods
    from tests.apptest_support import app_as, clear_caches, ensure_users

    clock = QueryClock((store, "open_snapshot"), (store, "frame"))


    ensure_users(path)
    latest = store.frame(store.current_snapshot(path), "SELECT max(month) AS m FROM current_submission")["m"][0]
    at = app_as("admin", path, PAGE, timeout=900)
    at.session_state["quarter"] = quarter or periods.quarter_of(latest)

    timer = RenderTimer(at, clock, warm_runs)
    render, series = timer.render, timer.series

    first = render()          # the process's first render: Streamlit, plotly and DuckDB warm up once
    projects = next(m.value for m in at.metric if m.label == "本季度项目")
    clear_caches()            # what a new snapshot means for a running server: no cached data
    out = {"projects": projects, "first": first, "render": series()}
    out["filter"] = series(lambda: at.multiselect(key="vs_list_units").set_value(["620100"]))
    out["seed"] = series(lambda: at.number_input(key="vs_seed").set_value(12345))
    out["benford"] = series(lambda: at.radio(key="vs_benford_test").set_value("first"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", help="build the warehouse in this directory and keep it (reused if present)")
    ap.add_argument("--warm", type=int, default=5, help="warm renders per step (median reported)")
    ap.add_argument("--quarter", help="the sidebar quarter (default: the latest with data)")
    ap.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--warehouse", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:  # child process: printed as JSON
        print(json.dumps(measure(Path(args.warehouse), args.warm, args.quarter)))
        return
    path = bench_warehouse(args.keep, args.rows, "bench-pages-verification-")
    rows = store.frame(store.current_snapshot(path), "SELECT count(*) AS n FROM project_rows")["n"][0]
    env = {**os.environ, "DASHBOARD_TODAY": "2026-11-27"}
    argv = [sys.executable, __file__, "--measure", "--warehouse", str(path), "--warm", str(args.warm)]
    out = subprocess.run(argv + (["--quarter", args.quarter] if args.quarter else []),
                         capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode:
        print(f"failed\n{out.stderr[-3000:]}")
        sys.exit(1)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"warehouse: {rows:,} project-month rows; projects in the quarter: {r['projects']}; "
          f"AppTest renders as admin, seconds (cold = data caches cleared, warm = median of {args.warm})")
    print(f"{'what':<9} {'cold total':>10} {'queries':>8} {'rest':>7}   {'warm total':>10} {'queries':>8} {'rest':>7}")
    ft, fq = r["first"]
    print(f"{'first':<9} {ft:>10.3f} {fq:>8.3f} {ft - fq:>7.3f}")
    for what in ("render", "filter", "seed", "benford"):
        (ct, cq), (wt, wq) = r[what]["cold"], r[what]["warm"]
        print(f"{what:<9} {ct:>10.3f} {cq:>8.3f} {ct - cq:>7.3f}   {wt:>10.3f} {wq:>8.3f} {wt - wq:>7.3f}")
    if not args.keep:
        shutil.rmtree(path.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
