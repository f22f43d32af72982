"""Read queries of 督办: each unit's current (newest) dispatched list with the newest answer per project, and the
newest answer of every project ever dispatched (for 项目全周期)."""
from __future__ import annotations

import polars as pl

from warehouse import store
from warehouse.store import Source

_LATEST_ANSWER = """
    SELECT * FROM supervision_answers a
    QUALIFY row_number() OVER (PARTITION BY a.unit_code, a.project_id
                               ORDER BY a.answered_at DESC, a.answer_id DESC) = 1"""


def current_lists(source: Source) -> pl.DataFrame:
    """One row per project of each unit's newest dispatch, with that dispatch's newest answer (null: none yet) and
    the first answer's time (for 逾期答复)."""
    return store.frame(source, f"""
        WITH d AS (
            SELECT * FROM supervision_dispatches
            QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY dispatched_at DESC, dispatch_id DESC) = 1),
        first_answer AS (
            SELECT dispatch_id, project_id, min(answered_at) AS first_answered_at
            FROM supervision_answers GROUP BY ALL),
        latest AS ({_LATEST_ANSWER.replace("PARTITION BY a.unit_code, a.project_id",
                                           "PARTITION BY a.dispatch_id, a.project_id")})
        SELECT d.dispatch_id, d.unit_code, d.as_of_month, d.due_date, d.dispatched_by, d.dispatched_at,
               i.project_id, i.project_name, i.rules, i.detail,
               l.answer, l.note, l.answer_date, l.answered_by, l.answered_at, f.first_answered_at
        FROM d JOIN supervision_items i USING (dispatch_id)
        LEFT JOIN latest l ON l.dispatch_id = i.dispatch_id AND l.project_id = i.project_id
        LEFT JOIN first_answer f ON f.dispatch_id = i.dispatch_id AND f.project_id = i.project_id
        ORDER BY d.unit_code, i.project_id""")  # noqa: S608 - the inserted text is a code constant


def latest_answers(source: Source) -> pl.DataFrame:
    """The newest answer of every project that was ever answered."""
    return store.frame(source, _LATEST_ANSWER + " ORDER BY unit_code, project_id")
