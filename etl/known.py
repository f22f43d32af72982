"""What evaluating a file needs from the warehouse (loaded hashes, latest versions, last month's rows, 500强 lists),
read once per load session and kept current as files commit."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import polars as pl

from core import catalog, reporting
from etl.report import FileReport
from etl.validate import Context, ReferenceList, Validated

VERSION_COLUMNS = ("submission_id", "unit_code", "month", "version", "received_at", "deadline", "is_late",
                    "rows_input", "rows_loaded", "rows_quarantined", "rows_ignored", "warnings")


def _five_hundred_lists(con: duckdb.DuckDBPyConnection, year: int) -> list[ReferenceList]:
    """Per list (in FIVE_HUNDRED_LISTS order), the one of `year`, or else the latest loaded before it."""
    lists = con.sql(
        "SELECT list_name, year, company_name, uscc FROM five_hundred_list f"
        " WHERE year = (SELECT max(year) FROM five_hundred_list g WHERE g.list_name = f.list_name AND g.year <= ?)",
        params=[year]).pl()
    parts = lists.partition_by("list_name", as_dict=True)
    return [
        ReferenceList(name, int(part["year"][0]), part["company_name"], part["uscc"].drop_nulls())
        for name in catalog.FIVE_HUNDRED_LISTS if (part := parts.get((name,))) is not None
    ]


class KnownState:
    """What evaluating a file needs from the warehouse, read once and kept current as files commit.

    A load session holds the writer lock throughout, so nothing else changes the warehouse meanwhile: the state is
    read at session start and `record`ed after each commit (never before: a rolled-back file changes nothing).
    A dry run reads it from the serving snapshot; `con` None means an empty warehouse. Reader threads call
    `existing` while the writer records (single dict operations, atomic in CPython).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection | None):
        self._con = con
        self._by_sha: dict[str, dict] = {}                    # loaded file hash -> its version's summary
        self._latest: dict[tuple[str, dt.date], tuple[int, int]] = {}  # (unit, month) -> (version, submission_id)
        self._rows: dict[int, pl.DataFrame] = {}              # submission_id -> project_id, prev_status, prev_cum
        self._lists: dict[int, list[ReferenceList]] = {}      # year -> 500强 lists (a load never changes them)
        if con is None:
            return
        for *values, sha in con.execute(f"SELECT {', '.join(VERSION_COLUMNS)}, sha256 FROM submission_versions"  # noqa: S608 - column names are code constants
                                        " ORDER BY unit_code, month, version").fetchall():
            version = dict(zip(VERSION_COLUMNS, values, strict=True))
            self._by_sha[sha] = version
            self._latest[(version["unit_code"], version["month"])] = (version["version"], version["submission_id"])

    def existing(self, sha: str | None) -> dict | None:
        """The loaded version with these bytes, if any."""
        return self._by_sha.get(sha) if sha else None

    def latest_version(self, unit_code: str, month: dt.date) -> int:
        return self._latest.get((unit_code, month), (0, 0))[0]

    def contexts(self, files: Sequence[tuple[str, dt.date]]) -> list[Context]:
        """Per (unit, month): last month's current rows of the unit and the 500强 lists of the month's year."""
        previous = [self._latest.get((unit, reporting.previous_report_month(month))) for unit, month in files]
        self._fetch_rows([sid for _, sid in filter(None, previous) if sid not in self._rows])
        return [Context(self._rows[found[1]] if found else None, self._five_hundred(month.year))
                for found, (_, month) in zip(previous, files, strict=True)]

    def _fetch_rows(self, submission_ids: list[int]) -> None:
        if not submission_ids or self._con is None:
            return
        marks = ", ".join("?" * len(submission_ids))  # constants let DuckDB skip other submissions' row groups
        found = self._con.sql(
            "SELECT submission_id, project_id, status AS prev_status, funds_cum_wan AS prev_cum FROM project_rows"  # noqa: S608 - only "?" placeholders are interpolated
            f" WHERE submission_id IN ({marks})", params=submission_ids).pl()
        parts = found.partition_by("submission_id", as_dict=True, include_key=False)
        empty = found.clear().drop("submission_id")
        for sid in submission_ids:
            self._rows[sid] = parts.get((sid,), empty)

    def _five_hundred(self, year: int) -> list[ReferenceList]:
        if year not in self._lists:
            self._lists[year] = _five_hundred_lists(self._con, year) if self._con is not None else []
        return self._lists[year]

    def record(self, report: FileReport, submission_id: int, validated: Validated) -> None:
        """A committed new version: later files see its hash, its version number and its rows."""
        self._by_sha[report.sha256] = {"submission_id": submission_id,
                                       **{k: getattr(report, k) for k in VERSION_COLUMNS[1:]}}
        key = (report.unit_code, report.month)
        superseded = self._latest.get(key)
        if superseded is not None:
            self._rows.pop(superseded[1], None)
        self._latest[key] = (report.version, submission_id)
        rows = validated.rows
        self._rows[submission_id] = pl.DataFrame({"project_id": rows["project_id"], "prev_status": rows["status"],
                                                  "prev_cum": rows["funds_cum_wan"]})
