"""Benchmark of the targets area's page-level functions on ~1,000,000 project-month rows.

    .venv/bin/python bench/bench_targets.py [--rows 1000000] [--keep DIR] [--warm 5]

Synthesises a warehouse directly with DuckDB SQL (15 units × 46 months, 2023-01 .. 2026-10, each project reported
every month from its signing month on), then times each page-level function cold (its first call in a fresh
process, modules already imported: a new connection, nothing cached) and warm (the median of the next calls),
splitting the time into SQL (connecting, running queries, fetching frames) and Python.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from common import QueryClock, bench_warehouse  # noqa: E402

from warehouse import store  # noqa: E402

PAGE_FUNCTIONS = {
    "province_progress": "analytics.targets.province",
    "units_vs_tasks": "analytics.targets.unit_tasks",
    "major_overview": "analytics.targets.doubling",
    "lifecycle_overview": "analytics.targets.lifecycle",
}


def measure(path: Path, name: str, warm_runs: int) -> dict:
    """In this (fresh) process: time `name` once cold, then `warm_runs` times, splitting SQL from Python.

    SQL time = opening the snapshot connection + running queries and fetching their frames."""
    import importlib


    clock = QueryClock((store, "frame"), (store, "open_snapshot"))

    fn = getattr(importlib.import_module(PAGE_FUNCTIONS[name]), name)
    snapshot = store.current_snapshot(path)
    runs = []
    for _ in range(1 + warm_runs):
        clock.reset()
        t = time.perf_counter()
        fn(snapshot)
        total = time.perf_counter() - t
        runs.append((total, clock.seconds))
    warm = sorted(runs[1:])[len(runs[1:]) // 2]
    return {"name": name, "cold": runs[0], "warm": warm}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", help="build the warehouse in this directory and keep it (reused if present)")
    ap.add_argument("--warm", type=int, default=5, help="warm repetitions per function (median reported)")
    ap.add_argument("--measure", choices=PAGE_FUNCTIONS, help=argparse.SUPPRESS)
    ap.add_argument("--warehouse", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:  # child process: one function, printed as JSON
        print(json.dumps(measure(Path(args.warehouse), args.measure, args.warm)))
        return
    path = bench_warehouse(args.keep, args.rows, "bench-targets-")
    env = {**os.environ, "DASHBOARD_TODAY": "2026-11-27"}
    print(f"{'function':<20} {'cold total':>10} {'SQL':>7} {'Python':>7}   {'warm total':>10} {'SQL':>7} {'Python':>7}"
          "   (seconds; cold = first call in a fresh process, warm = median of the next calls)")
    for name in PAGE_FUNCTIONS:
        out = subprocess.run([sys.executable, __file__, "--measure", name, "--warehouse", str(path),
                              "--warm", str(args.warm)], capture_output=True, text=True, env=env, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        (ct, cs), (wt, ws) = r["cold"], r["warm"]
        print(f"{name:<20} {ct:>10.3f} {cs:>7.3f} {ct - cs:>7.3f}   {wt:>10.3f} {ws:>7.3f} {wt - ws:>7.3f}")
    if not args.keep:
        shutil.rmtree(path.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
