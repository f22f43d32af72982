"""核减 writes (funds_deductions): appended, never updated or deleted."""
from __future__ import annotations

import duckdb


def verification_record(con: duckdb.DuckDBPyConnection, sample_id: str, unit_code: str, project_id: str) -> dict | None:
    rows = con.execute("SELECT quarter, outcome, reported_amount_wan, verified_amount_wan, note FROM verification_results"
                       " WHERE sample_id = ? AND unit_code = ? AND project_id = ?",
                       [sample_id, unit_code, project_id]).fetchall()
    keys = ("quarter", "outcome", "reported_amount_wan", "verified_amount_wan", "note")
    return dict(zip(keys, rows[0], strict=True)) if rows else None


def reported_month(con: duckdb.DuckDBPyConnection, unit_code: str, project_id: str, last_month) -> tuple | None:
    """(month, reported 累计到位资金) of the project's latest reported month up to `last_month`."""
    rows = con.execute("SELECT month, reported_funds_cum_wan FROM fact_project_month WHERE unit_code = ? "
                       "AND project_id = ? AND month <= ? ORDER BY month DESC LIMIT 1",
                       [unit_code, project_id, last_month]).fetchall()
    return rows[0] if rows else None


def exists(con: duckdb.DuckDBPyConnection, deduction_id: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM funds_deductions WHERE deduction_id = ?",
                            [deduction_id]).fetchall()[0][0])


def insert(con: duckdb.DuckDBPyConnection, row: list) -> None:
    con.execute("INSERT INTO funds_deductions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
