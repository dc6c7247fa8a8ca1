"""Issues 17 and 26 on real engines: one stack on three Docker hosts (tests/stacks/multihost-acceptance.yaml).

Each host is a namespace on the LAN with its own dockerd and its own sshd; the real `pulumi up` deployed
them from a deployer namespace over SSH (multihost.py, sshhosts.py). What is checked, and printed for
the record ([multi-host] lines): the state, each host's firewall rules and sshd log show the SSH path
(docker provider and `command:remote`, key-only, host keys pinned); the pin, a password, another key and
root are refused; a second `up` changes nothing; an alert reaches the webhook exactly once although
three Prometheus replicas send it to three Alertmanagers; with one Alertmanager stopped a new alert is
still delivered exactly once; a silence created through one host's proxy mutes the alert on the others
(propagation time); with one Prometheus stopped the other hosts' proxies still answer queries; the
central store (VictoriaMetrics, TLS + basic auth, `-dedup.minScrapeInterval` = the scrape interval)
keeps one series for the replicas with one sample per interval (each replica's own count and the
store's, for the record), the `cluster` label kept, and no gap while a replica is stopped; the untrusted
(and the trusted) client reaches no gossip port; gossip without the stack's client certificate is
refused; `pulumi destroy` over SSH removes every host's containers, networks and firewall chains and
keeps the data volumes.

The numbers are also written to build/acceptance/<prefix>m/observed.json. The module's tests share
one stack and run in file order (each builds on the state the previous left: the exactly-once count
comes long after the cluster's peer timeouts, the destroy last).
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import shutil
import socket
import ssl
import subprocess  # nosec B404
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.core import catalog
from harness import netns as nx
from harness import pulumi_engine as pe
from harness.multihost import DEPLOYER, POLICY_PACK, MultiHostStack
from harness.paths import MULTI_HOST_PREFIX, RUN_ROOT
from harness.stack import wait_until
from harness.testpki import CERT_FILE, KEY_FILE, write_server_pki

FIRING = "InstanceManagerInstancesFailed"  # fires at once: the fake Instance Managers report a failed instance
ON_DEMAND = "InstanceManagerMemoryHigh"  # fires when the test raises the fakes' memory
# The same series in every replica (Prometheus scrapes itself at localhost:9090 on each host): the
# store must keep one copy of it.
DEDUP_SERIES = 'up{job="prometheus"}'
GOSSIP_PORT = catalog.ALERTMANAGER_CLUSTER_PORT
PEER_ALERTS_PORT = catalog.PEER_ALERTS_PUBLISHED_PORT
# Alertmanager's --cluster.peer-timeout (15 s by default): the n-th peer waits n times this long
# before it notifies, unless the notification log it gossips says a peer already did. Exactly once
# is only proven once every peer's wait is over.
PEER_TIMEOUT = 15.0
MOMENTS: dict[str, float] = {}  # time.monotonic() of what the later tests wait on
OBSERVED = RUN_ROOT / MULTI_HOST_PREFIX / "observed.json"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="starts dockerds in network namespaces: needs root")


@pytest.fixture(scope="module")
def multi() -> Iterator[MultiHostStack]:
    if shutil.which("prometheus") is None:
        pytest.fail("Debian's prometheus (the central receiver) is missing: scripts/acceptance-deps.sh installs it")
    MOMENTS["module started"] = time.monotonic()
    OBSERVED.unlink(missing_ok=True)
    with MultiHostStack.start() as running:
        MOMENTS["stack up"] = time.monotonic()
        _record("stack up (s)", round(time.monotonic() - MOMENTS["module started"], 1))
        yield running


def _first_hosts(multi: MultiHostStack) -> tuple[str, str, str]:
    a, b, c = multi.hosts
    return a, b, c


def _record(key: str, value: object) -> None:
    """An observed number, for the record (the issue's closing note quotes them): printed (`-s` shows
    it) and kept in OBSERVED, rewritten after each one (pytest hides a passing test's output)."""
    observed = json.loads(OBSERVED.read_text()) if OBSERVED.exists() else {}
    OBSERVED.parent.mkdir(parents=True, exist_ok=True)
    OBSERVED.write_text(json.dumps({**observed, key: value}, indent=2) + "\n")
    print(f"\n[multi-host] {key}: {value}", file=sys.stderr)


def _state(multi: MultiHostStack) -> list[dict[str, Any]]:
    """The resources of the stack's state (`pulumi stack export`, secrets as ciphertext)."""
    resources: list[dict[str, Any]] = multi.project.export(multi.pulumi_stack)["deployment"]["resources"]
    return resources


def test_pulumi_up_reached_every_host_over_ssh(multi: MultiHostStack) -> None:
    """The real engine deployed each host through its own `ssh://deploy@<address>`: the docker provider
    over the system ssh, the firewall and reloads as `command:remote` on that host, both from the
    deploying machine's namespace, key-only, with that host's key pinned."""
    _record("pulumi up over SSH", multi.timings)
    state = _state(multi)
    providers = {r["urn"].rpartition("::")[2]: r for r in state if r["type"] == "pulumi:providers:docker"}
    firewalls = [r for r in state if r["type"] == catalog.FIREWALL_TYPE]
    remote = [r for r in state if r["type"] == catalog.REMOTE_COMMAND_TYPE]
    assert not [r["urn"] for r in state if r["type"] == "command:local:Command"]  # nothing ran on the deployer
    for index, (host, address) in enumerate(multi.hosts.items()):
        ssh_host = next(h for h in multi.ssh.hosts if h.name == host)
        provider = providers["docker" if index == 0 else f"docker-{host}"]
        assert provider["inputs"]["host"] == f"ssh://deploy@{address}", provider["inputs"]
        assert f"KnownHostsCommand=/bin/echo {address} {ssh_host.host_key}" in provider["inputs"]["sshOpts"]
        # That host's rules (its own address, the others as peers) are in its namespace, and only there.
        rules = multi.live.iptables_save(host=host)
        chain = f"PROMSHIELD-{multi.stack_name.upper()}"
        assert f"-A DOCKER-USER -j {chain}" in rules, (host, rules[-2000:])
        peers = {a for h, a in multi.hosts.items() if h != host}
        assert f"--ctorigdst {address} " in rules and all(f"-s {peer}/32" in rules for peer in peers), host
        assert not [peer for peer in peers if f"--ctorigdst {peer} " in rules], (host, rules)
        # sshd logged the deploy key's logins, from the deploying machine only.
        accepted = multi.ssh.accepted(host)
        assert accepted and all(f"for deploy from {DEPLOYER} " in line for line in accepted), accepted
        _record(f"{host}: SSH logins during the run", len(accepted))
        assert multi.live.is_running(multi.container("prometheus"), host=host)
    assert len(firewalls) == len(multi.hosts) and len(remote) == 4 * len(multi.hosts), [r["urn"] for r in remote]


def _in_deployer(multi: MultiHostStack, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """`argv` in the deploying machine's namespace, with its ssh-agent (the deploy key)."""
    env = {**os.environ, **multi.deployer.env}
    return nx.run(nx.exec_argv(multi.live.netns_of("deployer"), argv), check=False, timeout=30, env=env)


def _ssh(multi: MultiHostStack, host: str, *options: str, user: str = "deploy", command: str = "true") -> str:
    """The system ssh from the deploying machine's namespace to a host: '' on success, else its error."""
    argv = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", *options]
    argv += [f"{user}@{multi.hosts[host]}", command]
    result = _in_deployer(multi, argv)
    return "" if result.returncode == 0 else (result.stderr.strip().splitlines() or ["(no message)"])[-1]


def test_ssh_takes_only_the_deploy_key_and_only_the_pinned_host_key(multi: MultiHostStack, tmp_path: Path) -> None:
    """Attacks on the SSH path, each with its control: the program's own options (the pin) against the
    right host succeed and reach that host's engine; against another host (a different key: what a
    man in the middle presents) they fail; a password, another key or root are refused."""
    a, b, _ = _first_hosts(multi)
    ssh_a = next(h for h in multi.ssh.hosts if h.name == a)
    providers = {r["urn"].rpartition("::")[2]: r for r in _state(multi) if r["type"] == "pulumi:providers:docker"}
    pinned_a = json.loads(providers["docker"]["inputs"]["sshOpts"])
    # Each host's own pin reaches that host's own engine (the sessions' DOCKER_HOST): the control.
    for index, (host, address) in enumerate(multi.hosts.items()):
        pinned = json.loads(providers["docker" if index == 0 else f"docker-{host}"]["inputs"]["sshOpts"])
        engine_id = multi.live.engine_of(host).client().info()["ID"]
        argv = ["ssh", "-F", "/dev/null", *pinned, f"deploy@{address}", "docker info --format '{{.ID}}'"]
        reached = _in_deployer(multi, argv)
        assert reached.returncode == 0 and reached.stdout.strip() == engine_id, (host, reached.stdout, reached.stderr)
    # The same pin, pointed at host b (its own, different key): refused before any login.
    impostor = [o.replace(f"/bin/echo {multi.hosts[a]} ", f"/bin/echo {multi.hosts[b]} ") for o in pinned_a]
    wrong_host = _ssh(multi, b, *impostor)
    unpinned = _ssh(multi, a, "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=/dev/null")
    other_key = tmp_path / "other"
    nx.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)], check=True)
    known = f"KnownHostsCommand=/bin/echo {multi.hosts[a]} {ssh_a.host_key}"
    pin = ["-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=/dev/null", "-o", known]
    refused = {
        "another host's key for the pinned name": wrong_host,
        "no key pinned (strict, empty known_hosts)": unpinned,
        "a password": _ssh(multi, a, *pin, "-o", "PreferredAuthentications=password,keyboard-interactive"),
        "another key": _ssh(multi, a, *pin, "-o", "IdentityAgent=none", "-i", str(other_key)),
        "root with the deploy key": _ssh(multi, a, *pin, user="root"),
    }
    _record("SSH refused", refused)
    assert _ssh(multi, a, *pin) == ""  # the control: the deploy key and the pinned key
    assert "Host key verification failed" in wrong_host and "Host key verification failed" in unpinned, refused
    assert all("Permission denied (publickey)" in refused[k] for k in ("a password", "another key")), refused
    assert "Permission denied (publickey)" in refused["root with the deploy key"], refused


