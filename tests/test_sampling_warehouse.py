"""Hand-made warehouses for the sampling tests (imported by the other test_sampling/risk/verification files),
and tests of the sampling read queries themselves."""
from __future__ import annotations

import datetime as dt
import hashlib
import random
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl

from core.periods import add_months
from warehouse import store
from warehouse.queries import sampling as q

UNITS = ("620100", "620400", "620500", "621000")


def month(text: str) -> dt.date:
    y, m = text.split("-")
    return dt.date(int(y), int(m), 1)


def deadline(m: dt.date) -> dt.datetime:
    nxt = add_months(m, 1)
    return dt.datetime(nxt.year, nxt.month, 5, 23, 59, 59)


def valid_uscc(seed: int) -> str:
    """An 18-character code in the USCC alphabet (check digit not computed: the loader's job)."""
    rng = random.Random(seed)
    return "91" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(16))


@dataclass
class Builder:
    """Collects project rows per (unit, month, version) and writes them in one transaction."""

    path: object
    rows: dict = field(default_factory=dict)          # (unit, month, version) -> {project_id: row}
    received: dict = field(default_factory=dict)      # (unit, month, version) -> datetime
    warnings: list = field(default_factory=list)      # ((unit, month, version), project_id, code, message)
    five_hundred: list = field(default_factory=list)  # (list_name, year, company_name)
    register: list = field(default_factory=list)      # enterprise register: (company_name, uscc)

    def project(self, unit: str, pid: str, start: str, funds: list, cum: list | None = None, **attrs) -> None:
        """One project reported every month from `start`, one month per entry of `funds` (万元)."""
        m0 = month(start)
        total = Decimal(0)
        for i, f in enumerate(funds):
            f = Decimal(str(f))
            total += f
            row = {
                "project_id": pid, "project_name": attrs.get("name", f"{pid}号产业园建设项目"),
                "county": None, "chain": attrs.get("chain", "新材料"),
                "investor_name": attrs.get("investor", f"{pid}投资有限公司"),
                "investor_uscc": attrs.get("uscc", valid_uscc(zlib.crc32(f"{unit}{pid}".encode()))),
                "investor_origin": "广东省", "fortune500": attrs.get("fortune500", "无"),
                "fund_source": attrs.get("fund_source", "省外境内"), "project_type": "新建",
                "signing_date": attrs.get("signing_date", m0 - dt.timedelta(days=20)),
                "signed_amount_wan": Decimal(str(attrs.get("signed", 100000))),
                "planned_investment_wan": Decimal(str(attrs.get("planned", 150000))),
                "status": attrs.get("status", "在建"),
                "start_date": attrs.get("start_date", m0), "production_date": None,
                "funds_month_wan": f,
                "funds_cum_wan": Decimal(str(cum[i])) if cum else total,
                "is_high_tech": False, "remark": None,
            }
            if row["status"] == "已签约未开工":
                row["start_date"] = None
            self.rows.setdefault((unit, add_months(m0, i), 1), {})[pid] = row

    def revise(self, unit: str, m: str, received_at: dt.datetime, changes: dict) -> None:
        """A new version of (unit, month): the previous version's rows with `changes` {pid: {col: value}}."""
        mm = month(m)
        version = max(v for (u, mo, v) in self.rows if u == unit and mo == mm)
        new = {pid: dict(r) for pid, r in self.rows[(unit, mm, version)].items()}
        for pid, cols in changes.items():
            new[pid].update({k: Decimal(str(v)) if k.endswith("_wan") else v for k, v in cols.items()})
        self.rows[(unit, mm, version + 1)] = new
        self.received[(unit, mm, version + 1)] = received_at

    def warn(self, unit: str, m: str, pid: str, code: str, message: str) -> None:
        """A loader warning on the project's row in the latest version recorded so far of (unit, month)."""
        mm = month(m)
        version = max(v for (u, mo, v) in self.rows if u == unit and mo == mm)
        self.warnings.append(((unit, mm, version), pid, code, message))

    def write(self) -> object:
        store.initialise(self.path)
        versions, rows, ids = [], [], {}
        for n, key in enumerate(sorted(self.rows), start=1):
            unit, mo, version = key
            received = self.received.get(key, dt.datetime(mo.year, mo.month, 28) + dt.timedelta(days=5))
            dl = deadline(mo)
            batch = list(self.rows[key].values())
            versions.append([n, unit, mo, version, received, dl, received > dl, f"{unit}-{mo}-{version}.xlsx",
                             hashlib.sha256(repr(key).encode()).hexdigest(), n, len(batch), len(batch), 0, 0, 0])
            rows.extend({"submission_id": n, "row_no": i + 5, **r} for i, r in enumerate(batch))
            ids[key] = n
        version_frame = pl.DataFrame(versions, orient="row", schema=[
            "submission_id", "unit_code", "month", "version", "received_at", "deadline", "is_late", "file_name",
            "sha256", "load_id", "rows_input", "rows_loaded", "rows_quarantined", "rows_ignored", "warnings"])
        row_frame = pl.DataFrame(rows, infer_schema_length=None)
        with store.write_transaction(self.path) as con:
            con.register("new_versions", version_frame)
            con.register("new_rows", row_frame)
            con.execute("INSERT INTO submission_versions BY NAME SELECT * FROM new_versions")
            con.execute("INSERT INTO project_rows BY NAME SELECT * FROM new_rows")
            if self.five_hundred:
                con.executemany("INSERT INTO five_hundred_list VALUES (?, ?, NULL, ?, NULL)", self.five_hundred)
            if self.register:
                con.executemany("INSERT INTO enterprise_register VALUES (?, ?, NULL)", self.register)
            for key, pid, code, message in self.warnings:
                con.execute("INSERT INTO row_warnings VALUES (?, 5, ?, ?, NULL, NULL, ?)",
                            [ids[key], pid, code, message])
        return self.path


