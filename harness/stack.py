"""The deployed stack the acceptance suite attacks: the program's containers on a real Docker Engine.

`AcceptanceStack.start()` starts a dockerd of our own in the Docker host namespace, loads the
stand-in images built from Debian's packages under the pinned names (harness/standins), and runs
the real `pulumi up` of the `acceptance` stack config below into it (harness/pulumi_engine.py: the
Automation API, a file backend and a passphrase in a temporary folder, the policy pack enforced,
every `pulumi` inside the Docker host's namespace, so the firewall command acts on that engine's
`DOCKER-USER` chain). It reads the state back (`recorded`: every resource's inputs, the stack's
outputs), adds a webhook receiver and the on-call
receivers' stand-ins on the backend network, and warms the proxy's authentication cache. The
Instance Manager and Trade Engine are the demo's trading simulator (the program deploys it:
components/trading_sim), scraped over TLS with basic auth like real targets; the suite tells it
to keep one managed instance failed (`FIRING_ALERT`), so one alert fires throughout. Tests talk to it
through `request()`, which also records every request so the audit test can find each one in
the proxy's log.

Address plan: Docker host 198.19.0.1 (the stack's bindAddress), LAN clients `trusted`
198.19.0.10 and `trusted2` 198.19.0.11 (both in trustedCidrs: trusted2 carries the brute-force
and limit attacks so their budgets never starve the other tests), `untrusted` 198.19.0.20; the
stack's Docker networks 198.18.10.0/24 (backend) and 198.18.20.0/24 (edge), the engine's own
pools inside 198.18.128.0/17.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gzip
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess  # nosec B404
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

from components.core import catalog
from components.trading_sim.render import simulator_command
from harness import netns as nx
from harness import pulumi_engine as pe
from harness import receivers as rx
from harness.live import HOST_ADDRESS, Fixture, LiveStack
from harness.paths import HARNESS_PREFIX, REPO_ROOT, RUN_ROOT, venv_dir
from testing.mock_stack import LOCAL_COMMAND, RecordedStack, unwrap

T = TypeVar("T")

PREFIX = HARNESS_PREFIX
STACK = "acceptance"
TRUSTED = "198.19.0.10"
TRUSTED2 = "198.19.0.11"
UNTRUSTED = "198.19.0.20"
CLIENTS = {"trusted": TRUSTED, "trusted2": TRUSTED2, "untrusted": UNTRUSTED}
BACKEND_SUBNET = "198.18.10.0/24"
EDGE_SUBNET = "198.18.20.0/24"
# The fixtures (webhook receiver, on-call receivers' stand-ins) run on the stand-in Python image.
FIXTURE_IMAGE = catalog.DEFAULT_IMAGES["duckdb_exporter_base"]
FIXTURE_SCRIPT = "/fixture/fakes.py"
WEBHOOK_OUT_DIR = "/out"

PROMETHEUS_PORT = 9090  # published ports (the stack's defaults)
ALERTMANAGER_PORT = 9093
PORTS = {"prometheus": PROMETHEUS_PORT, "alertmanager": ALERTMANAGER_PORT}

# Users by role. `burst` (read-only) is only used by the limit tests, so exhausting its
# per-credential rate budget never disturbs the others.
USERS = {
    "admin": "admin",
    "ops": "ops",
    "read-only": "read-only",
    "guest": "no-access",
    "burst": "read-only",
    "grafana": "read-only",  # the Grafana datasource's account: test_78 runs every panel's query as it
}
ROLE_USER = {"admin": "admin", "ops": "ops", "read-only": "read-only", "no-access": "guest"}

RATE_PER_SECOND = 5
BURST = 5
CONNECTIONS_PER_CLIENT = 4
CONNECTIONS_PER_SOURCE = 64  # per published port, in the host firewall (the slowloris bound)
MAX_BODY_BYTES = 1024 * 1024
AUDIT_LOG_BYTES = 1024 * 1024
QUERY_LOG_BYTES = 256 * 1024

WEBHOOK_PORT = 4000
# The trading simulator keeps it firing from the start (`AcceptanceStack.start`), for the tests that need
# a firing alert; test_77 fires each of the others on its own.
FIRING_ALERT = "InstanceManagerInstancesFailed"
# The Instance Manager and Trade Engine alerts fire on their first evaluation over the threshold (0s:
# no `for`), so test_77 waits seconds, not the production minutes.
TRADING_FOR_SETTINGS = (
    "tradeLatencyFor",
    "slippageFor",
    "tradeFailureFor",
    "instanceManagerDownFor",
    "instanceManagerResourceFor",
    "instanceManagerFailedInstancesFor",
)

CONFIG: dict[str, Any] = {
    "bindAddress": HOST_ADDRESS,
    "trustedCidrs": [f"{TRUSTED}/32", f"{TRUSTED2}/32"],
    "firewallSudo": False,
    "tls": {"dnsNames": ["promshield.test"], "ipAddresses": [HOST_ADDRESS]},
    "users": [{"name": name, "role": role} for name, role in USERS.items()],
    # alertmanagerReceivers, their secrets, routes and time intervals: receivers.alerting_config (per run)
    "limits": {
        "requestsPerSecond": RATE_PER_SECOND,
        "burst": BURST,
        "connectionsPerClient": CONNECTIONS_PER_CLIENT,
        "maxBodyBytes": MAX_BODY_BYTES,
        "connectionsPerSource": CONNECTIONS_PER_SOURCE,
    },
    # Small, so the suite's own traffic rotates the audit log several times (test_80 then finds every
    # request across the rotated files) and test_46 sees the query log rotate within seconds.
    "logLimits": {"auditLogBytes": AUDIT_LOG_BYTES, "queryLogBytes": QUERY_LOG_BYTES},
    # demo: the stack deploys four Redis (RTS, RIS, RTSS, RTRS; ACL users only), the exporter's user rendered
    # in, and the trading simulator as the Instance Manager and Trade Engine targets; DuckDB is configured,
    # so the exporter reads the snapshot a writer publishes into a host directory (the live database is in
    # another directory, never mounted): `duckdb.snapshotDir` is that run's directory (AcceptanceStack.start).
    "demo": True,
    "alertThresholds": dict.fromkeys(TRADING_FOR_SETTINGS, "0s"),
    "networks": {"backendSubnet": BACKEND_SUBNET, "edgeSubnet": EDGE_SUBNET},
}

WEBHOOK_URL = f"http://webhook:{WEBHOOK_PORT}/alerts"


def stack_config(ca_pem: str, receiver_secrets: rx.ReceiverSecrets) -> dict[str, Any]:
    """CONFIG plus the on-call receivers, which trust this run's stand-in CA and carry its credentials."""
    return {**CONFIG, **rx.alerting_config(ca_pem, receiver_secrets, WEBHOOK_URL)}


