"""`stack.yml`: scrape targets, Prometheus, Alertmanager and the Watchdog heartbeat."""

from __future__ import annotations

from components.core.catalog import JOB_ALERTMANAGER, JOB_PROMETHEUS, JOB_PROXY
from components.prometheus.rules.promql import RATE_WINDOW, Alert, during, sel
from components.prometheus.rules.thresholds import AlertThresholds

FILE = "stack.yml"


def stack_alerts(t: AlertThresholds) -> list[Alert]:
    """The `stack.alerts` group."""
    w = RATE_WINDOW
    return [
        Alert(
            "TargetDown",
            "up == 0",
            t.target_down_for,
            "warning",
            "Target {{ $labels.instance }} of job {{ $labels.job }} is down",
            "Prometheus has failed to scrape {{ $labels.job }} target {{ $labels.instance "
            f"}}}}{during(t.target_down_for)}.",
            "Open the Prometheus targets page for the scrape error (TLS, authentication, timeout, refused).",
        ),
        Alert(
            "PrometheusRuleEvaluationFailures",
            "sum by (job, instance, rule_group) "
            f"(increase(prometheus_rule_evaluation_failures_total{sel(JOB_PROMETHEUS)}[{w}])) > 0",
            t.stack_for,
            "critical",
            "Prometheus {{ $labels.instance }} fails to evaluate rules",
            f'Prometheus {{{{ $labels.instance }}}} failed {{{{ printf "%.3g" $value }}}} rule evaluations in group '
            f"{{{{ $labels.rule_group }}}} over the last {w}: alerts from that group may be missing.",
            "See the rules page and the Prometheus log for the failing expression (often many-to-many matching).",
        ),
        Alert(
            "PrometheusConfigReloadFailed",
            f"prometheus_config_last_reload_successful{sel(JOB_PROMETHEUS)} == 0",
            t.stack_for,
            "warning",
            "Prometheus {{ $labels.instance }} configuration reload failed",
            f"The last configuration reload of Prometheus {{{{ $labels.instance }}}} failed and has not succeeded"
            f"{during(t.stack_for)}: it still runs the previous configuration.",
            "Read the Prometheus log for the reload error and validate the files with `promtool check config`.",
        ),
        Alert(
            "AlertmanagerConfigReloadFailed",
            f"alertmanager_config_last_reload_successful{sel(JOB_ALERTMANAGER)} == 0",
            t.stack_for,
            "warning",
            "Alertmanager {{ $labels.instance }} configuration reload failed",
            f"The last configuration reload of Alertmanager {{{{ $labels.instance }}}} failed and has not "
            f"succeeded{during(t.stack_for)}: it still runs the previous configuration.",
            "Read the Alertmanager log and validate the file with `amtool check-config`.",
        ),
        Alert(
            "AlertmanagerNotificationsFailing",
            "sum by (job, instance, integration) "
            f"(rate(alertmanager_notifications_failed_total{sel(JOB_ALERTMANAGER)}[{w}])) > 0",
            t.stack_for,
            "critical",
            "Alertmanager {{ $labels.instance }} fails to send {{ $labels.integration }} notifications",
            f"Alertmanager {{{{ $labels.instance }}}} has been failing to deliver {{{{ $labels.integration }}}} "
            f'notifications ({{{{ printf "%.3g" $value }}}}/s over the last {w}){during(t.stack_for)}.',
            "Check the receiver endpoint, Alertmanager's egress rules and the error in the Alertmanager log.",
        ),
        Alert(
            "PrometheusNotificationsFailing",
            f"(sum by (job, instance) (rate(prometheus_notifications_errors_total{sel(JOB_PROMETHEUS)}[{w}])) > 0)"
            f" or (sum by (job, instance) (rate(prometheus_notifications_dropped_total{sel(JOB_PROMETHEUS)}[{w}])) > "
            "0)",
            t.stack_for,
            "critical",
            "Prometheus {{ $labels.instance }} fails to send alerts to Alertmanager",
            f"Prometheus {{{{ $labels.instance }}}} has had notification errors or dropped alerts "
            f'({{{{ printf "%.3g" $value }}}}/s over the last {w}){during(t.stack_for)}: alerts may not reach anyone.',
            "Check that Alertmanager is up and that Prometheus' client certificate is accepted (mTLS).",
        ),
        Alert(
            "AlertmanagerSilencesPiling",
            f'sum by (job, instance) (alertmanager_silences{{job="{JOB_ALERTMANAGER}", state=~"active|pending"}}) '
            f"> {t.silences_max}",
            t.stack_for,
            "warning",
            "Alertmanager {{ $labels.instance }} holds {{ $value }} silences",
            f"Alertmanager {{{{ $labels.instance }}}} holds more than {t.silences_max} active or pending silences"
            f"{during(t.stack_for)}. Every silence lives in its memory and in every snapshot it writes "
            "(silenceLimits): a credential creating silences at its full rate would eventually exhaust it.",
            "List the silences (`amtool silence query`), find who creates them (the proxy's audit log, POST "
            "/api/v2/silences) and expire the ones nobody needs.",
        ),
        Alert(
            "ProxyAuditVolumeFilling",
            f"promshield_audit_volume_free_bytes{sel(JOB_PROXY)} / promshield_audit_volume_size_bytes"
            f"{sel(JOB_PROXY)} < {t.audit_volume_free_ratio}",
            t.audit_volume_for,
            "critical",
            "The audit volume of proxy {{ $labels.instance }} is filling up",
            "Only {{ humanizePercentage $value }} of the filesystem under the audit log of proxy "
            f"{{{{ $labels.instance }}}} is free{during(t.audit_volume_for)}. The audit log is rotated (logLimits."
            "auditLogBytes) and never deleted: once the volume is full, NGINX cannot write the record.",
            "Archive the rotated `audit.log.*.gz` files of the `proxy-audit` volume elsewhere and remove them, or "
            "grow the filesystem; see `promshield_audit_rotated_files` for how many there are.",
        ),
        Alert(
            "Watchdog",
            "vector(1)",
            "0s",
            "none",
            "Alerting pipeline heartbeat",
            "This alert always fires. If the receiver stops getting it, Prometheus, its rules or Alertmanager are "
            "broken.",
            "Nothing to do while it arrives. If it stops, check Prometheus, Alertmanager and the route to the "
            "receiver.",
        ),
    ]


def groups(t: AlertThresholds) -> list[tuple[str, list[Alert]]]:
    """(group name, alerts) of `stack.yml`, in file order."""
    return [("stack.alerts", stack_alerts(t))]
