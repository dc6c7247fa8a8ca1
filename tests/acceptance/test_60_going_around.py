"""Going around the proxy: nothing but the published ports is reachable from the LAN, and the
backend network has no way out."""

from __future__ import annotations

import functools
import ipaddress
import subprocess  # nosec B404
import sys
from collections.abc import Iterator

import pytest

from harness import netns as nx
from harness.stack import HOST_ADDRESS, AcceptanceStack, scan, wait_until

pytestmark = pytest.mark.acceptance

# Every port any stack process listens on (servers, exporters, the proxy's loopback helpers, the
# trading simulator's endpoints and its loopback control port), plus the fixtures' ports.
PORTS = (9090, 9093, 9094, 9188, 9121, 6379, 8443, 8444, 8080, 8081, 8082, 4000, 9400, 9401, 9409)
CLIENTS = ("trusted", "trusted2", "untrusted")


def backend_members(stack: AcceptanceStack) -> list[tuple[str, str]]:
    """(name, address) of every container and extra namespace on the internal network."""
    backend = next(n.name for n in stack.topo.networks if n.internal)
    return [
        (name, member.addresses[backend]) for name, member in stack.topo.members.items() if backend in member.addresses
    ]


@pytest.mark.parametrize("client", CLIENTS)
def test_nothing_on_the_backend_network_is_reachable_from_the_lan(stack: AcceptanceStack, client: str) -> None:
    members = backend_members(stack)
    assert len(members) >= 7  # prometheus, alertmanager, exporters, demo Redis, trading simulator, proxy, fixtures
    assert scan(stack, client, [(address, port) for _, address in members for port in PORTS]) == set()
    # The control: the same scan from a backend member finds Prometheus.
    prometheus = stack.topo.address_of(stack.container("prometheus"))
    assert (prometheus, 9090) in scan(stack, "webhook", [(prometheus, 9090)])


@pytest.mark.parametrize("client", CLIENTS)
def test_only_the_published_ports_answer_on_the_host_address(stack: AcceptanceStack, client: str) -> None:
    open_ports = sorted(port for _, port in scan(stack, client, [(HOST_ADDRESS, port) for port in PORTS]))
    assert open_ports == ([] if client == "untrusted" else [9090, 9093])


LISTEN_PORT = 2222  # a listener of ours on every interface of the Docker host and a LAN client


@pytest.fixture(scope="module")
def listeners(stack: AcceptanceStack) -> Iterator[None]:
    """What a compromised backend would look for: services on the Docker host (sshd, node
    exporters...) and on the LAN, listening on every address."""
    script = (
        "import socket, time\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('0.0.0.0', {LISTEN_PORT})); s.listen(64); s.settimeout(0.2)\n"
        "end = time.monotonic() + 300\n"
        "while time.monotonic() < end:\n"
        "    try:\n        s.accept()[0].close()\n    except OSError:\n        pass\n"
    )
    processes = [
        subprocess.Popen(nx.exec_argv(stack.topo.netns_of(where), [sys.executable, "-c", script]))  # nosec B603
        for where in ("host", "trusted")
    ]
    try:
        for address, where in ((HOST_ADDRESS, "trusted"), (stack.topo.client_addresses["trusted"], "host")):
            check = functools.partial(stack.topo.client(where).can_connect, address, LISTEN_PORT, 0.5)
            wait_until(check, timeout=10, what="the listeners")
        yield
    finally:
        for process in processes:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize(
    "service", ["prometheus", "alertmanager", "duckdb-exporter", "redis-exporter", "demo-redis-rts", "demo-redis-rtrs"]
)
def test_backend_services_reach_neither_the_lan_nor_the_docker_host(
    stack: AcceptanceStack, service: str, listeners: None
) -> None:
    """A compromised backend reaches nothing outside its network: not the LAN, not the Docker
    host by any of its addresses (the backend gateway included), not the published ports.

    (Docker 20.10 gives containers on an internal network a default route via the bridge's
    gateway, which is the Docker host itself; only iptables keeps them in.)"""
    name = stack.container(service)
    backend = next(n for n in stack.topo.networks if n.internal)
    gateway = str(ipaddress.ip_network(backend.subnet)[1])
    inside = stack.topo.client(name)
    attempts = [
        (stack.topo.client_addresses["trusted"], LISTEN_PORT),
        (HOST_ADDRESS, LISTEN_PORT),
        (gateway, LISTEN_PORT),
        (HOST_ADDRESS, 9090),
    ]
    reached = [f"{address}:{port}" for address, port in attempts if inside.can_connect(address, port, timeout=0.5)]
    assert reached == [], f"{service} reached {reached}"


def test_duckdb_exporter_cannot_write_the_snapshot_and_never_sees_the_live_file(stack: AcceptanceStack) -> None:
    """The snapshot directory is mounted read-only and the exporter runs as its own uid; the
    writer's database is not in it, and the snapshot holds no trading data."""
    name = stack.container("duckdb-exporter")
    listing = stack.topo.container_exec(name, ["ls", "-A", "/data"])
    assert listing.returncode == 0 and listing.stdout.split() == ["snapshot.duckdb"], listing.stdout
    assert stack.duckdb_live.exists() and stack.duckdb_live.parent != stack.duckdb_dir
    for argv in (
        ["touch", "/data/snapshot.duckdb"],
        ["touch", "/data/new-file"],
        ["sh", "-c", "echo x >> /data/snapshot.duckdb"],
    ):
        result = stack.topo.container_exec(name, argv)
        assert result.returncode != 0, argv
        assert "Read-only file system" in result.stderr or "Permission denied" in result.stderr, result.stderr
    python = "python"  # the exporter image's interpreter
    script = (
        "import duckdb\ncon = duckdb.connect('/data/snapshot.duckdb', read_only=False)\n"
        'con.execute("DELETE FROM metrics")\n'
    )
    attempt = stack.topo.container_exec(name, [python, "-c", script])
    assert attempt.returncode != 0, "a read-write open of the snapshot succeeded inside the exporter"
    trades = "import duckdb\nduckdb.connect('/data/snapshot.duckdb', read_only=True).execute('FROM trades')\n"
    read = stack.topo.container_exec(name, [python, "-c", trades])
    assert read.returncode != 0 and "trades does not exist" in read.stderr, read.stderr