DENY_BODY = "forbidden: your role does not allow this request"
PACE_SECONDS = 1.0 / RATE_PER_SECOND + 0.03  # per credential: never trips the per-user rate limit


def container_name(service: str) -> str:
    return catalog.resource_name(STACK, service)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def proxy_denied(self) -> bool:
        """The proxy's own 403 (the role table said no), not a backend's."""
        return self.status == 403 and DENY_BODY in self.text


@dataclass(frozen=True)
class Sent:
    """One request a test sent through the proxy (for the audit test)."""

    client: str
    service: str
    method: str
    path: str  # as sent (with query)
    user: str | None  # the user name in the Authorization header, if any
    authentic: bool  # the password was the user's real one
    status: int


def wait_until(check: Callable[[], T], *, timeout: float, interval: float = 0.5, what: str = "condition") -> T:
    """Poll `check` until it returns something truthy (bounded in time); its last value."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    error: BaseException | None = None
    while True:
        try:
            last = check()
            error = None
            if last:
                return last
        except (OSError, AssertionError, ValueError, KeyError, http.client.HTTPException) as exc:
            error = exc
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; last value {last!r}, last error {error!r}"
            )
        time.sleep(interval)


class Pacer:
    """Keeps each credential under the proxy's per-user rate limit (tests of other things
    must not see 429s)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> None:
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(key, 0.0))
            self._next[key] = at + self.interval
        if at > now:
            time.sleep(at - now)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@dataclass
