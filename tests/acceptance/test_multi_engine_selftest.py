"""Self-test of the multi-host harness: three Docker hosts on one LAN, one dockerd each.

A small hand-written resource set in Pulumi's wire format, as the mocks record it (three
`docker.Provider`s, and per host a network, a Prometheus stand-in publishing a port on that host's
address and remote-writing to the central receiver, each Docker resource naming its provider): the
harness must route every resource to its own host's engine, run each host's firewall script in that
host's namespace only, copy the stand-ins into the other engines without building them again, and
leave nothing behind, also after a SIGKILL. Prefix `<prefix>m`, the multi-host suite's own (its
engines' data roots keep the stand-ins for it).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess  # nosec B404
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.core.catalog import DEFAULT_IMAGES
from harness import netns as nx
from harness.central import CentralStore
from harness.deploy import DeployError, route
from harness.engine import CGROUP_ROOT
from harness.live import Fixture, Host, LiveStack
from harness.paths import MULTI_HOST_PREFIX, REPO_ROOT, RUN_ROOT
from testing.mock_stack import CONTAINER, NETWORK, PROVIDER_DOCKER, REMOTE_IMAGE, secret

PREFIX = MULTI_HOST_PREFIX
KILL_PREFIX = f"{PREFIX[:-1]}k"  # the SIGKILL test's own run (empty engines: nothing to copy)
SERVICE_MARKER = "301"  # its LAN service: `sleep 301`, found by its argv
STACK = "selftest"
PROMETHEUS = DEFAULT_IMAGES["prometheus"]
HOSTS = {"a": "198.19.0.1", "b": "198.19.0.2", "c": "198.19.0.3"}
CLIENTS = {"trusted": "198.19.0.10", "untrusted": "198.19.0.20"}
CENTRAL = "198.19.0.30"
PUBLISHED = 19090
CHAIN = "PROMSHIELD-SELFTEST"
NETWORK_NAME = "selftest-net"
CONTAINER_NAME = "selftest-prometheus"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="starts dockerds in network namespaces: needs root")


@dataclass
class Res:
    """A recorded resource, as `testing.mock_stack.Registered` offers it (with its provider)."""

    type: str
    name: str
    raw_inputs: dict[str, Any]
    provider: str = ""
    urn: str = ""

    @property
    def inputs(self) -> dict[str, Any]:
        from testing.mock_stack import unwrap

        return dict(unwrap(self.raw_inputs))


def docker_host(host: str) -> str:
    return f"ssh://deploy@{HOSTS[host]}"


def provider_urn(host: str) -> str:
    return f"urn:pulumi:{STACK}::promshield::pulumi:providers:docker::docker-{host}"


def provider(host: str) -> Res:
    return Res(PROVIDER_DOCKER, f"docker-{host}", {"host": docker_host(host)}, urn=provider_urn(host))


def on(host: str, resource: Res) -> Res:
    resource.provider = f"{provider_urn(host)}::docker-{host}-id"
    return resource


def prometheus_yml(host: str, receiver: CentralStore) -> str:
    return json.dumps(
        {
            "global": {"scrape_interval": "1s", "external_labels": {"replica": host, "cluster": STACK}},
            "scrape_configs": [{"job_name": "self", "static_configs": [{"targets": ["localhost:9090"]}]}],
            "remote_write": [
                {
                    "url": receiver.url,
                    "basic_auth": {"username": receiver.username, "password_file": "/etc/prometheus/rw-password"},
                    "tls_config": {"ca_file": "/etc/prometheus/central-ca.crt", "server_name": receiver.address},
                    "queue_config": {"batch_send_deadline": "1s"},
                }
            ],
        }
    )


def resources(receiver: CentralStore) -> list[Res]:
    """Providers first, then each host's image, network and container, interleaved as Pulumi registers."""
    found = [provider(host) for host in HOSTS]
    for host, address in HOSTS.items():
        uploads = [
            {"file": "/etc/prometheus/prometheus.yml", "content": prometheus_yml(host, receiver), "owner": "65534"},
            {"file": "/etc/prometheus/central-ca.crt", "content": receiver.ca_pem},
            {
                "file": "/etc/prometheus/rw-password",
                "content": secret(receiver.password),
                "permissions": "0400",
                "owner": "65534",
                "group": "65534",
            },
        ]
        found += [
            on(host, Res(REMOTE_IMAGE, f"{host}-image", {"name": PROMETHEUS, "keepLocally": True})),
            on(
                host,
                Res(NETWORK, f"{host}-network", {"name": NETWORK_NAME, "labels": [{"label": "host", "value": host}]}),
            ),
            on(
                host,
                Res(
                    CONTAINER,
                    f"{host}-prometheus",
                    {
                        "name": CONTAINER_NAME,
                        "image": PROMETHEUS,
                        "command": [
                            "--config.file=/etc/prometheus/prometheus.yml",
                            "--storage.tsdb.path=/prometheus",
                            "--web.listen-address=:9090",
                        ],
                        "labels": [{"label": "io.promshield.selftest-host", "value": host}],
                        "networksAdvanced": [{"name": NETWORK_NAME}],
                        "ports": [{"internal": 9090, "external": PUBLISHED, "ip": address}],
                        "uploads": uploads,
                        "restart": "unless-stopped",
                    },
                ),
            ),
        ]
    return found


