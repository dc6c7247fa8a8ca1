"""What the rule modules share: PromQL helpers, the metric names (docs/metrics-contract.md), `Alert`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.core.catalog import JOB_DUCKDB
from components.core.durations import duration_seconds

RUNBOOK_BASE = "docs/runbooks.md"  # the runbooks page (python -m tools.readme writes it)
SEVERITIES = ("critical", "warning", "info", "none")
# Fixed windows: thresholds are set per window, so changing a window changes their meaning.
RATE_WINDOW = "5m"
RESTART_WINDOW = "15m"


def num(value: float) -> str:
    """A PromQL number literal: shortest exact form, no trailing `.0` for whole numbers."""
    number = float(value)
    return str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def pct(ratio: float) -> str:
    return f"{ratio * 100:g}%"


def secs(seconds: float) -> str:
    return f"{seconds:g}s"


def during(duration: str) -> str:
    """` for 5m` for a description, or nothing when the alert has no `for`."""
    return f" for {duration}" if duration_seconds(duration) > 0 else ""


def runbook_anchor(alertname: str) -> str:
    """The anchor of an alert's runbook section in docs/runbooks.md: `runbook-<alertname lowercased>`."""
    return f"runbook-{alertname.lower()}"


def sel(job: str, **matchers: str) -> str:
    parts = [f'job="{job}"'] + [f'{name}="{value}"' for name, value in matchers.items()]
    return "{" + ", ".join(parts) + "}"


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    for_: str
    severity: str
    summary: str
    description: str
    runbook: str  # first steps, rendered into docs/runbooks.md

    def as_rule(self, runbook_base: str) -> dict[str, Any]:
        rule: dict[str, Any] = {"alert": self.name, "expr": self.expr}
        if duration_seconds(self.for_) > 0:
            rule["for"] = self.for_
        rule["labels"] = {"severity": self.severity}
        rule["annotations"] = {
            "summary": self.summary,
            "description": self.description,
            # `runbook_url`: the annotation name the kubernetes-mixin alerts use, which UIs and routes know.
            "runbook_url": f"{runbook_base}#{runbook_anchor(self.name)}",
        }
        return rule


def duckdb_table_metric(name: str) -> str:
    """A row of the DuckDB metrics table as the exporter exposes it: `duckdb_metric_<name>`.

    The alert carries `name="<name>"` too, so its identity names the table row.
    """
    return f'label_replace(duckdb_metric_{name}{sel(JOB_DUCKDB)}, "name", "{name}", "", "")'


REDIS_NAME = "{{ $labels.instance }}{{ with $labels.redis_instance }} ({{ . }}){{ end }}"
