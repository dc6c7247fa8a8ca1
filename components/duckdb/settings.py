"""The monitored DuckDB (`duckdb`; its config key in `KEYS`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from pydantic import field_validator

from components.core.settings.declare import Declared, declared, read_declared
from components.core.settings.keys import ConfigKey, defaults
from components.core.settings.reader import LABEL_NAME, Reader


@dataclass(frozen=True)
class DuckDbSettings:
    snapshot_dir: str | None  # host directory the writer publishes snapshot.duckdb into (mounted read-only)
    database_path: str | None  # the live file (its directory mounted read-only): only with readLiveFile
    metrics_table: str
    probe_queries: Mapping[str, str]
    memory_limit: str
    threads: int
    demo: bool = False  # the stack seeds a demo volume with a snapshot itself (demo: true, no duckdb settings)
    query_timeout_seconds: float | None = None  # None: the exporter's default

    @property
    def read_live_file(self) -> bool:
        return self.database_path is not None


DEFAULT_PROBE_QUERIES = {"metrics_rows": "SELECT count(*) FROM metrics"}
DUCKDB_SIZE = r"^\d+(?:\.\d+)?\s*(?:B|KB|MB|GB|KiB|MiB|GiB)$"
SQL_IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
PROBES_EXPECTED = 'expected a map of probe name to SQL, e.g. {"metrics_rows": "SELECT count(*) FROM metrics"}'


class DuckDbConfig(Declared):
    """`promshield:duckdb`: every key the exporter takes, declared once."""

    snapshot_dir: str | None = declared(
        None,
        "Host directory the writer publishes snapshot.duckdb into (exporters/duckdb/duckdb_snapshot.py); mounted "
        "read-only. Required unless readLiveFile.",
        "expected the absolute host directory the writer publishes snapshot.duckdb into",
    )
    database_path: str | None = declared(
        None, "The live DuckDB file, only with readLiveFile (contends with the writer).", "expected an absolute path"
    )
    read_live_file: bool = declared(False, "Opt in to reading the live file (databasePath).", "expected true or false")
    metrics_table: str = declared(
        "metrics",
        "Table or view the exporter reads the trading metrics from.",
        "expected a table or view name (letters, digits, _)",
        pattern=SQL_IDENTIFIER,
    )
    probe_queries: dict[str, str] = declared(
        DEFAULT_PROBE_QUERIES, "Probe name -> SQL returning one number (a gauge each).", PROBES_EXPECTED
    )
    memory_limit: str = declared(
        "64MB", "DuckDB's memory_limit for the exporter.", "expected a size such as 64MB", pattern=DUCKDB_SIZE
    )
    threads: int = declared(
        1, "DuckDB's threads for the exporter.", "expected an integer between 1 and 16", ge=1, le=16
    )
    query_timeout_seconds: float | None = declared(
        None,
        "Each probe query is interrupted after this many seconds, so a scrape holds the snapshot's lock for at most "
        "(1 + probes) x this; unset: the exporter's 2 seconds.",
        "expected a number of seconds greater than 0 and at most 60",
        gt=0,
        le=60,
    )

    @field_validator("probe_queries")
    @classmethod
    def _probes(cls, probes: dict[str, str]) -> dict[str, str]:
        if not probes or not all(LABEL_NAME.match(name) and sql.strip() for name, sql in probes.items()):
            raise ValueError(PROBES_EXPECTED)
        return probes


# This service's config keys, declared once (components/stack/keys.py joins every service's).
KEYS: tuple[ConfigKey, ...] = (
    ConfigKey(
        "duckdb",
        "object",
        model=DuckDbConfig,
        description=(
            'The monitored DuckDB: {"snapshotDir": "/srv/trading/monitoring", "metricsTable": "metrics", '
            '"probeQueries": {...}, "memoryLimit": "64MB", "threads": 1}. The exporter reads only the snapshot '
            "the writer publishes into snapshotDir (exporters/duckdb/duckdb_snapshot.py); reading the live file "
            '("readLiveFile": true with "databasePath") is an opt-in that contends with the writer (see README, '
            '"DuckDB: a published snapshot, never the live file").'
        ),
    ),
)
DEFAULTS = defaults(KEYS)


def read_duckdb(r: Reader, demo: bool) -> DuckDbSettings | None:
    raw = r.structured("duckdb", None, dict)
    if raw is None and not demo:
        return None
    is_demo = raw is None
    config = read_declared(r, "duckdb", DuckDbConfig, raw or {})
    snapshot_dir, path = _duckdb_source(r, raw or {}, config, is_demo)
    return DuckDbSettings(
        snapshot_dir,
        path,
        config.metrics_table,
        MappingProxyType(dict(config.probe_queries)),
        config.memory_limit,
        config.threads,
        demo=is_demo,
        query_timeout_seconds=config.query_timeout_seconds,
    )


def _duckdb_source(
    r: Reader, raw: Mapping[str, object], config: DuckDbConfig, is_demo: bool
) -> tuple[str | None, str | None]:
    """(snapshotDir, databasePath): the published snapshot's directory, or the live file (opt-in). The checks
    between keys; `raw` for the values as given (a bad one was reported and its default is in `config`)."""
    if is_demo:
        return None, None  # the stack seeds a demo volume with a snapshot
    snapshot_dir = raw.get("snapshotDir")
    path = raw.get("databasePath")
    live = config.read_live_file
    if live:
        if snapshot_dir is not None:
            r.problem(
                "duckdb.snapshotDir",
                snapshot_dir,
                "set either snapshotDir (the published snapshot) or readLiveFile with databasePath, not both",
            )
        if not isinstance(path, str) or not path.startswith("/"):
            r.problem(
                "duckdb.databasePath",
                path,
                "readLiveFile needs the absolute host path of the live DuckDB file (databasePath)",
            )
            path = "/invalid"
        return None, path
    if path is not None:
        r.problem(
            "duckdb.databasePath",
            path,
            "reading the live file fights the writer for DuckDB's lock: publish a snapshot with "
            "exporters/duckdb/duckdb_snapshot.py and set snapshotDir, or opt in with readLiveFile: true",
        )
        return "/invalid", None  # one problem: the missing snapshotDir is the same mistake
    if not isinstance(snapshot_dir, str) or not snapshot_dir.startswith("/"):
        r.problem(
            "duckdb.snapshotDir",
            snapshot_dir,
            "expected the absolute host directory the writer publishes snapshot.duckdb into",
        )
        snapshot_dir = "/invalid"
    return snapshot_dir, None
