"""Parsing an uploaded file in a worker process with an address-space limit (issue 15 §2).

`read_isolated(name, data)` runs `etl.read.read_table` in a fresh `python -m etl.isolate` child whose address space
is capped with `resource.setrlimit(RLIMIT_AS)` (config/etl.toml `parse_memory_mb`, 1 GB): whatever a file does to
the parser, the Streamlit server's own memory does not grow, and a child that runs out ends in a Chinese message
naming the limit. glibc would reserve 64 MB of address space per thread for its arenas, so the child runs with
MALLOC_ARENA_MAX=2 (address space then tracks memory actually used). The child answers with a pickle on stdout;
it is our own process, started here, so its answer is trusted like a return value.
"""
from __future__ import annotations

import os
import pickle
import resource
import subprocess
import sys
from pathlib import Path

import polars as pl

from core import catalog
from core.spreadsheet import table_xlsx
from core.template import SUBMISSION_COLUMNS
from etl.read import FileRejected, RawTable, read_table

ROOT = Path(__file__).resolve().parents[1]
ADDRESS_SPACE_ENV = {"MALLOC_ARENA_MAX": "2", "POLARS_MAX_THREADS": "2"}
PARSE_TIMEOUT_S = 300
_EXIT_OUT_OF_MEMORY = 3


def _limit_mb() -> int:
    return int(catalog.etl_settings()["parse_memory_mb"])


def read_isolated(name: str, data: bytes) -> RawTable:
    """`read_table(name, data)` in a memory-limited child; FileRejected for anything it cannot read."""
    limit = _limit_mb()
    too_much = FileRejected(f"“{name}”解析时超过 {limit} MB 的内存上限，疑似异常文件（如含大量空白行列），"
                            f"请删除多余内容或拆分后重新报送")
    try:
        done = subprocess.run([sys.executable, "-m", "etl.isolate", name, str(limit)], input=data, cwd=ROOT,
                              capture_output=True, timeout=PARSE_TIMEOUT_S, env={**os.environ, **ADDRESS_SPACE_ENV})
    except subprocess.TimeoutExpired:
        raise FileRejected(f"“{name}”解析超过 {PARSE_TIMEOUT_S} 秒的时间上限，疑似异常文件，请拆分后重新报送") from None
    if done.returncode != 0:
        if done.returncode != _EXIT_OUT_OF_MEMORY:
            sys.stderr.write(done.stderr.decode(errors="replace")[-4000:])  # to the server log, not the user
        raise too_much
    kind, payload = pickle.loads(done.stdout)  # noqa: S301 - the answer of our own child process
    if kind == "rejected":
        raise FileRejected(payload[0], rows_input=payload[1])
    return payload


def _warm_up() -> None:
    """Run the parser once on tiny files before the limit: modules polars and fastexcel load on first use must not
    fail to load under it (that would surface as a confusing error instead of the memory-limit message)."""
    header = ",".join(c.header for c in SUBMISSION_COLUMNS)
    for name, data in (("warm-up.csv", header.encode()),
                       ("warm-up.xlsx", table_xlsx("warm-up", pl.DataFrame({c.header: ["x"] for c in SUBMISSION_COLUMNS})))):
        try:
            read_table(name, data)
        except FileRejected:
            pass


def _child(name: str, limit_mb: int) -> int:
    _warm_up()
    limit = limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    data = sys.stdin.buffer.read()
    try:
        answer = ("ok", read_table(name, data))
    except FileRejected as exc:
        answer = ("rejected", (exc.message, exc.rows_input))
    except MemoryError:
        return _EXIT_OUT_OF_MEMORY
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1], int(sys.argv[2])))
