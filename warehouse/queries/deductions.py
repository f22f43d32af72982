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


def candidates(source: Source) -> pl.DataFrame:
    """Verification records with a discrepancy (存在差异) that have no 核减 yet."""
    return store.frame(source, """
        SELECT r.sample_id, r.quarter, r.unit_code, r.project_id, r.reported_amount_wan, r.verified_amount_wan, r.note
        FROM verification_results r
        WHERE r.outcome = '存在差异' AND NOT EXISTS (
            SELECT 1 FROM funds_deductions d
            WHERE d.sample_id = r.sample_id AND d.unit_code = r.unit_code AND d.project_id = r.project_id)
        ORDER BY r.quarter, r.sample_id, r.unit_code, r.project_id""")


def unit_month_deductions(source: Source, units: list[str], first_month, last_month) -> pl.DataFrame:
    """(unit_code, month, deduction_wan) of the counted 核减 in [first_month, last_month] (mart_unit_month)."""
    return store.frame(source, """
        SELECT unit_code, month, deduction_wan FROM mart_unit_month
        WHERE deduction_wan <> 0 AND month BETWEEN $first AND $last AND list_contains($units, unit_code)
        ORDER BY unit_code, month""", {"first": first_month, "last": last_month, "units": units})
