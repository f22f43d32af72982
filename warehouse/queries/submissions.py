"""Read queries behind the 数据报送 page and the sidebar: freshness, completeness, versions, audit."""
from __future__ import annotations

import datetime as dt

import polars as pl

from warehouse import store
from warehouse.store import Snapshot


def data_freshness(snapshot: Snapshot) -> dict:
    """The latest month reported, how many units reported it, 数据截至 (complete_month: the latest month every unit
    has reported) and the last receipt time."""
    df = store.frame(
        snapshot,
        """
        SELECT (SELECT max(month) FROM current_submission) AS latest_month,
               (SELECT count(DISTINCT unit_code) FROM current_submission
                 WHERE month = (SELECT max(month) FROM current_submission)) AS units_reported,
               (SELECT count(*) FROM units) AS units_total,
               (SELECT max(month) FROM (SELECT month FROM current_submission GROUP BY month
                 HAVING count(DISTINCT unit_code) >= (SELECT count(*) FROM units))) AS complete_month,
               (SELECT max(received_at) FROM submission_versions) AS last_received_at
        """,
    )
    return df.row(0, named=True)


def months_with_data(snapshot: Snapshot) -> list[dt.date]:
    df = store.frame(snapshot, "SELECT DISTINCT month FROM current_submission ORDER BY month")
    return df["month"].to_list()


def completeness(snapshot: Snapshot, year: int, combined_jan_feb: bool = False) -> pl.DataFrame:
    """One row per (unit, report month) of the year: the used version, its quality, and the month's timeliness.

    `combined_jan_feb` (1—2月合报, core.reporting): January carries no report of its own, so it has no row (the
    February row is the 1—2月 report).

    Timeliness is judged on the FIRST version (`is_late`, as the late-report deduction counts it): a correction sent
    after the deadline never turns an on-time month into 迟报. Units × months with no submission appear with version
    NULL, so the page can mark them 缺报.
    """
    return store.frame(
        snapshot,
        """
        WITH months AS (
            SELECT unnest(generate_series(make_date($year, CASE WHEN $combined THEN 2 ELSE 1 END, 1), make_date($year, 12, 1),
                                   INTERVAL 1 MONTH))::DATE AS month
        )
        , first_version AS (
            SELECT unit_code, month, arg_min(is_late, version) AS first_late
            FROM submission_versions WHERE year(month) = $year GROUP BY unit_code, month
        )
        SELECT u.unit_code, u.unit_name, u.sort_order, m.month,
               cs.version, cs.received_at, cs.deadline, coalesce(fv.first_late, cs.is_late) AS is_late,
               cs.rows_loaded, cs.rows_quarantined, cs.warnings, cs.file_name
        FROM units u CROSS JOIN months m
        LEFT JOIN current_submission cs ON cs.unit_code = u.unit_code AND cs.month = m.month
        LEFT JOIN first_version fv ON fv.unit_code = u.unit_code AND fv.month = m.month
        ORDER BY u.sort_order, m.month
        """,
        {"year": year, "combined": combined_jan_feb},
    )


def submission_history(snapshot: Snapshot, unit_code: str | None = None) -> pl.DataFrame:
    """Every version of every submission (newest first), marked current or superseded."""
    return store.frame(
        snapshot,
        """
        SELECT sv.unit_code, u.unit_name, sv.month, sv.version, sv.received_at, sv.deadline, sv.is_late,
               sv.file_name, sv.sha256, sv.rows_input, sv.rows_loaded, sv.rows_quarantined, sv.rows_ignored,
               sv.warnings, sv.submission_id,
               sv.version = max(sv.version) OVER (PARTITION BY sv.unit_code, sv.month) AS is_current
        FROM submission_versions sv JOIN units u USING (unit_code)
        WHERE $unit IS NULL OR sv.unit_code = $unit
        ORDER BY sv.month DESC, u.sort_order, sv.version DESC
        """,
        {"unit": unit_code},
    )


def load_log(snapshot: Snapshot, unit_code: str | None = None, limit: int = 200) -> pl.DataFrame:
    """The audit log of load attempts (loaded, duplicate, rejected), newest first."""
    return store.frame(
        snapshot,
        """
        SELECT load_id, loaded_at, actor, file_name, outcome, unit_code, month, rows_input, rows_loaded,
               rows_quarantined, rows_ignored, warnings, message
        FROM load_audit
        WHERE $unit IS NULL OR unit_code = $unit
        ORDER BY load_id DESC
        LIMIT $limit
        """,
        {"unit": unit_code, "limit": limit},
    )


def submission_issues(snapshot: Snapshot, submission_id: int) -> pl.DataFrame:
    """Quarantined rows and warnings of one submission version, in Excel row order."""
    return store.frame(
        snapshot,
        """
        SELECT row_no, project_id, '隔离' AS severity, NULL AS column_name, NULL AS value, reasons AS message
        FROM quarantine_rows WHERE submission_id = $sid
        UNION ALL
        SELECT row_no, project_id, '警告', column_name, value, message
        FROM row_warnings WHERE submission_id = $sid
        ORDER BY row_no, severity
        """,
        {"sid": submission_id},
    )


# What each unit-month feeds the figures: if any of these fails for a (unit, month), figures for it cannot be computed.
_UNIT_MONTH_PROBES = (
    "SELECT * FROM mart_unit_month WHERE unit_code = $unit AND month = $month",
    "SELECT count(*), sum(funds_month_wan), sum(funds_cum_wan) FROM fact_project_month"
    " WHERE unit_code = $unit AND month = $month",
)


def failing_unit_months(snapshot: Snapshot, first_month: dt.date, last_month: dt.date) -> list[tuple[str, dt.date]]:
    """(unit_name, month) of every submitted unit-month in the range whose figures cannot be read (a page names
    them when a whole-quarter computation failed). Runs one small query per unit-month: only after a failure."""
    with store.session(snapshot) as con:
        months = store.frame(con, "SELECT unit_code, unit_name, month FROM current_submission JOIN units"
                                  " USING (unit_code) WHERE month BETWEEN $first AND $last ORDER BY sort_order, month",
                             {"first": first_month, "last": last_month})
        failing = []
        for unit_code, unit_name, month in months.iter_rows():
            for probe in _UNIT_MONTH_PROBES:
                try:
                    store.frame(con, probe, {"unit": unit_code, "month": month})
                except store.QueryFailed:
                    failing.append((unit_name, month))
                    break
    return failing
