"""Config changes apply in place (components/core/reload.py): a second `pulumi up` (the real engine's)
with changed files replaces only the carrier of those files (config or secrets) and runs the
service's reload command; what the engine did is read from its own events (`pulumi_engine.Outcome`).
The running container, its PID and its scrapes go on; a bad file fails the apply and leaves the
running configuration as it was.

Each test puts the suite's CONFIG back at the end (`stack.apply({})`), so the modules after this
one see the stack as it was deployed.
"""

from __future__ import annotations

import copy
import http.client
import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest

from components.core import catalog
from harness.live import HOST_ADDRESS
from harness.pulumi_engine import DeployFailedError, Outcome, program_with
from harness.stack import FIRING_ALERT, PORTS, USERS, AcceptanceStack, basic, wait_until

pytestmark = pytest.mark.acceptance

SCRAPE_INTERVAL = 5.0  # the stack's default scrapeInterval
PROMETHEUS = "prometheus"
ALERTMANAGER = "alertmanager"
PROXY = "proxy"


@pytest.fixture
def restore(stack: AcceptanceStack) -> Iterator[None]:
    """Whatever a test changed, the suite's CONFIG is applied again afterwards."""
    yield
    stack.apply({})


def identity(stack: AcceptanceStack, service: str) -> tuple[str, int]:
    state = stack.topo.inspect(stack.container(service))
    return state["Id"], int(state["State"]["Pid"])


def scrape_times(stack: AcceptanceStack, since: float) -> list[float]:
    """The timestamps of Prometheus' own `up` samples since `since` (raw samples, no lookback)."""
    window = max(int(time.time() - since) + 1, 1)
    (series,) = stack.query(f'up{{job="prometheus"}}[{window}s]')
    return [float(t) for t, _ in series["values"] if float(t) >= since]


def largest_gap(times: list[float]) -> float:
    return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


def rule_queries(stack: AcceptanceStack) -> dict[str, str]:
    groups = stack.get(PROMETHEUS, "/api/v1/rules", user="admin").json()["data"]["groups"]
    return {rule["name"]: rule["query"] for group in groups for rule in group["rules"]}


def assert_only_reloaded(applied: Outcome, service: str) -> None:
    assert applied.replaced == [f"{catalog.PROJECT}-acceptance-{service}-config"], applied
    assert applied.commands == [f"{service}-container-reload"], applied
    assert not applied.created and not applied.removed, applied


def test_a_threshold_change_reloads_prometheus_in_place(stack: AcceptanceStack, restore: None) -> None:
    before = identity(stack, PROMETHEUS)
    assert "> 0.05" in rule_queries(stack)["TradeFailureRatioHigh"]
    started = time.time()
    time.sleep(2 * SCRAPE_INTERVAL)  # some scrapes before the change
    applied = stack.apply({"alertThresholds": {**stack.base_config["alertThresholds"], "tradeFailureRatio": 0.07}})
    applied_at = time.time()
    assert_only_reloaded(applied, PROMETHEUS)
    assert identity(stack, PROMETHEUS) == before, "same container, same main process"
    query = wait_until(
        lambda: "> 0.07" in rule_queries(stack)["TradeFailureRatioHigh"], timeout=10, interval=0.5, what="0.07"
    )
    assert query and time.time() - applied_at < 10
    time.sleep(2 * SCRAPE_INTERVAL)  # some scrapes after it
    times = scrape_times(stack, started)
    assert times[0] < applied_at < times[-1]
    assert largest_gap(times) < 1.5 * SCRAPE_INTERVAL, f"a scrape was missed: {largest_gap(times):.1f}s"
    assert stack.query("prometheus_config_last_reload_successful")[0]["value"][1] == "1"


