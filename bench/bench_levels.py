"""Benchmark of the level rankings (issue 14): all 86 county-level divisions, the 14 chains, beside the 15 units.

    .venv/bin/python bench/bench_levels.py [--rows 1000000] [--draws 1000] [--runs 5] [--keep DIR]

Synthesises the ~1,000,000-row warehouse of bench/common.py (bench_targets.synthesise) and gives every project a
county of its unit (about 1 in 10 left without 所在县区, 市州本级; 嘉峪关市 and 兰州新区 have none). Then ranks
2025Q3 at each level with `--draws` Monte-Carlo draws: once cold, `--runs` times warm (median). The unit-level
ranking is the same-run baseline; the figures are printed, nothing is asserted.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_warehouse  # noqa: E402

from analytics.ranking.indicator_config import load_indicator_config  # noqa: E402
from analytics.ranking.levels import rank_level  # noqa: E402
from core import catalog  # noqa: E402
from warehouse import store  # noqa: E402

QUARTER = "2025Q3"


def add_counties(path: Path) -> int:
    """Give the synthetic rows counties (once); returns how many rows carry one."""
    with store.write_transaction(path) as con:
        done = con.sql("SELECT count(county) FROM project_rows").fetchall()[0][0]
        if done:
            return done
        con.execute("CREATE TEMP TABLE county_map (unit_code VARCHAR, idx INTEGER, n INTEGER, name VARCHAR)")
        con.executemany("INSERT INTO county_map VALUES (?, ?, ?, ?)",
                        [(u.code, i, len(u.counties), name) for u in catalog.units()
                         for i, name in enumerate(u.counties)])
        con.execute("""
            UPDATE project_rows pr SET county = cm.name
            FROM submission_versions sv, county_map cm
            WHERE pr.submission_id = sv.submission_id AND cm.unit_code = sv.unit_code
              AND hash(pr.project_id, 'county') % 10 <> 0
              AND cm.idx = (hash(pr.project_id, 'which') % cm.n)::INTEGER""")
        return con.sql("SELECT count(county) FROM project_rows").fetchall()[0][0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", help="reuse/keep the synthetic warehouse in this folder")
    args = ap.parse_args()
    path = bench_warehouse(args.keep, args.rows, "bench-levels-")
    t0 = time.perf_counter()
    with_county = add_counties(path)
    print(f"rows with 所在县区: {with_county:,} (set in {time.perf_counter() - t0:.1f} s)")
    snap = store.current_snapshot(path)
    base = load_indicator_config()
    cfg = dataclasses.replace(base, robustness=dataclasses.replace(base.robustness, draws=args.draws))
    print(f"rows: {store.frame(snap, 'SELECT count(*) AS n FROM project_rows')['n'][0]:,}; draws: {args.draws}")
    results = {}
    for level in ("unit", "county", "chain"):
        t = time.perf_counter()
        r = rank_level(snap, QUARTER, level, config=cfg)
        cold = time.perf_counter() - t
        warm = []
        for _ in range(args.runs):
            t = time.perf_counter()
            rank_level(snap, QUARTER, level, config=cfg)
            warm.append(time.perf_counter() - t)
        results[level] = statistics.median(warm)
        print(f"{level:7s} {r.table.height:3d} ranked entities ({int(r.table['ranked'].sum())} ranked): "
              f"cold {cold:.3f} s, warm median {results[level]:.3f} s over {args.runs} runs")
    print(f"county ranking (86) / unit ranking (15), warm: {results['county'] / results['unit']:.2f}×")


if __name__ == "__main__":
    main()
