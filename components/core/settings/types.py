"""The shared settings' types: TLS, the edge limits, the networks, the hosts, and `SecretValue`. Each service's own
are in its package (`components/<service>/settings.py`); `Settings`, holding them all, is the stack layer's
(components/stack/settings.py).

Secrets (passwords, private keys) are held in `SecretValue`, whose repr never shows the
value; components wrap them with `pulumi.Output.secret` before they reach any resource."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from components.core import catalog


class SecretValue:
    """A secret read from config. Never printed; reveal only where it becomes a secret Output."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretValue(****)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretValue) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class TlsSettings:
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    validity_hours: int
    early_renewal_hours: int
    proxy_certificate: SecretValue | None  # bring-your-own certificate (PEM)
    proxy_private_key: SecretValue | None


@dataclass(frozen=True)
class NetworkSettings:
    """The Docker networks' subnets (IPv4; the backend and egress ones hold fixed addresses)."""

    backend_subnet: str
    edge_subnet: str
    egress_subnet: str = catalog.DEFAULT_EGRESS_SUBNET  # created only when something leaves the host

    @property
    def backend_addresses(self) -> Mapping[str, str]:
        """Service name -> its fixed address on the backend network."""
        network = ipaddress.ip_network(self.backend_subnet)
        return MappingProxyType({name: str(network[number]) for name, number in catalog.BACKEND_HOST_NUMBERS.items()})

    @property
    def egress_addresses(self) -> Mapping[str, str]:
        """Service name -> its fixed address on the egress network (the firewall's grant sources)."""
        network = ipaddress.ip_network(self.egress_subnet)
        return MappingProxyType({name: str(network[number]) for name, number in catalog.EGRESS_HOST_NUMBERS.items()})

    @property
    def subnets(self) -> tuple[str, str]:
        """The networks every stack has (the egress network exists only with grants: `EgressPlan`)."""
        return (self.edge_subnet, self.backend_subnet)


DEFAULT_NETWORKS = NetworkSettings(catalog.DEFAULT_BACKEND_SUBNET, catalog.DEFAULT_EDGE_SUBNET)


@dataclass(frozen=True)
class HostSettings:
    """One Docker host of the stack: an entry of `hosts`, or the one host `dockerHost`/`bindAddress` name."""

    name: str  # "" for the single host of a stack without `hosts`
    docker_host: str
    bind_address: str
    firewall_sudo: bool
    index: int = 0  # position in `hosts`
    ssh_host_key: str = ""  # the pinned public host key of an ssh:// host ("<type> <base64>")

    @property
    def prefix(self) -> str:
        """Of the host's Pulumi resource names. The first host keeps the single-host names, so a
        one-host stack that becomes several keeps its resources (and their data) on that host."""
        return "" if self.index == 0 else f"{self.name}-"

    def resource(self, name: str) -> str:
        return f"{self.prefix}{name}"

    @property
    def provider_name(self) -> str:
        return "docker" if self.index == 0 else f"docker-{self.name}"
