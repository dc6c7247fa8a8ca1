"""Pure rendering of the host firewall: shell scripts for the Docker host.

Docker publishes ports with DNAT in PREROUTING, so the traffic passes FORWARD, never INPUT:
the seed's `iptables -A INPUT ... --dport 9090` rules never see it. Docker leaves the
`DOCKER-USER` chain (jumped first from FORWARD) to the administrator: we hang our own chain
from it, match the original destination with conntrack (`--ctorigdst`, `--ctorigdstport`),
let the trusted CIDRs through and drop everyone else.

A container on a Docker network, `internal` ones included, has a route to the Docker host itself
(the bridge's gateway address is the host's): what it sends to the host's own addresses goes
through INPUT, which Docker does not guard. A second chain of ours, jumped first from INPUT,
drops new connections from the stack's subnets to the host, so a compromised container reaches
none of the host's services (sshd, node exporters, ...).

Apply is atomic (`iptables-restore --noflush` replaces our chains' rules in one commit) and
idempotent (the jumps are added only when absent). Remove deletes exactly the jumps and the chains.
"""

from __future__ import annotations

import ipaddress
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

DOCKER_USER_CHAIN = "DOCKER-USER"
INPUT_CHAIN = "INPUT"
MAX_CHAIN_NAME = 28  # iptables' limit


@dataclass(frozen=True)
class FirewallPlan:
    chain: str
    bind_address: str
    ports: Sequence[int]
    trusted_cidrs: Sequence[str]
    # The stack's Docker subnets: a host that routes to a container's own address (Docker
    # before 28 lets it) must not get around the published ports and the rules above.
    protected_subnets: Sequence[str] = ()
    # New connections one source address may hold to each published port (0: no bound). NGINX
    # counts a connection against limit_conn only once its request headers are read, so a
    # client holding idle TLS connections (slowloris) is bounded here, before the proxy.
    connections_per_source: int = 0
    # Multi-host stacks: ports only the other hosts may reach (Alertmanager gossip, peer alerts), and
    # their addresses.
    peer_ports: Sequence[int] = ()
    peers: Sequence[str] = ()

    @property
    def family_tool(self) -> str:
        return "ip6tables" if ipaddress.ip_address(self.bind_address).version == 6 else "iptables"

    @property
    def restore_tool(self) -> str:
        return f"{self.family_tool}-restore"

    @property
    def input_chain(self) -> str:
        """Our chain for packets to the Docker host itself (jumped from INPUT)."""
        suffix = "-IN"
        return f"{self.chain[: MAX_CHAIN_NAME - len(suffix)]}{suffix}"


def chain_name(stack: str) -> str:
    """iptables chain names are at most 28 characters."""
    cleaned = "".join(c for c in stack.upper() if c.isalnum() or c == "-")
    return f"PROMSHIELD-{cleaned}"[:MAX_CHAIN_NAME]


def rule_lines(plan: FirewallPlan) -> list[str]:
    """The chain's rules in iptables-restore syntax: allow trusted sources, drop the rest."""
    version = ipaddress.ip_address(plan.bind_address).version
    bind = ipaddress.ip_address(plan.bind_address)
    destination = "" if bind.is_unspecified else f" --ctorigdst {bind}"
    lines: list[str] = []
    sources = [(port, list(plan.trusted_cidrs)) for port in plan.ports]
    # A peer port admits only the other hosts (each one address), never the trusted CIDRs.
    peers = [str(ipaddress.ip_network(peer)) for peer in plan.peers]
    sources += [(port, peers) for port in plan.peer_ports]
    for port, allowed in sources:
        # --ctdir ORIGINAL: judge the client's packets only; the replies of an allowed
        # connection (source: the container) must not meet the DROP.
        match = f"-p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport {port}{destination}"
        if plan.connections_per_source:
            # Before the allow rules: a trusted source over its share is refused at once (a reset,
            # so real clients see the error instead of retrying SYNs); connlimit counts the source's
            # live connections to this port (closed and TIME_WAIT ones are not counted).
            prefix = 32 if version == 4 else 128
            lines.append(
                f"-A {plan.chain} {match} -m conntrack --ctstate NEW -m connlimit --connlimit-above "
                f"{plan.connections_per_source} --connlimit-mask {prefix} --connlimit-saddr "
                "-j REJECT --reject-with tcp-reset"
            )
        for cidr in allowed:
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


def input_rule_lines(plan: FirewallPlan) -> list[str]:
    """The host-guard chain's rules: no new connection from the stack's subnets to the host."""
    version = ipaddress.ip_address(plan.bind_address).version
    return [
        f"-A {plan.input_chain} -s {subnet} -m conntrack --ctstate NEW -j DROP"
        for subnet in plan.protected_subnets
        if ipaddress.ip_network(subnet).version == version
    ]


