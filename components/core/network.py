"""The stack's private Docker networks: an internal backend (no route out) and the proxy's edge."""

from __future__ import annotations

import pulumi
import pulumi_docker as docker

from components.core import catalog
from components.core.settings import NetworkSettings


def network_name(stack: str, role: str) -> str:
    return catalog.resource_name(stack, role)


class Networks(pulumi.ComponentResource):
    backend: docker.Network
    edge: docker.Network
    backend_name: pulumi.Output[str]
    edge_name: pulumi.Output[str]

    def __init__(
        self, name: str, stack: str, subnets: NetworkSettings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(catalog.NETWORKS_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.backend = docker.Network(
            f"{name}-backend",
            name=network_name(stack, catalog.BACKEND_NETWORK),
            driver="bridge",
            internal=True,  # no route to the outside world
            attachable=False,
            ipam_configs=[docker.NetworkIpamConfigArgs(subnet=subnets.backend_subnet)],
            labels=[docker.NetworkLabelArgs(label=catalog.LABEL_STACK, value=stack)],
            opts=child,
        )
        self.edge = docker.Network(
            f"{name}-edge",
            name=network_name(stack, catalog.EDGE_NETWORK),
            driver="bridge",
            internal=False,  # the published ports arrive here
            attachable=False,
            ipam_configs=[docker.NetworkIpamConfigArgs(subnet=subnets.edge_subnet)],
            labels=[docker.NetworkLabelArgs(label=catalog.LABEL_STACK, value=stack)],
            opts=child,
        )
        self.backend_name = self.backend.name
        self.edge_name = self.edge.name
        self.register_outputs({"backend_name": self.backend_name, "edge_name": self.edge_name})
