"""Benchmark: load the full default demo into a fresh warehouse, as `make demo` does (prints figures; not a test).

    .venv/bin/python bench/bench_demo_load.py [--demo DIR] [--repeat 1]

The demo (`python -m etl demo`, default range: 2023-01 to the last complete month, ~717 files, ~205,000 rows) is
generated once into DIR (default bench/out/demo) and reused while DIR/submissions exists. Every run then loads it into
a fresh warehouse, each step in its own process so that peak RSS is per step:

  1. the 三个500强 lists (`python -m etl load-reference five-hundred FILE`, one process per file, as `make demo`);
  2. `python -m etl load DIR/submissions --manifest DIR/manifest.csv` — the figure the target (< 30 s) is about:
     files, rows, wall time, rows/s, CPU time, peak RSS;
  3. the same load in-process with timers around its stages, for the breakdown: read (read, hash, parse and
     identify files, in worker threads that run alongside the rest), validate, write (one transaction per file,
     commit included), close (checkpoint, snapshot copy and publication), and the rest of the main thread
     (waiting for reads, session start);
  4. the same-run baseline: DuckDB `read_csv` of the demo's CSV files and polars `read_excel` of its xlsx files (the
     time to merely read them with the fastest generic readers; GB18030 CSVs, which DuckDB cannot decode offline,
     are transcoded to UTF-8 copies beforehand, untimed).
With --repeat N, steps 2–4 run N times (alternating) and the fastest of each is reported with all the runs: the
machine is shared, so look at CPU time as well as wall time.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DEMO = ROOT / "bench" / "out" / "demo"


def ensure_demo(demo: Path) -> None:
    if (demo / "submissions").is_dir() and any((demo / "submissions").iterdir()):
        print(f"demo: {demo} (cached)", flush=True)
        return
    started = time.perf_counter()
    _run([sys.executable, "-m", "etl", "demo", "--out", str(demo)], check=True)
    print(f"demo: generated {demo} in {time.perf_counter() - started:.1f} s", flush=True)


def _run(cmd: list[str], check: bool = False) -> tuple[float, float, float, int]:
    """Run a command; (wall s, CPU s, peak RSS MB, exit code) of that very process (os.wait4)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    error = proc.stderr.read().decode()
    proc.stderr.close()
    if check and code:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{error}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code


def load_references(demo: Path, warehouse: Path) -> float:
    started = time.perf_counter()
    for f in sorted((demo / "reference").glob("*.csv")):
        _run([sys.executable, "-m", "etl", "load-reference", "five-hundred", str(f), "--warehouse", str(warehouse)],
             check=True)
    return time.perf_counter() - started


def fresh_warehouse(demo: Path, work: Path) -> tuple[Path, float]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    warehouse = work / "warehouse.duckdb"
    return warehouse, load_references(demo, warehouse)


def cli_load(demo: Path, work: Path) -> dict:
    warehouse, references = fresh_warehouse(demo, work)
    wall, cpu, rss, code = _run([sys.executable, "-m", "etl", "load", str(demo / "submissions"), "--manifest",
                                 str(demo / "manifest.csv"), "--warehouse", str(warehouse)])
    if code not in (0, 2):
        raise SystemExit(f"python -m etl load failed with exit code {code}")
    return {"wall": wall, "cpu": cpu, "rss": rss, "code": code, "references": references}


# --------------------------------------------------------------------------- in-process steps (own processes)

def phase_breakdown(demo: Path, warehouse: Path) -> dict:
    """Load with timers around the loader's stages (module functions wrapped; the code path is the CLI's)."""
    import resource
    import threading

    from etl import load
    from warehouse import store

    lock = threading.Lock()
    spent: dict[str, list[float]] = {k: [0.0, 0.0] for k in ("read", "validate", "write", "publish")}
    last_write_end = [0.0]

    def timed(module, name: str, key: str) -> None:
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return real(*args, **kwargs)
            finally:
                end = time.perf_counter()
                with lock:
                    spent[key][0] += end - wall
                    spent[key][1] += time.thread_time() - cpu
                if key == "write":
                    last_write_end[0] = end

        setattr(module, name, wrapper)

    timed(load, "_prepare", "read")
    timed(load, "_validate", "validate")
    timed(load, "_load_one", "write")
    timed(store, "publish_snapshot", "publish")
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    reports = load.load_files([demo / "submissions"], warehouse=warehouse, manifest=demo / "manifest.csv")
    ended = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_SELF)
    loaded = [r for r in reports if r.outcome == "loaded"]
    return {
        "seconds": ended - started,
        "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
        "files": len(reports), "outcomes": {o: sum(r.outcome == o for r in reports) for o in ("loaded", "duplicate",
                                                                                                "rejected")},
        "rows": sum(r.rows_input for r in loaded), "rows_loaded": sum(r.rows_loaded for r in loaded),
        "rows_quarantined": sum(r.rows_quarantined for r in loaded), "warnings": sum(r.warnings for r in loaded),
        "spent": spent, "close": ended - last_write_end[0],
        "main_other": ended - started - spent["validate"][0] - spent["write"][0] - (ended - last_write_end[0]),
    }


