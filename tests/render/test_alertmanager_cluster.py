"""A multi-host stack's Alertmanagers, for real: Debian's Alertmanager (0.25) run with each host's
rendered files and command line (only the addresses moved to loopback ports) forms a cluster over
mutual TLS, replicates a silence, and refuses a peer whose certificate is not from the stack CA.
The same files on real engines, with the firewall and the alert path, are the acceptance suite's."""

from __future__ import annotations

import datetime
import json
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from components.core import catalog
from harness.testpki import issue_server_pki
from testing.mock_stack import RecordedStack
from testing.stack_config import load_scenario
from tests.render.sandboxed import materialize, view_command

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
PROVIDERS = {"mon-a": "docker", "mon-b": "docker-mon-b"}
TLS_DIR = catalog.ALERTMANAGER.tls_dir


@pytest.fixture(scope="module")
def ha() -> RecordedStack:
    return load_scenario("threehosts").run()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Node:
    """One Alertmanager in a bwrap view of its host's files, on loopback ports."""

    def __init__(self, root: Path, name: str) -> None:
        self.root, self.name = root, name
        self.web, self.gossip = free_port(), free_port()
        self.process: subprocess.Popen[str] | None = None
        self.log_file: IO[str] | None = None

    def start(self, rendered: list[str], peers: list[Node]) -> None:
        """The rendered command line, with its addresses (host LAN addresses) moved to loopback."""
        moved = {
            "--web.listen-address": f"127.0.0.1:{self.web}",
            "--cluster.listen-address": f"127.0.0.1:{self.gossip}",
            "--cluster.advertise-address": f"127.0.0.1:{self.gossip}",
        }
        argv = [ALERTMANAGER]
        for flag in rendered:
            key = flag.split("=", 1)[0]
            if key == "--cluster.peer":
                continue
            argv.append(f"{key}={moved[key]}" if key in moved else flag)
        argv += [f"--cluster.peer=127.0.0.1:{peer.gossip}" for peer in peers]
        self.log_file = (self.root.parent / f"{self.name}.log").open("w")
        command = view_command(self.root, argv, writable=(catalog.ALERTMANAGER.data_dir,), share_net=True)
        self.process = subprocess.Popen(command, stdout=self.log_file, stderr=subprocess.STDOUT, text=True)

    def api(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Alertmanager's API over mTLS, with its own certificate (as its healthcheck does)."""
        tls = self.root / TLS_DIR.lstrip("/")
        argv = [
            "curl", "-sS", "--fail", "--max-time", "5",
            "--cacert", str(tls / catalog.TLS_CA_FILE),
            "--cert", str(tls / catalog.TLS_CERT_FILE),
            "--key", str(self.root / catalog.ALERTMANAGER.key_file.lstrip("/")),
            f"https://127.0.0.1:{self.web}{path}",
        ]  # fmt: skip
        if body is not None:
            argv += ["-H", "Content-Type: application/json", "--data", json.dumps(body)]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
        return json.loads(result.stdout) if result.returncode == 0 else None

    def peers(self) -> set[str]:
        status = self.api("/api/v2/status")
        return {p["address"] for p in (status or {}).get("cluster", {}).get("peers", [])}

    def log(self) -> str:
        return (self.root.parent / f"{self.name}.log").read_text()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.log_file is not None:
            self.log_file.close()


def wait_for(check: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    return check()


def foreign_identity(root: Path) -> None:
    """Replace a node's CA, certificate and key by ones from another CA (same names and uses)."""
    tls_dir = root / TLS_DIR.lstrip("/")
    pki = issue_server_pki("not the stack CA", [catalog.ALERTMANAGER.name], ["127.0.0.1"], client_auth=True)
    (tls_dir / catalog.TLS_CA_FILE).write_text(pki.ca_pem)
    (tls_dir / catalog.TLS_CERT_FILE).write_text(pki.cert_pem)
    (root / catalog.ALERTMANAGER.key_file.lstrip("/")).write_text(pki.key_pem)


@pytest.fixture
def nodes(ha: RecordedStack, tmp_path: Path) -> Iterator[dict[str, Node]]:
    started: dict[str, Node] = {}
    for host, provider in PROVIDERS.items():
        root = materialize(ha, catalog.container_name("ha", catalog.ALERTMANAGER), tmp_path / host, provider)
        started[host] = Node(root, host)
    try:
        yield started
    finally:
        for node in started.values():
            node.stop()


def rendered_command(ha: RecordedStack, host: str) -> list[str]:
    containers = ha.host_containers(PROVIDERS[host])
    return list(containers[catalog.container_name("ha", catalog.ALERTMANAGER)].inputs["command"])


def test_two_hosts_alertmanagers_form_a_cluster_and_share_silences(ha: RecordedStack, nodes: dict[str, Node]) -> None:
    a, b = nodes["mon-a"], nodes["mon-b"]
    a.start(rendered_command(ha, "mon-a"), [b])
    b.start(rendered_command(ha, "mon-b"), [a])
    both = {f"127.0.0.1:{a.gossip}", f"127.0.0.1:{b.gossip}"}
    assert wait_for(lambda: a.peers() == both and b.peers() == both), (a.peers(), b.peers(), a.log()[-2000:])
    now = datetime.datetime.now(datetime.UTC)
    silence = {
        "matchers": [{"name": "alertname", "value": "TargetDown", "isRegex": False, "isEqual": True}],
        "startsAt": now.isoformat(),
        "endsAt": (now + datetime.timedelta(hours=1)).isoformat(),
        "createdBy": "test",
        "comment": "replicated by gossip",
    }
    created = a.api("/api/v2/silences", silence)
    assert created and created.get("silenceID"), a.log()[-2000:]
    started = time.monotonic()
    replicated = wait_for(lambda: [s for s in b.api("/api/v2/silences") or [] if s["id"] == created["silenceID"]])
    assert replicated and replicated[0]["status"]["state"] == "active", b.log()[-2000:]
    print(f"silence reached the other Alertmanager after {time.monotonic() - started:.1f} s")


def test_a_peer_without_a_stack_certificate_is_refused(ha: RecordedStack, nodes: dict[str, Node]) -> None:
    a, stranger = nodes["mon-a"], nodes["mon-b"]
    foreign_identity(stranger.root)
    a.start(rendered_command(ha, "mon-a"), [])
    stranger.start(rendered_command(ha, "mon-b"), [a])
    assert wait_for(lambda: a.peers() == {f"127.0.0.1:{a.gossip}"})  # a is up, alone
    time.sleep(5)  # the stranger retries its join meanwhile
    assert a.peers() == {f"127.0.0.1:{a.gossip}"}
    assert stranger.peers() in (set(), {f"127.0.0.1:{stranger.gossip}"})  # its own API is not the stack's either
    assert "tls" in stranger.log().lower() or "certificate" in stranger.log().lower(), stranger.log()[-2000:]


def test_the_peer_listener_forwards_only_prometheus_alerts(ha: RecordedStack, tmp_path: Path) -> None:
    """mon-b's proxy and Alertmanager (each in its own view, as in its own container) in a network namespace
    of their own: mon-a's Prometheus certificate may post alerts through the peer listener, and nothing else;
    another stack certificate, or none, is refused."""
    namespace = f"ps-peer-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", namespace], check=True)
    processes: list[subprocess.Popen[str]] = []
    try:
        subprocess.run(["ip", "-n", namespace, "link", "set", "lo", "up"], check=True)
        roots = {
            service.name: materialize(
                ha, catalog.container_name("ha", service), tmp_path / service.name, "docker-mon-b"
            )
            for service in (catalog.ALERTMANAGER, catalog.PROXY)
        }
        client = tmp_path / "client"
        client.mkdir()
        (client / "ca.crt").write_text(ha.named("pki-ca").outputs["certPem"])
        leaves = {
            "prometheus": "pki-prometheus-client",  # mon-a's Prometheus
            "proxy": "pki-proxy-client",  # a stack certificate, but not Prometheus'
            "am": "pki-mon-b-alertmanager-server",
        }
        for short, leaf in leaves.items():
            (client / f"{short}.crt").write_text(ha.named(f"{leaf}-cert").outputs["certPem"])
            key = ha.named(f"{leaf}-key").outputs["privateKeyPem"]
            (client / f"{short}.key").write_text(key["value"] if isinstance(key, dict) else key)
        in_ns = ["ip", "netns", "exec", namespace]
        alertmanager = view_command(
            roots[catalog.ALERTMANAGER.name],
            [ALERTMANAGER, *rendered_command(ha, "mon-b")],
            writable=(catalog.ALERTMANAGER.data_dir,),
            share_net=True,
        )
        nginx = view_command(
            roots[catalog.PROXY.name],
            ["nginx", "-c", catalog.PROXY_CONFIG_FILE, "-g", "daemon off;"],
            hosts=f"127.0.0.1 localhost {catalog.ALERTMANAGER.name} {catalog.PROMETHEUS.name}\n",
            writable=(catalog.PROXY.data_dir, catalog.PROXY_RUNTIME_DIR),
            share_net=True,
        )
        for argv, log in ((alertmanager, "am.log"), (nginx, "nginx.log")):
            out = (tmp_path / log).open("w")
            processes.append(subprocess.Popen([*in_ns, *argv], stdout=out, stderr=subprocess.STDOUT, text=True))
            out.close()
        address, port = "10.30.0.12", catalog.PROXY_PEER_ALERTS_PORT  # its certificate names the host's address
        url = f"https://{address}:{port}"

        def ask(*args: str, identity: str | None = "prometheus") -> str:
            argv = [*in_ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"]
            argv += ["--cacert", str(client / "ca.crt"), "--connect-to", f"{address}:{port}:127.0.0.1:{port}"]
            if identity:
                argv += ["--cert", str(client / f"{identity}.crt"), "--key", str(client / f"{identity}.key")]
            return subprocess.run([*argv, *args], capture_output=True, text=True, timeout=15, check=False).stdout

        def alerts() -> str:
            argv = [*in_ns, "curl", "-s", "--max-time", "5", "--cacert", str(client / "ca.crt")]
            argv += ["--cert", str(client / "am.crt"), "--key", str(client / "am.key")]
            argv.append(f"https://127.0.0.1:{catalog.ALERTMANAGER.port}/api/v2/alerts")
            return subprocess.run(argv, capture_output=True, text=True, timeout=15, check=False).stdout

        assert wait_for(lambda: alerts().startswith("[") and ask(f"{url}/") == "403"), (
            tmp_path / "am.log"
        ).read_text()[-2000:] + (tmp_path / "nginx.log").read_text()[-2000:]
        alert = json.dumps([{"labels": {"alertname": "PeerPathTest", "severity": "warning"}}])
        post = ("-H", "Content-Type: application/json", "--data", alert, f"{url}/api/v2/alerts")
        answers = {
            "post-alert": ask(*post),
            "get-alerts": ask(f"{url}/api/v2/alerts"),  # only POST
            "silences": ask(f"{url}/api/v2/silences"),  # only /api/v2/alerts
            "proxy-client": ask(*post, identity="proxy"),  # a stack certificate that is not Prometheus'
            "no-certificate": ask(*post, identity=None),  # NGINX: no required SSL certificate was sent
        }
        assert answers == {
            "post-alert": "200",
            "get-alerts": "403",
            "silences": "403",
            "proxy-client": "403",
            "no-certificate": "400",
        }, (tmp_path / "nginx.log").read_text()[-2000:]
        received = json.loads(alerts())
        assert [a["labels"]["alertname"] for a in received] == ["PeerPathTest"]  # exactly the one allowed post
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        subprocess.run(["ip", "netns", "delete", namespace], check=False)
