"""One writer, many readers (docs/DEVELOPING.md): readers in other processes query snapshots continuously while files
load; zero errors, and every observation equals a state after a whole number of loads — never a mixture."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from etl.load import load_files
from warehouse import store

READER = Path(__file__).with_name("concurrency_reader.py")


def test_readers_see_whole_loads_only(tmp_path, project_row, submission_bytes, monkeypatch):
    monkeypatch.setenv("DASHBOARD_TODAY", "2025-12-15")
    warehouse = tmp_path / "warehouse.duckdb"
    store.initialise(warehouse)

    # Twelve monthly files of 兰州市, each with a known counted total.
    files, totals = [], []
    for m in range(1, 13):
        rows = [
            project_row(i, 统计月份=f"2025-{m:02d}", **{"本月到位资金（万元）": str(10 * i + m), "累计到位资金（万元）": "900"})
            for i in range(1, 200)
        ]
        files.append((f"620100_2025-{m:02d}.csv", submission_bytes(rows, f"x{m}.csv")))
        totals.append(sum(Decimal(10 * i + m) for i in range(1, 200)))
    allowed = {(0, Decimal(0))}
    running = Decimal(0)
    for k, t in enumerate(totals, start=1):
        running += t
        allowed.add((k, running))

    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen([sys.executable, str(READER), str(warehouse), str(stop), str(tmp_path / f"r{i}.json")])
        for i in range(4)
    ]
    wait_until(lambda: all((tmp_path / f"r{i}.json.ready").exists() for i in range(4)))  # reading the empty one
    for name, data in files[:6]:  # one snapshot per file …
        assert load_files([(name, data)], warehouse=warehouse)[0].outcome == "loaded"
    assert {r.outcome for r in load_files(files[6:], warehouse=warehouse)} == {"loaded"}  # … and one per batch
    stop.write_text(store.current_snapshot(warehouse).identity)  # each reader stops once it has seen the last state
    for r in readers:
        assert r.wait(timeout=60) == 0

    seen_states = set()
    for i in range(4):
        result = json.loads((tmp_path / f"r{i}.json").read_text())
        assert result["errors"] == []
        assert result["observations"], "a reader made no observation"
        for _identity, submissions, mart_funds, fact_funds in result["observations"]:
            state = (submissions, Decimal(mart_funds))
            assert state in allowed, f"reader saw a mixed state {state}"
            assert Decimal(mart_funds) == Decimal(fact_funds)
            seen_states.add(state)
    assert (12, running) in seen_states  # the final state became visible to readers


def wait_until(condition, timeout: float = 60.0) -> None:
    """Poll `condition` until it holds; fail after `timeout` seconds (a hang, not a slow machine)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)
