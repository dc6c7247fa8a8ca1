"""The one source of the stack's dashboards: panels (title, PromQL, unit, service), beside the rules.

A panel about the same thing as an alert draws the alert's own series (the recording rule's name from
`components/prometheus/rules/recording.py`, the selectors from `promql.sel`) and carries the alert's name
and threshold (from the stack's `AlertThresholds`), so a panel and its alert cannot drift apart
(`tests/unit/test_dashboards.py` checks every alert a panel names is a rule whose expression reads the
panel's series and threshold). Two consumers: the Grafana dashboards (`grafana.py`, written by `make
render`) and Prometheus' console pages (`consoles.py`, uploaded with the rules). Every series is in
`docs/metrics-contract.md`; the acceptance suite runs every panel's query on live data.

A variable (`$venue`, `$instance`, `$redis_instance`) is a Grafana template variable; the consoles
show every value (the variable matches `.*`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.core.catalog import (
    JOB_ALERTMANAGER,
    JOB_DUCKDB,
    JOB_INSTANCE_MANAGER,
    JOB_PROMETHEUS,
    JOB_PROXY,
    JOB_REDIS,
    JOB_TRADE_ENGINE,
)
from components.prometheus.rules.promql import RATE_WINDOW, RESTART_WINDOW, sel
from components.prometheus.rules.recording import (
    REC_DUCKDB_ERRORS_RATE,
    REC_DUCKDB_PROBE_P99,
    REC_IM_CPU_RATIO,
    REC_IM_MEMORY_RATIO,
    REC_REDIS_MEMORY_RATIO,
    REC_TRADE_LATENCY_P50,
    REC_TRADE_LATENCY_P99,
    REC_TRADE_SLIPPAGE_BPS,
    REC_TRADES_EXECUTED_RATE,
    REC_TRADES_FAILED_RATIO,
    TRADES_FAILED,
)
from components.prometheus.rules.thresholds import AlertThresholds

# Units: Grafana's unit ids (what the consoles format values by, see consoles.py).
SECONDS = "s"
RATIO = "percentunit"
BYTES = "bytes"
PER_SECOND = "ops"  # events per second
COUNT = "short"
BASIS_POINTS = "suffix: bp"
STATE = "bool_on_off"  # 0/1: up, reachable

TRADING = "trading"
INSTANCE_MANAGER = "instance-manager"
REDIS = "redis"
DUCKDB = "duckdb"
STACK = "stack"
SERVICES = (TRADING, INSTANCE_MANAGER, REDIS, DUCKDB, STACK)


@dataclass(frozen=True)
class Variable:
    """A template variable: the values of `label` on `series` (Grafana's `label_values(series, label)`)."""

    name: str
    series: str
    label: str


@dataclass(frozen=True)
class Panel:
    title: str
    expr: str  # PromQL; may use the dashboard's variables ($name)
    unit: str
    legend: tuple[str, ...]  # the labels that tell the series apart (legend, console rows)
    description: str
    series: str = ""  # the series (or recording rule) it draws, when an alert reads the same one
    alert: str | None = None  # the alert about the same thing
    threshold: float | None = None  # that alert's threshold, from the stack's AlertThresholds
    above: bool = True  # the alert fires above the threshold (False: below)
    inclusive: bool = False  # ... or at it (`>=`, `<=`)
    stat: bool = False  # one number per series (a stat panel), not a time series

    @property
    def operator(self) -> str:
        """The alert's comparison with the threshold: `>`, `>=`, `<` or `<=`."""
        return (">" if self.above else "<") + ("=" if self.inclusive else "")

    @property
    def bound(self) -> str:
        """` (>= 3)`: the alert's comparison, for a panel's description; empty without a threshold."""
        return "" if self.threshold is None else f" ({self.operator} {self.threshold:g})"

    @property
    def legend_format(self) -> str:
        return " ".join("{{" + label + "}}" for label in self.legend) or self.title


@dataclass(frozen=True)
class Dashboard:
    service: str  # the service it shows (console page name: <service>.html)
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    variables: tuple[Variable, ...] = field(default_factory=tuple)


def _var(label: str) -> str:
    return f'{label}=~"${label}"'


def _with(selector: str, *matchers: str) -> str:
    """`{job="x"}` + matchers -> `{job="x", a=~"$a"}`."""
    return selector[:-1] + "".join(f", {m}" for m in matchers) + "}"


def trading(t: AlertThresholds) -> Dashboard:
    te, w, venue = JOB_TRADE_ENGINE, RATE_WINDOW, _var("venue")
    return Dashboard(
        TRADING,
        "promshield-trading",
        "Trading overview",
        "The Trade Engine per venue: execution latency, slippage, failures and volume.",
        (
            Panel(
                "Execution latency p50",
                f"{REC_TRADE_LATENCY_P50}{{{venue}}}",
                SECONDS,
                ("venue",),
                f"Median time from order submission to the execution report, per venue, over {w} (recording rule).",
            ),
            Panel(
                "Execution latency p99",
                f"{REC_TRADE_LATENCY_P99}{{{venue}}}",
                SECONDS,
                ("venue",),
                f"99th percentile execution latency per venue over {w} (recording rule).",
                REC_TRADE_LATENCY_P99,
                "TradeExecutionLatencyHigh",
                t.trade_latency_p99_seconds,
            ),
            Panel(
                "Slippage (mean)",
                f"{REC_TRADE_SLIPPAGE_BPS}{{{venue}}}",
                BASIS_POINTS,
                ("venue",),
                f"Mean absolute slippage of fills per venue over {w}, in basis points.",
                REC_TRADE_SLIPPAGE_BPS,
                "TradeSlippageHigh",
                t.slippage_bps,
            ),
            Panel(
                "Failure ratio",
                f"{REC_TRADES_FAILED_RATIO}{{{venue}}}",
                RATIO,
                ("venue",),
                f"Failed / attempted trades per venue over {w}.",
                REC_TRADES_FAILED_RATIO,
                "TradeFailureRatioHigh",
                t.trade_failure_ratio,
            ),
            Panel(
                "Volume (trades executed per second)",
                f"{REC_TRADES_EXECUTED_RATE}{{{venue}}}",
                PER_SECOND,
                ("venue",),
                f"Trades executed per second per venue over {w}.",
            ),
            Panel(
                "Failures by reason",
                f"sum by (venue, reason) (rate({TRADES_FAILED}{_with(sel(te), venue)}[{w}]))",
                PER_SECOND,
                ("venue", "reason"),
                f"Failed trade attempts per second per venue and reason over {w}.",
            ),
        ),
        (Variable("venue", REC_TRADES_EXECUTED_RATE, "venue"),),
    )


def instance_manager(t: AlertThresholds) -> Dashboard:
    im, rw, inst = JOB_INSTANCE_MANAGER, RESTART_WINDOW, _var("instance")
    s = _with(sel(im), inst)
    return Dashboard(
        INSTANCE_MANAGER,
        "promshield-instance-manager",
        "Instance Manager",
        "Each Instance Manager: process state, restarts, CPU and memory, and the instances it manages.",
        (
            Panel(
                "Up",
                f"up{s}",
                STATE,
                ("instance",),
                "1 when Prometheus scrapes the Instance Manager.",
                "up",
                "InstanceManagerDown",
                stat=True,
            ),
            Panel(
                "Managed instances by state",
                f"instance_manager_instances{s}",
                COUNT,
                ("instance", "state"),
                "Instances the Instance Manager manages, per state (running, starting, stopped, failed).",
                "instance_manager_instances",
                "InstanceManagerInstancesFailed",
            ),
            Panel(
                f"Process restarts ({rw})",
                f"changes(process_start_time_seconds{s}[{rw}])",
                COUNT,
                ("instance",),
                f"How often the Instance Manager process restarted in the last {rw}.",
                "process_start_time_seconds",
                "InstanceManagerRestarting",
                t.instance_manager_restarts,
                inclusive=True,
            ),
            Panel(
                f"Managed instance restarts ({rw})",
                f"sum without (managed_instance) (increase(instance_manager_instance_restarts_total{s}[{rw}]))",
                COUNT,
                ("instance",),
                f"Restarts of managed instances in the last {rw}.",
                "instance_manager_instance_restarts_total",
                "InstanceManagerInstancesRestarting",
                t.managed_instance_restarts,
                inclusive=True,
            ),
            Panel(
                "CPU used of its limit",
                f"{REC_IM_CPU_RATIO}{{{inst}}}",
                RATIO,
                ("instance",),
                f"CPU time per second over {RATE_WINDOW} / the CPU limit (recording rule).",
                REC_IM_CPU_RATIO,
                "InstanceManagerCpuHigh",
                t.instance_manager_cpu_ratio,
            ),
            Panel(
                "Memory used of its limit",
                f"{REC_IM_MEMORY_RATIO}{{{inst}}}",
                RATIO,
                ("instance",),
                "Resident memory / the memory limit (recording rule).",
                REC_IM_MEMORY_RATIO,
                "InstanceManagerMemoryHigh",
                t.instance_manager_memory_ratio,
            ),
            Panel(
                "Resident memory",
                f"process_resident_memory_bytes{s}",
                BYTES,
                ("instance",),
                "Resident memory of the Instance Manager process.",
            ),
        ),
        (Variable("instance", f"up{sel(im)}", "instance"),),
    )


def redis(t: AlertThresholds) -> Dashboard:
    rd, w, name = JOB_REDIS, RATE_WINDOW, _var("redis_instance")
    s = _with(sel(rd), name)
    return Dashboard(
        REDIS,
        "promshield-redis",
        "Redis",
        "The Redis instances (RTS, RIS, RTSS, RTRS): reachability, memory, load, clients, hits, replication.",
        (
            Panel(
                "Up",
                f"redis_up{s}",
                STATE,
                ("redis_instance",),
                "1 when the exporter reaches and authenticates to the instance.",
                "redis_up",
                "RedisDown",
                stat=True,
            ),
            Panel(
                "Memory used of maxmemory",
                f"{REC_REDIS_MEMORY_RATIO}{{{name}}}",
                RATIO,
                ("redis_instance",),
                "used_memory / maxmemory (no series when maxmemory is 0: no limit).",
                REC_REDIS_MEMORY_RATIO,
                "RedisMemoryNearMax",
                t.redis_memory_ratio,
            ),
            Panel("Memory used", f"redis_memory_used_bytes{s}", BYTES, ("redis_instance",), "used_memory."),
            Panel(
                "Commands per second",
                f"rate(redis_commands_processed_total{s}[{w}])",
                PER_SECOND,
                ("redis_instance",),
                f"Commands processed per second over {w}.",
            ),
            Panel("Connected clients", f"redis_connected_clients{s}", COUNT, ("redis_instance",), "Connected clients."),
            Panel(
                "Rejected connections per second",
                f"rate(redis_rejected_connections_total{s}[{w}])",
                PER_SECOND,
                ("redis_instance",),
                f"Connections refused because maxclients was reached, per second over {w}.",
                "redis_rejected_connections_total",
                "RedisRejectedConnections",
                t.redis_rejected_connections_rate,
            ),
            Panel(
                "Keyspace hit ratio",
                f"rate(redis_keyspace_hits_total{s}[{w}]) / (rate(redis_keyspace_hits_total{s}[{w}])"
                f" + rate(redis_keyspace_misses_total{s}[{w}]))",
                RATIO,
                ("redis_instance",),
                f"Key lookups that found the key, over {w} (NaN while there are no lookups).",
            ),
            Panel(
                "Connected replicas",
                f"redis_connected_slaves{s}",
                COUNT,
                ("redis_instance",),
                "Replicas attached to the instance (0: no replication).",
            ),
        ),
        (Variable("redis_instance", f"redis_up{sel(rd)}", "redis_instance"),),
    )


def duckdb(t: AlertThresholds) -> Dashboard:
    s = sel(JOB_DUCKDB)
    return Dashboard(
        DUCKDB,
        "promshield-duckdb",
        "DuckDB",
        "The DuckDB writer's own figures (from its published snapshot) and the exporter reading it.",
        (
            Panel(
                "Exporter reads the snapshot",
                f"duckdb_up{s}",
                STATE,
                ("instance",),
                "1 when the exporter opened the snapshot read-only and read its metrics table.",
                "duckdb_up",
                "DuckDBExporterDown",
                stat=True,
            ),
            Panel(
                "Writer query latency p99",
                f"duckdb_metric_query_p99_seconds{s}",
                SECONDS,
                ("instance",),
                "p99 duration of the writer's own queries, as it records them in its metrics table.",
                "duckdb_metric_query_p99_seconds",
                "DuckDBQueryLatencyHigh",
                t.duckdb_query_p99_seconds,
            ),
            Panel(
                "Transaction success rate",
                f"duckdb_metric_transaction_success_rate{s}",
                RATIO,
                ("instance",),
                "Committed / attempted transactions of the writer.",
                "duckdb_metric_transaction_success_rate",
                "DuckDBTransactionSuccessRateLow",
                t.duckdb_success_rate_min,
                above=False,
            ),
            Panel(
                "Snapshot age",
                f"duckdb_snapshot_age_seconds{s}",
                SECONDS,
                ("instance",),
                "Time since the writer published the snapshot the exporter reads.",
                "duckdb_snapshot_age_seconds",
                "DuckDBSnapshotStale",
                t.duckdb_snapshot_stale_seconds,
            ),
            Panel(
                "Probe latency p99 (against the snapshot)",
                f"{REC_DUCKDB_PROBE_P99}",
                SECONDS,
                ("probe",),
                f"p99 of the exporter's probe queries over {RATE_WINDOW} (the exporter's health, not the writer's).",
                REC_DUCKDB_PROBE_P99,
                "DuckDBProbeLatencyHigh",
                t.duckdb_probe_p99_seconds,
            ),
            Panel(
                "Probe errors per second",
                f"{REC_DUCKDB_ERRORS_RATE}",
                PER_SECOND,
                ("instance",),
                f"Failed probe queries per second over {RATE_WINDOW}.",
            ),
        ),
    )


def stack(t: AlertThresholds) -> Dashboard:
    w, prom, am, proxy = RATE_WINDOW, sel(JOB_PROMETHEUS), sel(JOB_ALERTMANAGER), sel(JOB_PROXY)
    return Dashboard(
        STACK,
        "promshield-stack",
        "promshield stack",
        "The monitoring stack itself: targets, scrapes, rules, notifications and the proxy.",
        (
            Panel(
                "Targets up",
                "up",
                STATE,
                ("job", "instance"),
                "1 for every target Prometheus scrapes successfully.",
                "up",
                "TargetDown",
                stat=True,
            ),
            Panel(
                "Scrape duration",
                "scrape_duration_seconds",
                SECONDS,
                ("job", "instance"),
                "How long each target's last scrape took.",
            ),
            Panel(
                "Rule evaluation failures per second",
                f"sum by (rule_group) (rate(prometheus_rule_evaluation_failures_total{prom}[{w}]))",
                PER_SECOND,
                ("rule_group",),
                f"Failed rule evaluations per group over {w}: alerts of a failing group may be missing.",
                "prometheus_rule_evaluation_failures_total",
                "PrometheusRuleEvaluationFailures",
                0,
            ),
            Panel(
                "Alert notification errors per second (Prometheus)",
                f"sum by (alertmanager) (rate(prometheus_notifications_errors_total{prom}[{w}]))",
                PER_SECOND,
                ("alertmanager",),
                f"Errors sending alerts to each Alertmanager over {w}.",
                "prometheus_notifications_errors_total",
                "PrometheusNotificationsFailing",
                0,
            ),
            Panel(
                "Failed notifications per second (Alertmanager)",
                f"sum by (integration) (rate(alertmanager_notifications_failed_total{am}[{w}]))",
                PER_SECOND,
                ("integration",),
                f"Notifications Alertmanager failed to deliver, per integration, over {w}.",
                "alertmanager_notifications_failed_total",
                "AlertmanagerNotificationsFailing",
                0,
            ),
            Panel(
                "Proxy audit volume free",
                f"promshield_audit_volume_free_bytes{proxy} / promshield_audit_volume_size_bytes{proxy}",
                RATIO,
                ("instance",),
                "Free share of the filesystem under the proxy's audit log.",
                "promshield_audit_volume_free_bytes",
                "ProxyAuditVolumeFilling",
                t.audit_volume_free_ratio,
                above=False,
            ),
            Panel(
                "Proxy requests per second by role and decision",
                f"sum by (service, role, decision) (rate(promshield_proxy_requests_total{proxy}[{w}]))",
                PER_SECOND,
                ("service", "role", "decision"),
                f"Requests through the proxy over {w}, by the caller's role (none: refused before authentication, "
                "e.g. a 429) and its decision (allowed, denied, unauthenticated, rate-limited, ...).",
            ),
            Panel(
                "Proxy requests per second by status",
                f"sum by (service, code) (rate(promshield_proxy_requests_total{proxy}[{w}]))",
                PER_SECOND,
                ("service", "code"),
                f"Requests through the proxy over {w}, by the HTTP status it answered.",
            ),
            Panel(
                "Rate-limited requests per second",
                f"rate(promshield_proxy_rate_limited_total{proxy}[{w}])",
                PER_SECOND,
                ("instance",),
                f"Requests the proxy answered 429 (a budget of limits.* spent) over {w}.",
            ),
            Panel(
                "Failed logins per second",
                f"rate(promshield_proxy_failed_logins_total{proxy}[{w}])",
                PER_SECOND,
                ("instance",),
                f"401 answers to requests that named a user (a wrong password or an unknown user) over {w}.",
            ),
        ),
    )


def dashboards(thresholds: AlertThresholds | None = None) -> tuple[Dashboard, ...]:
    """Every dashboard, in SERVICES order."""
    t = thresholds if thresholds is not None else AlertThresholds()
    return (trading(t), instance_manager(t), redis(t), duckdb(t), stack(t))
