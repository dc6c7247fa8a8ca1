"""`datastores.yml`: DuckDB and Redis alerts."""

from __future__ import annotations

from components.core.catalog import JOB_DUCKDB, JOB_REDIS
from components.prometheus.rules.promql import (
    RATE_WINDOW,
    REDIS_NAME,
    Alert,
    duckdb_table_metric,
    during,
    num,
    pct,
    secs,
    sel,
)
from components.prometheus.rules.recording import REC_DUCKDB_PROBE_P99, REC_REDIS_MEMORY_RATIO
from components.prometheus.rules.thresholds import AlertThresholds

FILE = "datastores.yml"


def duckdb_alerts(t: AlertThresholds) -> list[Alert]:
    """The `duckdb.alerts` group."""
    dd = JOB_DUCKDB
    return [
        Alert(
            "DuckDBExporterDown",
            f"up{sel(dd)} == 0 or duckdb_up{sel(dd)} == 0",
            t.duckdb_down_for,
            "critical",
            "DuckDB exporter {{ $labels.instance }} is down or cannot read the database",
            f"The DuckDB exporter at {{{{ $labels.instance }}}} has been unreachable (up == 0) or unable to read its "
            f"DuckDB file (duckdb_up == 0){during(t.duckdb_down_for)}, e.g. no snapshot published yet or a damaged "
            "one.",
            "Check the exporter container and its logs (reason=missing: the writer never published; "
            "snapshot_metadata: the file was not made by duckdb_snapshot.py; locked: only when readLiveFile is "
            "set), the read-only mount and file permissions.",
        ),
        Alert(
            "DuckDBProbeLatencyHigh",
            f"{REC_DUCKDB_PROBE_P99} > {num(t.duckdb_probe_p99_seconds)}",
            t.duckdb_probe_for,
            "warning",
            "DuckDB probe {{ $labels.probe }} is slow on {{ $labels.instance }}",
            f"The p99 duration of DuckDB probe {{{{ $labels.probe }}}} on {{{{ $labels.instance }}}} is "
            "{{ $value | humanizeDuration }} (threshold "
            f"{secs(t.duckdb_probe_p99_seconds)}){during(t.duckdb_probe_for)}.",
            "Probes run against the snapshot, so this is the exporter's health, not the writer's (see "
            "DuckDBQueryLatencyHigh): check the snapshot's size, host I/O and the exporter's memory_limit/threads.",
        ),
        Alert(
            "DuckDBTransactionSuccessRateLow",
            f"{duckdb_table_metric('transaction_success_rate')} < {num(t.duckdb_success_rate_min)}",
            t.duckdb_success_rate_for,
            "critical",
            "DuckDB transaction success rate is low",
            f"The transaction success rate in the DuckDB metrics table (read by {{{{ $labels.instance }}}}) is "
            f"{{{{ $value | humanizePercentage }}}}, below the {pct(t.duckdb_success_rate_min)} minimum"
            f"{during(t.duckdb_success_rate_for)}.",
            "Inspect the failing transactions in the application that writes the metrics table.",
        ),
        Alert(
            "DuckDBQueryLatencyHigh",
            f"{duckdb_table_metric('query_p99_seconds')} > {num(t.duckdb_query_p99_seconds)}",
            t.duckdb_query_for,
            "warning",
            "DuckDB writer queries are slow",
            f"The DuckDB writer records a p99 query duration of {{{{ $value | humanizeDuration }}}} in its metrics "
            f"table (read by {{{{ $labels.instance }}}}), above {secs(t.duckdb_query_p99_seconds)}"
            f"{during(t.duckdb_query_for)}.",
            "Inspect the slow queries in the application that writes the metrics table (its own measurements, not "
            "the exporter's).",
        ),
        Alert(
            "DuckDBSnapshotStale",
            f"duckdb_snapshot_age_seconds{sel(dd)} > {t.duckdb_snapshot_stale_seconds}",
            "0s",
            "warning",
            "The DuckDB snapshot read by {{ $labels.instance }} is stale",
            f"The snapshot the DuckDB exporter at {{{{ $labels.instance }}}} reads was published "
            f"{{{{ $value | humanizeDuration }}}} ago (threshold {secs(t.duckdb_snapshot_stale_seconds)}): the writer "
            "has stopped publishing, so DuckDB values such as the transaction success rate are out of date.",
            "Check that the writer still calls publish_snapshot (or runs duckdb_snapshot.py --every) and its log for "
            '"publish failed"; the previous snapshot stays readable meanwhile.',
        ),
        Alert(
            "DuckDBMetricsStale",
            # 0 means "no success since the exporter started": DuckDBExporterDown covers that
            f"time() - (duckdb_last_success_timestamp_seconds{sel(dd)} > 0) > {t.duckdb_stale_seconds}",
            "0s",
            "warning",
            "DuckDB metrics from {{ $labels.instance }} are stale",
            f"The DuckDB exporter at {{{{ $labels.instance }}}} last read the database successfully "
            f"{{{{ $value | humanizeDuration }}}} ago (threshold {secs(t.duckdb_stale_seconds)}): DuckDB values "
            "such as the transaction success rate are out of date.",
            "The snapshot is missing, damaged or not a published snapshot, or a probe query fails: see the "
            "exporter logs and `duckdb_query_errors_total`.",
        ),
    ]


def redis_alerts(t: AlertThresholds) -> list[Alert]:
    """The `redis.alerts` group."""
    rd, w = JOB_REDIS, RATE_WINDOW
    return [
        Alert(
            "RedisDown",
            f"redis_up{sel(rd)} == 0 or up{sel(rd)} == 0",
            t.redis_down_for,
            "critical",
            f"Redis {REDIS_NAME} is down",
            f"Redis {REDIS_NAME} has been unreachable{during(t.redis_down_for)} (redis_up == 0, or its exporter "
            "cannot be scraped).",
            "Check redis-server, the exporter's logs (authentication errors mean the ACL user or its password "
            "changed) and the network between them.",
        ),
        Alert(
            "RedisMemoryNearMax",
            f"{REC_REDIS_MEMORY_RATIO} > {num(t.redis_memory_ratio)}",
            t.redis_memory_for,
            "warning",
            f"Redis {REDIS_NAME} memory is near maxmemory",
            f"Redis {REDIS_NAME} uses {{{{ $value | humanizePercentage }}}} of maxmemory (threshold "
            f"{pct(t.redis_memory_ratio)}){during(t.redis_memory_for)}: keys will be evicted or writes refused.",
            "Check the big keys and key growth, the eviction policy and whether maxmemory must grow.",
        ),
        Alert(
            "RedisRejectedConnections",
            f"rate(redis_rejected_connections_total{sel(rd)}[{w}]) > {num(t.redis_rejected_connections_rate)}",
            t.redis_rejected_connections_for,
            "warning",
            f"Redis {REDIS_NAME} is rejecting connections",
            f'Redis {REDIS_NAME} rejected {{{{ printf "%.3g" $value }}}} connections per second over the last {w} '
            f"(maxclients reached){during(t.redis_rejected_connections_for)}.",
            "Compare `redis_connected_clients` with maxclients; look for clients leaking connections.",
        ),
    ]


def groups(t: AlertThresholds) -> list[tuple[str, list[Alert]]]:
    """(group name, alerts) of `datastores.yml`, in file order."""
    return [("duckdb.alerts", duckdb_alerts(t)), ("redis.alerts", redis_alerts(t))]
