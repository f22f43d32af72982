"""The DuckDB warehouse: schema and migrations, the one writer, the read-only serving snapshot."""