def background(b: Builder, per_unit: int, start: str = "2024-10", months: int = 12, seed: int = 7) -> None:
    """Ordinary projects: irregular, non-round monthly funds in every unit."""
    rng = random.Random(seed)
    for unit in UNITS:
        for k in range(per_unit):
            signed = round(rng.uniform(5000, 200000), 2)
            funds = [round(10 ** rng.uniform(1.2, 3.6), 2) if rng.random() < 0.6 else 0 for _ in range(months)]
            b.project(unit, f"B{unit[-4:]}{k:03d}", start, funds, signed=signed, planned=signed * 1.3,
                      investor=f"背景投资{unit}{k}有限公司",
                      name=f"{('光伏', '食品', '物流')[k % 3]}{unit}{k}号项目")


# --------------------------------------------------------------------------- tests of the queries


def test_history_and_warnings_use_the_current_version(tmp_path):
    b = Builder(tmp_path / "w.duckdb")
    b.project("620100", "P1", "2025-07", [100, 200, 300])
    b.warn("620100", "2025-08", "P1", "cum_mismatch", "累计到位资金与上月累计加本月到位资金不符")
    b.revise("620100", "2025-08", dt.datetime(2025, 10, 20), {"P1": {"funds_month_wan": 250}})
    snap = store.current_snapshot(b.write())
    hist = q.project_history(snap, month("2025-07"), month("2025-09")).sort("month")
    assert hist["funds_month_wan"].cast(float).to_list() == [100, 250, 300]
    # the warning was on version 1 of 2025-08, which is superseded
    assert q.current_warnings(snap, month("2025-07"), month("2025-09")).is_empty()


def test_late_upward_revisions_compare_with_the_first_version(tmp_path):
    b = Builder(tmp_path / "w.duckdb")
    b.project("620100", "P1", "2025-07", [100, 200, 300])
    b.project("620100", "P2", "2025-07", [100, 200, 300])
    b.revise("620100", "2025-07", dt.datetime(2025, 8, 3), {"P2": {"funds_month_wan": 900}})  # before deadline
    b.revise("620100", "2025-08", dt.datetime(2025, 10, 20),
             {"P1": {"funds_month_wan": 700}, "P2": {"funds_month_wan": 50}})
    snap = store.current_snapshot(b.write())
    rev = q.late_upward_revisions(snap, month("2025-07"), month("2025-09"))
    assert rev.select("project_id", "month", "version").rows() == [("P1", month("2025-08"), 2)]
    assert rev["funds_first_wan"].cast(float).to_list() == [200]
    assert rev["funds_now_wan"].cast(float).to_list() == [700]