class AcceptanceStack:
    recorded: RecordedStack
    topo: LiveStack
    duckdb_dir: Path  # the snapshot directory, mounted read-only into the exporter
    files_dir: Path
    started_at: float
    sent: list[Sent] = field(default_factory=list)
    webhook_dir: Path = field(default_factory=Path)
    base_config: dict[str, Any] = field(default_factory=dict)  # what the stack was deployed with
    duckdb_live: Path = field(default_factory=Path)  # the writer's database: not in duckdb_dir
    standins_dir: Path = field(default_factory=Path)  # the stand-in receivers' TLS files and what they received
    receiver_secrets: rx.ReceiverSecrets = field(default_factory=rx.ReceiverSecrets.random)
    pacer: Pacer = field(default_factory=lambda: Pacer(PACE_SECONDS))
    engine: pe.Deployment | None = None  # the real Pulumi engine that deployed it (`apply` runs `up` through it)

    # --- facts from the recorded program ----------------------------------------------------
    @property
    def passwords(self) -> dict[str, str]:
        return dict(self.recorded.exports["passwords"])

    @property
    def ca_file(self) -> Path:
        return self.files_dir / "ca.crt"

    def container(self, service: str) -> str:
        return container_name(service)

    def upload_path(self, service: str, container_path: str) -> Path:
        """The host file behind a container's uploaded file (in the volume its carrier filled)."""
        return self.topo.host_path_of(self.container(service), container_path)

    def firewall_command(self, which: str = "create") -> str:
        """The command exactly as the program registers it."""
        rules = self.recorded.firewall_command()
        assert rules.type == LOCAL_COMMAND, rules.type
        return str(rules.inputs[which])

    def firewall_script(self, which: str = "create") -> str:
        """The registered command, verbatim (the stack's subnets are settings, set to the harness's)."""
        return self.firewall_command(which) + "\n"

    def generated_secrets(self) -> dict[str, str]:
        """Every value that must stay secret: user passwords, the digest key, the receivers' credentials."""
        values = {f"password of {user}": password for user, password in self.passwords.items()}
        values.update(self.receiver_secrets.named())
        for resource in self.recorded.resources:
            if resource.type == "random:index/randomPassword:RandomPassword":
                values.setdefault(f"random {resource.name}", str(unwrap(resource.outputs["result"])))
        return values

    # --- talking to the proxy ----------------------------------------------------------------
    def tls_context(
        self,
        *,
        minimum: ssl.TLSVersion | None = None,
        maximum: ssl.TLSVersion | None = None,
        ciphers: str | None = None,
    ) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        if minimum is not None:
            context.minimum_version = minimum
        if maximum is not None:
            context.maximum_version = maximum
        if ciphers is not None:
            context.set_ciphers(ciphers)
        return context

    def tls_connect(
        self,
        client: str,
        port: int,
        context: ssl.SSLContext | None = None,
        host: str = HOST_ADDRESS,
        timeout: float = 5.0,
    ) -> ssl.SSLSocket:
        sock = self.topo.client(client).connect(host, port, timeout=timeout)
        try:
            return (context or self.tls_context()).wrap_socket(sock, server_hostname=HOST_ADDRESS)
        except BaseException:
            sock.close()
            raise

    def request(
        self,
        method: str,
        service: str,
        path: str,
        *,
        user: str | None = None,
        password: str | None = None,
        client: str = "trusted",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        pace: bool = True,
        timeout: float = 10.0,
        record: bool = True,
    ) -> Response:
        """One HTTPS request to the proxy's published port for `service`, from a LAN client.

        `user` with no `password` sends the user's real password; `password` sends that one.
        """
        all_headers = {"Connection": "close", "User-Agent": "promshield-acceptance"}
        if user is not None:
            all_headers["Authorization"] = basic(user, password if password is not None else self.passwords[user])
        if form is not None:
            body = urlencode(form)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        all_headers.update(headers or {})
        user, authentic = self.identify(all_headers.get("Authorization"))
        if pace and "Authorization" in all_headers:
            self.pacer.wait(all_headers["Authorization"])
        payload = body.encode() if isinstance(body, str) else body
        started = time.monotonic()
        connection = self.connection(client, service, timeout=timeout)
        try:
            result = self._exchange(connection, service, method, path, all_headers, payload, started)
        finally:
            connection.close()
        if record:
            self.sent.append(
                Sent(self.topo.client_addresses[client], service, method, path, user, authentic, result.status)
            )
        return result

    def identify(self, authorization: str | None) -> tuple[str | None, bool]:
        """(the user an Authorization header names, whether it carries that user's password)."""
        if not authorization:
            return None, False
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None, False
        try:
            name, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None, False
        return name, self.passwords.get(name) == password

    def connection(self, client: str, service: str, timeout: float = 10.0) -> http.client.HTTPSConnection:
        """A connected (TLS) HTTP/1.1 connection to the proxy; reusable (keep-alive) with `send`."""
        connection = http.client.HTTPSConnection(HOST_ADDRESS, PORTS[service], timeout=timeout)
        connection.sock = self.tls_connect(client, PORTS[service], timeout=timeout)
        return connection

    def send(
        self,
        connection: http.client.HTTPSConnection,
        client: str,
        service: str,
        method: str,
        path: str,
        *,
        user: str | None = None,
        password: str | None = None,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        """One request on a kept-alive connection (no pacing: for floods and limits); recorded."""
        all_headers = {"User-Agent": "promshield-acceptance"}
        if user is not None:
            all_headers["Authorization"] = basic(user, password if password is not None else self.passwords[user])
        all_headers.update(headers or {})
        result = self._exchange(connection, service, method, path, all_headers, body, time.monotonic())
        user, authentic = self.identify(all_headers.get("Authorization"))
        self.sent.append(
            Sent(self.topo.client_addresses[client], service, method, path, user, authentic, result.status)
        )
        return result

    @staticmethod
    def _exchange(  # noqa: PLR0917 - one request's parts, passed through from two callers
        connection: http.client.HTTPSConnection,
        service: str,
        method: str,
        path: str,
        headers: dict[str, str],
        payload: bytes | None,
        started: float,
    ) -> Response:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", f"{HOST_ADDRESS}:{PORTS[service]}")
        for key, value in headers.items():
            connection.putheader(key, value)
        if payload is not None:
            connection.putheader("Content-Length", str(len(payload)))
        connection.endheaders(payload)
        response = connection.getresponse()
        data = response.read()
        return Response(
            response.status, {k.lower(): v for k, v in response.getheaders()}, data, time.monotonic() - started
        )

    def get(self, service: str, path: str, user: str | None = "admin", **kwargs: Any) -> Response:
        return self.request("GET", service, path, user=user, **kwargs)

    def query(self, promql: str, user: str = "admin", at: float | None = None) -> list[dict[str, Any]]:
        """An instant query through the proxy: the result vector (raises on an API error)."""
        form = {"query": promql}
        if at is not None:
            form["time"] = f"{at:.3f}"
        response = self.request("POST", "prometheus", "/api/v1/query", user=user, form=form)
        assert response.status == 200, (response.status, response.text)
        document = response.json()
        assert document["status"] == "success", document
        result: list[dict[str, Any]] = document["data"]["result"]
        return result

    # --- inside the backend network ------------------------------------------------------------
    def backend_tls(
        self, client: str, host: str, port: int, *, cert: tuple[Path, Path] | None, timeout: float = 5.0
    ) -> ssl.SSLSocket:
        """A TLS connection from a backend-network namespace to a stack service, with or
        without a client certificate (the server's name is verified against the stack CA)."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        if cert is not None:
            context.load_cert_chain(str(cert[0]), str(cert[1]))
        sock = self.topo.client(client).connect(host_address(self, host), port, timeout=timeout)
        try:
            return context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise

    def backend_get(
        self, client: str, host: str, port: int, path: str, *, cert: tuple[Path, Path] | None, timeout: float = 5.0
    ) -> tuple[int, bytes]:
        sock = self.backend_tls(client, host, port, cert=cert, timeout=timeout)
        connection = http.client.HTTPSConnection(host, port, timeout=timeout)
        connection.sock = sock
        try:
            connection.request("GET", path, headers={"Connection": "close"})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def proxy_client_cert(self) -> tuple[Path, Path]:
        tls = catalog.PROXY.tls_dir
        return self.upload_path("proxy", f"{tls}/{catalog.TLS_CLIENT_CERT_FILE}"), self.upload_path(
            "proxy", catalog.PROXY.client_key_file
        )

    def prometheus_client_cert(self) -> tuple[Path, Path]:
        tls = catalog.PROMETHEUS.tls_dir
        return self.upload_path("prometheus", f"{tls}/{catalog.TLS_CLIENT_CERT_FILE}"), self.upload_path(
            "prometheus", catalog.PROMETHEUS.client_key_file
        )

    # --- logs ------------------------------------------------------------------------------------
    def audit_file(self) -> Path:
        return self.topo.host_path_of(self.container("proxy"), catalog.PROXY_AUDIT_LOG_FILE)

    def audit_files(self) -> list[Path]:
        """The audit record, oldest first: the rotated files (`audit.log.<UTC time>`, gzipped once the
        proxy has reopened its log; logLimits.auditLogBytes), then the current file."""
        current = self.audit_file()
        rotated = sorted(current.parent.glob(current.name + ".*"), key=lambda p: p.name.removesuffix(".gz"))
        return [*rotated, current]

    def audit_bytes(self) -> bytes:
        """Every line of the audit record (rotated files and the current one), in order."""
        parts = []
        for path in self.audit_files():
            data = path.read_bytes()
            parts.append(gzip.decompress(data) if path.name.endswith(".gz") else data)
        return b"".join(parts)

    def audit_entries(self, source: str = "file") -> list[dict[str, Any]]:
        # Decoded leniently: an attacker-chosen claimed_user can put any bytes in a line
        # (test_80_audit checks that separately).
        text = (
            self.audit_bytes().decode(errors="replace")
            if source == "file"
            else self.topo.log_text(self.container("proxy"))
        )
        entries = []
        for raw in text.splitlines():
            line = raw.strip()
            if line.startswith("{") and '"decision"' in line:
                entries.append(json.loads(line))
        return entries

    def webhook_file(self) -> Path:
        return self.webhook_dir / "received.jsonl"

    def webhook_alerts(self) -> list[dict[str, Any]]:
        path = self.webhook_file()
        if not path.exists():
            return []
        alerts: list[dict[str, Any]] = []
        for line in path.read_text().splitlines():
            record = json.loads(line)
            payload = record.get("payload") or {}
            for alert in payload.get("alerts", []):
                alerts.append({**alert, "_receiver": payload.get("receiver"), "_path": record.get("path")})
        return alerts

    def standin_requests(self, host: str | None = None) -> list[dict[str, Any]]:
        """What the HTTPS stand-in received (PagerDuty, Slack, Opsgenie), optionally for one host."""
        found = rx.records(self.standins_dir / "out" / rx.HTTPS_LOG)
        return [r for r in found if host is None or r["host"] == host]

    def standin_mails(self) -> list[dict[str, Any]]:
        return rx.records(self.standins_dir / "out" / rx.SMTP_LOG)

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """Alerts straight into Alertmanager's API, as Prometheus sends them: from the backend network
        with Prometheus' client certificate (the proxy never lets anyone post alerts)."""
        body = json.dumps(alerts).encode()
        port = catalog.ALERTMANAGER.port
        sock = self.backend_tls("webhook", "alertmanager", port, cert=self.prometheus_client_cert())
        connection = http.client.HTTPSConnection("alertmanager", port, timeout=10)
        connection.sock = sock
        try:
            connection.request(
                "POST", "/api/v2/alerts", body=body, headers={"Content-Type": "application/json", "Connection": "close"}
            )
            response = connection.getresponse()
            assert response.status == 200, (response.status, response.read())
        finally:
            connection.close()

    def alertmanager_alerts(self, **filters: str) -> list[dict[str, Any]]:
        """Alertmanager's view of its alerts (through the proxy), those whose labels include `filters`."""
        alerts: list[dict[str, Any]] = self.get("alertmanager", "/api/v2/alerts", user="read-only").json()
        return [a for a in alerts if all(a["labels"].get(k) == v for k, v in filters.items())]

    def all_log_files(self) -> dict[str, Path]:
        """Every log the stack's servers and our fakes wrote (`docker logs` of every container
        saved to the run directory, and the files the services log to)."""
        self.topo.save_logs()
        logs: dict[str, Path] = {
            f"docker logs {path.stem}": path for path in (self.topo.run_dir / "logs").glob("*.log")
        }
        logs["proxy audit.log"] = self.audit_file()
        # The rotated audit files (logLimits.auditLogBytes), decompressed beside the saved logs, so a scan
        # for secrets reads every line the proxy ever wrote.
        for rotated in self.audit_files()[:-1]:
            data = rotated.read_bytes()
            copy = self.topo.run_dir / "logs" / f"rotated-{rotated.name.removesuffix('.gz')}"
            copy.write_bytes(gzip.decompress(data) if rotated.name.endswith(".gz") else data)
            logs[f"proxy {rotated.name}"] = copy
        logs["prometheus query.log"] = self.topo.host_path_of(
            self.container("prometheus"), catalog.PROMETHEUS_QUERY_LOG_FILE
        )
        return {name: path for name, path in logs.items() if path.exists()}

    # --- lifecycle ---------------------------------------------------------------------------------
    @classmethod
    @contextlib.contextmanager
    def start(cls) -> Iterator[AcceptanceStack]:
        started = time.monotonic()
        standins_dir = RUN_ROOT / f"{PREFIX}-standins"
        shutil.rmtree(standins_dir, ignore_errors=True)
        receiver_secrets = rx.ReceiverSecrets.random()
        ca_pem = rx.make_pki(standins_dir / "tls")
        (standins_dir / "tls" / rx.SMTP_CREDENTIALS).write_text(
            json.dumps({"user": rx.SMTP_USER, "password": receiver_secrets.smtp_password})
        )
        (standins_dir / "out").mkdir()
        (standins_dir / "out").chmod(0o777)  # the stand-ins run as nobody
        duckdb_dir = RUN_ROOT / f"{PREFIX}-duckdb"
        shutil.rmtree(duckdb_dir, ignore_errors=True)
        duckdb_dir.mkdir(parents=True)
        duckdb_dir.chmod(0o755)
        base_config = {**stack_config(ca_pem, receiver_secrets), "duckdb": {"snapshotDir": str(duckdb_dir)}}
        live_dir = RUN_ROOT / f"{PREFIX}-duckdb-live"
        shutil.rmtree(live_dir, ignore_errors=True)
        live_dir.mkdir(parents=True)
        database = live_dir / "metrics.duckdb"
        python, exporter_dir = str(venv_dir() / "bin" / "python"), REPO_ROOT / "exporters" / "duckdb"
        make_db = [python, str(exporter_dir / "make_demo_db.py"), str(database)]
        subprocess.run(make_db, check=True, capture_output=True, timeout=60)  # nosec B603
        # The first snapshot, published with the helper's command (the writer is not running yet).
        helper = str(exporter_dir / "duckdb_snapshot.py")
        publish = [python, helper, "--database", str(database), "--out", str(duckdb_dir)]
        subprocess.run(publish, check=True, capture_output=True, timeout=60)  # nosec B603
        (duckdb_dir / "snapshot.duckdb").chmod(0o644)

        files_dir = RUN_ROOT / PREFIX / "files"
        webhook_dir = RUN_ROOT / f"{PREFIX}-webhook"
        shutil.rmtree(webhook_dir, ignore_errors=True)
        webhook_dir.mkdir(parents=True)
        webhook_dir.chmod(0o777)  # the receiver runs as nobody
        fakes = str(Path(__file__).with_name("fakes.py"))
        backend = catalog.resource_name(STACK, catalog.BACKEND_NETWORK)

        def fixture(name: str, port: int, *extra: str) -> Fixture:
            command = ["python3", FIXTURE_SCRIPT, name, "--port", str(port), *extra]
            aliases = {
                "webhook": ("webhook",),
                "receivers": rx.HTTPS_ALIASES,
                "smtp": (rx.SMTP_HOST,),
            }[name]
            binds = {fakes: FIXTURE_SCRIPT}
            writable = {str(webhook_dir): WEBHOOK_OUT_DIR} if name == "webhook" else {}
            if name in ("receivers", "smtp"):
                binds[str(standins_dir / "tls")] = rx.TLS_DIR
                writable = {str(standins_dir / "out"): rx.OUT_DIR}
            return Fixture(aliases[0], backend, aliases, command, FIXTURE_IMAGE, binds, writable)

        fixtures = [
            fixture("webhook", WEBHOOK_PORT, "--out", f"{WEBHOOK_OUT_DIR}/received.jsonl"),
            fixture("receivers", rx.HTTPS_PORT, "--tls", rx.TLS_DIR, "--out", f"{rx.OUT_DIR}/{rx.HTTPS_LOG}"),
            fixture(
                "smtp",
                rx.SMTP_PORT,
                "--tls",
                rx.TLS_DIR,
                "--credentials",
                f"{rx.TLS_DIR}/{rx.SMTP_CREDENTIALS}",
                "--out",
                f"{rx.OUT_DIR}/{rx.SMTP_LOG}",
            ),
        ]
        project = pe.PulumiProject(netns=f"{PREFIX}-host")
        deployed: dict[str, Any] = {}

        def pulumi_up(live: LiveStack) -> None:
            """The real `pulumi up` of the acceptance stack into the engine the harness started (every
            `pulumi` runs in the Docker host's namespace, so the firewall command acts there)."""
            engine = pe.Deployment(project, STACK, live.engine.host, base_config, live.run_dir / "pulumi.log")
            engine.up()
            deployed["engine"] = engine

        topo = LiveStack(
            prefix=PREFIX,
            clients=CLIENTS,
            fixtures=fixtures,
            images=sorted(set(catalog.DEFAULT_IMAGES.values())),
            deployer=pulumi_up,
        )
        with contextlib.ExitStack() as cleanup:
            cleanup.callback(project.close)
            cleanup.enter_context(topo)
            engine: pe.Deployment = deployed["engine"]
            assert engine.recorded is not None
            stack = cls(engine.recorded, topo, duckdb_dir, files_dir, time.time())
            stack.engine = engine
            stack.webhook_dir = webhook_dir
            stack.base_config = base_config
            stack.duckdb_live = database
            stack.standins_dir = standins_dir
            stack.receiver_secrets = receiver_secrets
            stack.ca_file.write_text(str(stack.recorded.exports["ca_certificate"]))
            listeners = (
                ("webhook", WEBHOOK_PORT),
                (rx.PAGERDUTY_HOST, rx.HTTPS_PORT),
                (rx.SMTP_HOST, rx.SMTP_PORT),
            )
            for extra, port in listeners:
                address = topo.address_of(extra)
                listening = functools.partial(topo.client("webhook").can_connect, address, port, 0.5)
                wait_until(listening, timeout=20, interval=0.2, what=f"{extra} listening")
            stack.simulator("fire", FIRING_ALERT)
            stack.started_at = time.time()
            stack.warm_up()
            print(
                f"[acceptance] stack up and warm in {time.monotonic() - started:.1f}s; "
                f"DOCKER_HOST={topo.engine.host}; logs under {topo.run_dir}",
                file=sys.stderr,
            )
            yield stack

    def apply(self, changes: dict[str, Any], program: str | None = None) -> pe.Outcome:
        """The real `pulumi up` with `changes` on top of the config the stack was deployed with (`{}`: back
        to it); `program`: another `__main__.py` for this one update (a developer's change). Returns what the
        engine did (`Outcome`); a failed update raises `DeployFailedError`. Either way `recorded` is the state
        the engine keeps."""
        assert self.engine is not None, "deployed by the real engine (AcceptanceStack.start)"
        try:
            return self.engine.up(changes, program)
        finally:
            if self.engine.recorded is not None:
                self.recorded = self.engine.recorded

    def simulator(self, *arguments: str) -> list[str]:
        """Run the trading simulator's command line in its container (`fire`, `calm`, `status`), as
        an operator would with `docker exec`; the scenarios active afterwards. Waits for it to answer."""
        container = self.container(catalog.TRADING_SIM.name)
        argv = simulator_command(*arguments)

        attempts: list[subprocess.CompletedProcess[str]] = []

        def run() -> subprocess.CompletedProcess[str] | None:
            attempts.append(self.topo.container_exec(container, argv))
            return attempts[-1] if attempts[-1].returncode == 0 else None

        try:
            result = wait_until(run, timeout=30, interval=0.5, what=f"the trading simulator: {' '.join(arguments)}")
        except AssertionError:
            raise AssertionError(f"trading simulator {arguments}: {attempts[-1].stderr if attempts else ''}") from None
        assert result is not None
        active: list[str] = json.loads(result.stdout)["active"]
        return active

    def warm_up(self) -> None:
        """Wait for the proxy to answer, then authenticate every user once (fills the cache),
        but `burst`: its first login is a password check the unauthenticated-flood test needs."""
        wait_until(
            lambda: self.request("GET", "prometheus", "/-/ready", record=False).status == 401,
            timeout=20,
            interval=0.2,
            what="the proxy",
        )
        for user in (name for name in USERS if name != "burst"):
            for service in PORTS:
                response = self.request("GET", service, "/-/ready", user=user, record=False)
                assert response.status in (200, 403), (user, service, response.status, response.text)


def host_address(stack: AcceptanceStack, name: str) -> str:
    """A stack member's address on the backend network (by container name, fixture or alias)."""
    try:
        socket.inet_aton(name)
        return name
    except OSError:
        pass
    for member in stack.topo.members.values():
        if member.name == stack.topo.container_name(name) or any(
            name in aliases for aliases in member.aliases.values()
        ):
            return next(iter(member.addresses.values()))
    return stack.topo.address_of(name)


def proc_pids(root_pid: int) -> list[int]:
    """`root_pid` and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def iptables_counters(stack: AcceptanceStack, chain: str) -> list[tuple[int, str]]:
    """(packets, rule text) of each rule of a filter chain in the Docker host namespace."""
    out = stack.topo.exec_in("host", ["iptables", "-w", "5", "-L", chain, "-v", "-x", "-n"], check=True).stdout
    rules = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        if parts and parts[0].isdigit():
            rules.append((int(parts[0]), " ".join(parts[2:])))
    return rules


def netns_run(
    stack: AcceptanceStack, client: str, argv: Sequence[str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return nx.run(nx.exec_argv(stack.topo.netns_of(client), argv), check=False, timeout=timeout)


def scan(
    stack: AcceptanceStack, client: str, targets: Sequence[tuple[str, int]], timeout: float = 1.0
) -> set[tuple[str, int]]:
    """TCP connect scan from a namespace, all targets at once (bounded by `timeout`): the
    (address, port) pairs that accepted a connection."""
    import errno
    import selectors

    def open_all() -> list[tuple[socket.socket, tuple[str, int]]]:
        sockets = []
        for target in targets:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            code = sock.connect_ex(target)
            if code not in (0, errno.EINPROGRESS):
                sock.close()
                continue
            sockets.append((sock, target))
        return sockets

    pending = nx.in_netns(stack.topo.netns_of(client), open_all)
    selector = selectors.DefaultSelector()
    for pending_sock, target in pending:
        selector.register(pending_sock, selectors.EVENT_WRITE, target)
    reachable: set[tuple[str, int]] = set()
    deadline = time.monotonic() + timeout
    try:
        while selector.get_map() and (left := deadline - time.monotonic()) > 0:
            for key, _ in selector.select(left):
                ready: Any = key.fileobj
                if ready.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                    reachable.add(key.data)
                selector.unregister(ready)
    finally:
        for pending_sock, _ in pending:
            pending_sock.close()
        selector.close()
    return reachable
