"""`trading.yml`: Trade Engine and Instance Manager alerts."""

from __future__ import annotations

from components.core.catalog import JOB_INSTANCE_MANAGER
from components.prometheus.rules.promql import RATE_WINDOW, RESTART_WINDOW, Alert, during, num, pct, secs, sel
from components.prometheus.rules.recording import (
    REC_IM_CPU_RATIO,
    REC_IM_MEMORY_RATIO,
    REC_TRADE_LATENCY_P99,
    REC_TRADE_SLIPPAGE_BPS,
    REC_TRADES_FAILED_RATIO,
)
from components.prometheus.rules.thresholds import AlertThresholds

FILE = "trading.yml"


def trade_engine_alerts(t: AlertThresholds) -> list[Alert]:
    """The `trade-engine.alerts` group."""
    w = RATE_WINDOW
    return [
        Alert(
            "TradeExecutionLatencyHigh",
            f"{REC_TRADE_LATENCY_P99} > {num(t.trade_latency_p99_seconds)}",
            t.trade_latency_for,
            "warning",
            "Trade execution p99 latency is high on venue {{ $labels.venue }}",
            f"The p99 trade execution latency on venue {{{{ $labels.venue }}}} is {{{{ $value | humanizeDuration }}}} "
            f"over the last {w}, above the {secs(t.trade_latency_p99_seconds)} threshold{during(t.trade_latency_for)}.",
            "Check the venue's connectivity and order gateway, Trade Engine CPU and GC pauses, and whether one "
            "venue or all are slow (`job_venue:trade_execution_latency_seconds:p99_rate5m`).",
        ),
        Alert(
            "TradeSlippageHigh",
            f"{REC_TRADE_SLIPPAGE_BPS} > {num(t.slippage_bps)}",
            t.slippage_for,
            "warning",
            "Trade slippage is high on venue {{ $labels.venue }}",
            f'Mean slippage on venue {{{{ $labels.venue }}}} is {{{{ printf "%.2f" $value }}}} bps over the last {w}, '
            f"above the {num(t.slippage_bps)} bps threshold{during(t.slippage_for)}.",
            "Compare with execution latency (stale quotes), market volatility and order sizes; consider pausing the "
            "strategy on that venue.",
        ),
        Alert(
            "TradeFailureRatioHigh",
            f"{REC_TRADES_FAILED_RATIO} > {num(t.trade_failure_ratio)}",
            t.trade_failure_for,
            "critical",
            "Trades are failing on venue {{ $labels.venue }}",
            f"{{{{ $value | humanizePercentage }}}} of trade attempts on venue {{{{ $labels.venue }}}} failed over the "
            f"last {w} (threshold {pct(t.trade_failure_ratio)}){during(t.trade_failure_for)}.",
            "Read the Trade Engine logs for the rejection reasons (`trades_failed_total` by `reason`), check venue "
            "status, credentials and risk limits.",
        ),
    ]


def instance_manager_alerts(t: AlertThresholds) -> list[Alert]:
    """The `instance-manager.alerts` group."""
    im, rw = JOB_INSTANCE_MANAGER, RESTART_WINDOW
    return [
        Alert(
            "InstanceManagerDown",
            f"up{sel(im)} == 0",
            t.instance_manager_down_for,
            "critical",
            "Instance Manager {{ $labels.instance }} is down",
            f"Prometheus has not been able to scrape the Instance Manager at {{{{ $labels.instance }}}}"
            f"{during(t.instance_manager_down_for)}: the state and resource use of managed instances are unknown.",
            "Check the process/container, its logs and the scrape error on the Prometheus targets page.",
        ),
        Alert(
            "InstanceManagerRestarting",
            f"changes(process_start_time_seconds{sel(im)}[{rw}]) >= {t.instance_manager_restarts}",
            "0s",
            "warning",
            "Instance Manager {{ $labels.instance }} is restarting",
            f"The Instance Manager process at {{{{ $labels.instance }}}} restarted {{{{ $value }}}} times in the last "
            f"{rw} (threshold {t.instance_manager_restarts}).",
            "Look for crash loops: exit codes, OOM kills (compare with InstanceManagerMemoryHigh) and the last log "
            "lines before each restart.",
        ),
        Alert(
            "InstanceManagerInstancesRestarting",
            f"sum without (managed_instance) (increase(instance_manager_instance_restarts_total{sel(im)}[{rw}])) >= "
            f"{t.managed_instance_restarts}",
            "0s",
            "warning",
            "Instances managed by {{ $labels.instance }} keep restarting",
            'Instances managed by {{ $labels.instance }} restarted {{ printf "%.3g" $value }} times in the '
            "last "
            f"{rw} (threshold {t.managed_instance_restarts}).",
            "Find the restarting instances in the Instance Manager's logs/UI and why their health checks fail.",
        ),
        Alert(
            "InstanceManagerInstancesFailed",
            f"sum without (state) (instance_manager_instances{sel(im, state='failed')}) > 0",
            t.instance_manager_failed_instances_for,
            "warning",
            "Instances managed by {{ $labels.instance }} have failed",
            "{{ $value }} instance(s) managed by {{ $labels.instance }} have been in state "
            f"failed{during(t.instance_manager_failed_instances_for)}.",
            "List failed instances in the Instance Manager, read their last logs, restart or replace them.",
        ),
        Alert(
            "InstanceManagerCpuHigh",
            f"{REC_IM_CPU_RATIO} > {num(t.instance_manager_cpu_ratio)}",
            t.instance_manager_resource_for,
            "warning",
            "Instance Manager {{ $labels.instance }} CPU use is near its limit",
            f"The Instance Manager at {{{{ $labels.instance }}}} uses {{{{ $value | humanizePercentage }}}} of its CPU "
            f"limit (threshold {pct(t.instance_manager_cpu_ratio)}){during(t.instance_manager_resource_for)}.",
            "Check for busy loops or load growth; raise `instance_manager_cpu_limit_cores` only with capacity.",
        ),
        Alert(
            "InstanceManagerMemoryHigh",
            f"{REC_IM_MEMORY_RATIO} > {num(t.instance_manager_memory_ratio)}",
            t.instance_manager_resource_for,
            "warning",
            "Instance Manager {{ $labels.instance }} memory is near its limit",
            f"The Instance Manager at {{{{ $labels.instance }}}} uses {{{{ $value | humanizePercentage }}}} of its "
            "memory limit (threshold "
            f"{pct(t.instance_manager_memory_ratio)}){during(t.instance_manager_resource_for)}; "
            "it may be OOM-killed.",
            "Look for leaks (RSS growing steadily) and the number of managed instances; plan a restart before an OOM "
            "kill.",
        ),
    ]


def groups(t: AlertThresholds) -> list[tuple[str, list[Alert]]]:
    """(group name, alerts) of `trading.yml`, in file order."""
    return [("trade-engine.alerts", trade_engine_alerts(t)), ("instance-manager.alerts", instance_manager_alerts(t))]
