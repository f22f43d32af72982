"""Read queries of the targets area (目标进度, 重大项目与三个500强, 项目全周期): `f(source, ...) -> polars.DataFrame`.

`source` is a `Snapshot` (a connection is opened and closed per query) or a connection from `session(snapshot)`,
which a page-level function opens once for all its queries. Money comes back as DECIMAL 万元.
"""
from __future__ import annotations

import datetime as dt

import polars as pl

from warehouse import store
from warehouse.store import Source, session  # noqa: F401 (session: callers open one connection for many queries)


def latest_data_month(source: Source) -> dt.date | None:
    """The latest month that has any current submission."""
    return store.frame(source, "SELECT max(month) AS m FROM current_submission")["m"][0]


def unit_months(source: Source) -> pl.DataFrame:
    """Every (unit, month) with a submission (mart_unit_month): unit_code, month, funds_month_wan. Small: one row
    per unit and month, so callers derive years, totals and the province series from it."""
    return store.frame(source, "SELECT unit_code, month, funds_month_wan FROM mart_unit_month ORDER BY unit_code, month")


def submitted_months(source: Source) -> list[dt.date]:
    """The months that have at least one current submission."""
    return store.frame(source, "SELECT DISTINCT month FROM current_submission ORDER BY month")["month"].to_list()


def funds_by_project(source: Source, first_month: dt.date, last_month: dt.date,
                     unit_code: str | None = None) -> pl.DataFrame:
    """The projects behind 到位资金 in [first_month, last_month]: one row per project with its counted funds
    (资金来源 that count) summed over the range and its attributes from the latest row in the range."""
    return store.frame(source, """
        SELECT unit_code, unit_name, project_id,
               arg_max(project_name, month) AS project_name, arg_max(chain, month) AS chain,
               arg_max(investor_name, month) AS investor_name, arg_max(fund_source, month) AS fund_source,
               arg_max(status, month) AS status, count(*) AS months_reported,
               sum(funds_month_wan)::DECIMAL(38,4) AS funds_wan
        FROM fact_project_month
        WHERE counts_for_funds AND month BETWEEN $first AND $last AND ($unit IS NULL OR unit_code = $unit)
        GROUP BY unit_code, unit_name, project_id
        ORDER BY funds_wan DESC, unit_code, project_id""",
        {"first": first_month, "last": last_month, "unit": unit_code})


def project_states(source: Source, as_of_month: dt.date) -> pl.DataFrame:
    """Every project as known at the end of `as_of_month` (the project_state macro, 004_targets.sql)."""
    return store.frame(source, "SELECT * FROM project_state(?::DATE) ORDER BY unit_code, project_id", [as_of_month])


def project_months(source: Source, unit_code: str, project_id: str) -> pl.DataFrame:
    """One project's monthly rows (current versions), oldest first: the trail behind any of its figures."""
    return store.frame(source, """
        SELECT month, version, row_no, project_name, status, start_date, production_date,
               reported_funds_month_wan AS funds_month_wan, reported_funds_cum_wan AS funds_cum_wan, deduction_wan,
               signed_amount_wan, planned_investment_wan, fortune500
        FROM fact_project_month WHERE unit_code = ? AND project_id = ? ORDER BY month""", [unit_code, project_id])


def five_hundred_reference(source: Source) -> pl.DataFrame:
    """The loaded 三个500强 lists: list_name, year, company_name, uscc."""
    return store.frame(source, "SELECT list_name, year, company_name, uscc FROM five_hundred_list")