def test_a_second_up_over_ssh_changes_nothing(multi: MultiHostStack) -> None:
    started = time.monotonic()
    result = multi.pulumi_stack.up(color="never", policy_packs=[POLICY_PACK], on_output=lambda _: None)
    took = round(time.monotonic() - started, 1)
    _record("second pulumi up over SSH (s, changes)", [took, pe.changes(result.summary)])
    assert pe.changes(result.summary) == {}, result.stdout[-6000:]


def test_every_prometheus_sends_to_every_alertmanager(multi: MultiHostStack) -> None:
    expected = len(multi.hosts)
    for host in multi.hosts:

        def active(host: str = host) -> list[object]:
            response = multi.request(host, "GET", "prometheus", "/api/v1/alertmanagers", user="read-only")
            found: list[object] = response.json()["data"]["activeAlertmanagers"]
            return found if len(found) == expected else []

        assert len(wait_until(active, timeout=60, interval=1, what=f"{host}'s Alertmanagers")) == expected


def test_an_alert_reaches_the_webhook_exactly_once(multi: MultiHostStack) -> None:
    started = time.monotonic()
    first = wait_until(lambda: multi.notifications(FIRING), timeout=120, interval=1, what=f"{FIRING} delivered")
    MOMENTS["first delivery"] = time.monotonic()
    # Every Alertmanager holds the alert (three replicas' copies deduplicated: the replica label is dropped).
    for host in multi.hosts:
        alerts = wait_until(lambda host=host: multi.alerts(host, FIRING), timeout=30, what=f"{FIRING} on {host}")
        assert len(alerts) == 1, (host, alerts)
        assert "replica" not in alerts[0]["labels"], alerts[0]["labels"]
    _record(f"{FIRING}: first delivery after (s)", round(time.monotonic() - started, 1))
    assert len(first) == 1, first