def test_an_alertmanager_receiver_change_keeps_its_alerts(stack: AcceptanceStack, restore: None) -> None:
    def delivered() -> list[dict[str, Any]]:
        return [a for a in stack.webhook_alerts() if a["labels"].get("alertname") == FIRING_ALERT]

    wait_until(delivered, timeout=60, interval=1, what=f"{FIRING_ALERT} at the webhook")
    sent_before = len(delivered())
    before = identity(stack, ALERTMANAGER)
    receivers = copy.deepcopy(stack.base_config["alertmanagerReceivers"])
    receivers[0]["sendResolved"] = False  # same receiver (name, URL), another setting
    applied = stack.apply({"alertmanagerReceivers": receivers})
    assert_only_reloaded(applied, ALERTMANAGER)
    assert identity(stack, ALERTMANAGER) == before
    status = stack.get(ALERTMANAGER, "/api/v2/status", user="admin").json()
    assert "send_resolved: false" in status["config"]["original"]
    # The alert is still active and routed, and its notification log says it was sent: no re-send
    # after the group_wait (10 s) a fresh Alertmanager would start with.
    active = stack.get(ALERTMANAGER, "/api/v2/alerts", user="read-only").json()
    assert FIRING_ALERT in {a["labels"]["alertname"] for a in active}
    time.sleep(15)
    assert len(delivered()) == sent_before, "the firing alert was sent again"


def test_a_user_change_reloads_the_proxy_and_in_flight_requests_finish(stack: AcceptanceStack, restore: None) -> None:
    """`guest` goes from no-access to read-only. A request whose headers are half sent when the
    reload happens is answered (by the old worker, with the old table) and its connection is then
    closed, as NGINX's graceful reload does (with `Connection: close` or after a keep-alive
    response, depending on when the worker learns it is retiring); the next connection sees the
    new rule at once."""
    path = "/api/v1/query?query=up"
    assert stack.get(PROMETHEUS, path, user="guest").proxy_denied
    before = identity(stack, PROXY)
    idle = stack.connection("trusted", PROMETHEUS)
    in_flight = stack.tls_connect("trusted", PORTS[PROMETHEUS])
    try:
        assert stack.send(idle, "trusted", PROMETHEUS, "GET", path, user="guest").proxy_denied
        in_flight.sendall(f"GET {path} HTTP/1.1\r\nHost: {HOST_ADDRESS}\r\n".encode())
        users = [{"name": n, "role": "read-only" if n == "guest" else r} for n, r in USERS.items()]
        applied = stack.apply({"users": users})
        assert_only_reloaded(applied, PROXY)
        assert identity(stack, PROXY) == before
        in_flight.sendall(f"Authorization: {basic('guest', stack.passwords['guest'])}\r\n\r\n".encode())
        reply = b""
        while chunk := in_flight.recv(65536):
            reply += chunk
        # Answered by the old worker with the old table, then closed by it (recv saw the end).
        head = reply.decode(errors="replace").lower()
        assert head.startswith("http/1.1 403"), head[:300]
        # The idle kept-alive connection: its old worker closes it when it retires.
        try:
            again = stack.send(idle, "trusted", PROMETHEUS, "GET", path, user="guest").status
        except (OSError, http.client.HTTPException) as error:
            again = type(error).__name__
        print(f"[reload] idle keep-alive connection after the reload: {again}")
    finally:
        in_flight.close()
        idle.close()
    assert stack.get(PROMETHEUS, path, user="guest").status == 200, "the new rule, on a new connection"


def test_a_renewed_proxy_certificate_is_served_after_a_reload(stack: AcceptanceStack, restore: None) -> None:
    """A re-issued certificate (here: one more DNS name; early renewal re-issues it the same way)
    changes only the proxy's files: reloaded, and new connections get the new certificate."""
    before = identity(stack, PROXY)

    def served_names() -> set[str]:
        with stack.tls_connect("trusted", PORTS[PROMETHEUS]) as sock:
            cert = sock.getpeercert()
        return {value for kind, value in cert.get("subjectAltName", ()) if kind == "DNS"}

    assert served_names() == {"promshield.test"}
    tls = {**stack.base_config["tls"], "dnsNames": ["promshield.test", "renewed.promshield.test"]}
    applied = stack.apply({"tls": tls})
    assert_only_reloaded(applied, PROXY)
    assert identity(stack, PROXY) == before
    assert served_names() == {"promshield.test", "renewed.promshield.test"}


