"""Benchmark of the targets area's page-level functions on ~1,000,000 project-month rows.

    .venv/bin/python bench/bench_targets.py [--rows 1000000] [--keep DIR] [--warm 5]

Synthesises a warehouse directly with DuckDB SQL (15 units × 46 months, 2023-01 .. 2026-10, each project reported
every month from its signing month on), then times each page-level function cold (its first call in a fresh
process, modules already imported: a new connection, nothing cached) and warm (the median of the next calls),
splitting the time into SQL (connecting, running queries, fetching frames) and Python.
"""
from __future__ import annotations

import argparse
import datetime as dt
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

FIRST_MONTH = dt.date(2023, 1, 1)
MONTHS = 46  # 2023-01 .. 2026-10


def synthesise(path: Path, rows: int) -> int:
    """Fill an initialised warehouse with about `rows` project-month rows; return the exact count."""
    per_unit = max(1, round(rows / (15 * MONTHS / 2)))
    store.initialise(path)
    with store.write_transaction(path) as con:
        con.execute(f"""
            CREATE TEMP TABLE months AS
            SELECT (DATE '{FIRST_MONTH}' + INTERVAL (i) MONTH)::DATE AS month, i AS mi FROM range({MONTHS}) t(i)""")
        con.execute("""
            INSERT INTO submission_versions
            SELECT row_number() OVER (ORDER BY u.unit_code, m.month), u.unit_code, m.month, 1,
                   (m.month + INTERVAL 1 MONTH + INTERVAL 3 DAY)::TIMESTAMP,
                   (m.month + INTERVAL 1 MONTH + INTERVAL 5 DAY)::TIMESTAMP, false,
                   u.unit_code || '-' || m.month || '.xlsx', md5(u.unit_code || m.month), 0, 0, 0, 0, 0, 0
            FROM units u CROSS JOIN months m""")
        con.execute(f"""
            CREATE TEMP TABLE projects AS
            SELECT u.unit_code, p AS pno, 'P' || lpad(p::VARCHAR, 6, '0') AS project_id,
                   (hash(u.unit_code, p, 'signing') % {MONTHS})::INTEGER AS sign_mi,
                   (hash(u.unit_code, p) % 1000000007)::BIGINT AS h
            FROM units u CROSS JOIN range({per_unit}) t(p)""")
        con.execute(f"""
            INSERT INTO project_rows
            SELECT sv.submission_id, (row_number() OVER (PARTITION BY sv.submission_id ORDER BY p.pno) + 3)::INTEGER,
                   p.project_id, '项目' || p.project_id, NULL,
                   (['新能源及其装备制造','特色农产品及食品加工','石化化工','文化旅游','冶金有色','信息产业','中医药',
                     '装备制造','新材料','生物医药','现代物流','清洁能源','绿色建材','节能环保','其他'])[1 + p.h % 15],
                   CASE WHEN p.h % 50 = 7 THEN '五百强集团' || (p.h % 40) || '有限公司'
                        ELSE '投资方' || p.unit_code || p.pno END,
                   CASE WHEN p.h % 50 = 7 THEN '91110000' || lpad(((p.h // 7) % 40)::VARCHAR, 10, '0')
                        ELSE '91440300' || lpad(p.pno::VARCHAR, 10, '0') END,
                   '广东省',
                   CASE WHEN p.h % 50 = 7 THEN '中国企业500强' ELSE '无' END,
                   CASE WHEN p.h % 10 = 0 THEN '省内市州外' WHEN p.h % 10 = 1 THEN '境外' ELSE '省外境内' END,
                   '新建',
                   (DATE '{FIRST_MONTH}' + INTERVAL (p.sign_mi) MONTH + INTERVAL (p.h % 27) DAY)::DATE,
                   (1000 + p.h % 300000)::DECIMAL(18,4),
                   (500 * exp(9.5 * pow((p.h % 1000) / 1000.0, 6)))::DECIMAL(18,4),
                   CASE WHEN m.mi - p.sign_mi < 3 THEN '已签约未开工'
                        WHEN p.h % 23 = 0 THEN '停滞'
                        WHEN m.mi - p.sign_mi > 18 THEN '已投产' ELSE '在建' END,
                   CASE WHEN m.mi - p.sign_mi >= 3 THEN (DATE '{FIRST_MONTH}' + INTERVAL (p.sign_mi + 3) MONTH)::DATE END,
                   CASE WHEN m.mi - p.sign_mi > 18 THEN (DATE '{FIRST_MONTH}' + INTERVAL (p.sign_mi + 18) MONTH)::DATE END,
                   CASE WHEN (p.h + m.mi) % 4 = 0 THEN 0
                        ELSE ((p.h % 997) * (1 + (month(m.month) = 12)::INTEGER * 2))::DECIMAL(18,4) END,
                   0, p.h % 3 = 0, NULL
            FROM projects p
            JOIN months m ON m.mi >= p.sign_mi
            JOIN submission_versions sv ON sv.unit_code = p.unit_code AND sv.month = m.month""")
        # The 三个500强 list: half of the synthetic groups are on it (by USCC), for 2023 and 2024.
        con.execute("""
            INSERT INTO five_hundred_list
            SELECT '中国企业500强', y, i, '五百强集团' || i || '有限公司', '91110000' || lpad(i::VARCHAR, 10, '0')
            FROM range(0, 40, 2) t(i) CROSS JOIN (VALUES (2023), (2024)) v(y)""")
        # Cumulative funds consistent with the monthly ones.
        con.execute("""
            UPDATE project_rows pr SET funds_cum_wan = c.cum FROM (
                SELECT pr2.submission_id, pr2.project_id,
                       sum(pr2.funds_month_wan) OVER (PARTITION BY sv.unit_code, pr2.project_id ORDER BY sv.month) AS cum
                FROM project_rows pr2 JOIN submission_versions sv USING (submission_id)) c
            WHERE pr.submission_id = c.submission_id AND pr.project_id = c.project_id""")
        return con.sql("SELECT count(*) FROM project_rows").fetchall()[0][0]


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

    from warehouse.queries import targets as queries

    clock = QueryClock((queries, "_run"), (store, "open_snapshot"))

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
