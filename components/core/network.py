"""The stack's private Docker networks: an internal backend (no route out), the proxy's edge, and
an egress network for leaving the host (only when a service has a destination outside it; the
firewall grants each member's fixed address exactly its destinations)."""

from __future__ import annotations

import ipaddress

import pulumi
import pulumi_docker as docker

from components.core import catalog
from components.core.settings import NetworkSettings


def ipam(subnet: str) -> docker.NetworkIpamConfigArgs:
    """The subnet with the gateway Docker would pick (its first address) named explicitly: the
    provider reads the gateway back on `refresh`, and a declaration without it would then differ
    from the state and replace the network (and every container on it) at the next `up`."""
    return docker.NetworkIpamConfigArgs(subnet=subnet, gateway=str(ipaddress.ip_network(subnet)[1]))


def network_name(stack: str, role: str) -> str:
    return catalog.resource_name(stack, role)


class Networks(pulumi.ComponentResource):
    backend: docker.Network
    edge: docker.Network
    egress: docker.Network | None
    backend_name: pulumi.Output[str]
    edge_name: pulumi.Output[str]
    egress_name: pulumi.Output[str] | None

    def __init__(
        self,
        name: str,
        stack: str,
        subnets: NetworkSettings,
        opts: pulumi.ResourceOptions | None = None,
        *,
        egress: bool = False,
    ) -> None:
        super().__init__(catalog.NETWORKS_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.backend = docker.Network(
            f"{name}-backend",
            name=network_name(stack, catalog.BACKEND_NETWORK),
            driver="bridge",
            internal=True,  # no route to the outside world
            attachable=False,
            ipam_configs=[ipam(subnets.backend_subnet)],
            labels=[docker.NetworkLabelArgs(label=catalog.LABEL_STACK, value=stack)],
            opts=child,
        )
        self.edge = docker.Network(
            f"{name}-edge",
            name=network_name(stack, catalog.EDGE_NETWORK),
            driver="bridge",
            internal=False,  # the published ports arrive here
            attachable=False,
            ipam_configs=[ipam(subnets.edge_subnet)],
            labels=[docker.NetworkLabelArgs(label=catalog.LABEL_STACK, value=stack)],
            opts=child,
        )
        self.egress = (
            docker.Network(
                f"{name}-egress",
                name=network_name(stack, catalog.EGRESS_NETWORK),
                driver="bridge",
                internal=False,  # the route out; the firewall's grants decide where to
                attachable=False,
                ipam_configs=[ipam(subnets.egress_subnet)],
                labels=[docker.NetworkLabelArgs(label=catalog.LABEL_STACK, value=stack)],
                opts=child,
            )
            if egress
            else None
        )
        self.backend_name = self.backend.name
        self.edge_name = self.edge.name
        self.egress_name = self.egress.name if self.egress is not None else None
        outputs = {"backend_name": self.backend_name, "edge_name": self.edge_name}
        if self.egress_name is not None:
            outputs["egress_name"] = self.egress_name
        self.register_outputs(outputs)
