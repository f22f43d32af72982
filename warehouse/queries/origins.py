"""Read queries behind the 投资来源地 views: one row per project with its latest reported origin and its funds."""
from __future__ import annotations

import datetime as dt

import polars as pl

from warehouse import store
from warehouse.store import Source


def project_origins(source: Source, first: dt.date, last: dt.date, unit_code: str | None = None) -> pl.DataFrame:
    """Per project reporting in [first, last] (of one unit, or all): unit_code, project_id, investor_origin (as of its
    latest month in the range), funds_wan (到位资金 counted under the fund-source rule, summed over the range)."""
    return store.frame(
        source,
        """
        SELECT unit_code, project_id, arg_max(investor_origin, month) AS investor_origin,
               coalesce(sum(funds_month_wan) FILTER (WHERE counts_for_funds), 0)::DECIMAL(38,4) AS funds_wan
        FROM fact_project_month
        WHERE month BETWEEN $first AND $last AND ($unit IS NULL OR unit_code = $unit)
        GROUP BY unit_code, project_id
        ORDER BY unit_code, project_id
        """,
        {"first": first, "last": last, "unit": unit_code},
    )