def phase_baseline(demo: Path, utf8_dir: Path) -> dict:
    """DuckDB read_csv of every CSV, polars read_excel of every xlsx; sums of per-file times."""
    import duckdb
    import fastexcel
    import polars as pl

    csvs = sorted((demo / "submissions").glob("*.csv"))
    xlsxs = sorted((demo / "submissions").glob("*.xlsx"))
    con = duckdb.connect()
    csv_seconds, csv_rows, csv_failed = 0.0, 0, 0
    for path in csvs:
        source = utf8_dir / path.name if (utf8_dir / path.name).exists() else path
        started = time.perf_counter()
        try:
            csv_rows += con.execute("SELECT count(*) FROM read_csv(?, header = false, all_varchar = true,"
                                    " null_padding = true)", [str(source)]).fetchall()[0][0]
        except duckdb.Error:
            csv_failed += 1
        csv_seconds += time.perf_counter() - started
    xlsx_seconds, xlsx_rows, xlsx_failed = 0.0, 0, 0
    for path in xlsxs:
        started = time.perf_counter()
        try:
            xlsx_rows += pl.read_excel(path).height
        except fastexcel.FastExcelError:  # the demo's deliberately corrupt files
            xlsx_failed += 1
        xlsx_seconds += time.perf_counter() - started
    return {"csv": [len(csvs), csv_rows, csv_seconds, csv_failed],
            "xlsx": [len(xlsxs), xlsx_rows, xlsx_seconds, xlsx_failed]}


def transcode_csvs(demo: Path, utf8_dir: Path) -> int:
    """UTF-8 copies of the CSVs that are not UTF-8 (GB18030), for DuckDB's reader; returns how many."""
    utf8_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted((demo / "submissions").glob("*.csv")):
        data = path.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                (utf8_dir / path.name).write_text(data.decode("gb18030"), encoding="utf-8")
                count += 1
            except UnicodeDecodeError:
                pass
    return count


def run_phase(name: str, demo: Path, target: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--phase", name, "--demo", str(demo), "--target", str(target)],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- report

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--demo", type=Path, default=DEFAULT_DEMO, help="demo folder (generated there if missing)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each step (alternating); the fastest is shown")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase == "breakdown":
        print(json.dumps(phase_breakdown(args.demo, args.target)))
        return
    if args.phase == "baseline":
        print(json.dumps(phase_baseline(args.demo, args.target)))
        return

    demo = args.demo.resolve()
    ensure_demo(demo)
    work = Path(tempfile.mkdtemp(prefix="bench-demo-load-"))
    try:
        transcoded = transcode_csvs(demo, work / "utf8")
        clis, breakdowns, baselines = [], [], []
        for _ in range(args.repeat):
            clis.append(cli_load(demo, work / "cli"))
            warehouse, _ = fresh_warehouse(demo, work / "breakdown")
            breakdowns.append(run_phase("breakdown", demo, warehouse))
            baselines.append(run_phase("baseline", demo, work / "utf8"))
        report(clis, breakdowns, baselines, transcoded)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(clis: list[dict], breakdowns: list[dict], baselines: list[dict], transcoded: int) -> None:
    cli = min(clis, key=lambda r: r["wall"])
    b = min(breakdowns, key=lambda r: r["seconds"])
    base = min(baselines, key=lambda r: r["csv"][2] + r["xlsx"][2])
    runs = " / ".join(f"{r['wall']:.1f}" for r in clis)
    print(f"三个500强 lists: {cli['references']:.1f} s ({len(clis)} run(s), one process per file, not in the figures)")
    print(f"python -m etl load (fresh warehouse, exit code {cli['code']}):")
    print(f"  files {b['files']} (loaded {b['outcomes']['loaded']}, duplicate {b['outcomes']['duplicate']}, "
          f"rejected {b['outcomes']['rejected']}); rows {b['rows']:,} (loaded {b['rows_loaded']:,}, "
          f"quarantined {b['rows_quarantined']:,}), warnings {b['warnings']:,}")
    print(f"  wall {cli['wall']:.2f} s (runs: {runs}; target < 30 s), {b['rows'] / cli['wall']:,.0f} rows/s, "
          f"CPU {cli['cpu']:.2f} s, peak RSS {cli['rss']:.0f} MB (process start and imports included)")
    s = b["spent"]
    print(f"breakdown (the same load in-process: {b['seconds']:.2f} s wall, CPU {b['cpu']:.2f} s):")
    print(f"  read      {s['read'][0]:6.2f} s in worker threads (thread CPU {s['read'][1]:.2f} s), alongside:")
    print(f"  validate  {s['validate'][0]:6.2f} s (thread CPU {s['validate'][1]:.2f} s)")
    print(f"  write     {s['write'][0]:6.2f} s (thread CPU {s['write'][1]:.2f} s; {b['files']} transactions, "
          f"commit included)")
    print(f"  close     {b['close']:6.2f} s (checkpoint, snapshot copy {s['publish'][0]:.2f} s, publication)")
    print(f"  other     {b['main_other']:6.2f} s (main thread: waiting for reads, session start)")
    (n_csv, rows_csv, t_csv, bad_csv), (n_xlsx, rows_xlsx, t_xlsx, bad_xlsx) = base["csv"], base["xlsx"]
    print("baseline (same run):")
    print(f"  DuckDB read_csv    {n_csv:4} files {rows_csv:>9,} rows {t_csv:6.2f} s ({transcoded} GB18030 files read "
          f"from UTF-8 copies; {bad_csv} unreadable)")
    print(f"  polars read_excel  {n_xlsx:4} files {rows_xlsx:>9,} rows {t_xlsx:6.2f} s ({bad_xlsx} unreadable)")
    print(f"  sum {t_csv + t_xlsx:.2f} s; the load takes {cli['wall'] / (t_csv + t_xlsx):.1f}x that; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
