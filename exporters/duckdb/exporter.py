"""Read-only Prometheus exporter for the snapshot a DuckDB writer publishes.

DuckDB allows one read-write process XOR any number of read-only ones per file, so this
exporter does not open the trading database: the writer publishes the tables monitoring may
see into ``<snapshot_dir>/snapshot.duckdb`` (``duckdb_snapshot.py`` beside this file: copied
from inside the writer's own connection, then atomically renamed into place), and the exporter
reads only that file. A snapshot file is never opened read-write by anyone (it is replaced
whole), so a scrape can never block the writer and the writer can never make a scrape fail.

DuckDB has no users or GRANTs, so "Prometheus may only read the metrics table" is
enforced by this process instead: on every scrape it opens the file with
``duckdb.connect(path, read_only=True, config=HARDENED)``, reads the snapshot's creation
time and the metrics table, runs the configured probe queries (a health check of the
snapshot), and closes the connection again, never writing a byte.

Run it as ``python exporter.py --config /etc/duckdb-exporter/config.yml``.

Config (YAML or JSON; unknown keys are an error)::

    snapshot_dir: /data                # absolute directory holding snapshot.duckdb (the default way)
    database: /data/live.duckdb        # OR: the live file itself (opt-in; fights the writer for the lock)
    listen_address: 0.0.0.0            # default 0.0.0.0 (":" in it means IPv6)
    port: 9188                         # default 9188 (0 picks a free port, logged)
    metrics_table: metrics             # default "metrics"; table or view, may be schema.table
    max_rows: 1000                     # default 1000; rows beyond this are not exported
    query_timeout_seconds: 2.0         # default 2.0; each query is interrupted after this
    memory_limit: 64MB                 # default 64MB (DuckDB memory_limit)
    threads: 1                         # default 1 (DuckDB threads)
    probe_queries:                     # default: [{name: metrics_count,
      - name: metrics_count            #            sql: SELECT count(*) FROM metrics}]
        sql: SELECT count(*) FROM metrics
    tls:                               # optional: HTTPS with a REQUIRED client certificate
      cert_file: /etc/duckdb-exporter/tls/server.crt
      key_file: /etc/duckdb-exporter/tls/server.key
      client_ca_file: /etc/duckdb-exporter/tls/ca.crt

Metrics table shape: one row per sample. Columns (matched case-insensitively, others
ignored): ``name`` (VARCHAR, required), ``value`` (any numeric type, required) and
optionally ``labels`` (``MAP(VARCHAR, VARCHAR)`` or a VARCHAR holding a JSON object of
strings). Each row becomes the gauge ``duckdb_metric_<name>{<labels>}``; characters
outside ``[a-zA-Z0-9_]`` in names and label names become ``_``. Rows with a NULL or
non-numeric value, an invalid label, or repeating an earlier name+labels are skipped and
counted in ``duckdb_metrics_table_rows{status}``.

Exposed metrics (besides the ``process_*`` family):

* ``duckdb_up`` 1 when the file was opened and the metrics table read, else 0.
* ``duckdb_up_reason{reason}`` 1 for the current failure reason, 0 for the others;
  reasons: locked, missing, permission, corrupt, metrics_table, snapshot_metadata
  (a snapshot without its ``_snapshot`` table), timeout, error.
* ``duckdb_snapshot_age_seconds`` now minus the creation time the publisher recorded in the
  snapshot (only with snapshot_dir, only when the snapshot was read).
* ``duckdb_probe_duration_seconds{probe}`` histogram of every probe run against the file.
* ``duckdb_probe_success{probe}`` 1 if the probe succeeded in this scrape, else 0.
* ``duckdb_query_errors_total{probe,reason}`` probe failures; reasons: not_a_select,
  read_only, external_access, config_locked, syntax, catalog, timeout, out_of_memory,
  corrupt, error. Probes are not run (and not counted) while the file cannot be opened.
* ``duckdb_database_size_bytes`` size of the file read (absent while it does not exist).
* ``duckdb_last_success_timestamp_seconds`` last scrape with ``duckdb_up 1`` (0: never).
* ``duckdb_scrape_duration_seconds``, ``duckdb_metrics_table_rows{status}``
  (exported, invalid, duplicate), ``duckdb_metrics_table_truncated``,
  ``duckdb_exporter_info{duckdb_version,source}`` (source: snapshot or live_file).

A probe must be a single SELECT statement (WITH, VALUES, FROM-first, DESCRIBE and
SUMMARIZE parse as SELECT); anything else is refused before it reaches DuckDB, and the
read-only, locked-configuration connection refuses writes and file access anyway.
Probe results are not exported (at most one row is fetched): a probe yields its
duration, success and error counts. Scrapes are serialized; each query is interrupted
after query_timeout_seconds, so a scrape holds the shared lock for at most
(1 + probes) x query_timeout_seconds.

Every scrape with a failure logs one line to stderr: the reason and the exception type,
plus DuckDB's message only for open errors (a path or a lock holder's PID, never a
value read from the database).

With ``database`` (the live file, opt-in) the old contention is back: while the writer keeps
the file open every scrape reports ``locked``, and while a scrape runs the writer cannot open
it (measured in tools/duckdb_contention.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import duckdb
import yaml
from duckdb_snapshot import META_TABLE, SNAPSHOT_FILE
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    make_wsgi_app,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

LOG = logging.getLogger("duckdb_exporter")

DEFAULT_CONFIG_PATH = "/etc/duckdb-exporter/config.yml"
# Inside its container the exporter listens on the container's own (private network)
# interfaces; nothing publishes this port on the host.
DEFAULT_LISTEN_ADDRESS = "0.0.0.0"  # noqa: S104  # nosec B104
METRIC_PREFIX = "duckdb_metric_"
UP_REASONS = (
    "locked",
    "missing",
    "permission",
    "corrupt",
    "metrics_table",
    "snapshot_metadata",
    "timeout",
    "error",
)
QUERY_ERROR_REASONS = (
    "not_a_select",
    "read_only",
    "external_access",
    "config_locked",
    "syntax",
    "catalog",
    "timeout",
    "out_of_memory",
    "corrupt",
    "error",
)
ROW_STATUSES = ("exported", "invalid", "duplicate")
PROBE_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
HTTP_TIMEOUT_SECONDS = 10.0  # TLS handshake and request read, per connection

# The value type duckdb.connect(config=...) accepts.
DuckDBConfig = dict[str, str | bool | int | float | list[str]]

_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}$")
_INVALID_CHARS_RE = re.compile(r"[^A-Za-z0-9_]")
_CORRUPT_MARKERS = (
    "not a valid duckdb database file",
    "corrupt database file",
    "could not read enough bytes",
    "checksum",
)


class ConfigError(ValueError):
    """The config file is unreadable or invalid; the message names the bad key."""


@dataclass(frozen=True)
class Probe:
    name: str
    sql: str


@dataclass(frozen=True)
class TLSSettings:
    cert_file: str
    key_file: str
    client_ca_file: str


@dataclass(frozen=True)
class Settings:
    database: str  # the file opened: <snapshot_dir>/snapshot.duckdb, or the live file (opt-in)
    snapshot: bool = True  # configured with snapshot_dir (False: the live file, no snapshot metadata)
    listen_address: str = DEFAULT_LISTEN_ADDRESS
    port: int = 9188
    metrics_table: str = "metrics"
    max_rows: int = 1000
    query_timeout_seconds: float = 2.0
    memory_limit: str = "64MB"
    threads: int = 1
    probe_queries: tuple[Probe, ...] = ()
    tls: TLSSettings | None = None


# --- configuration -------------------------------------------------------------------------


def _require_str(raw: dict[str, Any], key: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{key}: must be a non-empty string")
    return value


def _require_int(raw: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{key}: must be an integer from {low} to {high}")
    return value


def quote_table(name: str) -> str:
    """Quote a validated ``[catalog.][schema.]table`` name for SQL."""
    return ".".join(f'"{part}"' for part in name.split("."))


def _parse_probes(raw: object, metrics_table: str) -> tuple[Probe, ...]:
    if raw is None:
        table = quote_table(metrics_table)  # validated by _TABLE_RE, then quoted
        return (Probe("metrics_count", f"SELECT count(*) FROM {table}"),)  # noqa: S608  # nosec B608
    if not isinstance(raw, list):
        raise ConfigError("probe_queries: must be a list of {name, sql}")
    probes: list[Probe] = []
    for index, item in enumerate(raw):
        where = f"probe_queries[{index}]"
        if not isinstance(item, dict) or set(item) != {"name", "sql"}:
            raise ConfigError(f"{where}: must have exactly the keys name and sql")
        name, sql = item["name"], item["sql"]
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise ConfigError(f"{where}.name: must match {_NAME_RE.pattern}")
        if not isinstance(sql, str) or not sql.strip():
            raise ConfigError(f"{where}.sql: must be a non-empty string")
        if any(p.name == name for p in probes):
            raise ConfigError(f"{where}.name: duplicate probe name {name!r}")
        probes.append(Probe(name, sql))
    return tuple(probes)


def _parse_tls(raw: object) -> TLSSettings | None:
    if raw is None:
        return None
    keys = {"cert_file", "key_file", "client_ca_file"}
    if not isinstance(raw, dict) or set(raw) != keys:
        raise ConfigError("tls: must have exactly the keys cert_file, key_file, client_ca_file")
    for key in sorted(keys):
        _require_str(raw, key)
    return TLSSettings(raw["cert_file"], raw["key_file"], raw["client_ca_file"])


def parse_settings(raw: object) -> Settings:
    """Validate a decoded config document; raise ConfigError naming the first bad key."""
    if not isinstance(raw, dict):
        raise ConfigError("config: must be a mapping")
    unknown = sorted(set(raw) - (set(Settings.__dataclass_fields__) - {"snapshot"} | {"snapshot_dir"}))
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown key")
    if ("snapshot_dir" in raw) == ("database" in raw):
        raise ConfigError("snapshot_dir: set exactly one of snapshot_dir (the published snapshot) and database")
    if "snapshot_dir" in raw:
        directory = _require_str(raw, "snapshot_dir")
        if not os.path.isabs(directory):
            raise ConfigError("snapshot_dir: must be an absolute path to a directory")
        database = os.path.join(directory, SNAPSHOT_FILE)
    else:
        database = _require_str(raw, "database")
        if not os.path.isabs(database):
            raise ConfigError("database: must be an absolute path to a .duckdb file")
    metrics_table = _require_str(raw, "metrics_table", "metrics")
    if not _TABLE_RE.match(metrics_table):
        raise ConfigError("metrics_table: must be [catalog.][schema.]table of [A-Za-z0-9_]")
    timeout = raw.get("query_timeout_seconds", 2.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 60:
        raise ConfigError("query_timeout_seconds: must be a number in (0, 60]")
    return Settings(
        database=database,
        snapshot="snapshot_dir" in raw,
        listen_address=_require_str(raw, "listen_address", DEFAULT_LISTEN_ADDRESS),
        port=_require_int(raw, "port", 9188, 0, 65535),
        metrics_table=metrics_table,
        max_rows=_require_int(raw, "max_rows", 1000, 1, 100_000),
        query_timeout_seconds=float(timeout),
        memory_limit=_require_str(raw, "memory_limit", "64MB"),
        threads=_require_int(raw, "threads", 1, 1, 64),
        probe_queries=_parse_probes(raw.get("probe_queries"), metrics_table),
        tls=_parse_tls(raw.get("tls")),
    )


def load_settings(path: str) -> Settings:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"config: cannot read {path}: {exc.strerror}") from exc
    try:
        raw = yaml.safe_load(text)  # JSON documents are YAML too
    except yaml.YAMLError as exc:
        raise ConfigError(f"config: {path} is not valid YAML/JSON: {exc}") from exc
    settings = parse_settings(raw)
    try:  # reject a bad memory_limit/threads now rather than on every scrape
        duckdb.connect(":memory:", config=hardened_config(settings)).close()
    except duckdb.Error as exc:
        raise ConfigError(f"memory_limit/threads: rejected by DuckDB: {exc}") from exc
    return settings


# --- DuckDB access -------------------------------------------------------------------------


def hardened_config(settings: Settings) -> DuckDBConfig:
    """Connection settings: no file/network access, no extensions, no later SET."""
    return {
        "enable_external_access": False,
        "allow_community_extensions": False,
        "allow_unsigned_extensions": False,
        "autoload_known_extensions": False,
        "autoinstall_known_extensions": False,
        "allow_persistent_secrets": False,
        "temp_directory": "",  # never spill to <db>.tmp next to the file
        "memory_limit": settings.memory_limit,
        "threads": settings.threads,
        # Set at open (in any order); afterwards no SET/RESET/PRAGMA changes anything.
        "lock_configuration": True,
    }


def open_read_only(settings: Settings) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(settings.database, read_only=True, config=hardened_config(settings))


def classify_open_error(exc: BaseException, path: str) -> str:
    message = str(exc).lower()
    if isinstance(exc, duckdb.InterruptException):
        return "timeout"
    if "could not set lock" in message or "conflicting lock" in message:
        return "locked"
    if "does not exist" in message or not os.path.exists(path):
        return "missing"
    if "permission denied" in message:
        return "permission"
    if any(marker in message for marker in _CORRUPT_MARKERS):
        return "corrupt"
    return "error"


def classify_query_error(exc: BaseException) -> str:
    message = str(exc).lower()
    if isinstance(exc, duckdb.InterruptException):
        return "timeout"
    if isinstance(exc, duckdb.OutOfMemoryException):
        return "out_of_memory"
    if "read-only mode" in message:
        return "read_only"
    if "configuration has been locked" in message:
        return "config_locked"
    if isinstance(exc, duckdb.PermissionException):
        return "external_access"
    if isinstance(exc, duckdb.ParserException):
        return "syntax"
    if isinstance(exc, (duckdb.CatalogException, duckdb.BinderException)):
        return "catalog"
    if any(marker in message for marker in _CORRUPT_MARKERS):
        return "corrupt"
    return "error"


def _interrupt(conn: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # the query finished and the connection closed
        conn.interrupt()


def run_query(conn: duckdb.DuckDBPyConnection, sql: str, timeout: float, max_rows: int) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one statement, interrupted after ``timeout`` s; fetch at most ``max_rows``."""
    timer = threading.Timer(timeout, _interrupt, args=(conn,))
    timer.daemon = True
    timer.start()
    try:
        cursor = conn.execute(sql)
        columns = [str(column[0]) for column in cursor.description or ()]
        return columns, cursor.fetchmany(max_rows)
    finally:
        timer.cancel()


