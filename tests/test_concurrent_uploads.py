"""Two processes load into one warehouse at the same moment; a forced interleaving makes the second really wait for
the first's lock."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from conftest import csv_bytes, xlsx_bytes

from tests.hostile_support import (  # noqa: F401 - fixtures are used by name
    ROOT,
    TODAY,
    _frozen_today_and_fresh_caches,
    hostile,
    hostile_copy,
    rows,
    submission_row,
)
from warehouse import store

# --------------------------------------------------------------------------- 2. two uploads at once

# Each child loads one file when the parent says go. Whichever gets the writer lock first keeps it until the other
# has found it taken (its flock attempt failed), so the two loads really contend; the code path is the real one.
CHILD = """
import fcntl, json, sys, time
from pathlib import Path
from etl.load import load_files
from warehouse import store

me, other, work, warehouse, path = sys.argv[1:]
work = Path(work)
real_flock, real_connect = fcntl.flock, store.connect_writer

def flock(fd, operation):
    try:
        return real_flock(fd, operation)
    except BlockingIOError:
        (work / f"{me}.blocked").touch()
        raise

def connect_then_wait(p):
    con = real_connect(p)
    (work / f"{me}.held").touch()
    deadline = time.monotonic() + 60
    while not any((work / f"{other}.{state}").exists() for state in ("held", "blocked", "done")):
        if time.monotonic() > deadline:
            raise SystemExit("the other process never tried to write")
        time.sleep(0.01)
    return con

fcntl.flock, store.connect_writer = flock, connect_then_wait
(work / f"{me}.ready").touch()
while not (work / "go").exists():
    time.sleep(0.005)
try:
    [report] = load_files([path], warehouse=warehouse, received_at="2025-04-03T10:00:00", actor=me)
finally:
    (work / f"{me}.done").touch()  # also when it failed: the other process stops waiting for it
print(json.dumps({"outcome": report.outcome, "version": report.version, "superseded": report.superseded_version,
                  "internal_error": report.internal_error, "file": report.file_name,
                  "blocked": (work / f"{me}.blocked").exists()}))
"""


def load_at_once(tmp_path: Path, warehouse: Path, files: dict[str, bytes]) -> dict[str, dict]:
    """Two processes, each loading one of two files into `warehouse` at the same moment; their reports by name."""
    work = tmp_path / "sync"
    work.mkdir()
    paths = []
    for name, content in files.items():
        paths.append(tmp_path / name)
        paths[-1].write_bytes(content)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "DASHBOARD_TODAY": TODAY}
    procs = {me: subprocess.Popen([sys.executable, "-c", CHILD, me, other, str(work), str(warehouse), str(path)],
                                  cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for me, other, path in (("a", "b", paths[0]), ("b", "a", paths[1]))}
    while not all((work / f"{me}.ready").exists() or procs[me].poll() is not None for me in procs):
        time.sleep(0.01)
    (work / "go").touch()
    results = {}
    for me, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "lock" not in err.lower(), err
        results[me] = json.loads(out.strip().splitlines()[-1])
    assert sorted(r["blocked"] for r in results.values()) == [False, True]  # one waited for the other's lock
    return results


def test_two_uploads_of_different_units_at_once_both_load(tmp_path):
    warehouse = tmp_path / "wh" / "warehouse.duckdb"  # not created yet: the two processes race to create it too
    lanzhou = [submission_row(i, **{"本月到位资金（万元）": "100"}) for i in range(1, 41)]
    qingyang = [submission_row(i, "庆阳市", **{"本月到位资金（万元）": "7"}) for i in range(1, 31)]
    results = load_at_once(tmp_path, warehouse, {"620100_2025-03.csv": csv_bytes(lanzhou),
                                                 "621000_2025-03.xlsx": xlsx_bytes(qingyang)})
    assert [(r["outcome"], r["version"], r["internal_error"]) for r in results.values()] == [("loaded", 1, False)] * 2
    assert sorted(rows(warehouse, "SELECT actor, file_name, outcome FROM load_audit")) == [
        ("a", "620100_2025-03.csv", "loaded"), ("b", "621000_2025-03.xlsx", "loaded")]
    assert rows(warehouse, "SELECT unit_code, version, funds_month_wan, rows_loaded FROM mart_unit_month"
                           " ORDER BY unit_code") == [("620100", 1, Decimal(4000), 40), ("621000", 1, Decimal(210), 30)]


def test_two_uploads_of_the_same_unit_and_month_at_once_become_versions_1_and_2(tmp_path):
    warehouse = tmp_path / "wh" / "warehouse.duckdb"
    store.initialise(warehouse)
    first = [submission_row(i, **{"本月到位资金（万元）": "100"}) for i in range(1, 41)]
    second = [submission_row(i, **{"本月到位资金（万元）": "250"}) for i in range(1, 21)]
    files = {"兰州_3月_初报.csv": csv_bytes(first), "兰州_3月_更正.csv": csv_bytes(second)}
    totals = {"兰州_3月_初报.csv": (Decimal(4000), 40), "兰州_3月_更正.csv": (Decimal(5000), 20)}
    results = load_at_once(tmp_path, warehouse, files)
    assert sorted((r["version"], r["superseded"]) for r in results.values()) == [(1, None), (2, 1)]
    assert all(r["outcome"] == "loaded" and not r["internal_error"] for r in results.values())
    latest = next(r["file"] for r in results.values() if r["version"] == 2)
    versions = rows(warehouse, "SELECT version, file_name FROM submission_versions ORDER BY version")
    assert [v for v, _ in versions] == [1, 2] and {f for _, f in versions} == set(files)
    assert sorted(rows(warehouse, "SELECT file_name, outcome FROM load_audit")) == sorted(
        (name, "loaded") for name in files)
    assert rows(warehouse, "SELECT version, funds_month_wan, rows_loaded FROM mart_unit_month") == [
        (2, *totals[latest])]
    assert rows(warehouse, "SELECT count(*) FROM project_rows") == [(60,)]  # the superseded version is kept
