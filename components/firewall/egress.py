"""The egress plan (pure): which service leaves the host, from which fixed address, to where.

Built from the settings once; `__main__` hands it to the networks (the egress network exists only
with a grant), to each service (it joins the egress network only when it has a grant of its own)
and to the firewall (the grants become rules in the stack's `DOCKER-USER` chain).

Why Alertmanager leaves through the egress network and not the edge network: the edge network is
where the published ports arrive and Docker masquerades anything leaving it, so a container there
reaches every address and port; on the egress network the firewall lets it reach only its
receivers. The Redis exporter moved for the same reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from components.alertmanager.settings import HTTPS_PORT, receiver_endpoint
from components.core import catalog
from components.firewall.render import EgressGrant

if TYPE_CHECKING:  # the stack layer's whole settings, of which this service takes its slice
    from components.stack.settings import Settings

DNS_PORT = 53


@dataclass(frozen=True)
class EgressPlan:
    subnet: str
    addresses: Mapping[str, str]  # service name -> its fixed address on the egress network
    grants: tuple[EgressGrant, ...]

    @property
    def needed(self) -> bool:
        return bool(self.grants)

    def address_of(self, service: catalog.Service) -> str | None:
        """The service's egress address when it has a grant (it joins the egress network), else None."""
        address = self.addresses.get(service.name)
        return address if any(g.source == address for g in self.grants) else None


def _grants(source: str, cidrs: tuple[str, ...], port: int, why: str) -> list[EgressGrant]:
    return [EgressGrant(source, cidr, port, why) for cidr in cidrs]


def egress_plan(settings: Settings) -> EgressPlan:
    addresses = settings.networks.egress_addresses
    prometheus = addresses[catalog.PROMETHEUS.name]
    grants: list[EgressGrant] = []
    for job, targets in (
        (catalog.JOB_INSTANCE_MANAGER, settings.instance_manager_targets),
        (catalog.JOB_TRADE_ENGINE, settings.trade_engine_targets),
    ):
        for target in targets:
            grants += _grants(prometheus, target.egress_cidrs, target.port, f"{job} {target.address}")
    if settings.remote_write.enabled:
        url = urlparse(settings.remote_write.url)
        grants += _grants(prometheus, settings.remote_write.egress_cidrs, url.port or HTTPS_PORT, "remote write")
    if settings.alertmanager_egress:
        for receiver in settings.receivers:
            _, port = receiver_endpoint(receiver)
            grants += _grants(
                addresses[catalog.ALERTMANAGER.name], receiver.egress_cidrs, port, f"receiver {receiver.name}"
            )
    for redis in settings.redis_instances:
        if not redis.demo:
            grants += _grants(
                addresses[catalog.REDIS_EXPORTER.name], redis.egress_cidrs, redis.port, f"redis {redis.name}"
            )
    # Docker's embedded DNS forwards a container's look-ups to the host's resolvers from the
    # container's own network namespace (moby's resolver dials non-loopback servers there), so a
    # service that leaves the host needs its resolvers granted to resolve its destinations' names.
    for source in dict.fromkeys(g.source for g in grants):
        for server in settings.egress_dns_servers:
            for protocol in ("udp", "tcp"):
                grants.append(EgressGrant(source, f"{server}/32", DNS_PORT, "dns", protocol))
    unique: dict[tuple[str, str, int, str], EgressGrant] = {}
    for grant in grants:  # two targets behind one range and port need one rule
        unique.setdefault((grant.source, grant.destination, grant.port, grant.protocol), grant)
    return EgressPlan(settings.networks.egress_subnet, addresses, tuple(unique.values()))
