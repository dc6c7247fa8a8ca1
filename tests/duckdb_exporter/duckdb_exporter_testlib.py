"""Helpers for the DuckDB exporter tests (the fixtures live in conftest.py)."""

from __future__ import annotations

import datetime
import hashlib
import importlib.util
import ipaddress
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[2]
EXPORTER_DIR = REPO / "exporters" / "duckdb"
EXPORTER = EXPORTER_DIR / "exporter.py"
START_TIMEOUT = 15.0

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look the module up while building the classes.
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def tree_digest(directory: Path) -> dict[str, str]:
    """SHA-256 of every file under `directory` (new or removed files show up too)."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def parse_metrics(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    assert key in samples, f"{name}{labels} not exported; names: {sorted({k for k, _ in samples})}"
    return samples[key]


def names(samples: Samples) -> set[str]:
    return {name for name, _ in samples}


def base_config(database: Path, **extra: Any) -> dict[str, Any]:
    return {
        "database": os.fspath(database),
        "listen_address": "127.0.0.1",
        "port": 0,
        **extra,
    }


@dataclass
class Exporter:
    """One running exporter process; its stderr goes to `log_path`."""

    process: subprocess.Popen[bytes]
    log_path: Path
    tls: bool = False
    port: int = 0

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/metrics"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_listening(self) -> None:
        marker = "listening on 127.0.0.1:"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for line in self.log().splitlines():
                if marker in line:
                    self.port = int(line.split(marker)[1].split()[0])
                    return
            if self.process.poll() is not None:
                raise AssertionError(f"exporter exited {self.process.returncode}:\n{self.log()}")
            time.sleep(0.02)
        raise AssertionError(f"exporter did not start:\n{self.log()}")

    def get(self, context: ssl.SSLContext | None = None, timeout: float = 10.0) -> tuple[int, str]:
        # The URL is always http(s)://127.0.0.1:<port>/metrics.
        with urllib.request.urlopen(self.url, timeout=timeout, context=context) as response:  # noqa: S310
            return int(response.status), response.read().decode("utf-8")

    def scrape(self, context: ssl.SSLContext | None = None) -> Samples:
        status, body = self.get(context)
        assert status == 200
        return parse_metrics(body)

    def stop(self) -> int:
        """SIGTERM (what `docker stop` sends), SIGKILL after 5 s; return the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return int(self.process.returncode)


# A process that holds the database open read-write (DuckDB's exclusive file lock).
WRITER_CODE = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
conn.execute("SELECT count(*) FROM metrics").fetchall()
print("ready", flush=True)
time.sleep(120)
"""


@dataclass
class Writer:
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


# --- throwaway PKI for the TLS tests --------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    rogue_cert: Path  # signed by a different CA
    rogue_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def _issue(
    common_name: str,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    server: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer_cert.subject if issuer_cert else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    else:
        purpose = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = builder.add_extension(x509.ExtendedKeyUsage([purpose]), critical=False)
    if server:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    if issuer_cert is not None:
        issuer_public_key = issuer_cert.public_key()
        assert isinstance(issuer_public_key, ec.EllipticCurvePublicKey)
        authority = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_public_key)
        builder = builder.add_extension(authority, critical=False)
    return builder.sign(issuer_key, hashes.SHA256()), key


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca = _issue("promshield test CA", None, ca=True)
    rogue_ca = _issue("rogue CA", None, ca=True)
    files: dict[str, Path] = {}
    for label, (cert, key) in {
        "ca": ca,
        "server": _issue("duckdb-exporter", ca, server=True),
        "client": _issue("prometheus", ca),
        "rogue": _issue("prometheus", rogue_ca),
    }.items():
        files[f"{label}_cert"] = directory / f"{label}.crt"
        files[f"{label}_cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        files[f"{label}_key"] = directory / f"{label}.key"
        _write_key(key, files[f"{label}_key"])
    return Pki(
        ca_cert=files["ca_cert"],
        server_cert=files["server_cert"],
        server_key=files["server_key"],
        client_cert=files["client_cert"],
        client_key=files["client_key"],
        rogue_cert=files["rogue_cert"],
        rogue_key=files["rogue_key"],
    )


def client_context(pki: Pki, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """Trusts the test CA; presents `cert` when given."""
    context = ssl.create_default_context(cafile=str(pki.ca_cert))
    if cert is not None:
        context.load_cert_chain(str(cert), str(key) if key else None)
    return context
