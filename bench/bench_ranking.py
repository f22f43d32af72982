"""Benchmark of the quarterly composite ranking on ~1,000,000 project-month rows.

    .venv/bin/python bench/bench_ranking.py [--rows 1000000] [--draws 1000] [--runs 5] [--keep DIR]

Synthesises a warehouse directly with DuckDB SQL (common.synthesise: 15 units × 46 months, contract shape),
then ranks 2025Q3 with the default indicator system and `--draws` Monte-Carlo draws: once cold (first call in this
process) and `--runs` times warm (median reported). Time is split into SQL (opening the snapshot connection,
running the queries, fetching frames), the Monte-Carlo (numpy, draws × units × indicators) and the rest of the Python.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import synthesise  # noqa: E402  (same folder)

from analytics.ranking import composite, robustness
from analytics.ranking.indicator_config import DEFAULT_PATH, parse_indicator_config
from warehouse import store  # noqa: E402
from warehouse.queries import ranking as queries  # noqa: E402

QUARTER = "2025Q3"


class Clock:
    """Accumulates the time spent inside wrapped functions (and in opening/closing wrapped sessions)."""

    def __init__(self):
        self.spent = 0.0

    def wrap_session(self, session):
        @contextlib.contextmanager
        def timed(source):
            t = time.perf_counter()
            cm = session(source)
            con = cm.__enter__()
            self.spent += time.perf_counter() - t
            try:
                yield con
            finally:
                t = time.perf_counter()
                cm.__exit__(None, None, None)
                self.spent += time.perf_counter() - t
        return timed

    def wrap(self, fn):
        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent += time.perf_counter() - t
        return timed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--keep", help="build the warehouse in this directory and keep it (reused if present)")
    args = ap.parse_args()

    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-ranking-"))
    path = workdir / "warehouse.duckdb"
    if store.current_snapshot(path) is None:
        t = time.perf_counter()
        n = synthesise(path, args.rows)
        print(f"synthesised {n:,} project-month rows in {time.perf_counter() - t:.1f} s ({path})")
    snapshot = store.current_snapshot(path)
    rows = store.frame(snapshot, "SELECT count(*) AS n FROM fact_project_month")["n"][0]

    text = DEFAULT_PATH.read_text(encoding="utf-8").replace("draws = 1000", f"draws = {args.draws}")
    config = parse_indicator_config(text, "bench")
    sql, mc = Clock(), Clock()
    store.session = sql.wrap_session(store.session)
    for name in ("unit_months", "project_ledger", "verification_findings"):
        setattr(queries, name, sql.wrap(getattr(queries, name)))
    robustness.monte_carlo_ranks = mc.wrap(robustness.monte_carlo_ranks)

    timings = []
    for _ in range(1 + args.runs):
        sql.spent = mc.spent = 0.0
        t = time.perf_counter()
        result = composite.rank_quarter(snapshot, QUARTER, config)
        total = time.perf_counter() - t
        timings.append((total, sql.spent, mc.spent))

    def show(label: str, total: float, s: float, m: float) -> None:
        rest = total - s - m
        print(f"{label:<14} total {total * 1000:7.1f} ms | SQL {s * 1000:7.1f} ms ({s / total:5.1%}) | "
              f"Monte-Carlo {m * 1000:6.1f} ms ({m / total:5.1%}) | other Python {rest * 1000:6.1f} ms "
              f"({rest / total:5.1%})")

    print(f"{rows:,} project-month rows; {QUARTER}; {result.table.height} units; {len(config.indicators)} indicators; "
          f"{args.draws} Monte-Carlo draws; {sum(result.table['ranked'])} ranked")
    show("cold (1st)", *timings[0])
    warm = timings[1:]
    median = statistics.median(t[0] for t in warm)
    show("warm (median)", *min(warm, key=lambda t: abs(t[0] - median)))


if __name__ == "__main__":
    main()
