"""The dev demo watches all four services: every rule evaluates over real series, the trading simulator
is scraped as a real target would be (TLS, basic auth) and each Instance Manager / Trade Engine alert
fires when the simulator is told to (through its control command, `docker exec`), and only then, and
reaches the receiver its route names (the webhook for the Instance Manager's warnings, the pager and
mail for critical alerts, chat for the Trade Engine's warnings: harness/receivers.py).

The suite's `for:` durations for these alerts are 0s (stack.TRADING_FOR_SETTINGS), so each fires on the
first evaluation over its threshold."""

from __future__ import annotations

import base64
import http.client
import json
import re
import time
from typing import Any

import pytest

from components.core import catalog
from components.prometheus.rules.thresholds import AlertThresholds
from components.prometheus.rules.trading import instance_manager_alerts, trade_engine_alerts
from harness import receivers as rx
from harness.stack import FIRING_ALERT, AcceptanceStack, wait_until

pytestmark = pytest.mark.acceptance

TRADING_ALERTS = [
    a.name for a in (*trade_engine_alerts(AlertThresholds()), *instance_manager_alerts(AlertThresholds()))
]
DOWN = "InstanceManagerDown"  # last: a failing scrape hides every other Instance Manager series
SCENARIO_VENUE = "xlon"  # exporters/trading_sim/trading_sim.py SCENARIO_VENUE
IM_TARGET = f"{catalog.TRADING_SIM.name}:{catalog.TRADING_SIM.port}"
DELIVERY_TIMEOUT = 90
# Not metric names in a rule's PromQL: functions and aggregations (followed by "("), keywords.
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right"}


def rules(stack: AcceptanceStack) -> list[dict[str, Any]]:
    groups = stack.get("prometheus", "/api/v1/rules", user="read-only").json()["data"]["groups"]
    return [rule for group in groups for rule in group["rules"]]


def firing(stack: AcceptanceStack) -> dict[str, list[dict[str, str]]]:
    """Alert name -> the label sets of its firing alerts, as Prometheus sees them."""
    alerts = stack.get("prometheus", "/api/v1/alerts", user="read-only").json()["data"]["alerts"]
    found: dict[str, list[dict[str, str]]] = {}
    for alert in alerts:
        if alert["state"] == "firing":
            found.setdefault(alert["labels"]["alertname"], []).append(alert["labels"])
    return found


def firing_trading(stack: AcceptanceStack) -> set[str]:
    return set(firing(stack)) & set(TRADING_ALERTS)


