"""Read queries of 核减: every recorded 核减 with the verification record it rests on."""
from __future__ import annotations

import polars as pl

from warehouse import store
from warehouse.store import Source


def deductions(source: Source) -> pl.DataFrame:
    return store.frame(source, """
        SELECT d.*, r.quarter, r.outcome, r.note AS verification_note
        FROM funds_deductions d
        LEFT JOIN verification_results r USING (sample_id, unit_code, project_id)
        ORDER BY d.recorded_at, d.deduction_id""")