def test_a_silence_through_one_host_mutes_the_alert_on_the_others(multi: MultiHostStack) -> None:
    a, b, c = _first_hosts(multi)
    now = datetime.datetime.now(datetime.UTC)
    silence = {
        "matchers": [{"name": "alertname", "value": FIRING, "isRegex": False, "isEqual": True}],
        "startsAt": now.isoformat(),
        "endsAt": (now + datetime.timedelta(minutes=30)).isoformat(),
        "createdBy": "acceptance",
        "comment": "multi-host silence propagation",
    }
    created_at = time.monotonic()
    response = multi.request(
        a,
        "POST",
        "alertmanager",
        "/api/v2/silences",
        user="ops",
        body=json.dumps(silence).encode(),
        content_type="application/json",
    )
    assert response.status == 200, (response.status, response.body[:300])
    silence_id = response.json()["silenceID"]
    seen: dict[str, float] = {}
    muted: dict[str, float] = {}
    deadline = time.monotonic() + 30
    while (len(seen) < 2 or len(muted) < 2) and time.monotonic() < deadline:
        for host in (b, c):
            if host not in seen:
                listed = multi.request(host, "GET", "alertmanager", f"/api/v2/silence/{silence_id}", user="read-only")
                if listed.status == 200 and listed.json()["status"]["state"] == "active":
                    seen[host] = time.monotonic() - created_at
            if host not in muted:
                alerts = multi.alerts(host, FIRING)
                if alerts and alerts[0]["status"]["state"] == "suppressed":
                    assert silence_id in alerts[0]["status"]["silencedBy"], alerts[0]["status"]
                    muted[host] = time.monotonic() - created_at
        time.sleep(0.1)  # under the proxies' per-user rate limit
    _record("silence visible on the other hosts after (s)", {h: round(t, 2) for h, t in seen.items()})
    _record("alert muted on the other hosts after (s)", {h: round(t, 2) for h, t in muted.items()})
    assert set(seen) == {b, c} and set(muted) == {b, c}, (seen, muted)


