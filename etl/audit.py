"""Writing a loaded file and the audit trail: the new version with its rows, and one load_audit row per attempt."""
from __future__ import annotations

import datetime as dt
import json

import duckdb

from core import clock
from etl.report import FileReport, report_dict
from etl.validate import Validated


def insert_submission(con: duckdb.DuckDBPyConnection, report: FileReport, validated: Validated,
                       load_id: int) -> int:
    """The new version, then its loaded rows, quarantined rows and warnings in one round trip (no row loops)."""
    [(submission_id,)] = con.execute(
        "INSERT INTO submission_versions (submission_id, unit_code, month, version, received_at, deadline, is_late,"
        " file_name, sha256, load_id, rows_input, rows_loaded, rows_quarantined, rows_ignored, warnings)"
        " VALUES (nextval('submission_id_seq'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING submission_id",
        [report.unit_code, report.month, report.version, report.received_at, report.deadline, report.is_late,
         report.file_name, report.sha256, load_id, report.rows_input, report.rows_loaded, report.rows_quarantined,
         report.rows_ignored, report.warnings]).fetchall()
    # DuckDB reads these Arrow streams of the polars frames by their variable names (replacement scans): cheaper
    # than registering a view per frame, which changes the catalog in every transaction.
    etl_rows, etl_quarantine, etl_warnings = (
        f.__arrow_c_stream__() for f in (validated.rows, validated.quarantine, validated.warnings))
    inserts = [f"INSERT INTO {table} BY NAME SELECT *, {submission_id:d} AS submission_id FROM {name}"  # noqa: S608 - table names are code constants, the id an int
               for table, name, frame in (("project_rows", "etl_rows", validated.rows),
                                          ("quarantine_rows", "etl_quarantine", validated.quarantine),
                                          ("row_warnings", "etl_warnings", validated.warnings)) if frame.height]
    if inserts:
        con.execute(";\n".join(inserts))
    return submission_id


def write_audit(con: duckdb.DuckDBPyConnection, *, load_id: int, actor: str, file_name: str, sha256: str | None,
                file_bytes: int | None, outcome: str, message: str, report_json: str, kind: str = "submission",
                unit_code: str | None = None, month: dt.date | None = None, submission_id: int | None = None,
                counts: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)) -> None:
    """One load_audit row (counts: input, loaded, quarantined, ignored, warnings)."""
    con.execute(
        "INSERT INTO load_audit (load_id, loaded_at, actor, file_name, sha256, file_bytes, outcome, unit_code, month,"
        " submission_id, rows_input, rows_loaded, rows_quarantined, rows_ignored, warnings, message, report_json,"
        " kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load_id, clock.now_local(), actor, file_name, sha256, file_bytes, outcome, unit_code, month, submission_id,
         *counts, message, report_json, kind])


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    [(load_id,)] = con.execute("SELECT nextval('load_id_seq')").fetchall()
    return load_id


def audit_report(con, report: FileReport, load_id: int, file_bytes: int | None, actor: str,
           submission_id: int | None) -> None:
    write_audit(
        con, load_id=load_id, actor=actor, file_name=report.file_name, sha256=report.sha256, file_bytes=file_bytes,
        outcome=report.outcome, message=report.summary_zh,
        report_json=json.dumps(report_dict(report), ensure_ascii=False),
        unit_code=report.unit_code, month=report.month, submission_id=submission_id,
        counts=(report.rows_input, report.rows_loaded, report.rows_quarantined, report.rows_ignored, report.warnings))