def firewall(host: str) -> str:
    """A stand-in for the host's firewall command: marks the namespace it ran in."""
    return (
        f"iptables -w 5 -N {CHAIN}\n"
        f"iptables -w 5 -A {CHAIN} -m comment --comment 'selftest host {host}' -j RETURN\n"
        f"iptables -w 5 -I DOCKER-USER -j {CHAIN}\n"
    )


@pytest.fixture(scope="module")
def receiver() -> CentralStore:
    return CentralStore.create(RUN_ROOT / f"{PREFIX}-central", address=CENTRAL)


@pytest.fixture(scope="module")
def live(receiver: CentralStore) -> Iterator[LiveStack]:
    hosts = [Host(name, address, docker_host(name), firewall(name)) for name, address in HOSTS.items()]
    probe = Fixture("probe", NETWORK_NAME, ("probe",), ["sleep", "600"], PROMETHEUS, host="b")
    stack = LiveStack(
        resources(receiver),
        prefix=PREFIX,
        clients=CLIENTS,
        hosts=hosts,
        services=[receiver.service()],
        fixtures=[probe],
    )
    with stack:
        print(f"\n[multi-engine] {len(HOSTS)} hosts up: {stack.timings}", file=sys.stderr)
        receiver.wait_ready(stack)
        yield stack


# --- routing, without an engine ----------------------------------------------------------------------
def test_route_sends_each_resource_to_its_providers_engine() -> None:
    receiver = CentralStore(Path("/nonexistent"), CENTRAL, "central", "writer", "not-used", "")
    routed = route(resources(receiver), [docker_host(h) for h in HOSTS])
    for host in HOSTS:
        assert [r.name for r in routed[docker_host(host)]] == [f"{host}-image", f"{host}-network", f"{host}-prometheus"]


def test_route_refuses_the_default_provider_and_unknown_engines() -> None:
    stray = Res(NETWORK, "stray", {"name": "stray"})
    with pytest.raises(DeployError, match=r"stray: on the default provider"):
        route([provider("a"), stray], [docker_host("a")])
    with pytest.raises(DeployError, match=r"names engine 'ssh://deploy@198\.19\.0\.2'; have"):
        route([provider("a"), provider("b"), on("b", Res(NETWORK, "n", {"name": "n"}))], [docker_host("a")])
    with pytest.raises(DeployError, match=r"not a recorded docker\.Provider"):
        route([on("a", Res(NETWORK, "n", {"name": "n"}))], [docker_host("a")])


# --- three engines -----------------------------------------------------------------------------------
def _netns_inode(path: str) -> int:
    return os.stat(path).st_ino


@needs_root
def test_each_host_runs_its_own_dockerd_in_its_own_namespace(live: LiveStack) -> None:
    sockets = {name: engine.socket_path for name, engine in live.engines.items()}
    assert len(set(sockets.values())) == len(HOSTS), sockets
    roots = {engine.data_root for engine in live.engines.values()}
    assert len(roots) == len(HOSTS), roots
    for name, engine in live.engines.items():
        assert engine.process is not None
        namespace = live.netns_of(name)
        assert _netns_inode(f"/proc/{engine.process.pid}/ns/net") == _netns_inode(f"/run/netns/{namespace}")
        assert namespace == f"{PREFIX}-{name}"


@needs_root
def test_every_resource_is_on_its_own_hosts_engine_only(live: LiveStack) -> None:
    ids = set()
    for host in HOSTS:
        client = live.engine_of(host).client()
        containers = {c.name: c for c in client.containers.list(all=True)}
        expected = {CONTAINER_NAME} | ({f"{PREFIX}-fixture-probe"} if host == "b" else set())
        assert set(containers) == expected, (host, sorted(containers))
        assert containers[CONTAINER_NAME].labels["io.promshield.selftest-host"] == host
        ids.add(containers[CONTAINER_NAME].id)
        networks = [n for n in client.networks.list() if n.name == NETWORK_NAME]
        assert len(networks) == 1 and networks[0].attrs["Labels"] == {"host": host}
    assert len(ids) == len(HOSTS)  # the same Docker name, three containers
    assert live.inspect("probe", host="b")["State"]["Running"]


@needs_root
def test_each_hosts_port_is_published_on_its_own_address(live: LiveStack) -> None:
    for host, address in HOSTS.items():
        result = live.client("trusted").curl(f"http://{address}:{PUBLISHED}/api/v1/status/config")
        assert result.returncode == 0, result.stderr
        config = json.loads(result.stdout)["data"]["yaml"]
        assert re.search(rf"replica: {host}\b", config), (host, config[:300])  # that host's container answered
        ports = live.inspect(CONTAINER_NAME, host=host)["HostConfig"]["PortBindings"]
        assert ports == {"9090/tcp": [{"HostIp": address, "HostPort": str(PUBLISHED)}]}, host


