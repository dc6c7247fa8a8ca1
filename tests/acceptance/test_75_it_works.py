"""It works: Prometheus scrapes every target, an alert rule fires, Prometheus sends it to
Alertmanager over mTLS and Alertmanager delivers it to the test webhook receiver."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest
import yaml

from components.core import catalog
from harness.stack import FIRING_ALERT, AcceptanceStack, container_name, wait_until

pytestmark = pytest.mark.acceptance

EXPECTED_JOBS = {"prometheus", "alertmanager", "proxy", "duckdb", "redis", "instance-manager", "trade-engine"}


def active_targets(stack: AcceptanceStack) -> list[dict[str, Any]]:
    response = stack.get("prometheus", "/api/v1/targets?state=active", user="read-only")
    assert response.status == 200, response.text
    targets: list[dict[str, Any]] = response.json()["data"]["activeTargets"]
    return targets


def test_prometheus_scrapes_every_target(stack: AcceptanceStack) -> None:
    def all_up() -> list[dict[str, Any]]:
        targets = active_targets(stack)
        jobs = {t["labels"]["job"] for t in targets}
        return targets if jobs == EXPECTED_JOBS and all(t["health"] == "up" for t in targets) else []

    try:
        targets: list[dict[str, Any]] = wait_until(all_up, timeout=60, interval=1, what="every target up")
    except AssertionError:
        summary = [(t["labels"]["job"], t["scrapeUrl"], t["health"], t["lastError"]) for t in active_targets(stack)]
        raise AssertionError(f"targets not all up: {summary}") from None
    print("\n[acceptance] the stack's jobs and targets:")  # shown with -s (the closing note of issue 12)
    for t in sorted(targets, key=lambda t: (t["labels"]["job"], t["labels"]["instance"])):
        extra = f" redis_instance={t['labels']['redis_instance']}" if "redis_instance" in t["labels"] else ""
        print(
            f"  job={t['labels']['job']} instance={t['labels']['instance']}{extra} health={t['health']} "
            f"url={t['scrapeUrl']} last_scrape_seconds={t['lastScrapeDuration']:.4f}"
        )
    # Every job over TLS: the stack's own services with Prometheus' client certificate, the trading
    # services (the demo simulator) as real targets would be: TLS plus basic auth.
    assert {t["labels"]["job"]: t["scrapeUrl"].split(":", 1)[0] for t in targets} == dict.fromkeys(
        EXPECTED_JOBS, "https"
    )
    config = yaml.safe_load(stack.get("prometheus", "/api/v1/status/config").json()["data"]["yaml"])
    for job in (catalog.JOB_INSTANCE_MANAGER, catalog.JOB_TRADE_ENGINE):
        (target,) = [t for t in targets if t["labels"]["job"] == job]
        assert target["labels"]["instance"] == f"{catalog.TRADING_SIM.name}:{catalog.TRADING_SIM_PORTS[job]}"
        assert target["labels"]["desk"] == "demo"
        (scrape,) = [c for c in config["scrape_configs"] if c["job_name"] == target["scrapePool"]]
        assert scrape["basic_auth"]["username"] == catalog.TRADING_SIM_SCRAPE_USER
        assert scrape["basic_auth"]["password_file"] and scrape["tls_config"]["server_name"] == catalog.TRADING_SIM.name
    # One exporter, one target per Redis instance: each up under its own name and address.
    redis = sorted(
        (t["labels"]["redis_instance"], t["labels"]["instance"]) for t in targets if t["labels"]["job"] == "redis"
    )
    assert redis == sorted((n, f"demo-redis-{n.lower()}:6379") for n in DEMO_REDIS)


def test_duckdb_metrics_arrive_in_prometheus(stack: AcceptanceStack) -> None:
    result = wait_until(
        lambda: stack.query('duckdb_metric_transaction_success_rate{job="duckdb"}', user="read-only"),
        timeout=20,
        interval=1,
        what="DuckDB metrics",
    )
    assert float(result[0]["value"][1]) == pytest.approx(0.997)
    assert float(stack.query('duckdb_up{job="duckdb"}', user="read-only")[0]["value"][1]) == 1


def test_prometheus_sends_alerts_to_alertmanager_over_mtls(stack: AcceptanceStack) -> None:
    response = stack.get("prometheus", "/api/v1/alertmanagers", user="read-only")
    active = [am["url"] for am in response.json()["data"]["activeAlertmanagers"]]
    assert active == ["https://alertmanager:9093/api/v2/alerts"]
    sent = wait_until(
        lambda: stack.query('sum(prometheus_notifications_sent_total{job="prometheus"}) > 0'),
        timeout=within_a_minute_of_the_last_restart(stack),
        interval=1,
        what="notifications sent",
    )
    assert float(sent[0]["value"][1]) > 0


def test_an_alert_fires_and_reaches_the_webhook(stack: AcceptanceStack) -> None:
    def delivered() -> list[dict[str, Any]]:
        return [a for a in stack.webhook_alerts() if a["labels"].get("alertname") == FIRING_ALERT]

    alerts = wait_until(delivered, timeout=60, interval=1, what=f"{FIRING_ALERT} at the webhook")
    alert = alerts[0]
    assert alert["_receiver"] == "test" and alert["_path"] == "/alerts"
    assert alert["status"] == "firing"
    assert alert["labels"]["job"] == "instance-manager" and alert["labels"]["instance"] == "trading-sim:9400"
    assert alert["labels"]["stack"] == "acceptance", "the external label is added on the way out of Prometheus"
    # Alertmanager has it too (read through the proxy), routed to the test receiver.
    assert routed_in_alertmanager(stack, FIRING_ALERT) == {FIRING_ALERT: ["test"]}


def routed_in_alertmanager(stack: AcceptanceStack, alertname: str) -> dict[str, list[str]]:
    """The receivers Alertmanager routes `alertname` to (read through the proxy), once it has the alert.

    Earlier groups kill Alertmanager (which keeps alerts in memory only) and OOM-kill Prometheus on purpose,
    and Prometheus resends firing alerts once a minute: the wait counts from the later of the stack's start
    and the last (re)start of either."""

    def routed() -> dict[str, list[str]]:
        alerts = stack.get("alertmanager", "/api/v2/alerts", user="read-only").json()
        return {
            a["labels"]["alertname"]: [r["name"] for r in a["receivers"]]
            for a in alerts
            if a["labels"]["alertname"] == alertname
        }

    return wait_until(
        routed, timeout=within_a_minute_of_the_last_restart(stack), interval=1, what=f"{alertname} in Alertmanager"
    )


def within_a_minute_of_the_last_restart(stack: AcceptanceStack) -> float:
    """Seconds left until 90 s after the later of the stack's start and the last (re)start of Alertmanager or
    Prometheus (a counter starts at 0 again, alerts are sent again within Prometheus' one-minute resend); 5 at
    least."""
    last_start = max([stack.started_at] + [started_at(stack, service) for service in ("alertmanager", "prometheus")])
    return max(last_start + 90 - time.time(), 5)


def started_at(stack: AcceptanceStack, service: str) -> float:
    """When Docker last started the service's container (epoch seconds)."""
    stamp = str(stack.topo.inspect(stack.container(service))["State"]["StartedAt"])
    return datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00").timestamp()


def test_the_watchdog_goes_to_the_null_receiver(stack: AcceptanceStack) -> None:
    """The always-firing Watchdog reaches Alertmanager and is routed to the null receiver, never
    the webhook. (Prometheus drops the notifications it makes before it has discovered
    Alertmanager and resends firing alerts once a minute, so the Watchdog, firing from the first
    evaluation, can arrive up to a minute after the start.)"""

    watchdog = routed_in_alertmanager(stack, "Watchdog")
    assert watchdog == {"Watchdog": ["watchdog-null"]}
    assert "Watchdog" not in {a["labels"].get("alertname") for a in stack.webhook_alerts()}


def test_instance_manager_alerts_keep_the_targets_labels(stack: AcceptanceStack) -> None:
    """docs/metrics-contract.md: "Rules that do not aggregate (InstanceManager*, ...) keep all of
    these labels, so ... an alert for a labelled Instance Manager carries its `desk`". The
    demo target is labelled desk=demo; the alert must say which desk's manager it is."""
    alerts = wait_until(
        lambda: [a for a in stack.webhook_alerts() if a["labels"].get("alertname") == FIRING_ALERT],
        timeout=60,
        interval=1,
        what=FIRING_ALERT,
    )
    assert alerts[0]["labels"].get("desk") == "demo", f"{FIRING_ALERT} lost the target's labels: {alerts[0]['labels']}"


DEMO_REDIS = ("RTS", "RIS", "RTSS", "RTRS")  # the dev demo's four Redis instances


@pytest.mark.parametrize(
    "service",
    ["proxy", "prometheus", "alertmanager", "duckdb-exporter", "redis-exporter", "trading-sim"]
    + [f"demo-redis-{n.lower()}" for n in DEMO_REDIS],
)
def test_docker_reports_every_service_healthy(stack: AcceptanceStack, service: str) -> None:
    """Docker's own healthcheck runner, with the program's command, interval and retries (mTLS
    where needed), says healthy; the last probe's output is shown when it does not."""
    name = stack.container(service)
    try:
        wait_until(lambda: stack.topo.health(name) == "healthy", timeout=90, interval=1, what=f"{service} healthy")
    except AssertionError:
        health = stack.topo.inspect(name)["State"].get("Health") or {}
        raise AssertionError(f"{service}: {health.get('Status')}, last probes {health.get('Log', [])[-2:]}") from None


@pytest.mark.parametrize("instance", DEMO_REDIS)
def test_redis_is_watched_through_its_least_privilege_user(stack: AcceptanceStack, instance: str) -> None:
    """The one exporter logs in to each demo Redis as the ACL user the program rendered into it:
    that instance is up under its own name and address, its credentials are its own (no other
    instance's password works) and can neither write nor read keys nor administer."""
    import json

    from components.redis.component import PASSWORD_FILE

    service = f"demo-redis-{instance.lower()}"
    selector = f'{{job="redis", redis_instance="{instance}"}}'

    def redis_up() -> list[dict[str, Any]]:
        return [s for s in stack.query(f"redis_up{selector}") if s["value"][1] == "1"]

    (sample,) = wait_until(redis_up, timeout=30, interval=1, what=f"redis_up 1 for {instance}")
    assert sample["metric"]["instance"] == f"{service}:6379"
    assert stack.query(f"redis_connected_clients{selector}"), "the exporter's usual metrics"
    passwords = json.loads(stack.recorded.container_files(container_name("redis-exporter"))[PASSWORD_FILE]["content"])
    password = passwords[f"redis://{service}:6379"]
    # The password goes through stdin (AUTH as the first command), never a command line.
    script = (
        f"AUTH prometheus {password}\nINFO server\nSET promshield:probe 1\nGET anykey\n"
        "CONFIG SET maxmemory 1\nACL LIST\nFLUSHALL\nCONFIG GET requirepass\nCONFIG GET *\n"
    )
    result = stack.topo.container_exec(container_name(service), ["redis-cli", "-p", "6379"], input=script)
    replies = result.stdout.splitlines()
    assert replies[0] == "OK" and any(line.startswith("redis_version:") for line in replies), result.stdout
    denied = [line for line in replies if "NOPERM" in line]
    # SET, GET, CONFIG SET, ACL LIST, FLUSHALL, and both CONFIG GETs (they would show passwords)
    assert len(denied) == 7, result.stdout
    # Its own user: a password no other instance accepts, and no other instance's password opens it.
    others = [pw for url, pw in passwords.items() if url != f"redis://{service}:6379"]
    assert len(others) == len(DEMO_REDIS) - 1 and password not in others
    script = "".join(f"AUTH prometheus {other}\n" for other in others)
    result = stack.topo.container_exec(container_name(service), ["redis-cli", "-p", "6379"], input=script)
    assert result.stdout.count("WRONGPASS") == len(others), result.stdout
