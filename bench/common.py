"""Shared pieces of the benchmarks: a clock around every read query, the synthetic 1M-row warehouse, and the timing of
an AppTest page render (first, cold, warm)."""
from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from warehouse import store

FIRST_MONTH = dt.date(2023, 1, 1)
MONTHS = 46  # 2023-01 .. 2026-10


class QueryClock:
    """Time spent in reads: wraps each given (module, attribute) function and adds its wall time to `.seconds`."""

    def __init__(self, *targets: tuple[object, str]):
        self.seconds = 0.0
        self._depth = 0  # a timed function called by another (frame -> open_snapshot) is counted once
        for module, name in targets:
            setattr(module, name, self._timed(getattr(module, name)))

    def _timed(self, fn):
        def wrapper(*args, **kwargs):
            self._depth += 1
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.seconds += time.perf_counter() - t
        return wrapper

    def reset(self) -> None:
        self.seconds = 0.0


def bench_warehouse(keep: str | None, rows: int, prefix: str) -> Path:
    """The synthetic warehouse in `keep` (reused when present) or in a new temporary folder."""
    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix=prefix))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "bench.duckdb"
    if store.current_snapshot(path) is None:
        t0 = time.perf_counter()
        n = synthesise(path, rows)
        print(f"synthesised {n:,} project-month rows in {time.perf_counter() - t0:.1f} s ({path})")
    return path


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


class RenderTimer:
    """Times renders of one AppTest page: each render's total seconds and the seconds spent in reads."""

    def __init__(self, at, clock: QueryClock, warm_runs: int):
        self.at, self.clock, self.warm_runs = at, clock, warm_runs

    def render(self, action=None) -> tuple[float, float]:
        self.clock.reset()
        t = time.perf_counter()
        (action() if action else self.at).run()
        total = time.perf_counter() - t
        if self.at.exception:
            raise RuntimeError([e.value for e in self.at.exception])
        return total, self.clock.seconds

    def series(self, action=None) -> dict:
        """The cold render (after an interaction or a cache clear) and the median of the warm ones."""
        cold = self.render(action)
        warm = sorted(self.render() for _ in range(self.warm_runs))
        return {"cold": cold, "warm": warm[len(warm) // 2]}