def is_single_select(conn: duckdb.DuckDBPyConnection, sql: str) -> bool:
    statements = conn.extract_statements(sql)
    return len(statements) == 1 and statements[0].type == duckdb.StatementType.SELECT


# --- metrics table rows --------------------------------------------------------------------


def sanitize_name(name: str) -> str:
    return _INVALID_CHARS_RE.sub("_", name)


def _parse_labels(raw: object) -> dict[str, str] | None:
    """Return sanitized labels, or None when the labels cell is unusable."""
    if raw is None:
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if not isinstance(raw, dict):
        return None
    labels: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or not isinstance(value, (str, int, float)):
            return None
        label = sanitize_name(key)
        if not label or label[0].isdigit() or label.startswith("__") or label in labels:
            return None
        labels[label] = str(value)
    return labels


@dataclass
class TableRows:
    samples: dict[str, list[tuple[dict[str, str], float]]] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROW_STATUSES, 0))
    truncated: bool = False


def parse_rows(columns: Sequence[str], rows: Sequence[tuple[Any, ...]], max_rows: int) -> TableRows:
    """Turn metrics-table rows into gauge samples; raise KeyError without name/value."""
    index = {column.lower(): position for position, column in enumerate(columns)}
    name_at, value_at = index["name"], index["value"]
    labels_at = index.get("labels")
    result = TableRows(truncated=len(rows) > max_rows)
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    for row in rows[:max_rows]:
        name, value = row[name_at], row[value_at]
        labels = _parse_labels(row[labels_at]) if labels_at is not None else {}
        numeric = isinstance(value, (int, float, Decimal))
        if not isinstance(name, str) or not name or not numeric or labels is None:
            result.status["invalid"] += 1
            continue
        metric = METRIC_PREFIX + sanitize_name(name)
        key = (metric, tuple(sorted(labels.items())))
        if key in seen:
            result.status["duplicate"] += 1
            continue
        seen.add(key)
        result.samples.setdefault(metric, []).append((labels, float(value)))
        result.status["exported"] += 1
    return result


