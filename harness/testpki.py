"""A throwaway test CA and one server certificate, for the tests' own TLS servers (on-call stand-ins,
the central remote-write receiver): never the stack's PKI, which the program makes."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_FILE, CERT_FILE, KEY_FILE = "ca.crt", "server.crt", "server.key"


@dataclass(frozen=True)
class ThrowawayPki:
    """PEM texts of a throwaway CA and one leaf it signed."""

    ca_pem: str
    cert_pem: str
    key_pem: str


def issue_server_pki(
    ca_name: str, dns_names: Sequence[str], ip_addresses: Sequence[str] = (), *, client_auth: bool = False
) -> ThrowawayPki:
    """A new CA named `ca_name` and a server certificate from it (SANs: `dns_names`, `ip_addresses`;
    also a client certificate with `client_auth`), valid two days."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name)])
    ca = (
        x509.CertificateBuilder()
        .subject_name(issuer)
        .issuer_name(issuer)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
    names += [x509.IPAddress(ipaddress.ip_address(address)) for address in ip_addresses]
    uses = [ExtendedKeyUsageOID.SERVER_AUTH, *([ExtendedKeyUsageOID.CLIENT_AUTH] if client_auth else [])]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, [*dns_names, *ip_addresses][0])]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage(uses), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return ThrowawayPki(
        ca.public_bytes(serialization.Encoding.PEM).decode(),
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


def write_server_pki(directory: Path, ca_name: str, dns_names: Sequence[str], ip_addresses: Sequence[str] = ()) -> str:
    """`ca.crt`, `server.crt` (SANs: `dns_names`, `ip_addresses`) and `server.key` in `directory`, all
    0644 (a throwaway key the unprivileged servers read; callers tighten it when they can). Valid two
    days. Returns the CA's PEM."""
    directory.mkdir(parents=True, exist_ok=True)
    pki = issue_server_pki(ca_name, dns_names, ip_addresses)
    (directory / CA_FILE).write_text(pki.ca_pem)
    (directory / CERT_FILE).write_text(pki.cert_pem)
    (directory / KEY_FILE).write_text(pki.key_pem)
    for path in (directory / CA_FILE, directory / CERT_FILE, directory / KEY_FILE):
        path.chmod(0o644)
    directory.chmod(0o755)
    return pki.ca_pem
