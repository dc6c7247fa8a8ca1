"""Which certificates the stack issues: each host's services' leaves (the stack knows which services a host
runs), and a host's certificate by name. The PKI itself (CA, issuing) is shared: components/core/pki.py."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.core import catalog
from components.core.pki import CLIENT_USES, SERVER_USES, Certificate, Leaf, Pki
from components.stack.settings import Settings

__all__ = ["Certificate", "Leaf", "Pki"]


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