def test_with_one_alertmanager_stopped_a_new_alert_is_still_delivered_once(multi: MultiHostStack) -> None:
    a, _, _ = _first_hosts(multi)
    multi.live.stop(multi.container("alertmanager"), host=a)
    assert not multi.live.is_running(multi.container("alertmanager"), host=a)
    raised = time.monotonic()
    multi.set_instance_manager_memory(0.95)
    wait_until(lambda: multi.notifications(ON_DEMAND), timeout=150, interval=1, what=f"{ON_DEMAND} delivered")
    MOMENTS["second delivery"] = time.monotonic()
    _record(f"{ON_DEMAND} (Alertmanager on {a} stopped): first delivery after (s)", round(time.monotonic() - raised, 1))
    assert len(multi.notifications(ON_DEMAND)) == 1


def _sent_by(multi: MultiHostStack, host: str) -> tuple[float, float]:
    """(samples sent, samples failed) by that host's Prometheus to the store so far."""
    sent = multi.query(host, "sum(prometheus_remote_storage_samples_total)")
    failed = multi.query(host, "sum(prometheus_remote_storage_samples_failed_total)")
    return (float(sent[0]["value"][1]) if sent else 0.0), (float(failed[0]["value"][1]) if failed else 0.0)


def test_the_store_keeps_one_deduplicated_series_for_the_replicas(multi: MultiHostStack) -> None:
    """Every replica writes (its own counters), yet the store holds one series per HA group, with
    one sample per scrape interval: VictoriaMetrics' `-dedup.minScrapeInterval` at work."""
    interval = multi.scrape_interval
    for host in multi.hosts:

        def writes(host: str = host) -> bool:
            return _sent_by(multi, host)[0] > 0

        wait_until(writes, timeout=60, interval=2, what=f"{host} writes")
    stored = wait_until(
        lambda: multi.store.query(multi.live, DEDUP_SERIES), timeout=60, interval=2, what=f"{DEDUP_SERIES} stored"
    )
    # One series for the three replicas, not one per replica; it keeps the cluster label, the
    # replica label is dropped at the source (remoteWrite.dropReplicaLabel).
    assert len(stored) == 1, stored
    labels = stored[0]["metric"]
    assert labels.get(catalog.EXTERNAL_LABEL_CLUSTER) == multi.stack_name, labels
    assert catalog.EXTERNAL_LABEL_REPLICA not in labels, labels
    with_replica = multi.store.query(multi.live, f'count({{{catalog.EXTERNAL_LABEL_REPLICA}=~".+"}})')
    assert with_replica == [], with_replica
    clusters = multi.store.query(multi.live, f"count by ({catalog.EXTERNAL_LABEL_CLUSTER}) (up)")
    assert [row["metric"].get(catalog.EXTERNAL_LABEL_CLUSTER) for row in clusters] == [multi.stack_name], clusters
    # The same window counted in each replica's own TSDB and in the store. Wait until every
    # replica has a full window (the one whose Alertmanager is stopped too) and the store has it all.
    window = 12 * interval
    time.sleep(max(0.0, MOMENTS["stack up"] + window + 4 * interval - time.monotonic()))
    end = time.time() - 3 * interval  # written (batchSendDeadline 1s) and visible (latency offset 1s) by now
    per_replica = {}
    for host in multi.hosts:
        counted = multi.query(host, f"count_over_time({DEDUP_SERIES}[{window:g}s])", at=end)
        per_replica[host] = int(float(counted[0]["value"][1])) if counted else 0
    (kept,) = multi.store.raw_samples(multi.live, DEDUP_SERIES, end - window, end)
    deduplicated = len(kept["values"])
    sent = {host: _sent_by(multi, host) for host in multi.hosts}
    _record(
        f"store: samples of {DEDUP_SERIES} over {window:g}s",
        {"per replica": per_replica, "all replicas": sum(per_replica.values()), "stored (deduplicated)": deduplicated},
    )
    _record("samples sent to the store per replica (total, failed)", {h: [int(n) for n in c] for h, c in sent.items()})
    assert all(failed == 0 for _, failed in sent.values()), sent
    expected = window / interval
    assert all(expected - 2 <= count <= expected + 2 for count in per_replica.values()), per_replica
    # One sample per interval, not three: at most one more than a replica's own count (the
    # replicas scrape at different offsets, so the window may cut one more interval).
    assert expected - 2 <= deduplicated <= max(per_replica.values()) + 1, (deduplicated, per_replica)
    assert sum(per_replica.values()) >= 2.5 * deduplicated, (deduplicated, per_replica)