def metric_names(query: str) -> set[str]:
    """The series names a PromQL expression reads (metrics and recorded series)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", query)  # label values
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", text)  # matchers, ranges
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = {
        token.group()
        for token in re.finditer(r"(?<![0-9.])[a-zA-Z_:][a-zA-Z0-9_:]*", text)
        if not text[token.end() :].lstrip().startswith("(")  # a function or an aggregation
    }
    return names - PROMQL_WORDS


def test_every_rule_evaluates_over_real_series(stack: AcceptanceStack) -> None:
    """Every alert and recording rule is healthy and reads series that exist (the demo has no
    blind rule: each of the four services, Prometheus and Alertmanager feed theirs)."""

    def evaluated() -> list[dict[str, Any]]:
        found = rules(stack)
        return found if all(r.get("lastEvaluation", "").startswith("2") for r in found) else []

    every = wait_until(
        evaluated,
        timeout=30,
        interval=1,
        what="every rule evaluated",
    )
    unhealthy = [(r["name"], r.get("lastError")) for r in every if r["health"] != "ok"]
    assert not unhealthy, unhealthy
    names = sorted({name for rule in every for name in metric_names(rule["query"])})

    def series_counts() -> dict[str, int]:
        query = f'count by (__name__) ({{__name__=~"{"|".join(names)}"}})'
        return {s["metric"]["__name__"]: int(float(s["value"][1])) for s in stack.query(query)}

    def all_there() -> dict[str, int]:
        found = series_counts()
        return found if set(found) >= set(names) else {}

    try:  # a fresh stack: rates need two scrapes, recorded series an evaluation after them
        counts = wait_until(all_there, timeout=60, interval=2, what="every series the rules read")
    except AssertionError:
        counts = series_counts()
    print("\n[acceptance] series each rule reads:")  # shown with -s
    for rule in every:
        read = ", ".join(f"{n}={counts.get(n, 0)}" for n in sorted(metric_names(rule["query"]))) or "(none)"
        print(f"  {rule['name']}: {read}")
    missing = {r["name"]: sorted(set(metric_names(r["query"])) - set(counts)) for r in every}
    assert not {name: m for name, m in missing.items() if m}, "rules reading series that do not exist"
    assert len([r for r in every if r["type"] == "alerting"]) >= 25


def scrape(stack: AcceptanceStack, port: int, authorization: str | None) -> int:
    sock = stack.backend_tls("webhook", catalog.TRADING_SIM.name, port, cert=None)
    connection = http.client.HTTPSConnection(catalog.TRADING_SIM.name, port, timeout=5)
    connection.sock = sock
    try:
        headers = {"Connection": "close", **({"Authorization": authorization} if authorization else {})}
        connection.request("GET", "/metrics", headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_the_simulator_is_scraped_as_a_real_target(stack: AcceptanceStack) -> None:
    """From the backend network: TLS verified against the stack CA under its name, no metrics without
    each endpoint's own password (the one Prometheus holds), and no control port."""
    prometheus = stack.recorded.container_files(stack.container("prometheus"))
    user = catalog.TRADING_SIM_SCRAPE_USER
    passwords = {}
    for job, port in catalog.TRADING_SIM_PORTS.items():
        passwords[job] = prometheus[f"{catalog.PROMETHEUS_SECRETS_DIR}/{job}-1-password"]["content"]
        assert scrape(stack, port, None) == 401
        assert scrape(stack, port, "Basic " + base64.b64encode(f"{user}:not-it".encode()).decode()) == 401
    for job, port in catalog.TRADING_SIM_PORTS.items():
        own = "Basic " + base64.b64encode(f"{user}:{passwords[job]}".encode()).decode()
        other = next(pw for j, pw in passwords.items() if j != job)
        assert scrape(stack, port, own) == 200
        assert scrape(stack, port, "Basic " + base64.b64encode(f"{user}:{other}".encode()).decode()) == 401
    address = stack.topo.address_of(stack.container(catalog.TRADING_SIM.name))
    assert not stack.topo.client("webhook").can_connect(address, catalog.TRADING_SIM_CONTROL_PORT, 1.0)
    # the simulator's logs carry no password
    logs = stack.topo.log_text(stack.container(catalog.TRADING_SIM.name))
    assert not any(pw in logs for pw in passwords.values())


def notifications(stack: AcceptanceStack, alertname: str, since: float) -> dict[str, int]:
    """Receiver -> how many notifications about this run's `alertname` (the simulator's venue or
    target in the text) it received since `since`."""
    marker = IM_TARGET if alertname.startswith("InstanceManager") else f"venue {SCENARIO_VENUE}"
    found: dict[str, int] = {}

    def about(text: str) -> bool:
        return alertname in text and marker in text

    for host, receiver in ((rx.PAGERDUTY_HOST, "pager"), (rx.SLACK_HOST, "chat"), (rx.OPSGENIE_HOST, "ops-genie")):
        hits = [r for r in stack.standin_requests(host) if r["received"] >= since and about(json.dumps(r["payload"]))]
        if hits:
            found[receiver] = len(hits)
    mails = [m for m in stack.standin_mails() if m["received"] >= since and about(m["data"].replace("=\n", ""))]
    if mails:
        found["mail"] = len(mails)
    hooks = [
        a
        for a in stack.webhook_alerts()
        if a["labels"].get("alertname") == alertname
        and a["status"] == "firing"
        and (a["labels"].get("instance") == IM_TARGET or a["labels"].get("venue") == SCENARIO_VENUE)
    ]  # none before: the quiet day fires no trading alert but the steady one
    if hooks:
        found["test"] = len(hooks)
    return found


def routed(stack: AcceptanceStack, alertname: str) -> set[str]:
    """The receivers Alertmanager routed the simulator's `alertname` to (its own routing decision)."""
    alerts = stack.alertmanager_alerts(alertname=alertname)
    ours = [a for a in alerts if a["labels"].get("instance") == IM_TARGET or a["labels"].get("venue") == SCENARIO_VENUE]
    return {r["name"] for a in ours for r in a["receivers"]}


