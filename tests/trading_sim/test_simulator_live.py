"""The simulator as a real process: TLS and each endpoint's own basic-auth credential in front of the
metrics, the control port on loopback only, scenarios switched with its command line."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl

import pytest

from components.core import catalog
from tests.trading_sim.conftest import RunningSim

IM, TE = catalog.JOB_INSTANCE_MANAGER, catalog.JOB_TRADE_ENGINE


def scrape(sim: RunningSim, job: str, authorization: str | None) -> tuple[int, dict[str, str], str]:
    context = ssl.create_default_context(cafile=str(sim.config_file.parent / "tls" / catalog.TLS_CA_FILE))
    sock = context.wrap_socket(
        socket.create_connection(("127.0.0.1", sim.port(job)), 5), server_hostname=catalog.TRADING_SIM.name
    )
    connection = http.client.HTTPSConnection("127.0.0.1", sim.port(job), timeout=5)
    connection.sock = sock
    try:
        headers = {"Connection": "close", **({"Authorization": authorization} if authorization else {})}
        connection.request("GET", "/metrics", headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_each_endpoint_wants_tls_and_its_own_password(sim: RunningSim) -> None:
    user = catalog.TRADING_SIM_SCRAPE_USER
    for job, other in ((IM, TE), (TE, IM)):
        status, headers, _ = scrape(sim, job, None)
        assert status == 401 and headers["WWW-Authenticate"] == f'Basic realm="{job}"'
        assert scrape(sim, job, basic(user, "wrong-password"))[0] == 401
        assert scrape(sim, job, basic(user, sim.passwords[other]))[0] == 401, "one endpoint's password opens only it"
        assert scrape(sim, job, basic("admin", sim.passwords[job]))[0] == 401
        assert scrape(sim, job, "basic " + basic(user, sim.passwords[job]).split()[1])[0] == 401  # not canonical
        status, headers, body = scrape(sim, job, basic(user, sim.passwords[job]))
        assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert ("instance_manager_instances{" if job == IM else "trades_executed_total{") in body
    with socket.create_connection(("127.0.0.1", sim.port(IM)), 5) as plain:  # no TLS: no metrics
        plain.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        plain.settimeout(5)
        assert b"instance_manager" not in plain.recv(4096)


def test_the_certificate_is_checked_against_the_service_name(sim: RunningSim) -> None:
    context = ssl.create_default_context(cafile=str(sim.config_file.parent / "tls" / catalog.TLS_CA_FILE))
    with (
        socket.create_connection(("127.0.0.1", sim.port(IM)), 5) as sock,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        context.wrap_socket(sock, server_hostname="im-1.internal")


def test_the_control_port_listens_on_loopback_only(sim: RunningSim) -> None:
    port = f"{int(sim.config['control_port']):04X}"
    with open(f"/proc/{sim.process.pid}/net/tcp") as handle:
        listening = [line.split() for line in handle.read().splitlines()[1:] if line.split()[3] == "0A"]
    local = {fields[1] for fields in listening}
    assert f"0100007F:{port}" in local and f"00000000:{port}" not in local
    assert {f"00000000:{sim.port(job):04X}" for job in (IM, TE)} <= local  # the metrics: every interface


def test_scenarios_are_switched_with_the_command_line(sim: RunningSim) -> None:
    user = catalog.TRADING_SIM_SCRAPE_USER
    fired = sim.cli("fire", "InstanceManagerDown", "InstanceManagerInstancesFailed")
    assert fired.returncode == 0, fired.stderr
    assert json.loads(fired.stdout)["active"] == ["InstanceManagerDown", "InstanceManagerInstancesFailed"]
    assert scrape(sim, IM, basic(user, sim.passwords[IM]))[0] == 503  # the scrape fails: up 0
    assert scrape(sim, TE, basic(user, sim.passwords[TE]))[0] == 200
    assert scrape(sim, IM, None)[0] == 401, "down or not, no credential gets nothing"
    assert sim.cli("check").returncode == 0, "the simulator itself stays healthy"
    calmed = sim.cli("calm", "InstanceManagerDown")
    assert json.loads(calmed.stdout)["active"] == ["InstanceManagerInstancesFailed"]
    _, _, body = scrape(sim, IM, basic(user, sim.passwords[IM]))
    assert 'instance_manager_instances{state="failed"} 1' in body
    assert json.loads(sim.cli("calm", "--all").stdout)["active"] == []
    unknown = sim.cli("fire", "NoSuchAlert")
    assert unknown.returncode != 0 and "invalid choice" in unknown.stderr
