"""督办 writes: dispatches with their project lists, and answers; appended, never updated or deleted."""
from __future__ import annotations

import datetime as dt

import duckdb


def latest_dispatch(con: duckdb.DuckDBPyConnection, unit_code: str) -> tuple | None:
    """(dispatch_id, due_date) of the unit's newest dispatch, or None."""
    rows = con.execute("SELECT dispatch_id, due_date FROM supervision_dispatches WHERE unit_code = ? "
                       "ORDER BY dispatched_at DESC, dispatch_id DESC LIMIT 1", [unit_code]).fetchall()
    return rows[0] if rows else None


def on_list(con: duckdb.DuckDBPyConnection, dispatch_id: str, project_id: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM supervision_items WHERE dispatch_id = ? AND project_id = ?",
                            [dispatch_id, project_id]).fetchall()[0][0])


def insert_dispatch(con: duckdb.DuckDBPyConnection, unit_code: str, as_of_month: dt.date, due_date: dt.date,
                    note: str, by: str, at: dt.datetime, items: list[tuple]) -> str:
    """One unit's dispatch and its (project_id, project_name, rules, detail) items."""
    prefix = f"D-{as_of_month:%Y%m}-{unit_code}-"
    n = con.execute("SELECT count(*) FROM supervision_dispatches WHERE dispatch_id LIKE ?",
                    [prefix + "%"]).fetchall()[0][0]
    dispatch_id = f"{prefix}{n + 1:02d}"
    con.execute("INSERT INTO supervision_dispatches VALUES (?, ?, ?, ?, ?, ?, ?)",
                [dispatch_id, unit_code, as_of_month, due_date, note, by, at])
    con.executemany("INSERT INTO supervision_items VALUES (?, ?, ?, ?, ?, ?)",
                    [[dispatch_id, unit_code, *item] for item in items])
    return dispatch_id


def insert_answer(con: duckdb.DuckDBPyConnection, dispatch_id: str, unit_code: str, project_id: str, answer: str,
                  note: str, answer_date: dt.date, by: str, at: dt.datetime) -> str:
    n = con.execute("SELECT count(*) FROM supervision_answers WHERE dispatch_id = ?", [dispatch_id]).fetchall()[0][0]
    answer_id = f"A-{dispatch_id}-{n + 1:04d}"
    con.execute("INSERT INTO supervision_answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [answer_id, dispatch_id, unit_code, project_id, answer, note, answer_date, by, at])
    return answer_id
