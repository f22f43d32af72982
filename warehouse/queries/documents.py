"""Read queries of the official documents (公文): what the targets and ranking queries do not already give."""
from __future__ import annotations

import polars as pl

from warehouse import store
from warehouse.store import Source


def verification_summary(source: Source, quarters: list[str]) -> pl.DataFrame:
    """Per unit over the given quarters' samples: projects checked, discrepancies found, projects unverifiable."""
    return store.frame(
        source,
        """
        SELECT unit_code, sum(projects_checked)::BIGINT AS checked, sum(discrepancies)::BIGINT AS discrepancies,
               sum(unverifiable)::BIGINT AS unverifiable
        FROM mart_verification_findings
        WHERE list_contains($quarters, quarter)
        GROUP BY unit_code ORDER BY unit_code
        """,
        {"quarters": quarters},
    )