def test_with_one_prometheus_stopped_the_other_proxies_still_answer(multi: MultiHostStack) -> None:
    _, b, _ = _first_hosts(multi)
    # The store's intake with every replica writing, over a few intervals, for the outage to compare.
    before, started = multi.store_rows_received(), time.monotonic()
    time.sleep(3 * multi.scrape_interval)
    MOMENTS["rows before the outage"] = multi.store_rows_received()
    MOMENTS["intake before the outage (rows/s)"] = (MOMENTS["rows before the outage"] - before) / (
        time.monotonic() - started
    )
    MOMENTS["prometheus stopped"] = time.time()
    MOMENTS["prometheus stopped (monotonic)"] = time.monotonic()
    multi.live.stop(multi.container("prometheus"), host=b)
    for host in multi.hosts:
        if host == b:
            down = multi.request(host, "GET", "prometheus", "/api/v1/query?query=up", user="read-only")
            assert down.status >= 500, (host, down.status)  # its own Prometheus is really gone
            continue
        result = multi.query(host, "up")
        assert result and all(row["metric"].get("instance") for row in result), (host, result)
        _record(f"with Prometheus on {b} stopped, {host} answers 'up' with series", len(result))


def test_no_client_reaches_a_gossip_port(multi: MultiHostStack) -> None:
    live = multi.live
    open_ports = []
    for host, address in multi.hosts.items():
        for port in (GOSSIP_PORT, PEER_ALERTS_PORT):
            for client in ("untrusted", "trusted"):
                if live.client(client).can_connect(address, port):
                    open_ports.append((client, host, port))
    assert open_ports == []
    # The ports are open to the other hosts: the firewall, not a closed port, keeps the clients out.
    a, b, _ = _first_hosts(multi)
    assert live.client(a).can_connect(multi.hosts[b], GOSSIP_PORT)


