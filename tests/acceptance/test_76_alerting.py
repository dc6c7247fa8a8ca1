"""On-call alerting on the real Alertmanager: routes by severity, inhibitions, muting, and delivery to
local stand-ins of PagerDuty, Slack, Opsgenie and an SMTP server (harness/receivers.py).

Alerts are posted straight into Alertmanager's API the way Prometheus posts them (mTLS, Prometheus'
client certificate), all at once, each labelled with this run's id and its case; every stand-in
records what it received, over TLS verified against the run's test CA, with the credential it
carried. A "never delivered" check waits until an alert posted at the same moment through the same
timing has been delivered, then a further group_wait.
"""

from __future__ import annotations

import datetime
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

from components.core import catalog
from harness import receivers as rx
from harness.stack import AcceptanceStack, wait_until

pytestmark = pytest.mark.acceptance

RUN = secrets.token_hex(4)
GROUP_WAIT = 10  # seconds, the route's group_wait (components/alertmanager/render.py)
DELIVERY_TIMEOUT = 60


def marker(case: str) -> str:
    return f"[{RUN}:{case}]"


def alert(case: str, alertname: str, severity: str, **labels: str) -> dict[str, Any]:
    return {
        "labels": {"alertname": alertname, "severity": severity, "case": f"{RUN}-{case}", **labels},
        "annotations": {
            "summary": f"{alertname} summary {marker(case)}",
            "runbook_url": f"docs/runbooks.md#runbook-{alertname.lower()}",
        },
    }


def firing_now(case: dict[str, Any]) -> dict[str, Any]:
    """`case` as Prometheus sends a firing alert: from now, for ten minutes. Stamped when posted, not when
    this module is imported: the full suite imports it long before this module runs, and an alert whose
    end has passed arrives resolved (nothing fires, nothing is listed)."""
    now = datetime.datetime.now(datetime.UTC)
    return {**case, "startsAt": now.isoformat(), "endsAt": (now + datetime.timedelta(minutes=10)).isoformat()}


REDIS_B = {"job": "redis", "instance": "redis-b:9121", "redis_instance": "RTS-B"}
CASES = {
    # critical: the pager (continue) and the e-mail route
    "page": alert("page", "TradeFailureRatioHigh", "critical", job="trade-engine", venue="xtest"),
    # critical for the FX desk: Opsgenie only
    "fx": alert("fx", "TradeSlippageHigh", "critical", job="trade-engine", venue="xfx", desk="fx"),
    # a warning of a trading service: chat
    "chat": alert(
        "chat", "RedisRejectedConnections", "warning", job="redis", instance="redis-exporter:9121", redis_instance="RTS"
    ),
    # a service-down alert and its symptom on the same target: only the first is delivered
    "down": alert("down", "RedisDown", "critical", **REDIS_B),
    "symptom": alert("symptom", "RedisMemoryNearMax", "warning", **REDIS_B),
    # the same alert at two severities on one instance: only the critical one
    "latency-critical": alert("latency-critical", "DuckDBProbeLatencyHigh", "critical", job="duckdb", instance="d:1"),
    "latency-warning": alert("latency-warning", "DuckDBProbeLatencyHigh", "warning", job="duckdb", instance="d:1"),
    # the batch desk's warnings are muted all week; the control goes through the next route at the same time
    "muted": alert("muted", "DuckDBMetricsStale", "warning", job="duckdb", instance="d:2", desk="batch"),
    "control": alert("control", "DuckDBMetricsStale", "warning", job="duckdb", instance="d:3"),
}


@pytest.fixture(scope="module")
def posted(stack: AcceptanceStack) -> Iterator[float]:
    firing = [firing_now(case) for case in CASES.values()]
    stack.post_alerts(firing)
    yield time.monotonic()
    # Resolved when the module ends: a posted critical alert would otherwise inhibit, for its 10 minutes,
    # the warning of the same name the trading simulator fires later (test_77): trade alerts carry no
    # `instance`, so the critical-inhibits-warning rule's `equal: [alertname, instance]` matches them.
    now = datetime.datetime.now(datetime.UTC).isoformat()
    stack.post_alerts([{**case, "endsAt": now} for case in firing])


