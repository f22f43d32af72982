"""Read queries of the annual assessment (年终总评): administrators' entries and the annual publications."""
from __future__ import annotations

import polars as pl

from warehouse import store
from warehouse.store import Source


def items(source: Source, year: int, *, include_withdrawn: bool = False) -> pl.DataFrame:
    """The year's 加分/扣分 entries, oldest first; by default without withdrawn entries and withdrawal rows.

    Columns: entry_id, unit_code, item_id, item_name, points (DECIMAL), note, entered_by, entered_at, withdraws,
    withdrawn_by (the withdrawal row's id, if any).
    """
    sql = """
        SELECT i.entry_id, i.unit_code, i.item_id, i.item_name, i.points, i.note, i.entered_by, i.entered_at,
               i.withdraws, (SELECT min(w.entry_id) FROM annual_items w WHERE w.withdraws = i.entry_id) AS withdrawn_by
        FROM annual_items i WHERE i.year = $y
    """
    if not include_withdrawn:
        sql += " AND i.withdraws IS NULL AND NOT EXISTS (SELECT 1 FROM annual_items w WHERE w.withdraws = i.entry_id)"
    return store.frame(source, sql + " ORDER BY i.entered_at, i.entry_id", {"y": year})


def supervision(source: Source, year: int) -> pl.DataFrame:
    """The 半年督查 score that counts per unit (its newest entry): entry_id, unit_code, score, note, entered_by,
    entered_at, entries (how many were entered for the unit)."""
    return store.frame(source, """
        SELECT arg_max(entry_id, (entered_at, entry_id)) AS entry_id, unit_code,
               arg_max(score, (entered_at, entry_id)) AS score, arg_max(note, (entered_at, entry_id)) AS note,
               arg_max(entered_by, (entered_at, entry_id)) AS entered_by, max(entered_at) AS entered_at,
               count(*) AS entries
        FROM annual_supervision WHERE year = $y GROUP BY unit_code ORDER BY unit_code
    """, {"y": year})


def publications(source: Source, year: int | None = None) -> pl.DataFrame:
    sql = "SELECT * FROM mart_annual_publication"
    if year is None:
        return store.frame(source, sql + " ORDER BY published_at DESC, publication_id DESC")
    return store.frame(source, sql + " WHERE year = $y ORDER BY published_at DESC, publication_id DESC", {"y": year})


def publication_record(source: Source, publication_id: str) -> pl.DataFrame:
    return store.frame(source, "SELECT * FROM annual_publications WHERE publication_id = $id", {"id": publication_id})


def published_rows(source: Source, publication_id: str) -> pl.DataFrame:
    return store.frame(source, "SELECT * FROM annual_published_rows WHERE publication_id = $id "
                               "ORDER BY rank NULLS LAST, unit_code", {"id": publication_id})
