"""Completeness and timeliness of reporting: the status of every (unit, month) cell."""
from __future__ import annotations

import datetime as dt

import polars as pl

from core import catalog, periods, reporting

STATUS_ON_TIME = "按时"
STATUS_LATE = "迟报"
STATUS_MISSING = "缺报"
STATUS_NOT_DUE = "未到期"
SYMBOLS = {STATUS_ON_TIME: "✅", STATUS_LATE: "⏰", STATUS_MISSING: "❌", STATUS_NOT_DUE: "·"}
MARK_RESUBMITTED = "🔁"
MARK_QUARANTINED = "⚠️"
LEGEND = (
    f"{SYMBOLS[STATUS_ON_TIME]} 按时报送　{SYMBOLS[STATUS_LATE]} 迟报　{SYMBOLS[STATUS_MISSING]} 缺报（已过截止日）　"
    f"{SYMBOLS[STATUS_NOT_DUE]} 未到截止日　{MARK_RESUBMITTED} 已更正（按更正后的数据计算；是否按时以首次报送为准）　{MARK_QUARANTINED} 有隔离行"
)


def deadline_for(month: dt.date) -> dt.datetime:
    """End of the configured deadline day of the month after `month`."""
    nxt = periods.add_months(month, 1)
    day = int(catalog.etl_settings()["deadline_day"])
    return dt.datetime.combine(nxt.replace(day=day), dt.time(23, 59, 59, 999000))


def classify(completeness: pl.DataFrame, now: dt.datetime) -> pl.DataFrame:
    """Add `status` (按时/迟报/缺报/未到期), `resubmitted`, `has_quarantine` and a display `cell` to
    warehouse.queries.submissions.completeness output."""
    deadlines = [deadline_for(m) for m in completeness["month"].to_list()]
    df = completeness.with_columns(pl.Series("due", deadlines, dtype=pl.Datetime("us")))
    status = (
        pl.when(pl.col("version").is_null() & (pl.col("due") < now)).then(pl.lit(STATUS_MISSING))
        .when(pl.col("version").is_null()).then(pl.lit(STATUS_NOT_DUE))
        .when(pl.col("is_late")).then(pl.lit(STATUS_LATE))
        .otherwise(pl.lit(STATUS_ON_TIME))
    )
    df = df.with_columns(
        status.alias("status"),
        (pl.col("version").fill_null(0) > 1).alias("resubmitted"),
        (pl.col("rows_quarantined").fill_null(0) > 0).alias("has_quarantine"),
    )
    symbol = pl.col("status").replace_strict(SYMBOLS, return_dtype=pl.String)
    cell = (
        symbol
        + pl.when(pl.col("resubmitted")).then(pl.lit(MARK_RESUBMITTED)).otherwise(pl.lit(""))
        + pl.when(pl.col("has_quarantine")).then(pl.lit(MARK_QUARANTINED)).otherwise(pl.lit(""))
    )
    return df.with_columns(cell.alias("cell"))


def matrix(classified: pl.DataFrame) -> pl.DataFrame:
    """Unit × month display matrix (columns 被考核单位, 1月 … 12月, 按时率; 1—2月 … 12月 in a 1—2月合报 year)."""
    labels = {m: reporting.short_label(m) for m in classified["month"].unique().to_list()}
    df = classified.with_columns(pl.col("month").replace_strict(labels, return_dtype=pl.String).alias("col"))
    wide = (
        df.select("sort_order", "unit_name", "col", "cell")
        .pivot(on="col", index=["sort_order", "unit_name"], values="cell")
        .sort("sort_order")
    )
    due = df.filter(pl.col("status") != STATUS_NOT_DUE)
    rate = due.group_by("unit_name").agg(
        (pl.col("status") == STATUS_ON_TIME).sum().alias("on_time"), pl.len().alias("due")
    )
    wide = wide.join(rate, on="unit_name", how="left").with_columns(
        pl.when(pl.col("due") > 0)
        .then((pl.col("on_time") / pl.col("due") * 100).round(0).cast(pl.Int64).cast(pl.String) + "%")
        .otherwise(pl.lit("—"))
        .alias("按时率")
    )
    return wide.drop("sort_order", "on_time", "due").rename({"unit_name": "被考核单位"})


def summary(classified: pl.DataFrame) -> dict[str, int]:
    counts = classified.group_by("status").len()
    out = {s: 0 for s in SYMBOLS}
    for status, n in counts.iter_rows():
        out[status] = n
    out["已更正"] = int(classified["resubmitted"].sum())
    out["有隔离行"] = int(classified["has_quarantine"].sum())
    return out