def _gossip_handshake(multi: MultiHostStack, source: str, target: str, cert: tuple[Path, Path] | None) -> str:
    """A TLS connection from a host's namespace to another host's gossip port: "accepted" when the
    peer keeps it open after the handshake, else what ended it."""
    context = ssl.create_default_context(cafile=str(multi.ca_file))
    context.check_hostname = False  # peers are verified by the CA; the caller's question is the client side
    if cert is not None:
        context.load_cert_chain(str(cert[0]), str(cert[1]))

    def attempt() -> str:
        with socket.create_connection((multi.hosts[target], GOSSIP_PORT), timeout=5) as raw:
            try:
                with context.wrap_socket(raw, server_hostname=multi.hosts[target]) as tls:
                    tls.settimeout(1.5)
                    data = tls.recv(1)  # TLS 1.3: a refused client certificate shows on the first read
                    return f"closed ({data!r})"
            except TimeoutError:
                return "accepted"
            except (ssl.SSLError, ConnectionError, OSError) as error:
                return f"{type(error).__name__}: {error}"

    return str(nx.in_netns(multi.live.netns_of(source), attempt))


def test_gossip_without_the_stacks_client_certificate_is_refused(multi: MultiHostStack, tmp_path: Path) -> None:
    _, b, c = _first_hosts(multi)  # a's Alertmanager is stopped; c talks to b
    alertmanager = multi.container("alertmanager")
    own = (
        multi.live.host_path_of(alertmanager, f"{catalog.ALERTMANAGER.tls_dir}/{catalog.TLS_CERT_FILE}", host=c),
        multi.live.host_path_of(alertmanager, catalog.ALERTMANAGER.key_file, host=c),
    )
    write_server_pki(tmp_path / "foreign", "not the stack CA", ["alertmanager"], [multi.hosts[c]])
    foreign = (tmp_path / "foreign" / CERT_FILE, tmp_path / "foreign" / KEY_FILE)
    outcomes = {
        "no certificate": _gossip_handshake(multi, c, b, None),
        "a foreign CA's certificate": _gossip_handshake(multi, c, b, foreign),
        "the stack's certificate": _gossip_handshake(multi, c, b, own),
    }
    _record(f"gossip {c} -> {b}", outcomes)
    assert outcomes["the stack's certificate"] == "accepted", outcomes
    assert outcomes["no certificate"] != "accepted", outcomes
    assert outcomes["a foreign CA's certificate"] != "accepted", outcomes


