"""Readers of what faces the network: bind address, trusted CIDRs, Docker subnets, TLS names, proxy limits."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping

from components.core import catalog
from components.core.settings.declare import read_declared
from components.core.settings.keys import CORE_DEFAULTS
from components.core.settings.limits import Limits
from components.core.settings.reader import Reader
from components.core.settings.types import DEFAULT_NETWORKS, NetworkSettings, TlsSettings

DEFAULT_BIND_ADDRESS: str = CORE_DEFAULTS["bindAddress"]
DEFAULT_TRUSTED_CIDRS: tuple[str, ...] = tuple(CORE_DEFAULTS["trustedCidrs"])
DEFAULT_DNS_NAMES = ("prometheus.internal", "localhost")
DEFAULT_IP_ADDRESSES = ("127.0.0.1",)
PEM_CERTIFICATE = re.compile(
    r"(-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n*)+", re.MULTILINE
)
DNS_NAME = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?:\.(?!-)[A-Za-z0-9-]{1,63})*$")
NETWORK_KEYS = {"backendSubnet": "backend_subnet", "edgeSubnet": "edge_subnet", "egressSubnet": "egress_subnet"}
# A subnet must hold the fixed addresses (host numbers) and Docker's gateway (.1).
_MIN_HOSTS = max([*catalog.BACKEND_HOST_NUMBERS.values(), *catalog.EGRESS_HOST_NUMBERS.values()]) + 1


def read_cidrs(r: Reader) -> tuple[str, ...]:
    raw = r.structured("trustedCidrs", list(DEFAULT_TRUSTED_CIDRS), list)
    cidrs: list[str] = []
    if not raw:
        r.problem("trustedCidrs", raw, "expected at least one CIDR allowed to reach the proxy")
    for item in raw:
        try:
            cidrs.append(str(ipaddress.ip_network(str(item), strict=True)))
        except ValueError:
            r.problem(
                "trustedCidrs", item, "expected an IPv4/IPv6 network in CIDR form with host bits zero, e.g. 10.0.0.0/24"
            )
    return tuple(cidrs)


def read_bind(r: Reader) -> tuple[str, bool]:
    address = r.string("bindAddress", DEFAULT_BIND_ADDRESS)
    allow_public = r.boolean("allowPublicBind", CORE_DEFAULTS["allowPublicBind"])
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        r.problem("bindAddress", address, "expected one IP address of the Docker host, e.g. 127.0.0.1 or 10.0.0.5")
        return DEFAULT_BIND_ADDRESS, allow_public
    if parsed.is_unspecified and not allow_public:
        r.problem(
            "bindAddress",
            address,
            "binds the proxy on every interface; set one host address, or set "
            "promshield:allowPublicBind true to accept it",
        )
    return address, allow_public


def read_networks(r: Reader, bind_addresses: Mapping[str, str]) -> NetworkSettings:
    """The subnets; none may hold a host address (`bind_addresses`: config key -> address)."""
    raw = r.structured("networks", {}, dict)
    values = {
        "backend_subnet": DEFAULT_NETWORKS.backend_subnet,
        "edge_subnet": DEFAULT_NETWORKS.edge_subnet,
        "egress_subnet": DEFAULT_NETWORKS.egress_subnet,
    }
    r.unknown_keys("networks", raw, NETWORK_KEYS)
    for key, item in raw.items():
        if key not in NETWORK_KEYS:
            continue
        try:
            network = ipaddress.ip_network(str(item), strict=True)
        except ValueError:
            network = None
        if not isinstance(network, ipaddress.IPv4Network) or network.num_addresses < _MIN_HOSTS + 2:
            r.problem(
                f"networks.{key}",
                item,
                f"expected an IPv4 subnet in CIDR form with host bits zero and room for {_MIN_HOSTS} hosts, "
                "e.g. 172.30.10.0/24",
            )
            continue
        values[NETWORK_KEYS[key]] = str(network)
    settings = NetworkSettings(**values)
    backend = ipaddress.ip_network(settings.backend_subnet)
    edge = ipaddress.ip_network(settings.edge_subnet)
    egress = ipaddress.ip_network(settings.egress_subnet)
    if backend.overlaps(edge):
        r.problem(
            "networks.edgeSubnet",
            settings.edge_subnet,
            f"overlaps networks.backendSubnet ({backend}); expected two separate subnets",
        )
    for other, network in (("backendSubnet", backend), ("edgeSubnet", edge)):
        if egress.overlaps(network):
            r.problem(
                "networks.egressSubnet",
                settings.egress_subnet,
                f"overlaps networks.{other} ({network}); expected a subnet of its own",
            )
    for key, network in (("backendSubnet", backend), ("edgeSubnet", edge), ("egressSubnet", egress)):
        for address_key, bind_address in bind_addresses.items():
            try:
                inside = ipaddress.ip_address(bind_address) in network
            except ValueError:
                inside = False
            if inside:
                r.problem(
                    f"networks.{key}",
                    str(network),
                    f"contains promshield:{address_key} ({bind_address}); expected a subnet no host address is in",
                )
    return settings


TLS_KEYS = ("dnsNames", "ipAddresses", "validityHours", "earlyRenewalHours")


def read_tls(r: Reader) -> TlsSettings:
    raw = r.structured("tls", {}, dict)
    r.unknown_keys("tls", raw, TLS_KEYS, "proxyTlsPrivateKey < key.pem")
    dns_names = tuple(raw.get("dnsNames", DEFAULT_DNS_NAMES))
    ips = tuple(raw.get("ipAddresses", DEFAULT_IP_ADDRESSES))
    for name in dns_names:
        if not isinstance(name, str) or not DNS_NAME.match(name):
            r.problem("tls.dnsNames", name, "expected DNS names such as prometheus.example.com")
    for ip in ips:
        try:
            ipaddress.ip_address(str(ip))
        except ValueError:
            r.problem("tls.ipAddresses", ip, "expected IP addresses for the proxy certificate's SANs")
    if not dns_names and not ips:
        r.problem("tls", raw, "expected at least one of dnsNames or ipAddresses for the proxy certificate")
    validity = raw.get("validityHours", 8760)
    early = raw.get("earlyRenewalHours", 720)
    if not isinstance(validity, int) or not 24 <= validity <= 87600:
        r.problem("tls.validityHours", validity, "expected hours between 24 and 87600")
        validity = 8760
    if not isinstance(early, int) or not 1 <= early < validity:
        r.problem("tls.earlyRenewalHours", early, f"expected hours between 1 and validityHours ({validity}) - 1")
        early = min(720, validity // 2)
    cert = r.secret("proxyTlsCertificate")
    key = r.secret("proxyTlsPrivateKey")
    if (cert is None) != (key is None):
        missing = "proxyTlsPrivateKey" if key is None else "proxyTlsCertificate"
        r.problem(
            missing,
            None,
            "a bring-your-own proxy certificate needs both proxyTlsCertificate and "
            "proxyTlsPrivateKey (set with --secret)",
        )
        cert = key = None
    if cert is not None and "BEGIN CERTIFICATE" not in cert.reveal():
        r.problem("proxyTlsCertificate", cert, "expected a PEM certificate (-----BEGIN CERTIFICATE-----)")
    if key is not None and "PRIVATE KEY" not in key.reveal():
        r.problem("proxyTlsPrivateKey", key, "expected a PEM private key")
    return TlsSettings(tuple(map(str, dns_names)), tuple(map(str, ips)), validity, early, cert, key)


def read_limits(r: Reader) -> Limits:
    limits = read_declared(r, "limits", Limits, r.structured("limits", {}, dict))
    if limits.connections_per_source < limits.connections_per_client:
        r.problem(
            "limits.connectionsPerSource",
            limits.connections_per_source,
            f"expected at least limits.connectionsPerClient ({limits.connections_per_client}): the firewall would "
            "refuse connections the proxy allows",
        )
    return limits
