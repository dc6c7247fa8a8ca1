"""Pure rendering of the DuckDB exporter's config (exporters/duckdb/exporter.py reads it)."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

import yaml

from components.core import catalog
from components.core.settings import DuckDbSettings

SERVICE = catalog.DUCKDB_EXPORTER
CONFIG_FILE = f"{SERVICE.config_dir}/config.yml"
EXPORTER_DIR = Path(__file__).resolve().parents[2] / "exporters" / "duckdb"
IMAGE_REPOSITORY = "promshield/duckdb-exporter"
DEMO_DATABASE_FILE = "demo.duckdb"


def container_database_path(duckdb: DuckDbSettings) -> str:
    """The database's path inside the exporter: its host directory is mounted read-only at /data."""
    name = DEMO_DATABASE_FILE if duckdb.demo else PurePosixPath(duckdb.database_path).name
    return f"{SERVICE.data_dir}/{name}"


def render_exporter_config(duckdb: DuckDbSettings) -> str:
    tls_dir = SERVICE.tls_dir
    return yaml.safe_dump(
        {
            "database": container_database_path(duckdb),
            "listen_address": "0.0.0.0",  # noqa: S104 - inside its container, on the internal backend network only
            "port": SERVICE.port,
            "metrics_table": duckdb.metrics_table,
            "memory_limit": duckdb.memory_limit,
            "threads": duckdb.threads,
            "probe_queries": [{"name": name, "sql": sql} for name, sql in sorted(duckdb.probe_queries.items())],
            "tls": {
                "cert_file": f"{tls_dir}/{catalog.TLS_CERT_FILE}",
                "key_file": f"{tls_dir}/{catalog.TLS_KEY_FILE}",
                "client_ca_file": f"{tls_dir}/{catalog.TLS_CA_FILE}",
            },
        },
        sort_keys=False,
    )


def image_tag(directory: Path = EXPORTER_DIR) -> str:
    """A tag that changes exactly when the exporter's sources change (so the image rebuilds)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in {".py", ".txt", ".sql", ""}):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{IMAGE_REPOSITORY}:0.1.0-{digest.hexdigest()[:12]}"
