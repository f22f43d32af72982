"""Render times of the ranking pages (实时排名, 月度通报, 季度排名发布) through AppTest on ~1,000,000 project-month rows.

    .venv/bin/python bench/bench_pages_ranking.py [--rows 1000000] [--warm 5] [--keep DIR] [--quarter 2026Q3]

Synthesises a warehouse with `common.synthesise` (15 units × 46 months, 2023-01 .. 2026-10), publishes one
quarter so the publication page has something to list, then runs each page as an administrator with the real
app harness (tests/apptest_support.py): cold = the first run after clearing Streamlit's caches (every analysis
computed; modules already imported), warm = the median of the next runs (the state a user is in after the first
visit of the snapshot). The live page is also timed after picking another unit in its drill-down.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DASHBOARD_TODAY", "2026-11-27")

from common import synthesise  # noqa: E402  (same folder)

from analytics.publication.archive import publish
from analytics.ranking.composite import rank_quarter
from analytics.ranking.indicator_config import load_indicator_config
from core import catalog
from tests.apptest_support import app_as, clear_caches  # noqa: E402
from warehouse import store  # noqa: E402
from warehouse.queries import ranking as queries  # noqa: E402

PAGES = {"实时排名": "pages/ranking_live.py", "月度通报": "pages/monthly_bulletin.py",
         "季度排名发布": "pages/publication.py"}


def timed_runs(at, warm: int, before_each=None) -> tuple[float, float]:
    """(first run, median of `warm` further runs) in seconds; fails loudly if the page raised."""
    times = []
    for i in range(1 + warm):
        if before_each and i:
            before_each(at)
        t = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t)
        if at.exception:
            raise SystemExit(f"page failed: {at.exception[0].value}")
    return times[0], statistics.median(times[1:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--warm", type=int, default=5)
    ap.add_argument("--keep", help="build the warehouse in this directory and keep it (reused if present)")
    ap.add_argument("--quarter", default="2026Q3", help="the sidebar quarter the pages show")
    args = ap.parse_args()

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-pages-ranking-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "warehouse.duckdb"
    os.environ["WAREHOUSE"] = str(path)
    if store.current_snapshot(path) is None:
        t = time.perf_counter()
        n = synthesise(path, args.rows)
        print(f"synthesised {n:,} project-month rows in {time.perf_counter() - t:.1f} s ({path})")
    if queries.publications(store.current_snapshot(path), args.quarter).is_empty():
        config = load_indicator_config()
        ranking = rank_quarter(store.current_snapshot(path), args.quarter, config)
        publish(path, ranking, config, by="bench", incomplete_reason="基准测试")
    rows = store.frame(store.current_snapshot(path), "SELECT count(*) AS n FROM fact_project_month")["n"][0]
    print(f"{rows:,} project-month rows; quarter {args.quarter}; warm = median of {args.warm} runs")
    print(f"{'page':<14} {'cold (s)':>9} {'warm (s)':>9}")
    for title, page in PAGES.items():
        clear_caches()
        at = app_as("admin", path, page, timeout=600)
        at.session_state["quarter"] = args.quarter
        cold, warm = timed_runs(at, args.warm)
        print(f"{title:<14} {cold:>9.3f} {warm:>9.3f}")
        if page == PAGES["实时排名"]:
            picks = iter([u.code for u in catalog.units()] * args.warm)
            _, drill = timed_runs(at, args.warm, lambda a: a.selectbox(key="live_unit").set_value(next(picks)))
            print(f"{'  换单位详情':<12} {'':>9} {drill:>9.3f}")


if __name__ == "__main__":
    main()
