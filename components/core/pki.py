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
from components.core.settings import Settings, TlsSettings

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


# Names of the stack's certificates (keys of Pki.certificates, after the host's prefix: `host_certificate`).
PROXY_SERVER = "proxy-server"
PROXY_PEER_SERVER = "proxy-peer-server"  # multi-host stacks: the proxy's peer-alerts listener
PROXY_CLIENT = "proxy-client"
PROXY_METRICS_SERVER = "proxy-metrics-server"  # the proxy's metrics listener on the backend network (Prometheus)
PROMETHEUS_SERVER = "prometheus-server"
PROMETHEUS_CLIENT = "prometheus-client"
ALERTMANAGER_SERVER = "alertmanager-server"
DUCKDB_EXPORTER_SERVER = "duckdb-exporter-server"
REDIS_EXPORTER_SERVER = "redis-exporter-server"
TRADING_SIM_SERVER = "trading-sim-server"


def _internal_server(
    name: str, host: str, extra_uses: Sequence[str] = (), dns: Sequence[str] = (), ips: Sequence[str] = ()
) -> Leaf:
    return Leaf(name, host, [host, "localhost", *dns], ["127.0.0.1", *ips], SERVER_USES + list(extra_uses))


def _unique(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(values))


def stack_leaves(settings: Settings) -> list[Leaf]:
    """Every certificate one host's services need (`settings` as that host sees them, `Settings.for_host`),
    named with the host's prefix. The proxy's server certificate is skipped when the stack brings its own.
    In a multi-host stack what the other hosts reach (the proxy, the peer-alerts listener, Alertmanager's
    gossip) also names the host and its address."""
    host = settings.host
    prefix = host.prefix if host is not None else ""
    peer_dns = [host.name] if settings.multi_host and host is not None else []
    peer_ips = [host.bind_address] if settings.multi_host and host is not None else []
    leaves = []
    if settings.tls.proxy_certificate is None:
        common_name = settings.tls.dns_names[0] if settings.tls.dns_names else settings.tls.ip_addresses[0]
        leaves.append(
            Leaf(
                prefix + PROXY_SERVER,
                common_name,
                _unique([*settings.tls.dns_names, *peer_dns]),
                _unique([*settings.tls.ip_addresses, *peer_ips]),
                SERVER_USES,
            )
        )
    if settings.multi_host and host is not None:
        leaves.append(Leaf(prefix + PROXY_PEER_SERVER, host.name, peer_dns, peer_ips, SERVER_USES))
    leaves += [
        Leaf(prefix + PROXY_CLIENT, "promshield-proxy", [], [], CLIENT_USES),
        Leaf(prefix + PROMETHEUS_CLIENT, catalog.PROMETHEUS.name, [], [], CLIENT_USES),
        _internal_server(prefix + PROMETHEUS_SERVER, catalog.PROMETHEUS.name),
        _internal_server(prefix + PROXY_METRICS_SERVER, catalog.PROXY.name),
        # Alertmanager's healthcheck (amtool) and its gossip present its own certificate as a client.
        _internal_server(
            prefix + ALERTMANAGER_SERVER, catalog.ALERTMANAGER.name, ["client_auth"], dns=peer_dns, ips=peer_ips
        ),
    ]
    if settings.duckdb is not None:
        leaves.append(_internal_server(prefix + DUCKDB_EXPORTER_SERVER, catalog.DUCKDB_EXPORTER.name))
    if settings.redis_instances:
        leaves.append(_internal_server(prefix + REDIS_EXPORTER_SERVER, catalog.REDIS_EXPORTER.name))
    if settings.runs_trading_sim:
        leaves.append(_internal_server(prefix + TRADING_SIM_SERVER, catalog.TRADING_SIM.name))
    return leaves


def all_leaves(settings: Settings) -> list[Leaf]:
    """The certificates of every host (one host: exactly those of before)."""
    return [leaf for host in settings.deploy_hosts for leaf in stack_leaves(settings.for_host(host))]


def host_certificate(pki: Pki, settings: Settings, name: str) -> Certificate:
    """The certificate `name` of the host `settings` is a view of."""
    prefix = settings.host.prefix if settings.host is not None else ""
    return pki.certificates[prefix + name]


def proxy_server_certificate(settings: Settings, pki: Pki) -> Certificate:
    """The issued certificate, or the one the stack brings (both PEMs from secret config)."""
    if settings.tls.proxy_certificate is not None and settings.tls.proxy_private_key is not None:
        return Certificate(
            pulumi.Output.from_input(settings.tls.proxy_certificate.reveal()),
            pulumi.Output.secret(settings.tls.proxy_private_key.reveal()),
        )
    return host_certificate(pki, settings, PROXY_SERVER)
