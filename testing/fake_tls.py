"""Real X.509 material for the pulumi-tls resources under mocks.

The acceptance suite starts real servers with the certificates the program wires up, so the
mocks must behave like the provider: real ECDSA keys, a real CA, real signed certificates.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "P224": ec.SECP224R1,
    "P256": ec.SECP256R1,
    "P384": ec.SECP384R1,
    "P521": ec.SECP521R1,
}
_EKU = {"server_auth": ExtendedKeyUsageOID.SERVER_AUTH, "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH}


def private_key_pem(inputs: Mapping[str, Any]) -> str:
    if inputs.get("algorithm") != "ECDSA":
        raise ValueError("the stack only issues ECDSA keys")
    key = ec.generate_private_key(_CURVES[inputs.get("ecdsaCurve", "P224")]())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_key_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def _name(subject: Mapping[str, Any] | None) -> x509.Name:
    subject = subject or {}
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, subject.get("commonName", "unnamed"))]
    if subject.get("organization"):
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject["organization"]))
    return x509.Name(parts)


def _sans(dns_names: Any, ip_addresses: Any) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names or []]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses or []]
    return names


def _build(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: Any,
    signer: Any,
    *,
    inputs: Mapping[str, Any],
    sans: list[x509.GeneralName],
    is_ca: bool,
) -> str:
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    hours = int(inputs.get("validityPeriodHours", 24))
    uses = set(inputs.get("allowedUses") or [])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(max(now, _EPOCH))
        .not_valid_after(now + datetime.timedelta(hours=hours))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature="digital_signature" in uses,
                content_commitment=False,
                key_encipherment="key_encipherment" in uses,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign="cert_signing" in uses,
                crl_sign="crl_signing" in uses,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    eku = [_EKU[u] for u in sorted(uses) if u in _EKU]
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def self_signed_cert(inputs: Mapping[str, Any]) -> str:
    key = serialization.load_pem_private_key(inputs["privateKeyPem"].encode(), None)
    name = _name(inputs.get("subject"))
    return _build(
        name,
        name,
        key.public_key(),
        key,
        inputs=inputs,
        sans=_sans(inputs.get("dnsNames"), inputs.get("ipAddresses")),
        is_ca=bool(inputs.get("isCaCertificate")),
    )


def cert_request(inputs: Mapping[str, Any]) -> str:
    key = serialization.load_pem_private_key(inputs["privateKeyPem"].encode(), None)
    builder = x509.CertificateSigningRequestBuilder().subject_name(_name(inputs.get("subject")))
    sans = _sans(inputs.get("dnsNames"), inputs.get("ipAddresses"))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    signed = builder.sign(key, hashes.SHA256())  # type: ignore[arg-type]
    return signed.public_bytes(serialization.Encoding.PEM).decode()


def locally_signed_cert(inputs: Mapping[str, Any]) -> str:
    request = x509.load_pem_x509_csr(inputs["certRequestPem"].encode())
    ca_cert = x509.load_pem_x509_certificate(inputs["caCertPem"].encode())
    ca_key = serialization.load_pem_private_key(inputs["caPrivateKeyPem"].encode(), None)
    try:
        sans = list(request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        sans = []
    return _build(
        request.subject,
        ca_cert.subject,
        request.public_key(),
        ca_key,
        inputs=inputs,
        sans=sans,
        is_ca=bool(inputs.get("isCaCertificate")),
    )
