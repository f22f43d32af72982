"""Annual assessment writes: entries and frozen publications, appended, never updated or deleted."""
from __future__ import annotations

import duckdb

from warehouse import chain

ROW_COLUMNS = ("publication_id", "unit_code", "unit_name", "score", "rank", "grade", "complete", "flags")


def _next(con: duckdb.DuckDBPyConnection, table: str, year: int, tag: str) -> str:
    n = con.sql(f"SELECT count(*) FROM {table} WHERE year = $y", params={"y": year}).fetchall()[0][0]  # noqa: S608 - table name is a code constant
    return f"{year}-{tag}-{n + 1:04d}"


def entry_exists(con: duckdb.DuckDBPyConnection, entry_id: str) -> tuple | None:
    """(year, unit_code, item_name, withdrawn) of an item entry, or None."""
    rows = con.sql("""SELECT year, unit_code, item_name, withdraws IS NOT NULL
                             OR EXISTS (SELECT 1 FROM annual_items w WHERE w.withdraws = i.entry_id)
                      FROM annual_items i WHERE entry_id = $id""", params={"id": entry_id}).fetchall()
    return rows[0] if rows else None


def insert_item(con: duckdb.DuckDBPyConnection, year: int, unit_code: str, item_id: str, item_name: str,
                points, note: str, by: str, at, withdraws: str | None = None) -> str:
    entry_id = _next(con, "annual_items", year, "I")
    con.execute("INSERT INTO annual_items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [entry_id, year, unit_code, item_id, item_name, points, note, by, at, withdraws])
    return entry_id


def insert_supervision(con: duckdb.DuckDBPyConnection, year: int, unit_code: str, score, note: str, by: str,
                       at) -> str:
    entry_id = _next(con, "annual_supervision", year, "S")
    con.execute("INSERT INTO annual_supervision VALUES (?, ?, ?, ?, ?, ?, ?)",
                [entry_id, year, unit_code, score, note, by, at])
    return entry_id


def find_by_request(con: duckdb.DuckDBPyConnection, request_key: str) -> tuple | None:
    rows = con.sql("SELECT publication_id, content_hash, corrects FROM annual_publications WHERE request_key = $k",
                   params={"k": request_key}).fetchall()
    return rows[0] if rows else None


def find_current(con: duckdb.DuckDBPyConnection, year: int, group_id: str) -> tuple | None:
    rows = con.sql(
        """SELECT publication_id, published_by, published_at FROM annual_publications p
           WHERE year = $y AND group_id = $g
             AND NOT EXISTS (SELECT 1 FROM annual_publications c WHERE c.corrects = p.publication_id)
           ORDER BY published_at DESC, publication_id DESC LIMIT 1""", params={"y": year, "g": group_id}).fetchall()
    return rows[0] if rows else None


def count_for_year(con: duckdb.DuckDBPyConnection, year: int) -> int:
    return con.sql("SELECT count(*) FROM annual_publications WHERE year = $y", params={"y": year}).fetchall()[0][0]


def insert_publication(con: duckdb.DuckDBPyConnection, record: dict, columns: list[str], rows: list[tuple]) -> None:
    con.execute(f"INSERT INTO annual_publications ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",  # noqa: S608 - column names are code constants; values bound
                [record[c] for c in columns])
    con.executemany(f"INSERT INTO annual_published_rows ({', '.join(ROW_COLUMNS)}) "  # noqa: S608 - column names are code constants; values bound
                    f"VALUES ({', '.join('?' * len(ROW_COLUMNS))})", [[record["publication_id"], *r] for r in rows])
    chain.append(con, "annual", record["publication_id"])