# --- the collector -------------------------------------------------------------------------


@dataclass
class ScrapeResult:
    up: bool = False
    reason: str | None = None
    size_bytes: int | None = None
    probe_ok: dict[str, bool] = field(default_factory=dict)
    probe_errors: list[str] = field(default_factory=list)
    table: TableRows = field(default_factory=TableRows)
    duration: float = 0.0
    snapshot_age: float | None = None


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class DuckDBCollector(Collector):
    """Opens the database read-only on every scrape; scrapes are serialized."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._last_success = 0.0
        self._probe_seconds = Histogram(
            "duckdb_probe_duration_seconds",
            "Duration of probe queries run against the DuckDB file (failed ones included).",
            ["probe"],
            buckets=PROBE_BUCKETS,
            registry=None,
        )
        self._query_errors = Counter(
            "duckdb_query_errors",
            "Probe queries that failed or were refused, by reason.",
            ["probe", "reason"],
            registry=None,
        )
        for probe in settings.probe_queries:
            self._probe_seconds.labels(probe.name)
            for reason in QUERY_ERROR_REASONS:
                self._query_errors.labels(probe.name, reason)

    def describe(self) -> Iterable[Metric]:
        return []  # keeps registration from running a scrape

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            result = self._scrape()
            return list(self._families(result))

    def _scrape(self) -> ScrapeResult:
        settings = self._settings
        start = time.monotonic()
        result = ScrapeResult(probe_ok={probe.name: False for probe in settings.probe_queries})
        with contextlib.suppress(OSError):  # absent while the file does not exist
            result.size_bytes = os.stat(settings.database).st_size
        open_error = ""
        try:
            conn = open_read_only(settings)
        except (duckdb.Error, OSError) as exc:
            result.reason = classify_open_error(exc, settings.database)
            first_line = (str(exc).splitlines() or [""])[0][:300]
            open_error = f' error="{type(exc).__name__}: {first_line}"'
        else:
            try:
                if self._read_snapshot_metadata(conn, result):
                    self._read_table(conn, result)
                self._run_probes(conn, result)
            finally:
                conn.close()
        result.duration = time.monotonic() - start
        if result.up:
            self._last_success = time.time()
        if not result.up or result.probe_errors:
            LOG.warning(
                "scrape errors database=%s up=%d reason=%s probe_errors=%s%s",
                settings.database,
                int(result.up),
                result.reason or "none",
                ",".join(result.probe_errors) or "none",
                open_error,
            )
        return result

    def _read_snapshot_metadata(self, conn: duckdb.DuckDBPyConnection, result: ScrapeResult) -> bool:
        """Read the snapshot's creation time; False when the file is not a usable snapshot."""
        if not self._settings.snapshot:
            return True
        sql = f"SELECT max(created_at_seconds) FROM {META_TABLE}"  # noqa: S608  # nosec B608
        try:
            _, rows = run_query(conn, sql, self._settings.query_timeout_seconds, 1)
        except duckdb.Error as exc:
            reason = classify_query_error(exc)
            # no _snapshot table (or column): not a file duckdb_snapshot.py published
            result.reason = reason if reason in ("timeout", "corrupt") else "snapshot_metadata"
            return False
        created_at = rows[0][0] if rows else None
        if not isinstance(created_at, (int, float)):
            result.reason = "snapshot_metadata"
            return False
        # A writer's clock slightly ahead of ours is not a negative age.
        result.snapshot_age = max(0.0, time.time() - created_at)
        return True

    def _read_table(self, conn: duckdb.DuckDBPyConnection, result: ScrapeResult) -> None:
        settings = self._settings
        table = quote_table(settings.metrics_table)  # validated by _TABLE_RE, then quoted
        sql = f"SELECT * FROM {table} LIMIT {settings.max_rows + 1}"  # noqa: S608  # nosec B608
        try:
            columns, rows = run_query(conn, sql, settings.query_timeout_seconds, settings.max_rows + 1)
            result.table = parse_rows(columns, rows, settings.max_rows)
        except KeyError:
            result.reason = "metrics_table"  # no name/value column
        except duckdb.Error as exc:
            reason = classify_query_error(exc)
            if reason in ("timeout", "corrupt"):
                result.reason = reason
            elif reason in ("catalog", "syntax"):  # no such table/view, or no bind
                result.reason = "metrics_table"
            else:
                result.reason = "error"
        else:
            result.up = True

    def _run_probes(self, conn: duckdb.DuckDBPyConnection, result: ScrapeResult) -> None:
        timeout = self._settings.query_timeout_seconds
        for probe in self._settings.probe_queries:
            reason: str | None = None
            try:
                if not is_single_select(conn, probe.sql):
                    reason = "not_a_select"
            except duckdb.Error as exc:
                reason = classify_query_error(exc)
            if reason is None:
                start = time.monotonic()
                try:
                    run_query(conn, probe.sql, timeout, 1)  # results are not exported
                except duckdb.Error as exc:
                    reason = classify_query_error(exc)
                self._probe_seconds.labels(probe.name).observe(time.monotonic() - start)
            if reason is None:
                result.probe_ok[probe.name] = True
            else:
                self._query_errors.labels(probe.name, reason).inc()
                result.probe_errors.append(f"{probe.name}:{reason}")

    def _families(self, result: ScrapeResult) -> Iterable[Metric]:
        yield _gauge(
            "duckdb_up",
            "1 if the database was opened read-only and its metrics table read.",
            int(result.up),
        )
        reasons = GaugeMetricFamily(
            "duckdb_up_reason",
            "1 for the reason duckdb_up is 0, else 0.",
            labels=["reason"],
        )
        for reason in UP_REASONS:
            reasons.add_metric([reason], int(reason == result.reason))
        yield reasons
        yield _gauge(
            "duckdb_scrape_duration_seconds",
            "Time this scrape spent on the database.",
            result.duration,
        )
        yield _gauge(
            "duckdb_last_success_timestamp_seconds",
            "Unix time of the last scrape with duckdb_up 1 (0 if none yet).",
            self._last_success,
        )
        if result.snapshot_age is not None:
            yield _gauge(
                "duckdb_snapshot_age_seconds",
                "Seconds since the publisher created the snapshot read in this scrape.",
                result.snapshot_age,
            )
        if result.size_bytes is not None:
            yield _gauge(
                "duckdb_database_size_bytes",
                "Size of the database file read (the snapshot, unless the live file is configured).",
                result.size_bytes,
            )
        success = GaugeMetricFamily(
            "duckdb_probe_success",
            "1 if the probe query succeeded in this scrape.",
            labels=["probe"],
        )
        for name, ok in result.probe_ok.items():
            success.add_metric([name], int(ok))
        yield success
        yield from self._probe_seconds.collect()
        yield from self._query_errors.collect()
        rows = GaugeMetricFamily(
            "duckdb_metrics_table_rows",
            "Metrics-table rows in this scrape, by status.",
            labels=["status"],
        )
        for status, count in result.table.status.items():
            rows.add_metric([status], count)
        yield rows
        yield _gauge(
            "duckdb_metrics_table_truncated",
            "1 if the metrics table had more than max_rows rows.",
            int(result.table.truncated),
        )
        info = GaugeMetricFamily(
            "duckdb_exporter_info",
            "Exporter build information.",
            labels=["duckdb_version", "source"],
        )
        info.add_metric([duckdb.__version__, "snapshot" if self._settings.snapshot else "live_file"], 1)
        yield info
        for metric_name, samples in sorted(result.table.samples.items()):
            family = Metric(metric_name, "Value from the DuckDB metrics table.", "gauge")
            for labels, value in samples:
                family.add_sample(metric_name, labels, value)
            yield family