def wait_delivered(stack: AcceptanceStack, alertname: str, since: float) -> dict[str, int]:
    receivers = wait_until(
        lambda: routed(stack, alertname), timeout=30, interval=1, what=f"{alertname} in Alertmanager"
    )

    def arrived() -> dict[str, int]:
        got = notifications(stack, alertname, since)
        return got if set(got) >= receivers else {}

    return wait_until(
        arrived,
        timeout=DELIVERY_TIMEOUT,
        interval=1,
        what=f"{alertname} at {sorted(receivers)}",
    )


@pytest.fixture
def calm_afterwards(stack: AcceptanceStack) -> Any:
    yield
    active = stack.simulator("calm", "--all")
    stack.simulator("fire", FIRING_ALERT)  # the suite's steady alert, for the tests after this one
    assert active == []


def test_each_trading_alert_fires_when_the_simulator_is_told_to(stack: AcceptanceStack, calm_afterwards: None) -> None:
    """Quiet first (only the suite's steady alert fires); then each scenario in turn, each making
    exactly its own alert fire; then every one of them delivered where its route says."""
    wait_until(lambda: FIRING_ALERT in firing(stack), timeout=30, interval=1, what=f"{FIRING_ALERT} firing")
    assert firing_trading(stack) == {FIRING_ALERT}, "the simulator's quiet day fires nothing else"
    fired_at = time.time()
    expected = {FIRING_ALERT}
    timings = {}
    for alertname in (a for a in TRADING_ALERTS if a not in (FIRING_ALERT, DOWN)):
        started = time.monotonic()
        assert alertname in stack.simulator("fire", alertname)
        expected.add(alertname)

        def fired(name: str = alertname) -> set[str]:
            now = firing_trading(stack)
            return now if name in now else set()

        now_firing = wait_until(
            fired,
            timeout=60,
            interval=1,
            what=f"{alertname} firing",
        )
        timings[alertname] = time.monotonic() - started
        assert now_firing == expected, f"{alertname} fired others too: {now_firing - expected}"
        labels = firing(stack)[alertname]
        if alertname.startswith("Trade"):
            assert [lab["venue"] for lab in labels] == [SCENARIO_VENUE], labels
        else:
            assert [(lab["instance"], lab["desk"]) for lab in labels] == [(IM_TARGET, "demo")], labels
    delivered = {name: wait_delivered(stack, name, fired_at) for name in sorted(expected - {FIRING_ALERT})}
    print("\n[acceptance] trading alerts: seconds from `fire` to firing, receivers notified")
    for name in sorted(delivered):
        print(f"  {name}: {timings[name]:.0f}s, {sorted(delivered[name])}")
    assert set(delivered["InstanceManagerInstancesRestarting"]) == {"test"}, "an Instance Manager warning: the webhook"
    assert set(delivered["TradeFailureRatioHigh"]) >= {"pager", "mail"}, "critical: the pager and mail"
    assert "chat" in delivered["TradeSlippageHigh"], "a Trade Engine warning: chat"


def test_instance_manager_down_fires_when_its_endpoint_fails(stack: AcceptanceStack, calm_afterwards: None) -> None:
    fired_at = time.time()
    stack.simulator("fire", DOWN)
    wait_until(lambda: DOWN in firing(stack), timeout=60, interval=1, what=f"{DOWN} firing")
    print(f"\n[acceptance] {DOWN}: {time.time() - fired_at:.0f}s from `fire` to firing")
    (target,) = [
        t
        for t in stack.get("prometheus", "/api/v1/targets?state=active", user="read-only").json()["data"][
            "activeTargets"
        ]
        if t["labels"]["job"] == catalog.JOB_INSTANCE_MANAGER
    ]
    assert target["health"] == "down" and "503" in target["lastError"], target
    assert firing(stack)[DOWN][0]["instance"] == IM_TARGET
    delivered = wait_delivered(stack, DOWN, fired_at)
    assert set(delivered) >= {"pager", "mail"}, delivered
    stack.simulator("calm", DOWN)
    wait_until(lambda: DOWN not in firing(stack), timeout=60, interval=1, what=f"{DOWN} resolved")
    # the steady alert is back once the scrapes are
    wait_until(lambda: FIRING_ALERT in firing(stack), timeout=60, interval=1, what=f"{FIRING_ALERT} firing again")
