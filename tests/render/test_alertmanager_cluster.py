"""A multi-host stack's Alertmanagers, for real: Debian's Alertmanager (0.25) run with each host's
rendered files and command line (only the addresses moved to loopback ports) forms a cluster over
mutual TLS, replicates a silence, and refuses a peer whose certificate is not from the stack CA.
The same files on real engines, with the firewall and the alert path, are the acceptance suite's."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from components.core import catalog
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
            "--key", str(tls / catalog.TLS_KEY_FILE),
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


def foreign_identity(tls_dir: Path) -> None:
    """Replace a node's CA, certificate and key by ones from another CA (same names and uses)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not the stack CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, catalog.ALERTMANAGER.name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("alertmanager"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (tls_dir / catalog.TLS_CA_FILE).write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tls_dir / catalog.TLS_CERT_FILE).write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tls_dir / catalog.TLS_KEY_FILE).write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


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
    foreign_identity(stranger.root / TLS_DIR.lstrip("/"))
    a.start(rendered_command(ha, "mon-a"), [])
    stranger.start(rendered_command(ha, "mon-b"), [a])
    assert wait_for(lambda: a.peers() == {f"127.0.0.1:{a.gossip}"})  # a is up, alone
    time.sleep(5)  # the stranger retries its join meanwhile
    assert a.peers() == {f"127.0.0.1:{a.gossip}"}
    assert stranger.peers() in (set(), {f"127.0.0.1:{stranger.gossip}"})  # its own API is not the stack's either
    assert "tls" in stranger.log().lower() or "certificate" in stranger.log().lower(), stranger.log()[-2000:]


PEER_SCRIPT = r"""
set -u
{alertmanager} >/tmp/am.log 2>&1 &
nginx -c {nginx_conf} -g 'daemon off;' >/tmp/nginx.log 2>&1 &
for i in $(seq 60); do
  curl -s -o /dev/null --max-time 2 -k https://127.0.0.1:{peer_port}/ && break
  sleep 0.5
done
for i in $(seq 60); do
  curl -s -o /dev/null --max-time 2 --cacert /client/ca.crt --cert /client/am.crt --key /client/am.key \
    https://127.0.0.1:{am_port}/-/ready && break
  sleep 0.5
done
ask() {{ # name, then curl arguments: prints "name status"
  name=$1; shift
  printf '%s %s\n' "$name" "$(curl -s -o /dev/null -w '%{{http_code}}' --max-time 5 --cacert /client/ca.crt \
    --connect-to {address}:{peer_port}:127.0.0.1:{peer_port} "$@")"
}}
ALERT='[{{"labels": {{"alertname": "PeerPathTest", "severity": "warning"}}}}]'
# The peer listener's certificate names the host's address: what the other hosts' Prometheus dial.
URL=https://{address}:{peer_port}/api/v2/alerts
ask post-alert --cert /client/prometheus.crt --key /client/prometheus.key -H 'Content-Type: application/json' \
  --data "$ALERT" "$URL"
ask get-alerts --cert /client/prometheus.crt --key /client/prometheus.key "$URL"
ask silences --cert /client/prometheus.crt --key /client/prometheus.key https://{address}:{peer_port}/api/v2/silences
ask proxy-client --cert /client/proxy.crt --key /client/proxy.key -H 'Content-Type: application/json' \
  --data "$ALERT" "$URL"
ask no-certificate -H 'Content-Type: application/json' --data "$ALERT" "$URL"
printf 'received %s\n' "$(curl -s --max-time 5 --cacert /client/ca.crt --cert /client/am.crt --key /client/am.key \
  https://127.0.0.1:{am_port}/api/v2/alerts | grep -c PeerPathTest)"
tail -n 5 /tmp/nginx.log /tmp/am.log >&2
"""


def test_the_peer_listener_forwards_only_prometheus_alerts(ha: RecordedStack, tmp_path: Path) -> None:
    """mon-b's proxy and Alertmanager in one sandbox (its own loopback): mon-a's Prometheus certificate may
    post alerts through the peer listener, and nothing else; other stack certificates and none are refused."""
    root = tmp_path / "mon-b"
    for service in (catalog.ALERTMANAGER, catalog.PROXY):
        materialize(ha, catalog.container_name("ha", service), root, "docker-mon-b")
    client = root / "client"
    client.mkdir()
    (client / "ca.crt").write_text(ha.named("pki-ca").outputs["certPem"])
    pems = {
        "prometheus": "pki-prometheus-client",  # mon-a's Prometheus
        "proxy": "pki-proxy-client",  # a stack certificate, but not Prometheus'
        "am": "pki-mon-b-alertmanager-server",
    }
    for short, leaf in pems.items():
        (client / f"{short}.crt").write_text(ha.named(f"{leaf}-cert").outputs["certPem"])
        key = ha.named(f"{leaf}-key").outputs["privateKeyPem"]
        (client / f"{short}.key").write_text(key["value"] if isinstance(key, dict) else key)
    command = [ALERTMANAGER, *rendered_command(ha, "mon-b")]
    script = PEER_SCRIPT.format(
        alertmanager=" ".join(command),
        nginx_conf=catalog.PROXY_CONFIG_FILE,
        peer_port=catalog.PROXY_PEER_ALERTS_PORT,
        am_port=catalog.ALERTMANAGER.port,
        address="10.30.0.12",
    )
    hosts = f"127.0.0.1 localhost {catalog.ALERTMANAGER.name} {catalog.PROMETHEUS.name}\n"
    argv = view_command(
        root,
        ["sh", "-c", script],
        hosts=hosts,
        writable=(catalog.ALERTMANAGER.data_dir, catalog.PROXY.data_dir, catalog.PROXY_RUNTIME_DIR),
    )
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    answers = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert answers == {
        "post-alert": "200",
        "get-alerts": "403",  # only POST
        "silences": "403",  # only /api/v2/alerts
        "proxy-client": "403",  # a stack certificate that is not Prometheus'
        "no-certificate": "400",  # NGINX: no required SSL certificate was sent
        "received": "1",
    }, result.stdout + result.stderr