@needs_root
def test_each_hosts_firewall_script_ran_in_its_namespace_only(live: LiveStack) -> None:
    for host in HOSTS:
        rules = live.iptables_save(host=host)
        marks = set(re.findall(r"selftest host (\w)", rules))
        assert marks == {host}, (host, marks)
        assert f"-A DOCKER-USER -j {CHAIN}" in rules


@needs_root
def test_the_central_receiver_gets_samples_from_every_replica(live: LiveStack, receiver: CentralStore) -> None:
    deadline = time.monotonic() + 60
    while (counts := receiver.samples_by(live, "replica")).keys() < set(HOSTS) and time.monotonic() < deadline:
        time.sleep(1)
    print(f"\n[multi-engine] central receiver samples per replica: {counts}", file=sys.stderr)
    assert set(counts) == set(HOSTS), counts
    assert all(count > 0 for count in counts.values()), counts
    assert receiver.request(live, "GET", "/api/v1/query?query=up", auth=False)[0] == 401
    # vmauth 1.79 answers an unknown credential 400 ("cannot find the provided auth token"), none 401.
    assert receiver.request(live, "GET", "/api/v1/query?query=up", password="wrong")[0] == 400


# --- cleanup -----------------------------------------------------------------------------------------
def _processes_with(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                argv = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if marker in argv:
                found.append(f"process {entry.name}: {argv[:80]!r}")
    return found


def _leftovers(prefix: str, engine_prefixes: list[str], services: tuple[str, ...] = ()) -> list[str]:
    found = [f"netns {ns}" for ns in nx.netns_list() if ns.startswith(f"{prefix}-")]
    for marker in services:
        found += _processes_with(marker)
    for engine_prefix in engine_prefixes:
        run_dir = f"/run/promshield-{engine_prefix}"
        found += _processes_with(f"{run_dir}/")
        with open("/proc/self/mountinfo") as handle:
            points = [line.split()[4] for line in handle]
        found += [f"mount {p}" for p in points if f"/engine-{engine_prefix}/" in p or p.startswith(f"{run_dir}/")]
        if (CGROUP_ROOT / f"promshield-{engine_prefix}").exists():
            found.append(f"cgroup promshield-{engine_prefix}")
        if Path(run_dir, "docker.sock").exists():
            found.append(f"socket {run_dir}/docker.sock")
    return found


@needs_root
def test_close_leaves_nothing(live: LiveStack, receiver: CentralStore) -> None:
    engine_prefixes = [engine.prefix for engine in live.engines.values()]
    assert engine_prefixes == [f"{PREFIX}1", f"{PREFIX}2", f"{PREFIX}3"]
    assert live.service_running(receiver.name)
    live.close()
    assert _leftovers(PREFIX, engine_prefixes, services=(str(receiver.directory),)) == []  # both processes


@needs_root
def test_a_sigkilled_run_is_swept_by_the_next(tmp_path: Path) -> None:
    """The run's process is SIGKILLed with three engines and a LAN service up (dockerds run in
    sessions of their own, so they survive it); a later LiveStack of the prefix, knowing nothing of
    those hosts, sweeps them."""
    hosts = ", ".join(f"Host({name!r}, {address!r}, {docker_host(name)!r})" for name, address in HOSTS.items())
    script = (
        "import sys, time\n"
        "from harness.live import Host, LanService, LiveStack\n"
        f"service = LanService('idle', {CENTRAL!r}, ['sleep', '{SERVICE_MARKER}'])\n"
        f"live = LiveStack([], prefix={KILL_PREFIX!r}, hosts=[{hosts}], services=[service]).up()\n"
        "print('up', flush=True)\n"
        "time.sleep(300)\n"
    )
    started = time.monotonic()
    runner = subprocess.Popen(  # nosec B603
        [sys.executable, "-c", script], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=tmp_path.joinpath("err").open("w")
    )
    try:
        assert runner.stdout is not None
        line = runner.stdout.readline().decode()
        assert line.strip() == "up", (line, tmp_path.joinpath("err").read_text()[-2000:])
        print(f"\n[multi-engine] 3 empty engines up in {time.monotonic() - started:.1f}s (incl. interpreter)")
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(timeout=10)
    finally:
        if runner.poll() is None:
            runner.kill()
    engine_prefixes = [f"{KILL_PREFIX}{n}" for n in (1, 2, 3)]
    left = _leftovers(KILL_PREFIX, engine_prefixes, services=(f"sleep\0{SERVICE_MARKER}",))
    assert any("dockerd" in item for item in left) and any("sleep" in item for item in left), left
    LiveStack([], prefix=KILL_PREFIX).cleanup_stale()
    assert _leftovers(KILL_PREFIX, engine_prefixes, services=(f"sleep\0{SERVICE_MARKER}",)) == []
