"""Pure rendering of the host firewall: shell scripts for the Docker host.

Docker publishes ports with DNAT in PREROUTING, so the traffic passes FORWARD, never INPUT:
the seed's `iptables -A INPUT ... --dport 9090` rules never see it. Docker leaves the
`DOCKER-USER` chain (jumped first from FORWARD) to the administrator: we hang our own chain
from it, match the original destination with conntrack (`--ctorigdst`, `--ctorigdstport`),
let the trusted CIDRs through and drop everyone else.

Apply is atomic (`iptables-restore --noflush` replaces our chain's rules in one commit) and
idempotent (the jump is added only when absent). Remove deletes exactly the jump and the chain.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

DOCKER_USER_CHAIN = "DOCKER-USER"


@dataclass(frozen=True)
class FirewallPlan:
    chain: str
    bind_address: str
    ports: Sequence[int]
    trusted_cidrs: Sequence[str]
    # The stack's Docker subnets: a host that routes to a container's own address (Docker
    # before 28 lets it) must not get around the published ports and the rules above.
    protected_subnets: Sequence[str] = ()

    @property
    def family_tool(self) -> str:
        return "ip6tables" if ipaddress.ip_address(self.bind_address).version == 6 else "iptables"

    @property
    def restore_tool(self) -> str:
        return f"{self.family_tool}-restore"


def chain_name(stack: str) -> str:
    """iptables chain names are at most 28 characters."""
    cleaned = "".join(c for c in stack.upper() if c.isalnum() or c == "-")
    return f"PROMSHIELD-{cleaned}"[:28]


def rule_lines(plan: FirewallPlan) -> list[str]:
    """The chain's rules in iptables-restore syntax: allow trusted sources, drop the rest."""
    version = ipaddress.ip_address(plan.bind_address).version
    bind = ipaddress.ip_address(plan.bind_address)
    destination = "" if bind.is_unspecified else f" --ctorigdst {bind}"
    lines: list[str] = []
    for port in plan.ports:
        # --ctdir ORIGINAL: judge the client's packets only; the replies of an allowed
        # connection (source: the container) must not meet the DROP.
        match = f"-p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport {port}{destination}"
        for cidr in plan.trusted_cidrs:
            if ipaddress.ip_network(cidr).version == version:
                lines.append(f"-A {plan.chain} -s {cidr} {match} -j RETURN")
        lines.append(f"-A {plan.chain} {match} -j DROP")
    for subnet in plan.protected_subnets:
        if ipaddress.ip_network(subnet).version == version:
            # `! -s`: the network's own members still talk to each other (with br_netfilter,
            # Docker bridges send even that traffic through FORWARD).
            lines.append(
                f"-A {plan.chain} ! -s {subnet} -d {subnet} -m conntrack --ctstate NEW -m conntrack ! "
                "--ctstate DNAT -j DROP"
            )
    return lines


def render_apply_script(plan: FirewallPlan) -> str:
    tool, restore, chain = plan.family_tool, plan.restore_tool, plan.chain
    rules = "\n".join(rule_lines(plan))
    allowed = f"allow {', '.join(plan.trusted_cidrs)} to ports {', '.join(map(str, plan.ports))} on {plan.bind_address}"
    return f"""set -eu
# promshield firewall: {allowed}; drop the rest.
{tool} -w -n -L {DOCKER_USER_CHAIN} >/dev/null 2>&1 || {tool} -w -N {DOCKER_USER_CHAIN}
{tool} -w -n -L {chain} >/dev/null 2>&1 || {tool} -w -N {chain}
{restore} -w --noflush <<'RULES'
*filter
:{chain} - [0:0]
{rules}
COMMIT
RULES
{tool} -w -C {DOCKER_USER_CHAIN} -j {chain} 2>/dev/null || {tool} -w -I {DOCKER_USER_CHAIN} 1 -j {chain}
"""


def render_remove_script(plan: FirewallPlan) -> str:
    tool, chain = plan.family_tool, plan.chain
    return f"""set -u
# promshield firewall: remove exactly what apply added.
while {tool} -w -C {DOCKER_USER_CHAIN} -j {chain} 2>/dev/null; do {tool} -w -D {DOCKER_USER_CHAIN} -j {chain}; done
{tool} -w -F {chain} 2>/dev/null || true
{tool} -w -X {chain} 2>/dev/null || true
"""


def with_privilege(script: str, use_sudo: bool) -> str:
    """The command line that runs a script as root (the script itself holds no secret)."""
    shell = "sudo -n sh -c" if use_sudo else "sh -c"
    return f"{shell} {shlex.quote(script)}"


def seed_input_rules(cidrs: Sequence[str], ports: Sequence[int]) -> list[str]:
    """The seed's INPUT-chain rules, kept to show (in the acceptance suite) why they fail."""
    lines: list[str] = []
    for port in ports:
        lines += [f"-A INPUT -s {cidr} -p tcp --dport {port} -j ACCEPT" for cidr in cidrs]
        lines.append(f"-A INPUT -p tcp --dport {port} -j DROP")
    return lines