# --- HTTP(S) server ------------------------------------------------------------------------


class _Handler(WSGIRequestHandler):
    timeout = HTTP_TIMEOUT_SECONDS

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    """Threaded WSGI server; with TLS the handshake runs in the request's own thread.

    prometheus_client wraps the listening socket, so one client that connects and never
    finishes its handshake blocks accept() for everyone; here it only blocks its thread,
    and for at most HTTP_TIMEOUT_SECONDS.
    """

    daemon_threads = True
    allow_reuse_address = True
    ssl_context: ssl.SSLContext | None = None

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # skip HTTPServer's reverse DNS lookup
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(HTTP_TIMEOUT_SECONDS)
        try:
            tls_socket = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            LOG.info(
                "tls handshake refused peer=%s error=%s",
                client_address[0],
                type(exc).__name__,
            )
            return
        try:
            super().finish_request(tls_socket, client_address)
        finally:
            tls_socket.close()


class _Server6(_Server):
    address_family = socket.AF_INET6


def server_ssl_context(tls: TLSSettings) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=tls.client_ca_file)
    context.load_cert_chain(certfile=tls.cert_file, keyfile=tls.key_file)
    return context


def build_server(settings: Settings, registry: CollectorRegistry) -> _Server:
    server_class = _Server6 if ":" in settings.listen_address else _Server
    server = make_server(
        settings.listen_address,
        settings.port,
        make_wsgi_app(registry),
        server_class,
        _Handler,
    )
    if not isinstance(server, _Server):
        raise TypeError("make_server returned an unexpected server class")
    if settings.tls is not None:
        server.ssl_context = server_ssl_context(settings.tls)
    return server


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)  # PID 1 in a container ignores SIGTERM unless handled


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Read-only Prometheus exporter for a DuckDB file.")
    parser.add_argument("--config", default=DEFAULT_CONFIG_PATH, help="YAML or JSON config file")
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        LOG.error("config error: %s", exc)
        return 2
    disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series
    registry = CollectorRegistry()
    registry.register(DuckDBCollector(settings))
    ProcessCollector(registry=registry)
    try:
        server = build_server(settings, registry)
    except (OSError, ssl.SSLError) as exc:
        LOG.error("cannot listen on %s:%s: %s", settings.listen_address, settings.port, exc)
        return 1
    signal.signal(signal.SIGTERM, _stop)
    scheme = "https (client certificate required)" if settings.tls else "http"
    LOG.info(
        "listening on %s:%d scheme=%s database=%s",
        settings.listen_address,
        server.server_address[1],
        scheme,
        settings.database,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
