"""The central long-term store on the LAN: VictoriaMetrics (Debian's `victoria-metrics`), as a user's
store would run it: remote-write ingestion behind TLS and basic auth, and deduplication of an HA
group's replicas (`-dedup.minScrapeInterval` = the replicas' scrape interval).

Two processes in one LAN namespace of its own (`<prefix>-<name>`): `victoria-metrics` listening on
that namespace's loopback only, and in front of it `vmauth` (same package) on the LAN address with
TLS and the one user's basic auth (its `-auth.config` file, 0400, owned by the uid it runs as: the
1.79 package takes no password file, and a password is never put on a command line).

    store = CentralStore.create(run_dir / "central", address="198.19.0.30", dedup_interval="5s")
    with LiveStack(..., services=[store.service()]) as live:
        store.wait_ready(live)
        store.query(live, 'up{job="prometheus"}')

Its certificate comes from a test CA of its own (`store.ca_pem`, for the stack's remote-write TLS
settings); the password is random per run.
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

import yaml

from . import netns as nx
from .live import TEST_UID, LanService, LiveStack
from .testpki import CERT_FILE, KEY_FILE, write_server_pki

VICTORIA_METRICS = "/usr/bin/victoria-metrics"
VMAUTH = "/usr/bin/vmauth"
PORT = 9443  # vmauth, TLS, on the LAN address
STORE_PORT = 8428  # victoria-metrics, plain HTTP, on the namespace's loopback only
WRITE_PATH = "/api/v1/write"


@dataclass(frozen=True)
class CentralStore:
    directory: Path
    address: str
    name: str
    username: str
    password: str
    ca_pem: str
    dedup_interval: str = "5s"
    port: int = PORT

    @classmethod
    def create(
        cls,
        directory: Path,
        *,
        address: str,
        name: str = "central",
        username: str = "remote-writer",
        dedup_interval: str = "5s",
    ) -> CentralStore:
        """Certificates, the auth config and an empty data directory in `directory` (replaced)."""
        shutil.rmtree(directory, ignore_errors=True)
        tls = directory / "tls"
        ca_pem = write_server_pki(tls, "promshield acceptance central store CA", [name], [address])
        os.chown(tls / KEY_FILE, TEST_UID, TEST_UID)
        (tls / KEY_FILE).chmod(0o400)
        password = secrets.token_urlsafe(18)
        auth = directory / "auth.yml"
        auth.touch(mode=0o600)
        auth.write_text(
            yaml.safe_dump(
                {
                    "users": [
                        {"username": username, "password": password, "url_prefix": f"http://127.0.0.1:{STORE_PORT}"}
                    ]
                }
            )
        )
        os.chown(auth, TEST_UID, TEST_UID)
        auth.chmod(0o400)
        (directory / "data").mkdir()
        os.chown(directory / "data", TEST_UID, TEST_UID)
        for path in (directory, tls):
            path.chmod(0o755)
        return cls(directory, address, name, username, password, ca_pem, dedup_interval)

    @property
    def url(self) -> str:
        return f"https://{self.address}:{self.port}{WRITE_PATH}"

    def service(self) -> LanService:
        store = [
            VICTORIA_METRICS,
            f"-httpListenAddr=127.0.0.1:{STORE_PORT}",
            f"-storageDataPath={self.directory / 'data'}",
            "-retentionPeriod=1d",
            f"-dedup.minScrapeInterval={self.dedup_interval}",
            # Queries see samples as soon as they are written (the default hides the last 30 s), and
            # every query is computed afresh (no result cache): the tests count samples.
            "-search.latencyOffset=1s",
            "-search.disableCache",
            "-loggerLevel=WARN",
        ]
        front = [
            VMAUTH,
            f"-httpListenAddr={self.address}:{self.port}",
            f"-auth.config={self.directory / 'auth.yml'}",
            "-tls",
            f"-tlsCertFile={self.directory / 'tls' / CERT_FILE}",
            f"-tlsKeyFile={self.directory / 'tls' / KEY_FILE}",
            "-loggerLevel=WARN",
        ]
        return LanService(self.name, self.address, store, companions=[front])

    # --- asking it -------------------------------------------------------------------------------
    def request(
        self,
        live: LiveStack,
        method: str,
        path: str,
        *,
        auth: bool = True,
        password: str | None = None,
        body: bytes | None = None,
    ) -> tuple[int, bytes]:
        """One HTTPS request from the store's own namespace (its CA verified), through vmauth."""
        headers = {"Connection": "close"}
        if auth:
            secret = self.password if password is None else password
            token = base64.b64encode(f"{self.username}:{secret}".encode()).decode()
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
        """Until an authenticated query answers through vmauth (both processes up)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.request(live, "GET", "/api/v1/query?query=1")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline or not live.service_running(self.name):
                tails = []
                for log in sorted((live.run_dir / "logs").glob(f"{self.name}*.log")):
                    tails.append(f"--- {log.name}\n{log.read_text(errors='replace')[-2000:]}")
                raise AssertionError(f"central store not ready within {timeout}s; its logs:\n" + "\n".join(tails))
            time.sleep(0.3)

    def api(self, live: LiveStack, path: str, form: dict[str, str]) -> Any:
        status, body = self.request(live, "POST", path, body=urlencode(form).encode())
        if status != 200:
            raise AssertionError(f"central store {path} {form}: {status} {body[:300]!r}")
        return json.loads(body)["data"]

    def query(self, live: LiveStack, promql: str, at: float | None = None) -> list[dict[str, Any]]:
        form = {"query": promql} | ({"time": f"{at:.3f}"} if at is not None else {})
        result: list[dict[str, Any]] = self.api(live, "/api/v1/query", form)["result"]
        return result

    def query_range(self, live: LiveStack, promql: str, start: float, end: float, step: str) -> list[dict[str, Any]]:
        form = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": step}
        result: list[dict[str, Any]] = self.api(live, "/api/v1/query_range", form)["result"]
        return result

    def raw_samples(self, live: LiveStack, selector: str, start: float, end: float) -> list[dict[str, Any]]:
        """Every stored sample of the series `selector` matches in [start, end] (a range-vector
        selector: no step, no lookback filling): [{"metric": ..., "values": [[t, v], ...]}, ...]."""
        seconds = max(1, int(end - start))
        return self.query(live, f"{selector}[{seconds}s]", at=end)

    def rows_received(self, live: LiveStack) -> int:
        """`vm_rows_inserted_total{type="promremotewrite"}` of the store itself (read on its loopback
        from its namespace, as its operator would): every row written to it, before deduplication."""

        def fetch() -> bytes:
            connection = http.client.HTTPConnection("127.0.0.1", STORE_PORT, timeout=10)
            try:
                connection.request("GET", "/metrics")
                return connection.getresponse().read()
            finally:
                connection.close()

        text = nx.in_netns(live.netns_of(self.name), fetch).decode()
        for line in text.splitlines():
            if line.startswith('vm_rows_inserted_total{type="promremotewrite"}'):
                return int(float(line.rsplit(" ", 1)[1]))
        return 0

    def samples_by(self, live: LiveStack, label: str, window: str = "1h") -> dict[str, int]:
        """How many samples it holds per value of `label` over the last `window`, every series. Counted
        here: `count_over_time` drops metric names, so summing it across names collides."""
        counts: dict[str, int] = {}
        for series in self.query(live, f'{{{label}=~".+"}}[{window}]'):
            value = series["metric"].get(label, "")
            counts[value] = counts.get(value, 0) + len(series["values"])
        return counts
