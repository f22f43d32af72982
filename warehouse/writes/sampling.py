"""Sample writes: a recorded draw (head, strata, items) and the third-party firm's verification results."""
from __future__ import annotations

import duckdb
import polars as pl


def insert_sample(con: duckdb.DuckDBPyConnection, head: list, strata: pl.DataFrame, items: pl.DataFrame) -> None:
    """`head` in the column order of `samples`; `strata` and `items` already carry the sample id."""
    con.execute("INSERT INTO samples VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", head)
    con.register("new_strata", strata)
    con.register("new_items", items)
    try:
        con.execute("INSERT INTO sample_strata SELECT sample_id, unit_code, stratum, population, drawn FROM new_strata")
        con.execute(f"INSERT INTO sample_items SELECT {', '.join(items.columns)} FROM new_items")  # noqa: S608 - column names of a frame built in code; values from the registered frame
    finally:
        con.unregister("new_strata")
        con.unregister("new_items")


def insert_results(con: duckdb.DuckDBPyConnection, rows: list[list]) -> None:
    """Verification results in the column order of `verification_results`; appended, never changed."""
    con.executemany("INSERT INTO verification_results VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
