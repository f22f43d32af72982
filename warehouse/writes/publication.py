"""Publication writes: the frozen quarterly ranking, appended, never updated or deleted."""
from __future__ import annotations

import duckdb

from warehouse import chain

PUBLISHED_ROW_COLUMNS = ("publication_id", "unit_code", "unit_name", "score", "rank", "rank_median", "rank_q05",
                         "rank_q95", "complete", "adjustment_points", "flags")


def find_by_request(con: duckdb.DuckDBPyConnection, request_key: str) -> tuple | None:
    """(publication_id, content_hash, corrects) of an identical earlier request, if any."""
    rows = con.sql("SELECT publication_id, content_hash, corrects FROM publications WHERE request_key = $k",
                   params={"k": request_key}).fetchall()
    return rows[0] if rows else None


def find_current(con: duckdb.DuckDBPyConnection, quarter: str, group_id: str) -> tuple | None:
    """(publication_id, published_by, published_at) of the quarter's current (not corrected) publication."""
    rows = con.sql(
        """SELECT publication_id, published_by, published_at FROM publications p
           WHERE quarter = $q AND group_id = $g
             AND NOT EXISTS (SELECT 1 FROM publications c WHERE c.corrects = p.publication_id)
           ORDER BY published_at DESC, publication_id DESC LIMIT 1""",
        params={"q": quarter, "g": group_id},
    ).fetchall()
    return rows[0] if rows else None


def count_for_quarter(con: duckdb.DuckDBPyConnection, quarter: str) -> int:
    return con.sql("SELECT count(*) FROM publications WHERE quarter = $q", params={"q": quarter}).fetchall()[0][0]


def insert_publication(con: duckdb.DuckDBPyConnection, record: dict, columns: list[str], rows: list[tuple]) -> None:
    """The publication record (`columns` of `record`) and its per-unit rows (PUBLISHED_ROW_COLUMNS minus the id)."""
    con.execute(f"INSERT INTO publications ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",  # noqa: S608 - column names are code constants; values bound
                [record[c] for c in columns])
    con.executemany(
        f"INSERT INTO published_ranking ({', '.join(PUBLISHED_ROW_COLUMNS)}) "  # noqa: S608 - column names are code constants; values bound
        f"VALUES ({', '.join('?' * len(PUBLISHED_ROW_COLUMNS))})",
        [[record["publication_id"], *r] for r in rows],
    )
    chain.append(con, "quarterly", record["publication_id"])
