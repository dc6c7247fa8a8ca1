"""Alertmanager inhibit rules derived from our rule groups: a service that is down silences its symptoms.

Each watched service's alerts are one group (`trading`, `datastores`); the group's "down" alert, or
`TargetDown` for the service's job where the group has none (the Trade Engine), inhibits every other
alert of the group and the generic `TargetDown` of the same target. A new symptom alert added to a
group is inhibited without touching this module; a test checks every name here exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.core.catalog import JOB_DUCKDB, JOB_INSTANCE_MANAGER, JOB_REDIS, JOB_TRADE_ENGINE
from components.prometheus.rules import datastores, trading
from components.prometheus.rules.thresholds import AlertThresholds

TARGET_DOWN = "TargetDown"
# What makes two alerts the same condition at two severities (the critical one inhibits the warning).
SAME_CONDITION_LABELS = ("alertname", "instance", "venue")


@dataclass(frozen=True)
class ServiceDown:
    """A group's down alert and which labels must be equal for it to silence a symptom."""

    group: str
    job: str
    down_alert: str  # the alert that says the service is down
    equal: tuple[str, ...]  # labels source and target share


# The Trade Engine's alerts aggregate per venue (no `instance`), so its down signal (TargetDown for the
# job) silences them per job: with several Trade Engine targets, one down mutes the venue alerts of all.
SERVICES = (
    ServiceDown("duckdb.alerts", JOB_DUCKDB, "DuckDBExporterDown", ("job", "instance")),
    ServiceDown("redis.alerts", JOB_REDIS, "RedisDown", ("job", "instance")),
    ServiceDown("instance-manager.alerts", JOB_INSTANCE_MANAGER, "InstanceManagerDown", ("job", "instance")),
    ServiceDown("trade-engine.alerts", JOB_TRADE_ENGINE, TARGET_DOWN, ("job",)),
)


def symptoms(thresholds: AlertThresholds | None = None) -> dict[str, list[str]]:
    """Down alert's group -> the alert names it inhibits (the rest of its group)."""
    t = thresholds or AlertThresholds()
    by_group = {name: [a.name for a in alerts] for name, alerts in [*trading.groups(t), *datastores.groups(t)]}
    return {s.group: [name for name in by_group[s.group] if name != s.down_alert] for s in SERVICES}


def inhibit_rules(thresholds: AlertThresholds | None = None) -> list[dict[str, Any]]:
    """Alertmanager `inhibit_rules`: service down silences its symptoms; critical silences warning."""
    rules: list[dict[str, Any]] = []
    targets = symptoms(thresholds)
    for service in SERVICES:
        names = list(targets[service.group])
        if service.down_alert != TARGET_DOWN:
            names.append(TARGET_DOWN)  # the generic scrape failure says the same thing again
        rules.append(
            {
                "source_matchers": [f'alertname="{service.down_alert}"', f'job="{service.job}"'],
                "target_matchers": [f'alertname=~"{"|".join(names)}"'],
                "equal": list(service.equal),
            }
        )
    # The same condition at two severities (e.g. a warning and a critical threshold): page once.
    # `venue` too: the Trade Engine's alerts carry no `instance`, so without it a critical on one
    # venue muted the same warning on every other venue (a label absent on both sides is equal).
    rules.append(
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": list(SAME_CONDITION_LABELS),
        }
    )
    return rules