def render_apply_script(plan: FirewallPlan) -> str:
    tool, restore, chain, guard = plan.family_tool, plan.restore_tool, plan.chain, plan.input_chain
    rules = "\n".join([*rule_lines(plan), *input_rule_lines(plan)])
    allowed = f"allow {', '.join(plan.trusted_cidrs)} to ports {', '.join(map(str, plan.ports))} on {plan.bind_address}"
    if plan.peer_ports:
        allowed += f", the other hosts {', '.join(plan.peers)} to ports {', '.join(map(str, plan.peer_ports))}"
    return f"""set -eu
# promshield firewall: {allowed}; drop the rest.
{tool} -w -n -L {DOCKER_USER_CHAIN} >/dev/null 2>&1 || {tool} -w -N {DOCKER_USER_CHAIN}
{tool} -w -n -L {chain} >/dev/null 2>&1 || {tool} -w -N {chain}
{tool} -w -n -L {guard} >/dev/null 2>&1 || {tool} -w -N {guard}
{restore} -w --noflush <<'RULES'
*filter
:{chain} - [0:0]
:{guard} - [0:0]
{rules}
COMMIT
RULES
{tool} -w -C {DOCKER_USER_CHAIN} -j {chain} 2>/dev/null || {tool} -w -I {DOCKER_USER_CHAIN} 1 -j {chain}
{tool} -w -C {INPUT_CHAIN} -j {guard} 2>/dev/null || {tool} -w -I {INPUT_CHAIN} 1 -j {guard}
"""


def render_remove_script(plan: FirewallPlan) -> str:
    tool = plan.family_tool
    lines = ["set -u", "# promshield firewall: remove exactly what apply added."]
    for parent, chain in ((DOCKER_USER_CHAIN, plan.chain), (INPUT_CHAIN, plan.input_chain)):
        lines += [
            f"while {tool} -w -C {parent} -j {chain} 2>/dev/null; do {tool} -w -D {parent} -j {chain}; done",
            f"{tool} -w -F {chain} 2>/dev/null || true",
            f"{tool} -w -X {chain} 2>/dev/null || true",
        ]
    return "\n".join(lines) + "\n"


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


# --- Least-privilege egress (issue 12, item 4) -------------------------------------------------
# Kept apart from `rule_lines` on purpose: other rules of the same chain change independently.
#
# Destinations are IP addresses or CIDRs, never host names: iptables resolves a name once, when
# the rule is inserted, and keeps the address silently (a DNS change later opens nothing and
# closes the real target); resolving at apply time on the deploying machine has the same
# staleness and trusts that machine's resolver. A target scraped by name therefore states the
# address range it lives in, and the rule names exactly that.


@dataclass(frozen=True)
class EgressGrant:
    """One allowed flow: a container's fixed address on the egress network to one address and port."""

    source: str  # the container's address on the egress network (Prometheus, Alertmanager, the Redis exporter)
    destination: str  # an IP address or CIDR
    port: int
    why: str = ""  # shown as an iptables comment: which target or receiver the grant is for


def egress_rule_lines(chain: str, egress_subnet: str, grants: Sequence[EgressGrant]) -> list[str]:
    """The egress network's rules for the stack's `DOCKER-USER` chain, in iptables-restore syntax.

    Each grant lets new TCP connections from its source to exactly its destination and port
    through (`RETURN` to Docker's own chains); then every other new connection from the egress
    subnet that leaves it is dropped, whatever the protocol. Replies and established flows are
    untouched (`--ctstate NEW` only), so nothing the grants allow is cut off midway."""
    network = ipaddress.ip_network(egress_subnet, strict=True)
    lines: list[str] = []
    for grant in grants:
        source = ipaddress.ip_address(grant.source)
        destination = ipaddress.ip_network(grant.destination, strict=False)  # ValueError for a name
        if source not in network:
            raise ValueError(f"egress source {source} is not on the egress network {network}")
        if source.version != destination.version or not 1 <= grant.port <= 65535:
            raise ValueError(f"egress grant {grant} mixes address families or has no valid port")
        comment = f' -m comment --comment "{grant.why[:200]}"' if grant.why else ""
        if '"' in grant.why:
            raise ValueError("an egress grant's reason must not contain a double quote")
        lines.append(
            f"-A {chain} -s {source}/{source.max_prefixlen} -d {destination} -p tcp --dport {grant.port} "
            f"-m conntrack --ctstate NEW{comment} -j RETURN"
        )
    lines.append(f"-A {chain} -s {network} ! -d {network} -m conntrack --ctstate NEW -j DROP")
    return lines
