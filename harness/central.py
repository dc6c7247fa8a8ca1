"""A central remote-write receiver on the LAN: Debian's Prometheus (the host's `/usr/bin/prometheus`)
with `--web.enable-remote-write-receiver`, behind TLS and basic auth (its web config), in a LAN
namespace of its own, as a long-term store's stand-in the stack's Prometheus replicas write to.

    receiver = RemoteWriteReceiver.create(run_dir / "central", address="198.19.0.30")
    with LiveStack(..., services=[receiver.service()]) as live:
        receiver.wait_ready(live)
        receiver.samples_by(live, "replica")   # {"mon-a": 1234, "mon-b": 1230, ...}

Its certificate comes from a test CA of its own (`receiver.ca_pem`, for the stack's remote-write
TLS settings); the password is random per run and bcrypt-hashed into the web config.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import secrets
import shutil
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import bcrypt

from . import netns as nx
from .live import TEST_UID, LanService, LiveStack
from .testpki import CERT_FILE, KEY_FILE, write_server_pki

PROMETHEUS = "/usr/bin/prometheus"
PORT = 9443
WRITE_PATH = "/api/v1/write"


@dataclass(frozen=True)
class RemoteWriteReceiver:
    directory: Path
    address: str
    name: str
    username: str
    password: str
    ca_pem: str
    port: int = PORT

    @classmethod
    def create(
        cls, directory: Path, *, address: str, name: str = "central", username: str = "remote-writer"
    ) -> RemoteWriteReceiver:
        """Certificates, web config, config and an empty TSDB in `directory` (replaced)."""
        shutil.rmtree(directory, ignore_errors=True)
        tls = directory / "tls"
        ca_pem = write_server_pki(tls, "promshield acceptance central receiver CA", [name], [address])
        os.chown(tls / KEY_FILE, TEST_UID, TEST_UID)
        (tls / KEY_FILE).chmod(0o400)
        password = secrets.token_urlsafe(18)
        digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=10)).decode()
        web = {
            "tls_server_config": {
                "cert_file": str(tls / CERT_FILE),
                "key_file": str(tls / KEY_FILE),
                "min_version": "TLS12",
            },
            "basic_auth_users": {username: digest},
        }
        (directory / "web.yml").write_text(json.dumps(web, indent=2) + "\n")  # JSON is YAML
        (directory / "prometheus.yml").write_text("global:\n  scrape_interval: 1m\n")  # it only receives
        (directory / "data").mkdir()
        os.chown(directory / "data", TEST_UID, TEST_UID)
        for path in (directory, tls):
            path.chmod(0o755)
        return cls(directory, address, name, username, password, ca_pem)

    @property
    def url(self) -> str:
        return f"https://{self.address}:{self.port}{WRITE_PATH}"

    def service(self) -> LanService:
        return LanService(
            self.name,
            self.address,
            [
                PROMETHEUS,
                f"--config.file={self.directory / 'prometheus.yml'}",
                f"--web.config.file={self.directory / 'web.yml'}",
                f"--web.listen-address={self.address}:{self.port}",
                f"--storage.tsdb.path={self.directory / 'data'}",
                "--storage.tsdb.retention.time=1d",
                "--web.enable-remote-write-receiver",
                "--log.level=warn",
            ],
        )

    # --- asking it -------------------------------------------------------------------------------
    def request(
        self, live: LiveStack, method: str, path: str, *, auth: bool = True, body: bytes | None = None
    ) -> tuple[int, bytes]:
        """One HTTPS request from the receiver's own namespace (its CA verified)."""
        headers = {"Connection": "close"}
        if auth:
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"

        def exchange() -> tuple[int, bytes]:
            context = ssl.create_default_context(cadata=self.ca_pem)
            connection = http.client.HTTPSConnection(self.address, self.port, timeout=10, context=context)
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            finally:
                connection.close()

        return nx.in_netns(live.netns_of(self.name), exchange)

    def wait_ready(self, live: LiveStack, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.request(live, "GET", "/-/ready")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline or not live.service_running(self.name):
                log = live.run_dir / "logs" / f"{self.name}.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
                raise AssertionError(f"central receiver not ready within {timeout}s; its log:\n{tail}")
            time.sleep(0.3)

    def query(self, live: LiveStack, promql: str) -> list[dict[str, Any]]:
        status, body = self.request(live, "POST", "/api/v1/query", body=urlencode({"query": promql}).encode())
        if status != 200:
            raise AssertionError(f"central receiver query {promql!r}: {status} {body[:300]!r}")
        document = json.loads(body)
        result: list[dict[str, Any]] = document["data"]["result"]
        return result

    def samples_by(self, live: LiveStack, label: str, window: str = "1h") -> dict[str, int]:
        """How many samples it holds per value of `label` over the last `window`, every series. Counted
        here: `count_over_time` drops metric names, so summing it across names collides."""
        counts: dict[str, int] = {}
        for series in self.query(live, f'{{{label}=~".+"}}[{window}]'):
            value = series["metric"].get(label, "")
            counts[value] = counts.get(value, 0) + len(series["values"])
        return counts
