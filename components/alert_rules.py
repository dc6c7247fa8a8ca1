"""Prometheus recording and alerting rules for the trading stack (pure: settings in, YAML out).

`render_rule_files(AlertThresholds(...))` returns ``{file name: YAML text}`` for the files
Prometheus loads from ``catalog.PROMETHEUS_RULES_DIR``:

- ``recording.yml``  — recording rules (latency/slippage/failure aggregates, resource ratios)
- ``trading.yml``    — Trade Engine and Instance Manager alerts
- ``datastores.yml`` — DuckDB and Redis alerts
- ``stack.yml``      — scrape targets, Prometheus, Alertmanager and the Watchdog heartbeat

Every rule is built as Python data and written with ``yaml.safe_dump``, so thresholds can never
break the YAML; the PromQL only uses functions that Prometheus 2.42 (Debian's promtool, used by
the tests) and 3.5 (the deployed image) both accept. The metric names the rules depend on are
the contract in ``docs/metrics-contract.md``.

Every alert carries a ``severity`` label (critical, warning, info or none) and ``summary``,
``description`` and ``runbook`` annotations; ``runbook`` points at
``README.md#runbook-<alertname lowercased>`` (``render_runbook_markdown`` writes those sections).

Thresholds come from the stack config object ``promshield:alertThresholds`` whose keys are the
camelCase forms of the ``AlertThresholds`` fields (``threshold_config_keys()`` maps them):

=========================================  ==========  =======  ==============================================
config key (``alertThresholds.<key>``)     type        default  meaning
=========================================  ==========  =======  ==============================================
tradeLatencyP99Seconds                     float       0.25     TradeExecutionLatencyHigh: p99 latency (s)
tradeLatencyFor                            duration    5m       ... for how long
slippageBps                                float       5.0      TradeSlippageHigh: mean slippage, basis points
slippageFor                                duration    10m      ... for how long
tradeFailureRatio                          float       0.05     TradeFailureRatioHigh: failed/attempted (0-1)
tradeFailureFor                            duration    5m       ... for how long
instanceManagerDownFor                     duration    1m       InstanceManagerDown: scrape failing this long
instanceManagerCpuRatio                    float       0.9      InstanceManagerCpuHigh: CPU used / CPU limit
instanceManagerMemoryRatio                 float       0.9      InstanceManagerMemoryHigh: RSS / memory limit
instanceManagerResourceFor                 duration    10m      ... CPU and memory alerts: for how long
instanceManagerRestarts                    int         3        InstanceManagerRestarting: process restarts/15m
managedInstanceRestarts                    int         3        InstanceManagerInstancesRestarting: restarts/15m
instanceManagerFailedInstancesFor          duration    5m       InstanceManagerInstancesFailed: for how long
duckdbDownFor                              duration    2m       DuckDBExporterDown: for how long
duckdbProbeP99Seconds                      float       1.0      DuckDBProbeLatencyHigh: probe p99 (s)
duckdbProbeFor                             duration    10m      ... for how long
duckdbSuccessRateMin                       float       0.99     DuckDBTransactionSuccessRateLow: minimum (0-1)
duckdbSuccessRateFor                       duration    10m      ... for how long
duckdbStaleSeconds                         int         300      DuckDBMetricsStale: age of the last good read
redisDownFor                               duration    1m       RedisDown: for how long
redisMemoryRatio                           float       0.9      RedisMemoryNearMax: used / maxmemory
redisMemoryFor                             duration    5m       ... for how long
redisRejectedConnectionsRate               float       0.0      RedisRejectedConnections: rejections/s above
redisRejectedConnectionsFor                duration    1m       ... for how long
targetDownFor                              duration    5m       TargetDown: for how long
stackFor                                   duration    10m      Prometheus/Alertmanager health alerts
=========================================  ==========  =======  ==============================================

Slippage is measured in the base unit (a ratio: ``trade_slippage_ratio``, 1 bp = 0.0001) and
the ``job_venue:trade_slippage_bps:mean_rate5m`` recording rule converts it to basis points,
the unit traders set thresholds in, so ``slippageBps`` and the alert text are in bps.
A duration of ``0s`` renders the alert without ``for`` (fires on the first evaluation).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, get_type_hints

import yaml

from components.core.catalog import (
    JOB_ALERTMANAGER,
    JOB_DUCKDB,
    JOB_INSTANCE_MANAGER,
    JOB_PROMETHEUS,
    JOB_REDIS,
    JOB_TRADE_ENGINE,
)

THRESHOLD_CONFIG_PREFIX = "alertThresholds"
RUNBOOK_BASE = "README.md"
SEVERITIES = ("critical", "warning", "info", "none")

RECORDING_FILE = "recording.yml"
TRADING_FILE = "trading.yml"
DATASTORES_FILE = "datastores.yml"
STACK_FILE = "stack.yml"
RULE_FILE_NAMES = (RECORDING_FILE, TRADING_FILE, DATASTORES_FILE, STACK_FILE)

# Fixed windows: thresholds are set per window, so changing a window changes their meaning.
RATE_WINDOW = "5m"
RESTART_WINDOW = "15m"

_HEADER = "# Generated by promshield (components/alert_rules.py). Do not edit: change the stack's alertThresholds.\n"

_DURATION = re.compile(r"^(?:\d+y)?(?:\d+w)?(?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?$")
_DURATION_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_UNIT_SECONDS = {"y": 365 * 86400.0, "w": 7 * 86400.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def _describe(text: str, kind: str) -> dict[str, str]:
    return {"description": text, "kind": kind}


@dataclass(frozen=True)
class AlertThresholds:
    """Alert thresholds and `for` durations of one stack (see the module docstring for config keys).

    ``kind`` in each field's metadata says how the value is checked: ``seconds`` and ``count``
    must be > 0, ``ratio`` in (0, 1], ``rate`` >= 0, ``bps`` > 0, ``duration`` a Prometheus duration.
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
    """Config key (camelCase, under ``alertThresholds``) → AlertThresholds field name."""
    return {config_key(f.name): f.name for f in fields(AlertThresholds)}


