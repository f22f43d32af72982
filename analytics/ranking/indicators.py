"""The quarter's indicator values: the inputs read from the warehouse for one group of units, every configured
formula (`analytics.ranking.formulas`) applied to them, and the completeness of each unit's reports in the window."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import polars as pl

from analytics.ranking.formulas import FORMULAS, FormulaInputs
from core import catalog, periods, reporting
from core.periods import month_range
from warehouse import store
from warehouse.queries import ranking as q
from warehouse.queries import targets as target_queries
from warehouse.store import Snapshot

# --------------------------------------------------------------------------- the quarter's values

@dataclass(frozen=True)
class IndicatorValues:
    """The inputs of one ranking: raw indicator values and adjustment counts per unit, with completeness.

    `units`: unit_code, unit_name, complete, months_expected, months_submitted, missing_months ('、'-joined).
    `values`: unit_code, indicator_id, value (Float64, null = not computable), detail (Chinese).
    `adjustments`: unit_code, adjustment_id, count (Int64), detail.
    """

    quarter: str
    group_id: str
    group_name: str
    window_start: dt.date
    end_month: dt.date
    units: pl.DataFrame
    values: pl.DataFrame
    adjustments: pl.DataFrame
    snapshot_identity: str | None
    data_cutoff: dt.datetime | None

    def to_dict(self) -> dict:
        """A JSON-ready dict (floats kept exact by JSON's shortest round-trip repr)."""
        return {
            "quarter": self.quarter,
            "group_id": self.group_id,
            "group_name": self.group_name,
            "window_start": self.window_start.isoformat(),
            "end_month": self.end_month.isoformat(),
            "units": self.units.to_dicts(),
            "values": self.values.to_dicts(),
            "adjustments": self.adjustments.to_dicts(),
            "snapshot_identity": self.snapshot_identity,
            "data_cutoff": self.data_cutoff.isoformat() if self.data_cutoff else None,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "IndicatorValues":
        return cls(
            quarter=d["quarter"],
            group_id=d["group_id"],
            group_name=d["group_name"],
            window_start=dt.date.fromisoformat(d["window_start"]),
            end_month=dt.date.fromisoformat(d["end_month"]),
            units=pl.DataFrame(d["units"], schema=UNITS_SCHEMA),
            values=pl.DataFrame(d["values"], schema=VALUES_SCHEMA),
            adjustments=pl.DataFrame(d["adjustments"], schema=ADJUSTMENTS_SCHEMA),
            snapshot_identity=d["snapshot_identity"],
            data_cutoff=dt.datetime.fromisoformat(d["data_cutoff"]) if d["data_cutoff"] else None,
        )

    def matrix(self, indicator_ids: list[str]) -> pl.DataFrame:
        """Wide frame: unit_code then one Float64 column per indicator (in the given order)."""
        wide = self.values.pivot(on="indicator_id", index="unit_code", values="value")
        return self.units.select("unit_code").join(wide, on="unit_code", how="left").select(
            "unit_code", *[pl.col(i).cast(pl.Float64) if i in wide.columns else pl.lit(None, pl.Float64).alias(i)
                           for i in indicator_ids]
        )


UNITS_SCHEMA = {"unit_code": pl.String, "unit_name": pl.String, "complete": pl.Boolean,
                "months_expected": pl.Int64, "months_submitted": pl.Int64, "missing_months": pl.String}
VALUES_SCHEMA = {"unit_code": pl.String, "indicator_id": pl.String, "value": pl.Float64, "detail": pl.String}
ADJUSTMENTS_SCHEMA = {"unit_code": pl.String, "adjustment_id": pl.String, "count": pl.Int64, "detail": pl.String}


def window_of(quarter: str, window: str) -> tuple[dt.date, dt.date]:
    """(first month, last month) of the indicator window: 'ytd' = Jan..quarter end, 'quarter' = its 3 months."""
    months = periods.quarter_months(quarter)
    first = dt.date(months[0].year, 1, 1) if window == "ytd" else months[0]
    return first, months[-1]


def compute_indicator_values(snapshot: Snapshot, quarter: str, config, group_id: str | None = None,
                             con=None) -> IndicatorValues:
    """Read the warehouse snapshot and compute every configured indicator and adjustment for one quarter.

    `config` is an `analytics.indicator_config.IndicatorConfig`; `group_id` picks the units ranked together
    (default: the config's first group). `con`: a connection already open on `snapshot` (`session(snapshot)`),
    for callers computing several quarters (a fresh connection starts with a cold buffer cache).
    """
    group = config.group(group_id)
    year, _ = periods.parse_quarter(quarter)
    window_start, end_month = window_of(quarter, config.window)
    units = list(group.units)
    window_quarters = sorted({periods.quarter_of(m) for m in month_range(window_start, end_month)})
    with store.session(snapshot if con is None else con) as con:
        unit_months = q.unit_months(con, units, dt.date(year - 1, 1, 1), end_month)
        ledger = q.project_ledger(con, units, window_start, end_month)
        findings = q.verification_findings(con, units, window_quarters)
        states = (target_queries.project_states(con, end_month)
                  if any(s.formula.endswith("_lifecycle") for s in config.indicators) else None)
    inputs = FormulaInputs(quarter, year, window_start, end_month, tuple(units), unit_months, ledger, findings,
                           states)
    return values_from_inputs(inputs, config, group, snapshot.identity)


def values_from_inputs(inputs: FormulaInputs, config, group, snapshot_identity: str | None,
                       names: dict[str, str] | None = None) -> IndicatorValues:
    """Run the configured formulas on already-read inputs (the pure part of `compute_indicator_values`).

    `names`: code -> name of the ranked entities when they are not units (counties, chains: analytics.ranking.levels).
    """
    window = reporting.expected_months(inputs.window_start, inputs.end_month)  # 1—2月合报: no January of its own
    in_window = inputs.unit_months.filter(pl.col("month") >= inputs.window_start)
    submitted: dict[str, set] = {}
    for r in in_window.select("unit_code", "month").iter_rows():
        submitted.setdefault(r[0], set()).add(r[1])

    value_rows, adjustment_rows = [], []
    for spec in config.indicators:
        result = FORMULAS[spec.formula].compute(inputs, spec.params)
        for u, (v, d) in result.items():
            if u not in submitted:  # no report in the window: no data, not zero
                v, d = None, "指标期间无报表"
            value_rows.append((u, spec.id, None if v is None else float(v), d))
    for spec in config.adjustments:
        result = FORMULAS[spec.formula].compute(inputs, spec.params)
        adjustment_rows += [(u, spec.id, int(c), d) for u, (c, d) in result.items()]
    unit_rows = []
    for u in inputs.units:
        missing = [m for m in window if m not in submitted.get(u, set())]
        unit_rows.append((u, names[u] if names else catalog.unit_name(u), not missing, len(window), len(window) - len(missing),
                          "、".join(reporting.report_label(m) for m in missing)))
    cutoff = inputs.unit_months["received_at"].max() if not inputs.unit_months.is_empty() else None
    return IndicatorValues(
        quarter=inputs.quarter,
        group_id=group.id,
        group_name=group.name,
        window_start=inputs.window_start,
        end_month=inputs.end_month,
        units=pl.DataFrame(unit_rows, schema=UNITS_SCHEMA, orient="row"),
        values=pl.DataFrame(value_rows, schema=VALUES_SCHEMA, orient="row"),
        adjustments=pl.DataFrame(adjustment_rows, schema=ADJUSTMENTS_SCHEMA, orient="row"),
        snapshot_identity=snapshot_identity,
        data_cutoff=cutoff,
    )


def formula_table() -> pl.DataFrame:
    """The registry as a frame (formula id, kind, Chinese name, formula text, parameters) for the UI."""
    return pl.DataFrame(
        [(f.id, "指标" if f.kind == "indicator" else "加减分项", f.name, f.text,
          json.dumps(f.params, ensure_ascii=False) if f.params else "")
         for f in FORMULAS.values()],
        schema=["formula_id", "kind", "name", "formula_text", "params"],
        orient="row",
    )
