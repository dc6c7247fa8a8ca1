"""Routing, inhibitions and notification texts through Debian's amtool (Alertmanager 0.25).

`amtool config routes test` for every routing case of the prod example, the acceptance stack's
on-call routes (harness/receivers.py) and the out-of-the-box defaults; `amtool check-config`
on each; `amtool template render` of our notification template with an alert of our own rules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.alertmanager.render import TEMPLATE_FILE
from components.core import catalog
from harness import receivers as rx
from testing.mock_stack import RecordedStack, run_program
from testing.stack_config import load_scenario
from tests.render.sandboxed import materialize, run_in_view
from tests.render.test_validators import container, ok
from tests.unit.test_alerting import ALL_TYPES

# (labels, receivers) for the prod example (examples/Pulumi.prod.yaml).
PROD_CASES: tuple[tuple[dict[str, str], tuple[str, ...]], ...] = (
    ({"alertname": "RedisDown", "severity": "critical", "job": "redis"}, ("pager", "mail")),
    ({"alertname": "RedisMemoryNearMax", "severity": "warning", "job": "redis"}, ("chat",)),
    ({"alertname": "SomethingElse", "severity": "info"}, ("oncall",)),
    ({"alertname": "Watchdog", "severity": "none"}, ("watchdog-null",)),
)
# Out of the box: critical to the first pager-type receiver, everything else to the first chat one.
DEFAULT_CASES: tuple[tuple[dict[str, str], tuple[str, ...]], ...] = (
    ({"alertname": "TradeFailureRatioHigh", "severity": "critical"}, ("pager",)),
    ({"alertname": "TradeSlippageHigh", "severity": "warning"}, ("chat",)),
    ({"alertname": "InstanceManagerInstancesFailed"}, ("chat",)),
    ({"alertname": "Watchdog", "severity": "none"}, ("watchdog-null",)),
)


@pytest.fixture(scope="module")
def acceptance_stack(tmp_path_factory: pytest.TempPathFactory) -> RecordedStack:
    ca_pem = rx.make_pki(tmp_path_factory.mktemp("standin-ca"))
    config = rx.alerting_config(ca_pem, rx.ReceiverSecrets.random(), "http://webhook:4000/alerts")
    return run_program(config, stack="acceptance-routes", secret_keys=("alertmanagerReceiverSecrets",))


# (labels, receivers) for tests/stacks/oncall.yaml: every receiver type and a dead-man's switch.
ONCALL_CASES: tuple[tuple[dict[str, str], tuple[str, ...]], ...] = (
    ({"alertname": "TradeSlippageHigh", "severity": "critical", "desk": "fx"}, ("ops-genie",)),
    ({"alertname": "RedisDown", "severity": "critical", "job": "redis"}, ("pager", "mail")),
    ({"alertname": "RedisMemoryNearMax", "severity": "warning"}, ("chat",)),
    ({"alertname": "SomethingInformative", "severity": "info"}, ("chat",)),
    ({"alertname": "Watchdog", "severity": "none"}, ("deadman",)),
)


@pytest.fixture(scope="module")
def defaults_stack() -> RecordedStack:
    return run_program(ALL_TYPES, stack="defaults-routes", secret_keys=("alertmanagerReceiverSecrets",))


def amtool(stack: RecordedStack, root: Path, *argv: str) -> str:
    materialize(stack, container(stack, catalog.ALERTMANAGER), root)
    return ok(run_in_view(root, ["amtool", *argv]))


def routed(stack: RecordedStack, root: Path, labels: dict[str, str]) -> tuple[str, ...]:
    output = amtool(
        stack,
        root,
        "config",
        "routes",
        "test",
        f"--config.file={catalog.ALERTMANAGER_CONFIG_FILE}",
        *(f"{key}={value}" for key, value in labels.items()),
    )
    lines = [line for line in output.splitlines() if line.strip() and not line.startswith("Warning:")]
    return tuple(lines[-1].split(","))


def check_every_case(
    stack: RecordedStack, root: Path, cases: tuple[tuple[dict[str, str], tuple[str, ...]], ...]
) -> None:
    assert "SUCCESS" in amtool(stack, root, "check-config", catalog.ALERTMANAGER_CONFIG_FILE)
    wrong = [(labels, want, got) for labels, want in cases if (got := routed(stack, root, labels)) != want]
    assert wrong == []


def test_every_route_of_the_acceptance_stack(acceptance_stack: RecordedStack, tmp_path: Path) -> None:
    check_every_case(acceptance_stack, tmp_path, rx.ROUTING_CASES)


def test_every_route_of_the_prod_example(prod_stack: RecordedStack, tmp_path: Path) -> None:
    check_every_case(prod_stack, tmp_path, PROD_CASES)


def test_every_route_of_the_oncall_scenario(tmp_path: Path) -> None:
    check_every_case(load_scenario("oncall").run(), tmp_path, ONCALL_CASES)


def test_every_route_out_of_the_box(defaults_stack: RecordedStack, tmp_path: Path) -> None:
    check_every_case(defaults_stack, tmp_path, DEFAULT_CASES)


def test_the_dev_stack_sends_everything_but_the_watchdog_to_its_webhook(
    dev_stack: RecordedStack, tmp_path: Path
) -> None:
    check_every_case(
        dev_stack,
        tmp_path,
        (({"severity": "critical"}, ("default",)), ({"alertname": "Watchdog"}, ("watchdog-null",))),
    )


def template_data(alerts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "receiver": "chat",
        "status": "firing",
        "alerts": [{"status": "firing", **a} for a in alerts],
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": alerts[0]["labels"] if len(alerts) == 1 else {"alertname": alerts[0]["labels"]["alertname"]},
        "commonAnnotations": {},
        "externalURL": "https://promshield.example:9093",
    }


def render_template(stack: RecordedStack, root: Path, text: str, data: dict[str, Any], kind: str = "text") -> str:
    materialize(stack, container(stack, catalog.ALERTMANAGER), root)
    (root / "tmp-data.json").write_text(json.dumps(data))
    result = run_in_view(
        root,
        [
            "amtool",
            "template",
            "render",
            f"--template.glob={TEMPLATE_FILE}",
            f"--template.text={text}",
            f"--template.type={kind}",
            "--template.data=/tmp-data.json",
        ],
    )
    return ok(result)


REDIS_ALERT = {
    "labels": {
        "alertname": "RedisMemoryNearMax",
        "severity": "warning",
        "job": "redis",
        "instance": "redis-exporter:9121",
        "redis_instance": "RTS",
    },
    "annotations": {
        "summary": "Redis redis-exporter:9121 memory is near maxmemory",
        "runbook_url": "docs/runbooks.md#runbook-redismemorynearmax",
    },
}
TE_ALERT = {
    "labels": {"alertname": "TradeFailureRatioHigh", "severity": "critical", "job": "trade-engine", "venue": "x"},
    "annotations": {
        "summary": "Trades are failing on venue x",
        "runbook_url": "docs/runbooks.md#runbook-tradefailureratiohigh",
    },
}


def test_every_notification_carries_summary_severity_target_and_runbook(
    dev_stack: RecordedStack, tmp_path: Path
) -> None:
    data = template_data([REDIS_ALERT, TE_ALERT])
    text = render_template(dev_stack, tmp_path, '{{ template "promshield.text" . }}', data)
    assert (
        "Redis redis-exporter:9121 memory is near maxmemory\nSeverity: warning\nTarget: RTS at redis-exporter:9121\n"
        "Runbook: docs/runbooks.md#runbook-redismemorynearmax" in text
    )
    assert (
        "Trades are failing on venue x\nSeverity: critical\nTarget: job trade-engine\n"
        "Runbook: docs/runbooks.md#runbook-tradefailureratiohigh" in text
    )
    html = render_template(dev_stack, tmp_path, '{{ template "promshield.html" . }}', data, kind="html")
    assert '<a href="docs/runbooks.md#runbook-redismemorynearmax">' in html
    assert "Target: RTS at redis-exporter:9121" in html


def test_titles_name_status_count_alert_and_severity(dev_stack: RecordedStack, tmp_path: Path) -> None:
    data = template_data([REDIS_ALERT])
    title = render_template(dev_stack, tmp_path, '{{ template "promshield.title" . }}', data)
    assert title.strip() == "[FIRING:1] RedisMemoryNearMax (warning)"
    severity = render_template(dev_stack, tmp_path, '{{ template "promshield.pagerduty.severity" . }}', data)
    priority = render_template(dev_stack, tmp_path, '{{ template "promshield.opsgenie.priority" . }}', data)
    assert (severity.strip(), priority.strip()) == ("warning", "P3")
