"""The DuckDB exporter: `component` (image built from exporters/duckdb, hardened container, demo database) and
`render` (its config and image tag)."""
