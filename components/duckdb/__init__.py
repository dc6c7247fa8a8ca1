"""components/duckdb."""
