"""Sign-off writes: one appended row per step (prepared, approved); never updated or deleted."""
from __future__ import annotations

import duckdb

from warehouse import chain


def record_prepared(con: duckdb.DuckDBPyConnection, publication_id: str, kind: str, username: str, at,
                    one_person: bool = False) -> None:
    """The preparation of a publication, in the publishing transaction; one-person mode approves it at once."""
    mode = "one_person" if one_person else "two_person"
    con.execute("INSERT INTO publication_signoffs VALUES (?, ?, 'prepared', ?, ?, ?)",
                [publication_id, kind, username, at, mode])
    chain.append(con, "signoff", chain.signoff_id(publication_id, "prepared"))
    if one_person:
        con.execute("INSERT INTO publication_signoffs VALUES (?, ?, 'approved', ?, ?, ?)",
                    [publication_id, kind, username, at, mode])
        chain.append(con, "signoff", chain.signoff_id(publication_id, "approved"))


def status(con: duckdb.DuckDBPyConnection, publication_id: str) -> tuple | None:
    """(kind, prepared_by, approved_by, approved_at, corrected_by) of a publication, or None."""
    rows = con.sql("""
        SELECT s.kind, s.prepared_by, s.approved_by, s.approved_at,
               coalesce((SELECT min(c.publication_id) FROM publications c WHERE c.corrects = s.publication_id),
                        (SELECT min(c.publication_id) FROM annual_publications c WHERE c.corrects = s.publication_id))
        FROM mart_signoff s WHERE s.publication_id = $id""", params={"id": publication_id}).fetchall()
    return rows[0] if rows else None


def record_approved(con: duckdb.DuckDBPyConnection, publication_id: str, kind: str, username: str, at) -> None:
    con.execute("INSERT INTO publication_signoffs VALUES (?, ?, 'approved', ?, ?, 'two_person')",
                [publication_id, kind, username, at])
    chain.append(con, "signoff", chain.signoff_id(publication_id, "approved"))
