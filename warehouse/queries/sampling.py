"""Read queries for verification sampling: risk inputs, recorded samples, verification results.

Every function takes a `warehouse.store.Source`: a `Snapshot`, a read session, or a writer's connection (reading
inside its transaction, so that a recorded sample is drawn from exactly the data it names).
"""
from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from warehouse import store
from warehouse.store import Source


def project_history(source: Source, first_month: dt.date, last_month: dt.date) -> pl.DataFrame:
    """Current-version project rows of every month in [first_month, last_month], unordered (the caller sorts:
    at a million rows sorting in polars is much cheaper than ORDER BY plus the transfer). Amounts as reported
    (before any 核减): the risk rules and the firm's work list look at what the unit reported."""
    return store.frame(
        source,
        """
        SELECT unit_code, month, project_id, project_name, chain, investor_name, investor_uscc, fortune500,
               fund_source, signing_date, signed_amount_wan, planned_investment_wan, status, start_date,
               reported_funds_month_wan AS funds_month_wan, reported_funds_cum_wan AS funds_cum_wan
        FROM fact_project_month
        WHERE month BETWEEN ? AND ?
        """,
        [first_month, last_month],
    )


def monthly_funds(source: Source, first_month: dt.date, last_month: dt.date) -> pl.DataFrame:
    """unit_code, month, funds_month_wan of the current-version project rows in [first_month, last_month]:
    the amounts the digit tests look at, as reported (a slim read of what `project_history` returns)."""
    return store.frame(
        source,
        "SELECT unit_code, month, reported_funds_month_wan AS funds_month_wan FROM fact_project_month "
        "WHERE month BETWEEN ? AND ?",
        [first_month, last_month],
    )


def current_warnings(source: Source, first_month: dt.date, last_month: dt.date) -> pl.DataFrame:
    """The loader's row warnings on current-version rows of the months in the window."""
    return store.frame(
        source,
        """
        SELECT cs.unit_code, cs.month, w.project_id, w.row_no, w.code, w.column_name, w.value, w.message
        FROM row_warnings w
        JOIN current_submission cs USING (submission_id)
        WHERE cs.month BETWEEN ? AND ? AND w.project_id IS NOT NULL
        ORDER BY cs.unit_code, w.project_id, cs.month, w.row_no, w.code
        """,
        [first_month, last_month],
    )


def late_upward_revisions(source: Source, first_month: dt.date, last_month: dt.date) -> pl.DataFrame:
    """Projects whose 本月到位资金 of a month is higher in the current version than in the first version,
    when the current version arrived after that month's deadline (a late upward revision)."""
    return store.frame(
        source,
        """
        SELECT cs.unit_code, cs.month, cur.project_id, cs.version, cs.received_at, cs.deadline,
               coalesce(fst.funds_month_wan, 0)::DECIMAL(18,4) AS funds_first_wan,
               cur.funds_month_wan AS funds_now_wan,
               fst.project_id IS NULL AS added_later
        FROM current_submission cs
        JOIN submission_versions fv
          ON fv.unit_code = cs.unit_code AND fv.month = cs.month AND fv.version = 1
        JOIN project_rows cur ON cur.submission_id = cs.submission_id
        LEFT JOIN project_rows fst
          ON fst.submission_id = fv.submission_id AND fst.project_id = cur.project_id
        WHERE cs.version > 1 AND cs.received_at > cs.deadline AND cs.month BETWEEN ? AND ?
          AND cur.funds_month_wan > coalesce(fst.funds_month_wan, 0)
        ORDER BY cs.unit_code, cur.project_id, cs.month
        """,
        [first_month, last_month],
    )


def registered_companies(source: Source, region: str) -> pl.DataFrame:
    """investor_name, investor_uscc of the enterprise register's companies registered in `region` (the USCC's
    characters 3–4, e.g. '62' for Gansu). A snapshot published before migration 032 has no register: empty."""
    try:
        return store.frame(
            source,
            "SELECT company_name AS investor_name, uscc AS investor_uscc FROM enterprise_register"
            " WHERE substr(uscc, 3, 2) = ?",
            [region],
        )
    except duckdb.CatalogException:
        return pl.DataFrame(schema={"investor_name": pl.String, "investor_uscc": pl.String})


def five_hundred_names(source: Source, first_year: int, last_year: int) -> pl.DataFrame:
    """Company names on the 三个500强 lists of the years in [first_year, last_year]."""
    return store.frame(
        source,
        "SELECT DISTINCT list_name, year, company_name FROM five_hundred_list WHERE year BETWEEN ? AND ?",
        [first_year, last_year],
    )


def samples(source: Source, quarter: str | None = None) -> pl.DataFrame:
    """Recorded samples, newest first; one quarter's if given."""
    where, params = ("WHERE quarter = ?", [quarter]) if quarter else ("", None)
    return store.frame(source, f"SELECT * FROM samples {where} ORDER BY drawn_at DESC, sample_id DESC", params)  # noqa: S608 - constant WHERE clause; values bound


def sample_items(source: Source, sample_id: str) -> pl.DataFrame:
    return store.frame(
        source,
        """
        SELECT i.*, u.unit_name FROM sample_items i JOIN units u USING (unit_code)
        WHERE sample_id = ? ORDER BY selection_order
        """,
        [sample_id],
    )


def sample_strata(source: Source, sample_id: str) -> pl.DataFrame:
    return store.frame(
        source, "SELECT * FROM sample_strata WHERE sample_id = ? ORDER BY unit_code, stratum", [sample_id]
    )


def matching_sample(source: Source, quarter: str, seed: int, data_hash: str, params_json: str,
                    method_version: str) -> pl.DataFrame:
    """An already recorded sample drawn with exactly these inputs (0 or 1 row)."""
    return store.frame(
        source,
        """
        SELECT * FROM samples
        WHERE quarter = ? AND seed = ? AND data_hash = ? AND params_json = ? AND method_version = ?
        ORDER BY drawn_at LIMIT 1
        """,
        [quarter, seed, data_hash, params_json, method_version],
    )


def sample_count(source: Source, quarter: str) -> int:
    return int(store.frame(source, "SELECT count(*) AS n FROM samples WHERE quarter = ?", [quarter])["n"][0])


def verification_results(source: Source, sample_id: str | None = None) -> pl.DataFrame:
    where, params = ("WHERE sample_id = ?", [sample_id]) if sample_id else ("", None)
    return store.frame(source, f"SELECT * FROM verification_results {where} ORDER BY sample_id, unit_code, project_id",  # noqa: S608 - constant WHERE clause; values bound
                  params)


def labelled_items(source: Source) -> pl.DataFrame:
    """Every verified sampled project: what the sampler knew (scores, reasons) and what the firm found."""
    return store.frame(
        source,
        """
        SELECT i.*, s.quarter, s.drawn_at, r.outcome, r.reported_amount_wan, r.verified_amount_wan
        FROM sample_items i
        JOIN samples s USING (sample_id)
        JOIN verification_results r
          ON r.sample_id = i.sample_id AND r.unit_code = i.unit_code AND r.project_id = i.project_id
        ORDER BY s.drawn_at, i.sample_id, i.selection_order
        """,
    )
