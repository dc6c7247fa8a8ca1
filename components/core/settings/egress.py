"""Where each destination outside the Docker host is: the addresses the egress firewall may grant.

A destination (a scrape target, a Redis instance, the remote-write endpoint, a receiver) is outside
the host when its address is an IP outside the stack's subnets, or when it names the address
ranges its DNS name stands for in `egressCidrs`. The firewall grants IPs and CIDRs only: iptables
would resolve a name once, at insert time, and keep that address silently. A DNS name without
`egressCidrs` is a container on the backend network (Docker's embedded DNS), as before.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from components.core.settings.reader import Reader
from components.core.settings.types import NetworkSettings

EGRESS_KEY = "egressCidrs"
EGRESS_HINT = 'expected a list of IPv4 addresses or CIDRs the destination lives in, e.g. ["10.0.5.20/32"]'


def host_ip(host: str) -> ipaddress.IPv4Address | None:
    """The host part as an IPv4 address, or None for a DNS name."""
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    return address if isinstance(address, ipaddress.IPv4Address) else None


def read_egress_cidrs(r: Reader, key: str, raw: object, host: str) -> tuple[str, ...]:
    """The destination's CIDRs outside the host (`()`: on the backend network).

    `raw` is the entry's `egressCidrs` (None when absent); `host` the address's host part. An IP
    host stands for itself; given CIDRs must then contain it."""
    ip = host_ip(host)
    if raw is None:
        return (f"{ip}/32",) if ip is not None else ()
    if not isinstance(raw, list) or not raw:
        r.problem(f"{key}.{EGRESS_KEY}", raw, EGRESS_HINT)
        return ()
    cidrs: list[str] = []
    for item in raw:
        try:
            network = ipaddress.ip_network(str(item), strict=True)
        except ValueError:
            network = None
        if not isinstance(network, ipaddress.IPv4Network):
            r.problem(f"{key}.{EGRESS_KEY}", item, f"{EGRESS_HINT} (IPv4, host bits zero)")
            continue
        if network.prefixlen == 0:
            r.problem(
                f"{key}.{EGRESS_KEY}",
                item,
                "grants every address on the internet; expected the destination's own addresses",
            )
            continue
        cidrs.append(str(network))
    if ip is not None and cidrs and not any(ip in ipaddress.ip_network(c) for c in cidrs):
        r.problem(
            f"{key}.{EGRESS_KEY}",
            cidrs,
            f"does not contain the address {ip} the destination is reached at; expected a range holding it "
            "(or leave egressCidrs out: an IP address stands for itself)",
        )
    return tuple(cidrs)


def read_dns_servers(r: Reader) -> tuple[str, ...]:
    raw = r.structured("egressDnsServers", [], list)
    servers: list[str] = []
    for item in raw:
        ip = host_ip(str(item)) if isinstance(item, str) else None
        if ip is None:
            r.problem("egressDnsServers", item, "expected the IPv4 address of a resolver, e.g. 10.0.0.2")
            continue
        servers.append(str(ip))
    return tuple(servers)


def check_egress(r: Reader, networks: NetworkSettings, destinations: Iterable[tuple[str, tuple[str, ...]]]) -> None:
    """Cross-checks once every section is read: no grant (`destinations`: the key that set it, its CIDRs) may point
    into the stack's own networks (their members are reached directly, and the host guard would drop it anyway)."""
    own = {
        "backendSubnet": networks.backend_subnet,
        "edgeSubnet": networks.edge_subnet,
        "egressSubnet": networks.egress_subnet,
    }
    for key, cidrs in destinations:
        for cidr in cidrs:
            for name, subnet in own.items():
                if ipaddress.ip_network(cidr).overlaps(ipaddress.ip_network(subnet)):
                    r.problem(
                        key,
                        cidr,
                        f"overlaps the stack's own networks.{name} ({subnet}); expected addresses outside the "
                        "Docker host (a container of the stack is reached by its name)",
                    )
