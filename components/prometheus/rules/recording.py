"""`recording.yml`: the aggregates the alerts read (latency, slippage, failures, resource ratios)."""

from __future__ import annotations

from typing import Any

from components.core.catalog import JOB_DUCKDB, JOB_INSTANCE_MANAGER, JOB_REDIS, JOB_TRADE_ENGINE
from components.prometheus.rules.promql import RATE_WINDOW, sel

FILE = "recording.yml"


# --- Metric names (docs/metrics-contract.md) --------------------------------------------------

TRADE_LATENCY = "trade_execution_latency_seconds"
TRADE_SLIPPAGE = "trade_slippage_ratio"
TRADES_EXECUTED = "trades_executed_total"
TRADES_FAILED = "trades_failed_total"
REC_TRADE_LATENCY_P99 = "job_venue:trade_execution_latency_seconds:p99_rate5m"
REC_TRADE_LATENCY_P50 = "job_venue:trade_execution_latency_seconds:p50_rate5m"
REC_TRADE_SLIPPAGE_BPS = "job_venue:trade_slippage_bps:mean_rate5m"
REC_TRADES_EXECUTED_RATE = "job_venue:trades_executed:rate5m"
REC_TRADES_FAILED_RATIO = "job_venue:trades_failed:ratio_rate5m"
REC_IM_CPU_RATIO = "instance:instance_manager_cpu_usage:ratio_rate5m"
REC_IM_MEMORY_RATIO = "instance:instance_manager_memory_usage:ratio"
REC_DUCKDB_PROBE_P99 = "instance_probe:duckdb_probe_duration_seconds:p99_rate5m"
REC_DUCKDB_ERRORS_RATE = "instance:duckdb_query_errors:rate5m"
REC_REDIS_MEMORY_RATIO = "instance:redis_memory_used:ratio"


def groups() -> list[dict[str, Any]]:
    te, im, dd, rd, w = JOB_TRADE_ENGINE, JOB_INSTANCE_MANAGER, JOB_DUCKDB, JOB_REDIS, RATE_WINDOW
    failed = f"sum by (job, venue) (rate({TRADES_FAILED}{sel(te)}[{w}]))"
    executed = f"sum by (job, venue) (rate({TRADES_EXECUTED}{sel(te)}[{w}]))"
    return [
        {
            "name": "trade-engine.recording",
            "rules": [
                {
                    "record": REC_TRADE_LATENCY_P99,
                    "expr": (
                        "histogram_quantile(0.99, sum by (job, venue, le) "
                        f"(rate({TRADE_LATENCY}_bucket{sel(te)}[{w}])))"
                    ),
                },
                {
                    # The trading dashboard's median panel: a quantile over raw buckets cost 4.7 ms per 1 h
                    # range query in `make bench` against ~1 ms for every other panel (docs/development/
                    # performance.md), the one panel that spread a dashboard refresh.
                    "record": REC_TRADE_LATENCY_P50,
                    "expr": (
                        f"histogram_quantile(0.5, sum by (job, venue, le) (rate({TRADE_LATENCY}_bucket{sel(te)}[{w}])))"
                    ),
                },
                {
                    # ratio → basis points; 0/0 (no trades) is NaN and never exceeds a threshold
                    "record": REC_TRADE_SLIPPAGE_BPS,
                    "expr": (
                        f"10000 * sum by (job, venue) (rate({TRADE_SLIPPAGE}_sum{sel(te)}[{w}]))"
                        f" / sum by (job, venue) (rate({TRADE_SLIPPAGE}_count{sel(te)}[{w}]))"
                    ),
                },
                {"record": REC_TRADES_EXECUTED_RATE, "expr": executed},
                {
                    # a venue where every trade fails may have no trades_executed_total series yet
                    "record": REC_TRADES_FAILED_RATIO,
                    "expr": f"{failed} / ({failed} + ({executed} or 0 * {failed}))",
                },
            ],
        },
        {
            "name": "instance-manager.recording",
            "rules": [
                {
                    "record": REC_IM_CPU_RATIO,
                    "expr": (
                        f"rate(process_cpu_seconds_total{sel(im)}[{w}])"
                        f" / (instance_manager_cpu_limit_cores{sel(im)} > 0)"
                    ),
                },
                {
                    "record": REC_IM_MEMORY_RATIO,
                    "expr": (
                        f"process_resident_memory_bytes{sel(im)} / (instance_manager_memory_limit_bytes{sel(im)} > 0)"
                    ),
                },
            ],
        },
        {
            "name": "duckdb.recording",
            "rules": [
                {
                    "record": REC_DUCKDB_PROBE_P99,
                    "expr": (
                        "histogram_quantile(0.99, sum by (job, instance, probe, le) "
                        f"(rate(duckdb_probe_duration_seconds_bucket{sel(dd)}[{w}])))"
                    ),
                },
                {
                    "record": REC_DUCKDB_ERRORS_RATE,
                    "expr": f"sum by (job, instance) (rate(duckdb_query_errors_total{sel(dd)}[{w}]))",
                },
            ],
        },
        {
            "name": "redis.recording",
            "rules": [
                {
                    # maxmemory 0 means "no limit": no ratio, so RedisMemoryNearMax cannot fire
                    "record": REC_REDIS_MEMORY_RATIO,
                    "expr": f"redis_memory_used_bytes{sel(rd)} / (redis_memory_max_bytes{sel(rd)} > 0)",
                },
            ],
        },
    ]
