"""Read queries of the ranking area: the inputs of the indicator formulas, and published rankings.

`source` is a `Snapshot` (a connection per query) or a connection from `session(snapshot)`, which a caller opens
once for several queries: a fresh connection starts with a cold buffer cache, so sharing one halves the time.
"""
from __future__ import annotations

import datetime as dt

import polars as pl

from warehouse import store
from warehouse.store import Source


def unit_months(source: Source, units: list[str], first_month: dt.date, last_month: dt.date) -> pl.DataFrame:
    """One row per (unit, month) with a submission in [first_month, last_month].

    Columns: unit_code, month, funds_month_wan (DECIMAL, counted sources), received_at (of the version used),
    first_late (whether the unit's FIRST version for that month came after the deadline), rows_quarantined.
    """
    return store.frame(
        source,
        """
        WITH first_version AS (
            SELECT unit_code, month, arg_min(is_late, version) AS first_late
            FROM submission_versions
            WHERE month BETWEEN $first AND $last AND list_contains($units, unit_code)
            GROUP BY unit_code, month
        )
        SELECT m.unit_code, m.month, m.funds_month_wan, m.received_at, f.first_late, m.rows_quarantined
        FROM mart_unit_month m JOIN first_version f USING (unit_code, month)
        WHERE m.month BETWEEN $first AND $last AND list_contains($units, m.unit_code)
        ORDER BY m.unit_code, m.month
        """,
        {"first": first_month, "last": last_month, "units": units},
    )


def project_ledger(source: Source, units: list[str], first_month: dt.date, last_month: dt.date) -> pl.DataFrame:
    """One row per project of 省外境内/境外 funds reported in [first_month, last_month]: its latest row there.

    Attributes (status, amounts, flags, 所在县区) are those of the project's latest reported month in the window;
    funds_window_wan is the sum of its 本月到位资金 over the window (DECIMAL, exact).
    """
    return store.frame(
        source,
        """
        SELECT unit_code, project_id,
               max(month)                                   AS last_month,
               max_by(county, month)                        AS county,
               max_by(project_name, month)                  AS project_name,
               max_by(signing_date, month)                  AS signing_date,
               max_by(signed_amount_wan, month)             AS signed_amount_wan,
               max_by(planned_investment_wan, month)        AS planned_investment_wan,
               max_by(funds_cum_wan, month)                 AS funds_cum_wan,
               max_by(status, month)                        AS status,
               max_by(start_date, month)                    AS start_date,
               max_by(investor_name, month)                 AS investor_name,
               max_by(investor_uscc, month)                 AS investor_uscc,
               max_by(investor_origin, month)               AS investor_origin,
               max_by(fortune500, month)                    AS fortune500,
               max_by(chain, month)                         AS chain,
               max_by(is_high_tech, month)                  AS is_high_tech,
               sum(funds_month_wan)::DECIMAL(38,4)          AS funds_window_wan
        FROM fact_project_month
        WHERE counts_for_funds AND month BETWEEN $first AND $last AND list_contains($units, unit_code)
        GROUP BY unit_code, project_id
        """,
        {"first": first_month, "last": last_month, "units": units},
    )


def verification_findings(source: Source, units: list[str], quarters: list[str]) -> pl.DataFrame:
    """Per unit: verified discrepancies and unverifiable projects over the given quarters' samples."""
    return store.frame(
        source,
        """
        SELECT unit_code, sum(discrepancies)::BIGINT AS discrepancies, sum(unverifiable)::BIGINT AS unverifiable
        FROM mart_verification_findings
        WHERE list_contains($quarters, quarter) AND list_contains($units, unit_code)
        GROUP BY unit_code
        """,
        {"quarters": quarters, "units": units},
    )


def publications(source: Source, quarter: str | None = None) -> pl.DataFrame:
    """mart_publication (one row per publication), newest first; optionally one quarter's."""
    sql = "SELECT * FROM mart_publication"
    if quarter is None:
        return store.frame(source, sql + " ORDER BY published_at DESC, publication_id DESC")
    return store.frame(source, sql + " WHERE quarter = $q ORDER BY published_at DESC, publication_id DESC", {"q": quarter})


def published_ranking(source: Source, publication_id: str) -> pl.DataFrame:
    """mart_published_ranking rows of one publication, by rank (unranked units last)."""
    return store.frame(
        source,
        "SELECT * FROM mart_published_ranking WHERE publication_id = $id ORDER BY rank NULLS LAST, unit_code",
        {"id": publication_id},
    )


def publication_record(source: Source, publication_id: str) -> pl.DataFrame:
    """The full stored row of one publication (including its inputs, results and config text)."""
    return store.frame(source, "SELECT * FROM publications WHERE publication_id = $id", {"id": publication_id})


def first_month(source: Source) -> dt.date | None:
    """The earliest month any unit has a current submission for (None in an empty warehouse)."""
    return store.frame(source, "SELECT min(month) AS m FROM current_submission")["m"][0]