def test_the_stores_series_has_no_gap_while_a_replica_is_stopped(multi: MultiHostStack) -> None:
    """With one replica's Prometheus stopped (the test above), the store's one series goes on at
    one sample per interval from the others; the store's intake shows that replica's writes stopped."""
    _, b, _ = _first_hosts(multi)
    interval = multi.scrape_interval
    stopped, outage = MOMENTS["prometheus stopped"], 12 * interval
    time.sleep(max(0.0, MOMENTS["prometheus stopped (monotonic)"] + outage + 3 * interval - time.monotonic()))
    rows_during = multi.store_rows_received() - MOMENTS["rows before the outage"]
    intake_during = rows_during / (time.monotonic() - MOMENTS["prometheus stopped (monotonic)"])
    intake_before = MOMENTS["intake before the outage (rows/s)"]
    start, end = stopped - 4 * interval, stopped + outage
    (kept,) = multi.store.raw_samples(multi.live, DEDUP_SERIES, start, end)
    times = [float(t) for t, _ in kept["values"]]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert times and times[0] - start < 2 * interval and end - times[-1] < 2 * interval, (start, times, end)
    largest = max(gaps)
    _record(
        f"outage: Prometheus on {b} stopped; the store's {DEDUP_SERIES} from {start - stopped:+.0f}s to "
        f"{end - stopped:+.0f}s",
        {"samples": len(times), "largest gap (s)": round(largest, 2), "scrape interval (s)": interval},
    )
    _record(
        "store: rows received per second, three replicas writing vs one stopped",
        [round(intake_before), round(intake_during)],
    )
    assert largest <= 2 * interval + 1, gaps
    assert len(times) >= (end - start) / interval - 2, times
    assert not multi.live.is_running(multi.container("prometheus"), host=b)  # it was down throughout
    # The control: the stopped replica really wrote nothing (about two thirds of the intake went on).
    assert 0.5 * intake_before < intake_during < 0.85 * intake_before, (intake_before, intake_during)


def test_every_alert_was_delivered_exactly_once(multi: MultiHostStack) -> None:
    """Counted again once every peer's wait (2 x peer timeout after the last first delivery) is over."""
    last = max(MOMENTS.get("first delivery", 0.0), MOMENTS.get("second delivery", 0.0))
    time.sleep(max(0.0, last + 2 * PEER_TIMEOUT + 5 - time.monotonic()))
    counts = {alert: len(multi.notifications(alert)) for alert in (FIRING, ON_DEMAND)}
    _record("webhook notifications per alert", counts)
    _record("multi-host module so far (s)", round(time.monotonic() - MOMENTS["module started"], 1))
    assert counts == {FIRING: 1, ON_DEMAND: 1}, counts


def test_destroy_over_ssh_removes_every_hosts_containers_and_rules(multi: MultiHostStack) -> None:
    """`pulumi destroy` over the same SSH paths: each host's firewall `delete` (sudo, remote) takes its
    chains away, every container and network goes, the data volumes stay (retained)."""
    prefix = catalog.resource_name(multi.stack_name, "")
    for host in multi.hosts:  # the test's own containers on the stack's backend network go first
        client = multi.live.engine_of(host).client()
        client.containers.get(multi.live.container_name("fake-im", host)).remove(force=True)
    started = time.monotonic()
    result = multi.pulumi_stack.destroy(color="never", on_output=lambda _: None)
    took = round(time.monotonic() - started, 1)
    _record("pulumi destroy over SSH (s, changes)", [took, pe.changes(result.summary)])
    chain = f"PROMSHIELD-{multi.stack_name.upper()}"
    for host in multi.hosts:
        client = multi.live.engine_of(host).client()
        assert chain not in multi.live.iptables_save(host=host), host
        assert [c.name for c in client.containers.list(all=True) if c.name.startswith(prefix)] == [], host
        assert [n.name for n in client.networks.list() if n.name.startswith(prefix)] == [], host
        assert any(v.name.startswith(prefix) for v in client.volumes.list()), host  # data kept