def delivered(stack: AcceptanceStack, case: str) -> dict[str, list[dict[str, Any]]]:
    """Receiver -> the notifications carrying `case`'s marker, at every stand-in and the webhook."""
    found: dict[str, list[dict[str, Any]]] = {}
    for host, receiver in ((rx.PAGERDUTY_HOST, "pager"), (rx.SLACK_HOST, "chat"), (rx.OPSGENIE_HOST, "ops-genie")):
        hits = [r for r in stack.standin_requests(host) if marker(case) in json.dumps(r["payload"])]
        if hits:
            found[receiver] = hits
    mails = [m for m in stack.standin_mails() if any(marker(case) in b for b in rx.mail_bodies(m).values())]
    if mails:
        found["mail"] = mails
    hooks = [a for a in stack.webhook_alerts() if a["labels"].get("case") == f"{RUN}-{case}"]
    if hooks:
        found["test"] = hooks
    return found


def wait_delivered(stack: AcceptanceStack, case: str, receivers: set[str]) -> dict[str, list[dict[str, Any]]]:
    try:
        return wait_until(
            lambda: (d := delivered(stack, case)) and set(d) >= receivers and d,
            timeout=DELIVERY_TIMEOUT,
            interval=1,
            what=f"{case} at {sorted(receivers)}",
        )
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}\n{alertmanager_view(stack, case)}") from None


def alertmanager_view(stack: AcceptanceStack, case: str) -> str:
    """Why nothing came, as Alertmanager saw it: the case's alert state and its notification counters per
    integration (names and counts only: no receiver URL or credential reaches the test output)."""
    lines = []
    try:
        states = [(a["labels"]["alertname"], a["status"]) for a in stack.alertmanager_alerts(case=f"{RUN}-{case}")]
        lines.append(f"Alertmanager's alerts for {case}: {states}")
        for metric in ("alertmanager_notifications_total", "alertmanager_notifications_failed_total"):
            counts = {
                f"{s['metric'].get('integration')}/{s['metric'].get('reason', '')}": s["value"][1]
                for s in stack.query(metric)
            }
            lines.append(f"{metric}: {counts}")
    except (OSError, AssertionError, ValueError, KeyError) as error:
        lines.append(f"Alertmanager's view unavailable: {error!r}")
    return "\n".join(lines)


def settle(since: float) -> None:
    """Long enough after a delivery that a second notification posted with it would have come too."""
    time.sleep(max(since + GROUP_WAIT + 5 - time.monotonic(), 3.0))


def test_a_critical_alert_reaches_the_pager_with_its_routing_key(stack: AcceptanceStack, posted: float) -> None:
    found = wait_delivered(stack, "page", {"pager", "mail"})
    (event,) = found["pager"]
    assert event["path"] == "/v2/enqueue"
    body = event["payload"]
    assert body["routing_key"] == stack.receiver_secrets.pagerduty_routing_key
    assert body["event_action"] == "trigger"
    assert body["payload"]["severity"] == "critical"
    assert body["payload"]["summary"] == "[FIRING:1] TradeFailureRatioHigh (critical)"
    details = body["payload"]["custom_details"]["alerts"]
    assert f"TradeFailureRatioHigh summary {marker('page')}" in details
    assert "Severity: critical" in details and "Target: job trade-engine" in details
    assert "Runbook: docs/runbooks.md#runbook-tradefailureratiohigh" in details
    settle(posted)
    assert set(delivered(stack, "page")) == {"pager", "mail"}, "critical: the pager and the e-mail, nothing else"


def test_a_critical_alert_arrives_by_mail_with_summary_and_runbook(stack: AcceptanceStack, posted: float) -> None:
    (mail,) = wait_delivered(stack, "page", {"mail"})["mail"]
    assert mail["tls"] is True, "STARTTLS before anything else"
    assert mail["user"] == rx.SMTP_USER, "authenticated with the password from the secret file"
    assert mail["rcpt_to"] == [f"<{rx.MAIL_TO}>"] and mail["mail_from"].startswith(f"<{rx.MAIL_FROM}>")
    message = rx.mail_message(mail)
    assert message["Subject"] == "[FIRING:1] TradeFailureRatioHigh (critical)"
    bodies = rx.mail_bodies(mail)
    text, html = bodies["text/plain"], bodies["text/html"]
    for body in (text, html):
        assert f"TradeFailureRatioHigh summary {marker('page')}" in body
        assert "critical" in body and "job trade-engine" in body
    assert "Runbook: docs/runbooks.md#runbook-tradefailureratiohigh" in text
    assert 'href="docs/runbooks.md#runbook-tradefailureratiohigh"' in html


