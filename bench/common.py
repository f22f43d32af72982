"""Shared pieces of the benchmarks: a clock around every read query, and the synthetic 1M-row warehouse."""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from warehouse import store


class QueryClock:
    """Time spent in reads: wraps each given (module, attribute) function and adds its wall time to `.seconds`."""

    def __init__(self, *targets: tuple[object, str]):
        self.seconds = 0.0
        for module, name in targets:
            setattr(module, name, self._timed(getattr(module, name)))

    def _timed(self, fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t
        return wrapper

    def reset(self) -> None:
        self.seconds = 0.0


def bench_warehouse(keep: str | None, rows: int, prefix: str) -> Path:
    """The synthetic warehouse in `keep` (reused when present) or in a new temporary folder."""
    from bench_targets import synthesise

    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix=prefix))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "bench.duckdb"
    if store.current_snapshot(path) is None:
        t0 = time.perf_counter()
        n = synthesise(path, rows)
        print(f"synthesised {n:,} project-month rows in {time.perf_counter() - t0:.1f} s ({path})")
    return path
