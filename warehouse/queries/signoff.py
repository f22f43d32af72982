"""Read queries of the sign-off (签批) of publications."""
from __future__ import annotations

import polars as pl

from warehouse import store
from warehouse.store import Source


def signoffs(source: Source) -> pl.DataFrame:
    """mart_signoff: publication_id, kind, prepared_by, prepared_at, mode, approved_by, approved_at, approved."""
    return store.frame(source, "SELECT * FROM mart_signoff ORDER BY prepared_at DESC, publication_id DESC")


def approved_ids(source: Source) -> set[str]:
    """The publications that are published: approved (or made before sign-off existed)."""
    return set(store.frame(source, "SELECT publication_id FROM mart_signoff WHERE approved")["publication_id"])
