"""Alert thresholds and `for` durations: the `promshield:alertThresholds` settings of the rules.

Thresholds come from the stack config object `promshield:alertThresholds` whose keys are the
camelCase forms of the `AlertThresholds` fields (`threshold_config_keys()` maps them):

| config key (`alertThresholds.<key>`) | type | default | meaning |
|---|---|---|---|
| `tradeLatencyP99Seconds` | float | 0.25 | TradeExecutionLatencyHigh: p99 latency (s) |
| `tradeLatencyFor` | duration | 5m | ... for how long |
| `slippageBps` | float | 5.0 | TradeSlippageHigh: mean slippage, basis points |
| `slippageFor` | duration | 10m | ... for how long |
| `tradeFailureRatio` | float | 0.05 | TradeFailureRatioHigh: failed/attempted (0-1) |
| `tradeFailureFor` | duration | 5m | ... for how long |
| `instanceManagerDownFor` | duration | 1m | InstanceManagerDown: scrape failing this long |
| `instanceManagerCpuRatio` | float | 0.9 | InstanceManagerCpuHigh: CPU used / CPU limit |
| `instanceManagerMemoryRatio` | float | 0.9 | InstanceManagerMemoryHigh: RSS / memory limit |
| `instanceManagerResourceFor` | duration | 10m | ... CPU and memory alerts: for how long |
| `instanceManagerRestarts` | int | 3 | InstanceManagerRestarting: process restarts/15m |
| `managedInstanceRestarts` | int | 3 | InstanceManagerInstancesRestarting: restarts/15m |
| `instanceManagerFailedInstancesFor` | duration | 5m | InstanceManagerInstancesFailed: for how long |
| `duckdbDownFor` | duration | 2m | DuckDBExporterDown: for how long |
| `duckdbProbeP99Seconds` | float | 1.0 | DuckDBProbeLatencyHigh: probe p99 (s), a snapshot health check |
| `duckdbProbeFor` | duration | 10m | ... for how long |
| `duckdbQueryP99Seconds` | float | 0.5 | DuckDBQueryLatencyHigh: the writer's own query p99 (s) |
| `duckdbQueryFor` | duration | 10m | ... for how long |
| `duckdbSuccessRateMin` | float | 0.99 | DuckDBTransactionSuccessRateLow: minimum (0-1) |
| `duckdbSuccessRateFor` | duration | 10m | ... for how long |
| `duckdbStaleSeconds` | int | 300 | DuckDBMetricsStale: age of the last good read |
| `duckdbSnapshotStaleSeconds` | int | 300 | DuckDBSnapshotStale: age of the published snapshot |
| `redisDownFor` | duration | 1m | RedisDown: for how long |
| `redisMemoryRatio` | float | 0.9 | RedisMemoryNearMax: used / maxmemory |
| `redisMemoryFor` | duration | 5m | ... for how long |
| `redisRejectedConnectionsRate` | float | 0.0 | RedisRejectedConnections: rejections/s above |
| `redisRejectedConnectionsFor` | duration | 1m | ... for how long |
| `targetDownFor` | duration | 5m | TargetDown: for how long |
| `stackFor` | duration | 10m | Prometheus/Alertmanager health alerts |
| `auditVolumeFreeRatio` | float | 0.2 | ProxyAuditVolumeFilling: free / size of the audit volume |
| `auditVolumeFor` | duration | 5m | ... for how long |
| `silencesMax` | int | 1000 | AlertmanagerSilencesPiling: active + pending silences (for `stackFor`) |

Slippage is measured in the base unit (a ratio: `trade_slippage_ratio`, 1 bp = 0.0001) and
the `job_venue:trade_slippage_bps:mean_rate5m` recording rule converts it to basis points,
the unit traders set thresholds in, so `slippageBps` and the alert text are in bps.
| `A` | duration | of | `0s` renders the alert without `for` (fires on the first evaluation). |
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, get_type_hints

from components.core.durations import is_duration

THRESHOLD_CONFIG_PREFIX = "alertThresholds"


def _describe(text: str, kind: str) -> dict[str, str]:
    return {"description": text, "kind": kind}


@dataclass(frozen=True)
class AlertThresholds:
    """Alert thresholds and `for` durations of one stack (see the module docstring for config keys).

    `kind` in each field's metadata says how the value is checked: `seconds` and `count`
    must be > 0, `ratio` in (0, 1], `rate` >= 0, `bps` > 0, `duration` a Prometheus duration.
    """

    trade_latency_p99_seconds: float = field(
        default=0.25,
        metadata=_describe(
            "p99 trade execution latency above which TradeExecutionLatencyHigh fires (seconds)", "seconds"
        ),
    )
    trade_latency_for: str = field(default="5m", metadata=_describe("how long the latency must stay high", "duration"))
    slippage_bps: float = field(
        default=5.0,
        metadata=_describe(
            "mean absolute slippage per trade above which TradeSlippageHigh fires (basis points)", "bps"
        ),
    )
    slippage_for: str = field(default="10m", metadata=_describe("how long slippage must stay high", "duration"))
    trade_failure_ratio: float = field(
        default=0.05,
        metadata=_describe("failed / attempted trades above which TradeFailureRatioHigh fires (0-1)", "ratio"),
    )
    trade_failure_for: str = field(
        default="5m", metadata=_describe("how long the failure ratio must stay high", "duration")
    )
    instance_manager_down_for: str = field(
        default="1m", metadata=_describe("how long the Instance Manager scrape must fail", "duration")
    )
    instance_manager_cpu_ratio: float = field(
        default=0.9,
        metadata=_describe(
            "Instance Manager CPU use / CPU limit above which InstanceManagerCpuHigh fires (0-1)", "ratio"
        ),
    )
    instance_manager_memory_ratio: float = field(
        default=0.9,
        metadata=_describe(
            "Instance Manager resident memory / memory limit above which InstanceManagerMemoryHigh fires (0-1)", "ratio"
        ),
    )
    instance_manager_resource_for: str = field(
        default="10m", metadata=_describe("how long CPU or memory must stay high", "duration")
    )
    instance_manager_restarts: int = field(
        default=3,
        metadata=_describe(
            "Instance Manager process restarts within 15m at which InstanceManagerRestarting fires", "count"
        ),
    )
    managed_instance_restarts: int = field(
        default=3,
        metadata=_describe(
            "restarts of managed instances within 15m at which InstanceManagerInstancesRestarting fires", "count"
        ),
    )
    instance_manager_failed_instances_for: str = field(
        default="5m", metadata=_describe("how long a managed instance may stay failed", "duration")
    )
    duckdb_down_for: str = field(
        default="2m", metadata=_describe("how long the DuckDB exporter may be down or unable to read", "duration")
    )
    duckdb_probe_p99_seconds: float = field(
        default=1.0,
        metadata=_describe(
            "p99 DuckDB probe query duration above which DuckDBProbeLatencyHigh fires (seconds)", "seconds"
        ),
    )
    duckdb_probe_for: str = field(default="10m", metadata=_describe("how long probes must stay slow", "duration"))
    duckdb_query_p99_seconds: float = field(
        default=0.5,
        metadata=_describe(
            "p99 query duration the DuckDB writer records (metrics-table row query_p99_seconds) above which "
            "DuckDBQueryLatencyHigh fires (seconds)",
            "seconds",
        ),
    )
    duckdb_query_for: str = field(
        default="10m", metadata=_describe("how long the writer's query latency must stay high", "duration")
    )
    duckdb_success_rate_min: float = field(
        default=0.99,
        metadata=_describe(
            "transaction success rate (metrics table) below which DuckDBTransactionSuccessRateLow fires (0-1)", "ratio"
        ),
    )
    duckdb_success_rate_for: str = field(
        default="10m", metadata=_describe("how long the success rate must stay low", "duration")
    )
    duckdb_stale_seconds: int = field(
        default=300,
        metadata=_describe(
            "age of the exporter's last successful read above which DuckDBMetricsStale fires (seconds)", "count"
        ),
    )
    duckdb_snapshot_stale_seconds: int = field(
        default=300,
        metadata=_describe(
            "age of the DuckDB snapshot the writer published above which DuckDBSnapshotStale fires (seconds)", "count"
        ),
    )
    redis_down_for: str = field(default="1m", metadata=_describe("how long Redis may be unreachable", "duration"))
    redis_memory_ratio: float = field(
        default=0.9,
        metadata=_describe(
            "used memory / maxmemory above which RedisMemoryNearMax fires (0-1; only when maxmemory is set)", "ratio"
        ),
    )
    redis_memory_for: str = field(default="5m", metadata=_describe("how long memory must stay high", "duration"))
    redis_rejected_connections_rate: float = field(
        default=0.0,
        metadata=_describe(
            "rejected connections per second (5m rate) above which RedisRejectedConnections fires", "rate"
        ),
    )
    redis_rejected_connections_for: str = field(
        default="1m", metadata=_describe("how long connections must keep being rejected", "duration")
    )
    target_down_for: str = field(
        default="5m", metadata=_describe("how long any scrape target may be down before TargetDown", "duration")
    )
    stack_for: str = field(
        default="10m",
        metadata=_describe(
            "how long Prometheus/Alertmanager rule, reload or notification failures must last", "duration"
        ),
    )
    audit_volume_free_ratio: float = field(
        default=0.2,
        metadata=_describe(
            "free share of the proxy's audit volume below which ProxyAuditVolumeFilling fires (0-1)", "ratio"
        ),
    )
    audit_volume_for: str = field(
        default="5m", metadata=_describe("how long the audit volume's free space must stay low", "duration")
    )
    silences_max: int = field(
        default=1000,
        metadata=_describe(
            "active and pending silences above which AlertmanagerSilencesPiling fires (Alertmanager's memory)",
            "count",
        ),
    )

    def __post_init__(self) -> None:
        problems = [p for f in fields(self) if (p := threshold_problem(f.name, getattr(self, f.name))) is not None]
        if problems:
            raise ValueError("invalid alert thresholds: " + "; ".join(problems))


def threshold_fields() -> dict[str, type]:
    """Field name → Python type (float, int or str) of every AlertThresholds field."""
    hints = get_type_hints(AlertThresholds)
    return {f.name: hints[f.name] for f in fields(AlertThresholds)}


def threshold_descriptions() -> dict[str, str]:
    """Field name → one-line meaning (for config schemas and docs)."""
    return {f.name: str(f.metadata["description"]) for f in fields(AlertThresholds)}


def config_key(field_name: str) -> str:
    """`trade_latency_p99_seconds` → `tradeLatencyP99Seconds` (the key under alertThresholds)."""
    head, *rest = field_name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def threshold_config_keys() -> dict[str, str]:
    """Config key (camelCase, under `alertThresholds`) → AlertThresholds field name."""
    return {config_key(f.name): f.name for f in fields(AlertThresholds)}


def threshold_problem(field_name: str, value: object) -> str | None:
    """Why `value` is not acceptable for `field_name`, or None. Names the config key."""
    spec = {f.name: f for f in fields(AlertThresholds)}.get(field_name)
    key = f"{THRESHOLD_CONFIG_PREFIX}.{config_key(field_name)}"
    if spec is None:
        return f"{key}: unknown threshold; expected one of {', '.join(sorted(threshold_config_keys()))}"
    kind = spec.metadata["kind"]
    if kind == "duration":
        ok = isinstance(value, str) and bool(value) and is_duration(value)
        return None if ok else f"{key} = {value!r}: expected a Prometheus duration such as 30s, 5m or 1h"
    if kind == "count":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 1
        return None if ok else f"{key} = {value!r}: expected a whole number >= 1"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"{key} = {value!r}: expected a finite number"
    number = float(value)
    if kind == "ratio" and not 0 < number <= 1:
        return f"{key} = {value!r}: expected a ratio greater than 0 and at most 1 (e.g. 0.9 for 90%)"
    if kind in ("seconds", "bps") and number <= 0:
        return f"{key} = {value!r}: expected a number greater than 0"
    if kind == "rate" and number < 0:
        return f"{key} = {value!r}: expected a number >= 0"
    return None


def thresholds_from_config(raw: Mapping[str, object]) -> AlertThresholds:
    """Build thresholds from the `alertThresholds` config object (camelCase keys).

    Raises ValueError listing every bad or unknown key. Integers are accepted for float fields;
    a float for a count field is refused rather than truncated.
    """
    by_key = threshold_config_keys()
    types = threshold_fields()
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, raw_value in raw.items():
        name = by_key.get(key)
        if name is None:
            problems.append(
                f"{THRESHOLD_CONFIG_PREFIX}.{key}: unknown threshold; expected one of {', '.join(sorted(by_key))}"
            )
            continue
        value = raw_value
        if types[name] is float and isinstance(raw_value, int) and not isinstance(raw_value, bool):
            value = float(raw_value)
        problem = threshold_problem(name, value)
        if problem is not None:
            problems.append(problem)
            continue
        values[name] = value
    if problems:
        raise ValueError("invalid alert thresholds: " + "; ".join(problems))
    return AlertThresholds(**values)
