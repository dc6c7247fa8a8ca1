"""Going around the proxy: nothing but the published ports is reachable from the LAN, and the
backend network has no way out."""

from __future__ import annotations

import pytest

from tests.acceptance.stack import HOST_ADDRESS, AcceptanceStack, scan

pytestmark = pytest.mark.acceptance

# Every port any stack process listens on (servers, exporters, the proxy's loopback helpers),
# plus the fakes' ports.
PORTS = (9090, 9093, 9094, 9188, 9121, 6379, 8443, 8444, 8080, 8081, 8082, 4000, 9400, 9401)
CLIENTS = ("trusted", "trusted2", "untrusted")


def backend_members(stack: AcceptanceStack) -> list[tuple[str, str]]:
    """(name, address) of every container and extra namespace on the internal network."""
    backend = next(n.name for n in stack.topo.networks if n.internal)
    return [(name, member.addresses[backend]) for name, member in stack.topo.members.items() if backend in member.addresses]


@pytest.mark.parametrize("client", CLIENTS)
def test_nothing_on_the_backend_network_is_reachable_from_the_lan(stack: AcceptanceStack, client: str) -> None:
    members = backend_members(stack)
    assert len(members) >= 7  # prometheus, alertmanager, duckdb exporter, proxy, webhook, fakes
    assert scan(stack, client, [(address, port) for _, address in members for port in PORTS]) == set()
    # The control: the same scan from a backend member finds Prometheus.
    prometheus = stack.topo.address_of(stack.container("prometheus"))
    assert (prometheus, 9090) in scan(stack, "webhook", [(prometheus, 9090)])


@pytest.mark.parametrize("client", CLIENTS)
def test_only_the_published_ports_answer_on_the_host_address(stack: AcceptanceStack, client: str) -> None:
    open_ports = sorted(port for _, port in scan(stack, client, [(HOST_ADDRESS, port) for port in PORTS]))
    assert open_ports == ([] if client == "untrusted" else [9090, 9093])


@pytest.mark.parametrize("service", ["prometheus", "alertmanager", "duckdb-exporter", "redis-exporter", "demo-redis"])
def test_backend_services_have_no_route_out(stack: AcceptanceStack, service: str) -> None:
    """A compromised backend cannot reach the LAN or the Docker host (internal network)."""
    name = stack.container(service)
    routes = stack.topo.exec_in(name, ["ip", "route"], check=True).stdout
    assert "default" not in routes, routes
    inside = stack.topo.client(name)
    for address, port in ((stack.topo.client_addresses["trusted"], 22), (HOST_ADDRESS, 9090)):
        assert not inside.can_connect(address, port, timeout=0.5), f"{service} reached {address}:{port}"


def test_duckdb_exporter_cannot_write_the_database(stack: AcceptanceStack) -> None:
    """The database directory is mounted read-only and the exporter runs as its own uid."""
    name = stack.container("duckdb-exporter")
    for argv in (["touch", "/data/metrics.duckdb"], ["touch", "/data/new-file"], ["sh", "-c", "echo x >> /data/metrics.duckdb"]):
        result = stack.topo.container_exec(name, argv)
        assert result.returncode != 0, argv
        assert "Read-only file system" in result.stderr or "Permission denied" in result.stderr, result.stderr
    python = stack.topo.sandbox(name).argv[0]
    script = "import duckdb\ncon = duckdb.connect('/data/metrics.duckdb', read_only=False)\ncon.execute(\"DELETE FROM trades\")\n"
    attempt = stack.topo.container_exec(name, [python, "-c", script])
    assert attempt.returncode != 0, "a read-write open of the database succeeded inside the exporter"
