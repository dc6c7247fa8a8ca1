"""Pure rendering of the DuckDB exporter's config (exporters/duckdb/exporter.py reads it)."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

import yaml

from components.core import catalog
from components.duckdb.settings import DuckDbSettings

SERVICE = catalog.DUCKDB_EXPORTER
CONFIG_FILE = f"{SERVICE.config_dir}/config.yml"
EXPORTER_DIR = Path(__file__).resolve().parents[2] / "exporters" / "duckdb"
IMAGE_REPOSITORY = "promshield/duckdb-exporter"


def exporter_source(duckdb: DuckDbSettings) -> dict[str, str]:
    """What the exporter opens, inside its container: the host directory is mounted read-only at /data.

    The snapshot directory by default (the demo volume holds one too); the live file's own
    directory only with readLiveFile.
    """
    if duckdb.database_path is not None:
        return {"database": f"{SERVICE.data_dir}/{PurePosixPath(duckdb.database_path).name}"}
    return {"snapshot_dir": SERVICE.data_dir}


def host_directory(duckdb: DuckDbSettings) -> str:
    """The host directory mounted read-only at /data (not used with demo: a volume is)."""
    if duckdb.database_path is not None:
        return str(PurePosixPath(duckdb.database_path).parent)
    if duckdb.snapshot_dir is None:
        raise ValueError("a DuckDB source needs snapshotDir or databasePath unless it is the demo")
    return duckdb.snapshot_dir


def render_exporter_config(duckdb: DuckDbSettings) -> str:
    tls_dir = SERVICE.tls_dir
    return yaml.safe_dump(
        {
            **exporter_source(duckdb),
            "listen_address": "0.0.0.0",  # noqa: S104 - inside its container, on the internal backend network only
            "port": SERVICE.port,
            "metrics_table": duckdb.metrics_table,
            "memory_limit": duckdb.memory_limit,
            "threads": duckdb.threads,
            **({} if duckdb.query_timeout_seconds is None else {"query_timeout_seconds": duckdb.query_timeout_seconds}),
            "probe_queries": [{"name": name, "sql": sql} for name, sql in sorted(duckdb.probe_queries.items())],
            "tls": {
                "cert_file": f"{tls_dir}/{catalog.TLS_CERT_FILE}",
                "key_file": SERVICE.key_file,
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
