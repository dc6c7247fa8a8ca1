"""Self-test of the multi-host harness: three Docker hosts on one LAN, one dockerd each.

The harness deploys nothing on several hosts (the real `pulumi up` does, over SSH: test_95): it starts
an engine per host namespace, puts the stand-in images into each (built once, copied to the others),
runs each host's firewall script in that host's namespace only, and tears everything down, also
after a SIGKILL. Here the test deploys a small set of its own through each engine's socket (per
host a network and a Prometheus stand-in publishing a port on that host's address and
remote-writing to the central store), and checks the harness kept the hosts apart. Prefix
`<prefix>m`, the multi-host suite's own (its engines' data roots keep the stand-ins for it).
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
from pathlib import Path

import pytest

from components.core.catalog import DEFAULT_IMAGES
from harness import netns as nx
from harness.central import CentralStore
from harness.engine import CGROUP_ROOT
from harness.live import Fixture, Host, LiveStack
from harness.paths import MULTI_HOST_PREFIX, REPO_ROOT, RUN_ROOT

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


def docker_host(host: str) -> str:
    return f"ssh://deploy@{HOSTS[host]}"


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


def deploy_on(live: LiveStack, host: str, receiver: CentralStore) -> None:
    """The test's own deployment on one host, through that host's engine: a network, and a Prometheus
    stand-in with its files bound in (the password 0400, owned by the stand-in's user)."""
    files = live.run_dir / "files" / f"selftest-{host}"
    files.mkdir(parents=True, exist_ok=True)
    (files / "prometheus.yml").write_text(prometheus_yml(host, receiver))
    (files / "central-ca.crt").write_text(receiver.ca_pem)
    password = files / "rw-password"
    password.unlink(missing_ok=True)
    password.touch(mode=0o600)
    password.write_text(receiver.password)
    os.chown(password, 65534, 65534)
    password.chmod(0o400)
    for path in (files, files / "prometheus.yml", files / "central-ca.crt"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    client = live.engine_of(host).client()
    client.networks.create(NETWORK_NAME, labels={"host": host})
    container = client.containers.create(
        PROMETHEUS,
        command=[
            "--config.file=/etc/prometheus/prometheus.yml",
            "--storage.tsdb.path=/prometheus",
            "--web.listen-address=:9090",
        ],
        name=CONTAINER_NAME,
        labels={"io.promshield.selftest-host": host},
        network=NETWORK_NAME,
        ports={"9090/tcp": (HOSTS[host], PUBLISHED)},
        volumes={str(files): {"bind": "/etc/prometheus", "mode": "ro"}},
        restart_policy={"Name": "unless-stopped"},
    )
    container.start()


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
    stack = LiveStack(prefix=PREFIX, clients=CLIENTS, hosts=hosts, services=[receiver.service()], images=[PROMETHEUS])
    with stack:
        print(f"\n[multi-engine] {len(HOSTS)} hosts up: {stack.timings}", file=sys.stderr)
        for host in HOSTS:
            deploy_on(stack, host, receiver)
        stack.start_fixtures([probe])
        receiver.wait_ready(stack)
        yield stack


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
def test_every_container_is_on_its_own_hosts_engine_only(live: LiveStack) -> None:
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
        f"live = LiveStack(prefix={KILL_PREFIX!r}, hosts=[{hosts}], services=[service]).up()\n"
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
    LiveStack(prefix=KILL_PREFIX).cleanup_stale()
    assert _leftovers(KILL_PREFIX, engine_prefixes, services=(f"sleep\0{SERVICE_MARKER}",)) == []
