"""The stack's TLS PKI (pulumi-tls, ECDSA P-256): a CA, server and client certificates.

Certificates renew early (`early_renewal_hours`): a routine `pulumi up` inside that window
replaces them before they expire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from components.core import catalog
from components.core.hardening import UploadFile, config_file, secret_file
from components.core.settings import TlsSettings

SERVER_USES = ["digital_signature", "key_encipherment", "server_auth"]
CLIENT_USES = ["digital_signature", "key_encipherment", "client_auth"]
CA_USES = ["cert_signing", "crl_signing", "digital_signature"]


@dataclass(frozen=True)
class Certificate:
    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]  # secret


@dataclass(frozen=True)
class Leaf:
    """One certificate to issue: who it names and what it may be used for."""

    name: str
    common_name: str
    dns_names: Sequence[str]
    ip_addresses: Sequence[str]
    uses: Sequence[str]


class Pki(pulumi.ComponentResource):
    ca_cert_pem: pulumi.Output[str]
    certificates: dict[str, Certificate]

    def __init__(
        self,
        name: str,
        stack: str,
        tls_settings: TlsSettings,
        leaves: Sequence[Leaf],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(catalog.PKI_TYPE, name, None, opts)
        self._tls = tls_settings
        child = pulumi.ResourceOptions(parent=self)
        ca_key = tls.PrivateKey(f"{name}-ca-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
        ca = tls.SelfSignedCert(
            f"{name}-ca",
            private_key_pem=ca_key.private_key_pem,
            subject=tls.SelfSignedCertSubjectArgs(common_name=f"promshield {stack} CA", organization="promshield"),
            is_ca_certificate=True,
            validity_period_hours=tls_settings.validity_hours * 2,
            early_renewal_hours=tls_settings.early_renewal_hours * 2,
            allowed_uses=CA_USES,
            opts=child,
        )
        self.ca_cert_pem = ca.cert_pem
        self.certificates = {leaf.name: self._issue(name, leaf, ca_key, ca, child) for leaf in leaves}
        self.register_outputs({"ca_cert_pem": self.ca_cert_pem})

    def _issue(
        self, name: str, leaf: Leaf, ca_key: tls.PrivateKey, ca: tls.SelfSignedCert, child: pulumi.ResourceOptions
    ) -> Certificate:
        settings: TlsSettings = self._tls
        key = tls.PrivateKey(f"{name}-{leaf.name}-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
        request = tls.CertRequest(
            f"{name}-{leaf.name}-csr",
            private_key_pem=key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name=leaf.common_name, organization="promshield"),
            dns_names=list(leaf.dns_names),
            ip_addresses=list(leaf.ip_addresses),
            opts=child,
        )
        cert = tls.LocallySignedCert(
            f"{name}-{leaf.name}-cert",
            cert_request_pem=request.cert_request_pem,
            ca_cert_pem=ca.cert_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            validity_period_hours=settings.validity_hours,
            early_renewal_hours=settings.early_renewal_hours,
            allowed_uses=list(leaf.uses),
            opts=child,
        )
        return Certificate(cert.cert_pem, pulumi.Output.secret(key.private_key_pem))


def tls_files(
    service: catalog.Service, ca_cert_pem: pulumi.Input[str], server: Certificate, client: Certificate | None = None
) -> list[UploadFile]:
    """A service's TLS material: the CA and its certificates under its tls_dir (config files: public),
    its private keys under its secrets_dir (secret files, 0400), for its server pair and, for
    services that also call others over mTLS, its client pair."""
    tls_dir = service.tls_dir
    files = [
        config_file(f"{tls_dir}/{catalog.TLS_CA_FILE}", ca_cert_pem),
        config_file(f"{tls_dir}/{catalog.TLS_CERT_FILE}", server.cert_pem),
        secret_file(service.key_file, server.key_pem),
    ]
    if client is not None:
        files += [
            config_file(f"{tls_dir}/{catalog.TLS_CLIENT_CERT_FILE}", client.cert_pem),
            secret_file(service.client_key_file, client.key_pem),
        ]
    return files
