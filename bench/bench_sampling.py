"""Benchmark: risk scoring and sample drawing over 100,000 projects from a 1,000,000-row warehouse.

    .venv/bin/python bench/bench_sampling.py [--warehouse bench/out/sampling.duckdb] [--projects 100000] [--months 10]

The warehouse is synthesised directly with DuckDB SQL (in a child process, so that the measured process's peak
memory is the scoring's own): every project reported every month, funds log-normal with zero months, ~0.5 %
rows with loader warnings, some late upward revisions. Prints wall times per step and the peak RSS.
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from warehouse import store  # noqa: E402

QUARTER = "2025Q3"
FIRST_MONTH = "2025-09-01"   # the last month; the window goes back `months` months


def synthesise(path: Path, projects: int, months: int) -> None:
    store.initialise(path)
    with store.write_transaction(path) as con:
        con.execute("SELECT setseed(0.42)")
        con.execute(f"""
            CREATE TEMP TABLE m AS
            SELECT (DATE '{FIRST_MONTH}' - INTERVAL (i) MONTH)::DATE AS month FROM range({months}) t(i)""")
        con.execute("""
            CREATE TEMP TABLE s AS
            SELECT row_number() OVER (ORDER BY u.unit_code, m.month) AS submission_id, u.unit_code, m.month
            FROM units u CROSS JOIN m""")
        con.execute("""
            INSERT INTO submission_versions
            SELECT submission_id, unit_code, month, 1, (month + INTERVAL 33 DAY)::TIMESTAMP,
                   (month + INTERVAL 1 MONTH + INTERVAL 4 DAY + INTERVAL 86399 SECOND)::TIMESTAMP, false,
                   unit_code || '-' || month || '.xlsx', md5(unit_code || month::VARCHAR), submission_id,
                   0, 0, 0, 0, 0
            FROM s""")
        con.execute(f"""
            CREATE TEMP TABLE p AS
            SELECT i AS n, (SELECT list(unit_code ORDER BY unit_code) FROM units)[1 + i % 15] AS unit_code,
                   'P' || lpad(i::VARCHAR, 7, '0') AS project_id,
                   '项目' || i || (['光伏电站', '食品加工', '物流园', '新材料产业园'])[1 + i % 4] AS project_name,
                   '投资方' || (i % 40000) || '有限公司' AS investor_name,
                   '91' || upper(substr(md5((i % 40000)::VARCHAR), 1, 16)) AS investor_uscc,
                   round(exp(7 + 3 * random()), 2)::DECIMAL(18,4) AS signed,
                   (DATE '2023-01-01' + INTERVAL (floor(random() * 900)) DAY)::DATE AS signing_date,
                   (['在建', '在建', '已签约未开工', '已投产'])[1 + (i % 4)] AS status
            FROM range({projects}) t(i)""")
        con.execute("""
            INSERT INTO project_rows
            SELECT s.submission_id, 5 + p.n / 15, p.project_id, p.project_name, NULL, '新材料', p.investor_name,
                   p.investor_uscc, '广东省', '无', '省外境内', '新建', p.signing_date, p.signed, p.signed * 1.3,
                   p.status, CASE WHEN p.status = '已签约未开工' THEN NULL ELSE p.signing_date + 60 END, NULL,
                   f.funds, sum(f.funds) OVER (PARTITION BY p.project_id ORDER BY s.month), false, NULL
            FROM p JOIN s USING (unit_code)
            CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.4 THEN 0
                                       ELSE round(exp(2 + 5 * random()), 2) END::DECIMAL(18,4) AS funds) f""")
        con.execute("""
            INSERT INTO row_warnings
            SELECT submission_id, row_no, project_id, 'cum_mismatch', '累计到位资金（万元）', NULL,
                   '累计到位资金与上月累计加本月到位资金不符'
            FROM project_rows USING SAMPLE 0.5 PERCENT (bernoulli, 7)""")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", type=Path, default=Path("bench/out/sampling.duckdb"))
    ap.add_argument("--projects", type=int, default=100_000)
    ap.add_argument("--months", type=int, default=10)
    ap.add_argument("--synthesise-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.synthesise_only:
        t = time.perf_counter()
        synthesise(args.warehouse, args.projects, args.months)
        print(f"synthesised {args.warehouse} in {time.perf_counter() - t:.1f} s")
        return 0
    if not args.warehouse.exists():
        subprocess.run([sys.executable, __file__, "--synthesise-only", "--warehouse", str(args.warehouse),
                        "--projects", str(args.projects), "--months", str(args.months)], check=True)

    from analytics.verification import sampling, scoring

    snap = store.current_snapshot(args.warehouse)
    rows = store.frame(snap, "SELECT count(*) AS n FROM project_rows")["n"][0]
    t0 = time.perf_counter()
    inputs = scoring.load_inputs(snap, QUARTER, args.months)
    t1 = time.perf_counter()
    result = scoring.score_projects(inputs)
    t2 = time.perf_counter()
    sample = sampling.draw(result.projects, QUARTER, sampling.Design.from_config(
        round(0.05 * result.projects.height), seed=1), history_months=args.months)
    t3 = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"warehouse rows {rows:,}; projects {result.projects.height:,}; signals {result.signals.height:,}; "
          f"sample {sample.items.height} (certainty {sample.certainty_size}, probability {sample.probability_size})")
    print(f"load {t1 - t0:.2f} s | score {t2 - t1:.2f} s | draw {t3 - t2:.2f} s | total {t3 - t0:.2f} s | "
          f"peak RSS {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
