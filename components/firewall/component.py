"""Host firewall rules for the published ports (pulumi-command, local or over SSH)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from components.core import catalog
from components.core.reload import DockerAccess
from components.core.settings import SecretValue
from components.core.settings.hosts import CLUSTER_PORTS
from components.firewall.egress import EgressPlan, egress_plan
from components.firewall.render import (
    FirewallPlan,
    chain_name,
    render_apply_script,
    render_remove_script,
    with_privilege,
)

if TYPE_CHECKING:  # the stack layer's whole settings, of which this service takes its slice
    from components.stack.settings import Settings


@dataclass(frozen=True)
class FirewallSettings:
    """The part of the stack's settings the firewall uses: what it opens, to whom, and where it runs."""

    plan: FirewallPlan
    docker_host: str
    ssh_private_key: SecretValue | None
    sudo: bool
    ssh_host_key: str = ""

    @property
    def is_remote(self) -> bool:
        return self.docker_host.startswith("ssh://")

    @classmethod
    def of(cls, settings: Settings, egress: EgressPlan | None = None) -> FirewallSettings:
        plan = firewall_plan(settings, egress or egress_plan(settings))
        return cls(plan, settings.docker_host, settings.ssh_private_key, settings.firewall_sudo, settings.ssh_host_key)


def firewall_plan(settings: Settings, egress: EgressPlan | None = None) -> FirewallPlan:
    """The rules of the host `settings` is a view of (each host has its own chain of the same name)."""
    egress = egress or egress_plan(settings)
    # The egress subnet is guarded (inbound and towards the host) only when the network exists:
    # otherwise the range may belong to something else on the host.
    subnets = (*settings.networks.subnets, egress.subnet) if egress.needed else settings.networks.subnets
    return FirewallPlan(
        chain_name(settings.stack),
        settings.bind_address,
        settings.published_ports,
        settings.trusted_cidrs,
        protected_subnets=subnets,
        connections_per_source=settings.limits.connections_per_source,
        peer_ports=CLUSTER_PORTS if settings.multi_host else (),
        peers=tuple(peer.bind_address for peer in settings.peers),
        egress_subnet=egress.subnet if egress.needed else "",
        egress_grants=egress.grants,
    )


class Firewall(pulumi.ComponentResource):
    plan: FirewallPlan
    apply_script: str
    remove_script: str
    rules: pulumi.CustomResource

    def __init__(self, name: str, settings: FirewallSettings, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(catalog.FIREWALL_TYPE, name, None, opts)
        self.plan = settings.plan
        self.apply_script = render_apply_script(self.plan)
        self.remove_script = render_remove_script(self.plan)
        use_sudo = settings.sudo
        create = with_privilege(self.apply_script, use_sudo)
        delete = with_privilege(self.remove_script, use_sudo)
        child = pulumi.ResourceOptions(parent=self)
        # update re-applies the whole chain (atomic), and the script text is the trigger.
        lifecycle: dict[str, Any] = {
            "create": create,
            "update": create,
            "delete": delete,
            "triggers": [self.apply_script],
        }
        # Locally, or on the Docker host over SSH: the one place that choice is made.
        self.rules = DockerAccess(settings.docker_host, settings.ssh_private_key, settings.ssh_host_key).command(
            f"{name}-rules", lifecycle, child
        )
        self.register_outputs({"chain": self.plan.chain})