def test_a_critical_alert_of_the_fx_desk_pages_through_opsgenie(stack: AcceptanceStack, posted: float) -> None:
    (request,) = wait_delivered(stack, "fx", {"ops-genie"})["ops-genie"]
    assert request["path"] == "/v2/alerts"
    assert request["authorization"] == f"GenieKey {stack.receiver_secrets.opsgenie_api_key}"
    body = request["payload"]
    assert body["message"] == "[FIRING:1] TradeSlippageHigh (critical)"
    assert body["priority"] == "P1"
    assert f"TradeSlippageHigh summary {marker('fx')}" in body["description"]
    assert "Runbook: docs/runbooks.md#runbook-tradeslippagehigh" in body["description"]
    settle(posted)
    assert set(delivered(stack, "fx")) == {"ops-genie"}, "the FX route does not continue to the pager"


def test_a_warning_reaches_chat(stack: AcceptanceStack, posted: float) -> None:
    (request,) = wait_delivered(stack, "chat", {"chat"})["chat"]
    assert request["path"] == urlparse(stack.receiver_secrets.slack_webhook_url).path, "the secret webhook URL"
    body = request["payload"]
    assert body["channel"] == "#trading-alerts"
    (attachment,) = body["attachments"]
    assert attachment["title"] == "[FIRING:1] RedisRejectedConnections (warning)"
    text = attachment["text"]
    assert f"RedisRejectedConnections summary {marker('chat')}" in text
    assert "Severity: warning" in text and "Target: RTS at redis-exporter:9121" in text
    assert "Runbook: docs/runbooks.md#runbook-redisrejectedconnections" in text
    settle(posted)
    assert set(delivered(stack, "chat")) == {"chat"}


def test_a_service_down_alert_inhibits_its_symptom(stack: AcceptanceStack, posted: float) -> None:
    wait_delivered(stack, "down", {"pager", "mail"})
    (symptom,) = stack.alertmanager_alerts(case=f"{RUN}-symptom")
    assert symptom["status"]["state"] == "suppressed" and symptom["status"]["inhibitedBy"], symptom["status"]
    settle(posted)
    assert delivered(stack, "symptom") == {}, "RedisMemoryNearMax must not be delivered while RedisDown fires"


def test_critical_inhibits_warning_of_the_same_alert_and_instance(stack: AcceptanceStack, posted: float) -> None:
    wait_delivered(stack, "latency-critical", {"pager"})
    (warning,) = stack.alertmanager_alerts(case=f"{RUN}-latency-warning")
    assert warning["status"]["state"] == "suppressed", warning["status"]
    settle(posted)
    assert delivered(stack, "latency-warning") == {}


def test_a_muted_time_interval_mutes(stack: AcceptanceStack, posted: float) -> None:
    wait_delivered(stack, "control", {"chat"})
    settle(posted)
    assert delivered(stack, "muted") == {}, "the batch desk's route is muted all week"
    (muted,) = stack.alertmanager_alerts(case=f"{RUN}-muted")
    assert [r["name"] for r in muted["receivers"]] == ["chat"], "routed, then muted at notification time"


def test_no_receiver_credential_in_config_inspect_logs_or_audit(stack: AcceptanceStack, posted: float) -> None:
    wait_delivered(stack, "page", {"pager", "mail"})  # after the credentials have been used
    credentials = stack.receiver_secrets.named()
    config = stack.upload_path("alertmanager", catalog.ALERTMANAGER_CONFIG_FILE).read_text()
    places = {"alertmanager.yml": config}
    for name in stack.recorded.containers(kind=None):
        places[f"docker inspect {name}"] = json.dumps(stack.topo.inspect(name))
    places.update({name: path.read_text(errors="replace") for name, path in stack.all_log_files().items()})
    leaks = [
        f"{what} in {where}" for where, text in places.items() for what, value in credentials.items() if value in text
    ]
    assert leaks == []
    assert "proxy audit.log" in places and any(n.startswith("docker logs") and "alertmanager" in n for n in places)
    # ... and each is where Alertmanager reads it: a 0400 file of its own uid, the `*_file` field pointing at it.
    for receiver, field_name in (
        ("pager", "routing_key_file"),
        ("chat", "api_url_file"),
        ("ops-genie", "api_key_file"),
        ("mail", "auth_password_file"),
    ):
        path = f"{catalog.ALERTMANAGER_SECRETS_DIR}/{receiver}"
        assert f"{field_name}: {path}" in config
        host_file = stack.upload_path("alertmanager", path)
        assert host_file.stat().st_mode & 0o777 == 0o400 and host_file.stat().st_uid == catalog.ALERTMANAGER.uid
    assert "insecure_skip_verify: true" not in config
