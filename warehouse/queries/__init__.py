"""Read queries per area: functions (snapshot, ...) -> polars.DataFrame."""