def duration_seconds(text: str) -> float:
    """Seconds of a Prometheus duration such as ``90s``, ``1h30m``; ValueError if malformed."""
    if not text or not _DURATION.match(text):
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text))


def threshold_problem(field_name: str, value: object) -> str | None:
    """Why `value` is not acceptable for `field_name`, or None. Names the config key."""
    spec = {f.name: f for f in fields(AlertThresholds)}.get(field_name)
    key = f"{THRESHOLD_CONFIG_PREFIX}.{config_key(field_name)}"
    if spec is None:
        return f"{key}: unknown threshold; expected one of {', '.join(sorted(threshold_config_keys()))}"
    kind = spec.metadata["kind"]
    if kind == "duration":
        ok = isinstance(value, str) and bool(value) and _DURATION.match(value) is not None
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
    """Build thresholds from the ``alertThresholds`` config object (camelCase keys).

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


# --- Rendering helpers -----------------------------------------------------------------------


def _num(value: float) -> str:
    """A PromQL number literal: shortest exact form, no trailing `.0` for whole numbers."""
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def _pct(ratio: float) -> str:
    return f"{ratio * 100:g}%"


def _secs(seconds: float) -> str:
    return f"{seconds:g}s"


def _during(duration: str) -> str:
    """` for 5m` for a description, or nothing when the alert has no `for`."""
    return f" for {duration}" if duration_seconds(duration) > 0 else ""


def runbook_anchor(alertname: str) -> str:
    """The README anchor of an alert's runbook section: ``runbook-<alertname lowercased>``."""
    return f"runbook-{alertname.lower()}"


def _sel(job: str, **matchers: str) -> str:
    parts = [f'job="{job}"'] + [f'{name}="{value}"' for name, value in matchers.items()]
    return "{" + ", ".join(parts) + "}"


@dataclass(frozen=True)
class _Alert:
    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str
    runbook: str  # first steps, rendered into the README section

    def as_rule(self, runbook_base: str) -> dict[str, Any]:
        rule: dict[str, Any] = {"alert": self.name, "expr": self.expr}
        if duration_seconds(self.for_) > 0:
            rule["for"] = self.for_
        rule["labels"] = {"severity": self.severity}
        rule["annotations"] = {
            "summary": self.summary,
            "description": self.description,
            "runbook": f"{runbook_base}#{runbook_anchor(self.name)}",
        }
        return rule


# --- Metric names (docs/metrics-contract.md) --------------------------------------------------