def test_a_rotated_password_reaches_the_proxy_through_its_secrets_carrier(
    stack: AcceptanceStack, restore: None
) -> None:
    """A secret-only change (a user's new password, so a new htpasswd): only the proxy's secrets
    carrier is replaced, its config carrier is not, and the reload runs on the changed HMAC of the
    secret files; the running proxy takes the new password at once and refuses the old one."""
    path = "/api/v1/query?query=up"
    old = stack.passwords["ops"]
    before = identity(stack, PROXY)
    assert stack.get(PROMETHEUS, path, user="ops").status == 200
    applied = stack.apply({"userPasswords": {"ops": "a-rotated-ops-password"}})
    assert applied.replaced == [f"{catalog.PROJECT}-acceptance-{PROXY}-secrets"], applied
    assert applied.commands == [f"{PROXY}-container-reload"], applied
    assert not applied.created and not applied.removed, applied
    assert identity(stack, PROXY) == before, "same container, same main process"
    assert stack.passwords["ops"] == "a-rotated-ops-password"
    assert stack.get(PROMETHEUS, path, user="ops").status == 200
    assert stack.get(PROMETHEUS, path, user="ops", password=old).status == 401


def test_a_change_docker_holds_replaces_the_container_and_reloads_nothing(
    stack: AcceptanceStack, restore: None
) -> None:
    """A command-line flag lives in the container, not in its files: only a new container has it."""
    before = identity(stack, PROMETHEUS)
    applied = stack.apply({"retentionTime": "16d"})
    assert applied.replaced == [stack.container(PROMETHEUS)] and applied.commands == [], applied
    assert identity(stack, PROMETHEUS)[0] != before[0]
    wait_until(lambda: stack.topo.health(stack.container(PROMETHEUS)) == "healthy", timeout=60, what="healthy")


# A developer's mistake: the program with one more, invalid rule file (the real program runs after the patch).
BROKEN_RULES_MAIN = program_with("""\
from components.prometheus import rules

_original = rules.render_rule_files


def _with_a_broken_file(*args, **kwargs):
    files = dict(_original(*args, **kwargs))
    files["broken.yml"] = "groups:\\n  - name: broken\\n    rules:\\n      - alert: Broken\\n        expr: up ===\\n"
    return files


rules.render_rule_files = _with_a_broken_file
""")


def test_an_invalid_rule_file_fails_the_apply_and_the_old_rules_keep_running(
    stack: AcceptanceStack, restore: None
) -> None:
    before = identity(stack, PROMETHEUS)
    failed_at = time.time()
    with pytest.raises(DeployFailedError) as failure:
        stack.apply({}, program=BROKEN_RULES_MAIN)
    assert "new files are invalid (promtool)" in failure.value.output, failure.value.output[-3000:]
    assert failure.value.applied.replaced == [f"{catalog.PROJECT}-acceptance-prometheus-config"]
    # The bad file is on disk, but no reload was asked for: the old rules run on.
    assert stack.upload_path(PROMETHEUS, f"{catalog.PROMETHEUS_RULES_DIR}/broken.yml").exists()
    assert identity(stack, PROMETHEUS) == before
    assert "Broken" not in rule_queries(stack)

    def evaluated_since_failure() -> bool:
        groups = stack.get(PROMETHEUS, "/api/v1/rules", user="admin").json()["data"]["groups"]
        return all(g["lastEvaluation"] > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(failed_at)) for g in groups)

    assert wait_until(evaluated_since_failure, timeout=15, interval=1, what="rule groups evaluated after the failure")
    # The next `pulumi up` after the fix: the carrier gets the good files back; the reload command's
    # state still holds the old digest (its update failed), which equals the fixed files' digest,
    # so it does not run: the running configuration is already the one on disk.
    fixed = stack.apply({})
    assert fixed.replaced == [f"{catalog.PROJECT}-acceptance-prometheus-config"] and fixed.commands == []
    # (broken.yml stays in the volume, unlisted: the carrier overwrites files, it removes none.)
    assert "broken.yml" not in stack.upload_path(PROMETHEUS, catalog.PROMETHEUS_CONFIG_FILE).read_text()
    assert identity(stack, PROMETHEUS) == before