TRADE_LATENCY = "trade_execution_latency_seconds"
TRADE_SLIPPAGE = "trade_slippage_ratio"
TRADES_EXECUTED = "trades_executed_total"
TRADES_FAILED = "trades_failed_total"

REC_TRADE_LATENCY_P99 = "job_venue:trade_execution_latency_seconds:p99_rate5m"
REC_TRADE_SLIPPAGE_BPS = "job_venue:trade_slippage_bps:mean_rate5m"
REC_TRADES_EXECUTED_RATE = "job_venue:trades_executed:rate5m"
REC_TRADES_FAILED_RATIO = "job_venue:trades_failed:ratio_rate5m"
REC_IM_CPU_RATIO = "instance:instance_manager_cpu_usage:ratio_rate5m"
REC_IM_MEMORY_RATIO = "instance:instance_manager_memory_usage:ratio"
REC_DUCKDB_PROBE_P99 = "instance_probe:duckdb_probe_duration_seconds:p99_rate5m"
REC_DUCKDB_ERRORS_RATE = "instance:duckdb_query_errors:rate5m"
REC_REDIS_MEMORY_RATIO = "instance:redis_memory_used:ratio"


def _recording_groups() -> list[dict[str, Any]]:
    te, im, dd, rd, w = JOB_TRADE_ENGINE, JOB_INSTANCE_MANAGER, JOB_DUCKDB, JOB_REDIS, RATE_WINDOW
    failed = f"sum by (job, venue) (rate({TRADES_FAILED}{_sel(te)}[{w}]))"
    executed = f"sum by (job, venue) (rate({TRADES_EXECUTED}{_sel(te)}[{w}]))"
    return [
        {
            "name": "trade-engine.recording",
            "rules": [
                {
                    "record": REC_TRADE_LATENCY_P99,
                    "expr": f"histogram_quantile(0.99, sum by (job, venue, le) (rate({TRADE_LATENCY}_bucket{_sel(te)}[{w}])))",
                },
                {
                    # ratio → basis points; 0/0 (no trades) is NaN and never exceeds a threshold
                    "record": REC_TRADE_SLIPPAGE_BPS,
                    "expr": (
                        f"10000 * sum by (job, venue) (rate({TRADE_SLIPPAGE}_sum{_sel(te)}[{w}]))"
                        f" / sum by (job, venue) (rate({TRADE_SLIPPAGE}_count{_sel(te)}[{w}]))"
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
                    "expr": f"rate(process_cpu_seconds_total{_sel(im)}[{w}]) / (instance_manager_cpu_limit_cores{_sel(im)} > 0)",
                },
                {
                    "record": REC_IM_MEMORY_RATIO,
                    "expr": f"process_resident_memory_bytes{_sel(im)} / (instance_manager_memory_limit_bytes{_sel(im)} > 0)",
                },
            ],
        },
        {
            "name": "duckdb.recording",
            "rules": [
                {
                    "record": REC_DUCKDB_PROBE_P99,
                    "expr": f"histogram_quantile(0.99, sum by (job, instance, probe, le) (rate(duckdb_probe_duration_seconds_bucket{_sel(dd)}[{w}])))",
                },
                {
                    "record": REC_DUCKDB_ERRORS_RATE,
                    "expr": f"sum by (job, instance) (rate(duckdb_query_errors_total{_sel(dd)}[{w}]))",
                },
            ],
        },
        {
            "name": "redis.recording",
            "rules": [
                {
                    # maxmemory 0 means "no limit": no ratio, so RedisMemoryNearMax cannot fire
                    "record": REC_REDIS_MEMORY_RATIO,
                    "expr": f"redis_memory_used_bytes{_sel(rd)} / (redis_memory_max_bytes{_sel(rd)} > 0)",
                },
            ],
        },
    ]


def _duckdb_table_metric(name: str) -> str:
    """A row of the DuckDB metrics table as the exporter exposes it: ``duckdb_metric_<name>``.

    The alert carries ``name="<name>"`` too, so its identity names the table row.
    """
    return f'label_replace(duckdb_metric_{name}{_sel(JOB_DUCKDB)}, "name", "{name}", "", "")'


_REDIS_NAME = "{{ $labels.instance }}{{ with $labels.redis_instance }} ({{ . }}){{ end }}"


def _alerts(t: AlertThresholds) -> dict[str, list[tuple[str, list[_Alert]]]]:
    """File name → [(group name, alerts)]."""
    im, dd, rd, w, rw = JOB_INSTANCE_MANAGER, JOB_DUCKDB, JOB_REDIS, RATE_WINDOW, RESTART_WINDOW
    trade = [
        _Alert(
            "TradeExecutionLatencyHigh",
            f"{REC_TRADE_LATENCY_P99} > {_num(t.trade_latency_p99_seconds)}",
            t.trade_latency_for,
            "warning",
            "Trade execution p99 latency is high on venue {{ $labels.venue }}",
            f"The p99 trade execution latency on venue {{{{ $labels.venue }}}} is {{{{ $value | humanizeDuration }}}} "
            f"over the last {w}, above the {_secs(t.trade_latency_p99_seconds)} threshold{_during(t.trade_latency_for)}.",
            "Check the venue's connectivity and order gateway, Trade Engine CPU and GC pauses, and whether one "
            "venue or all are slow (`job_venue:trade_execution_latency_seconds:p99_rate5m`).",
        ),
        _Alert(
            "TradeSlippageHigh",
            f"{REC_TRADE_SLIPPAGE_BPS} > {_num(t.slippage_bps)}",
            t.slippage_for,
            "warning",
            "Trade slippage is high on venue {{ $labels.venue }}",
            f'Mean slippage on venue {{{{ $labels.venue }}}} is {{{{ printf "%.2f" $value }}}} bps over the last {w}, '
            f"above the {_num(t.slippage_bps)} bps threshold{_during(t.slippage_for)}.",
            "Compare with execution latency (stale quotes), market volatility and order sizes; consider pausing the strategy on that venue.",
        ),
        _Alert(
            "TradeFailureRatioHigh",
            f"{REC_TRADES_FAILED_RATIO} > {_num(t.trade_failure_ratio)}",
            t.trade_failure_for,
            "critical",
            "Trades are failing on venue {{ $labels.venue }}",
            f"{{{{ $value | humanizePercentage }}}} of trade attempts on venue {{{{ $labels.venue }}}} failed over the "
            f"last {w} (threshold {_pct(t.trade_failure_ratio)}){_during(t.trade_failure_for)}.",
            "Read the Trade Engine logs for the rejection reasons (`trades_failed_total` by `reason`), check venue status, credentials and risk limits.",
        ),
    ]
    instance_manager = [
        _Alert(
            "InstanceManagerDown",
            f"up{_sel(im)} == 0",
            t.instance_manager_down_for,
            "critical",
            "Instance Manager {{ $labels.instance }} is down",
            f"Prometheus has not been able to scrape the Instance Manager at {{{{ $labels.instance }}}}"
            f"{_during(t.instance_manager_down_for)}: the state and resource use of managed instances are unknown.",
            "Check the process/container, its logs and the scrape error on the Prometheus targets page.",
        ),
        _Alert(
            "InstanceManagerRestarting",
            f"changes(process_start_time_seconds{_sel(im)}[{rw}]) >= {t.instance_manager_restarts}",
            "0s",
            "warning",
            "Instance Manager {{ $labels.instance }} is restarting",
            f"The Instance Manager process at {{{{ $labels.instance }}}} restarted {{{{ $value }}}} times in the last "
            f"{rw} (threshold {t.instance_manager_restarts}).",
            "Look for crash loops: exit codes, OOM kills (compare with InstanceManagerMemoryHigh) and the last log lines before each restart.",
        ),
        _Alert(
            "InstanceManagerInstancesRestarting",
            f"sum without (managed_instance) (increase(instance_manager_instance_restarts_total{_sel(im)}[{rw}])) >= {t.managed_instance_restarts}",
            "0s",
            "warning",
            "Instances managed by {{ $labels.instance }} keep restarting",
            f'Instances managed by {{{{ $labels.instance }}}} restarted {{{{ printf "%.3g" $value }}}} times in the last '
            f"{rw} (threshold {t.managed_instance_restarts}).",
            "Find the restarting instances in the Instance Manager's logs/UI and why their health checks fail.",
        ),
        _Alert(
            "InstanceManagerInstancesFailed",
            f"sum without (state) (instance_manager_instances{_sel(im, state='failed')}) > 0",
            t.instance_manager_failed_instances_for,
            "warning",
            "Instances managed by {{ $labels.instance }} have failed",
            f"{{{{ $value }}}} instance(s) managed by {{{{ $labels.instance }}}} have been in state failed{_during(t.instance_manager_failed_instances_for)}.",
            "List failed instances in the Instance Manager, read their last logs, restart or replace them.",
        ),
        _Alert(
            "InstanceManagerCpuHigh",
            f"{REC_IM_CPU_RATIO} > {_num(t.instance_manager_cpu_ratio)}",
            t.instance_manager_resource_for,
            "warning",
            "Instance Manager {{ $labels.instance }} CPU use is near its limit",
            f"The Instance Manager at {{{{ $labels.instance }}}} uses {{{{ $value | humanizePercentage }}}} of its CPU "
            f"limit (threshold {_pct(t.instance_manager_cpu_ratio)}){_during(t.instance_manager_resource_for)}.",
            "Check for busy loops or load growth; raise `instance_manager_cpu_limit_cores` only with capacity.",
        ),
        _Alert(
            "InstanceManagerMemoryHigh",
            f"{REC_IM_MEMORY_RATIO} > {_num(t.instance_manager_memory_ratio)}",
            t.instance_manager_resource_for,
            "warning",
            "Instance Manager {{ $labels.instance }} memory is near its limit",
            f"The Instance Manager at {{{{ $labels.instance }}}} uses {{{{ $value | humanizePercentage }}}} of its "
            f"memory limit (threshold {_pct(t.instance_manager_memory_ratio)}){_during(t.instance_manager_resource_for)}; "
            "it may be OOM-killed.",
            "Look for leaks (RSS growing steadily) and the number of managed instances; plan a restart before an OOM kill.",
        ),
    ]
    duckdb = [
        _Alert(
            "DuckDBExporterDown",
            f"up{_sel(dd)} == 0 or duckdb_up{_sel(dd)} == 0",
            t.duckdb_down_for,
            "critical",
            "DuckDB exporter {{ $labels.instance }} is down or cannot read the database",
            f"The DuckDB exporter at {{{{ $labels.instance }}}} has been unreachable (up == 0) or unable to open the "
            f"database read-only (duckdb_up == 0){_during(t.duckdb_down_for)}, e.g. while a writer holds the file lock.",
            'Check the exporter container and its logs ("Could not set lock" means a writer holds the file), the read-only mount and file permissions.',
        ),
        _Alert(
            "DuckDBProbeLatencyHigh",
            f"{REC_DUCKDB_PROBE_P99} > {_num(t.duckdb_probe_p99_seconds)}",
            t.duckdb_probe_for,
            "warning",
            "DuckDB probe {{ $labels.probe }} is slow on {{ $labels.instance }}",
            f"The p99 duration of DuckDB probe {{{{ $labels.probe }}}} on {{{{ $labels.instance }}}} is "
            f"{{{{ $value | humanizeDuration }}}} (threshold {_secs(t.duckdb_probe_p99_seconds)}){_during(t.duckdb_probe_for)}.",
            "Check the database size, concurrent writers, host I/O and the exporter's memory_limit/threads settings.",
        ),
        _Alert(
            "DuckDBTransactionSuccessRateLow",
            f"{_duckdb_table_metric('transaction_success_rate')} < {_num(t.duckdb_success_rate_min)}",
            t.duckdb_success_rate_for,
            "critical",
            "DuckDB transaction success rate is low",
            f"The transaction success rate in the DuckDB metrics table (read by {{{{ $labels.instance }}}}) is "
            f"{{{{ $value | humanizePercentage }}}}, below the {_pct(t.duckdb_success_rate_min)} minimum"
            f"{_during(t.duckdb_success_rate_for)}.",
            "Inspect the failing transactions in the application that writes the metrics table.",
        ),
        _Alert(
            "DuckDBMetricsStale",
            # 0 means "no success since the exporter started": DuckDBExporterDown covers that
            f"time() - (duckdb_last_success_timestamp_seconds{_sel(dd)} > 0) > {t.duckdb_stale_seconds}",
            "0s",
            "warning",
            "DuckDB metrics from {{ $labels.instance }} are stale",
            f"The DuckDB exporter at {{{{ $labels.instance }}}} last read the database successfully "
            f"{{{{ $value | humanizeDuration }}}} ago (threshold {_secs(t.duckdb_stale_seconds)}): DuckDB values "
            "such as the transaction success rate are out of date.",
            "Usually lock contention with a writer or a failing probe query: see the exporter logs and `duckdb_query_errors_total`.",
        ),
    ]
    redis = [
        _Alert(
            "RedisDown",
            f"redis_up{_sel(rd)} == 0 or up{_sel(rd)} == 0",
            t.redis_down_for,
            "critical",
            "Redis {{ $labels.instance }} is down",
            f"Redis {_REDIS_NAME} has been unreachable{_during(t.redis_down_for)} (redis_up == 0, or its exporter cannot be scraped).",
            "Check redis-server, the exporter's logs (authentication errors mean the ACL user or its password changed) and the network between them.",
        ),
        _Alert(
            "RedisMemoryNearMax",
            f"{REC_REDIS_MEMORY_RATIO} > {_num(t.redis_memory_ratio)}",
            t.redis_memory_for,
            "warning",
            "Redis {{ $labels.instance }} memory is near maxmemory",
            f"Redis {_REDIS_NAME} uses {{{{ $value | humanizePercentage }}}} of maxmemory (threshold "
            f"{_pct(t.redis_memory_ratio)}){_during(t.redis_memory_for)}: keys will be evicted or writes refused.",
            "Check the big keys and key growth, the eviction policy and whether maxmemory must grow.",
        ),
        _Alert(
            "RedisRejectedConnections",
            f"rate(redis_rejected_connections_total{_sel(rd)}[{w}]) > {_num(t.redis_rejected_connections_rate)}",
            t.redis_rejected_connections_for,
            "warning",
            "Redis {{ $labels.instance }} is rejecting connections",
            f'Redis {_REDIS_NAME} rejected {{{{ printf "%.3g" $value }}}} connections per second over the last {w} '
            f"(maxclients reached){_during(t.redis_rejected_connections_for)}.",
            "Compare `redis_connected_clients` with maxclients; look for clients leaking connections.",
        ),
    ]
    stack = [
        _Alert(
            "TargetDown",
            "up == 0",
            t.target_down_for,
            "warning",
            "Target {{ $labels.instance }} of job {{ $labels.job }} is down",
            f"Prometheus has failed to scrape {{{{ $labels.job }}}} target {{{{ $labels.instance }}}}{_during(t.target_down_for)}.",
            "Open the Prometheus targets page for the scrape error (TLS, authentication, timeout, refused).",
        ),
        _Alert(
            "PrometheusRuleEvaluationFailures",
            f"sum by (job, instance, rule_group) (increase(prometheus_rule_evaluation_failures_total{_sel(JOB_PROMETHEUS)}[{w}])) > 0",
            t.stack_for,
            "critical",
            "Prometheus {{ $labels.instance }} fails to evaluate rules",
            f'Prometheus {{{{ $labels.instance }}}} failed {{{{ printf "%.3g" $value }}}} rule evaluations in group '
            f"{{{{ $labels.rule_group }}}} over the last {w}: alerts from that group may be missing.",
            "See the rules page and the Prometheus log for the failing expression (often many-to-many matching).",
        ),
        _Alert(
            "PrometheusConfigReloadFailed",
            f"prometheus_config_last_reload_successful{_sel(JOB_PROMETHEUS)} == 0",
            t.stack_for,
            "warning",
            "Prometheus {{ $labels.instance }} configuration reload failed",
            f"The last configuration reload of Prometheus {{{{ $labels.instance }}}} failed and has not succeeded"
            f"{_during(t.stack_for)}: it still runs the previous configuration.",
            "Read the Prometheus log for the reload error and validate the files with `promtool check config`.",
        ),
        _Alert(
            "AlertmanagerConfigReloadFailed",
            f"alertmanager_config_last_reload_successful{_sel(JOB_ALERTMANAGER)} == 0",
            t.stack_for,
            "warning",
            "Alertmanager {{ $labels.instance }} configuration reload failed",
            f"The last configuration reload of Alertmanager {{{{ $labels.instance }}}} failed and has not "
            f"succeeded{_during(t.stack_for)}: it still runs the previous configuration.",
            "Read the Alertmanager log and validate the file with `amtool check-config`.",
        ),
        _Alert(
            "AlertmanagerNotificationsFailing",
            f"sum by (job, instance, integration) (rate(alertmanager_notifications_failed_total{_sel(JOB_ALERTMANAGER)}[{w}])) > 0",
            t.stack_for,
            "critical",
            "Alertmanager {{ $labels.instance }} fails to send {{ $labels.integration }} notifications",
            f"Alertmanager {{{{ $labels.instance }}}} has been failing to deliver {{{{ $labels.integration }}}} "
            f'notifications ({{{{ printf "%.3g" $value }}}}/s over the last {w}){_during(t.stack_for)}.',
            "Check the receiver endpoint, Alertmanager's egress rules and the error in the Alertmanager log.",
        ),
        _Alert(
            "PrometheusNotificationsFailing",
            f"(sum by (job, instance) (rate(prometheus_notifications_errors_total{_sel(JOB_PROMETHEUS)}[{w}])) > 0)"
            f" or (sum by (job, instance) (rate(prometheus_notifications_dropped_total{_sel(JOB_PROMETHEUS)}[{w}])) > 0)",
            t.stack_for,
            "critical",
            "Prometheus {{ $labels.instance }} fails to send alerts to Alertmanager",
            f"Prometheus {{{{ $labels.instance }}}} has had notification errors or dropped alerts "
            f'({{{{ printf "%.3g" $value }}}}/s over the last {w}){_during(t.stack_for)}: alerts may not reach anyone.',
            "Check that Alertmanager is up and that Prometheus' client certificate is accepted (mTLS).",
        ),
        _Alert(
            "Watchdog",
            "vector(1)",
            "0s",
            "none",
            "Alerting pipeline heartbeat",
            "This alert always fires. If the receiver stops getting it, Prometheus, its rules or Alertmanager are broken.",
            "Nothing to do while it arrives. If it stops, check Prometheus, Alertmanager and the route to the receiver.",
        ),
    ]
    return {
        TRADING_FILE: [("trade-engine.alerts", trade), ("instance-manager.alerts", instance_manager)],
        DATASTORES_FILE: [("duckdb.alerts", duckdb), ("redis.alerts", redis)],
        STACK_FILE: [("stack.alerts", stack)],
    }


def rule_groups(
    thresholds: AlertThresholds | None = None, runbook_base: str = RUNBOOK_BASE
) -> dict[str, list[dict[str, Any]]]:
    """File name → the rule groups (Prometheus rule-file data) of that file."""
    t = thresholds if thresholds is not None else AlertThresholds()
    files: dict[str, list[dict[str, Any]]] = {RECORDING_FILE: _recording_groups()}
    for file_name, groups in _alerts(t).items():
        files[file_name] = [
            {"name": name, "rules": [a.as_rule(runbook_base) for a in alerts]} for name, alerts in groups
        ]
    return files


def render_rule_files(thresholds: AlertThresholds | None = None, runbook_base: str = RUNBOOK_BASE) -> dict[str, str]:
    """File name → YAML text of every rule file, in RULE_FILE_NAMES order."""
    groups = rule_groups(thresholds, runbook_base)
    return {
        name: _HEADER
        + yaml.safe_dump(
            {"groups": groups[name]}, sort_keys=False, default_flow_style=False, width=4096, allow_unicode=True
        )
        for name in RULE_FILE_NAMES
    }


def alert_names(thresholds: AlertThresholds | None = None) -> list[str]:
    """Every alert name, in file order."""
    return [
        a.name for groups in _alerts(thresholds or AlertThresholds()).values() for _, alerts in groups for a in alerts
    ]


def recording_rule_names() -> list[str]:
    return [rule["record"] for group in _recording_groups() for rule in group["rules"]]


def render_runbook_markdown(thresholds: AlertThresholds | None = None) -> str:
    """README section whose headings ``### Runbook: <Alert>`` give the anchors the annotations link to.

    GitHub (and most Markdown renderers) derive ``runbook-<alert lowercased>`` from those headings.
    """
    lines = ["## Runbooks", ""]
    for groups in _alerts(thresholds or AlertThresholds()).values():
        for _, alerts in groups:
            for a in alerts:
                lines += [
                    f"### Runbook: {a.name}",
                    "",
                    f"Severity: `{a.severity}`. {a.runbook}",
                    "",
                ]
    return "\n".join(lines)
