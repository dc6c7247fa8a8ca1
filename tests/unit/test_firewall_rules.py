"""The firewall scripts, run for real in a throwaway network namespace with iptables."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import pytest

from components.firewall.render import FirewallPlan, chain_name, render_apply_script, render_remove_script, rule_lines

PLAN = FirewallPlan("PROMSHIELD-TEST", "198.18.0.1", (9090, 9093), ("198.18.5.0/24", "fd00::/64"))
APPLIED = FirewallPlan(
    "PROMSHIELD-TEST", "198.18.0.1", (9090, 9093), ("198.18.5.0/24",), protected_subnets=("198.18.20.0/24",)
)


def test_chain_name_is_short_and_clean() -> None:
    assert chain_name("prod") == "PROMSHIELD-PROD"
    assert len(chain_name("a-very-long-stack-name-for-a-team")) <= 28
    assert chain_name("dev;rm -rf") == "PROMSHIELD-DEVRM-RF"


def test_rules_allow_trusted_then_drop_per_port_and_skip_other_families() -> None:
    assert rule_lines(PLAN) == [
        "-A PROMSHIELD-TEST -s 198.18.5.0/24 -p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport 9090 --ctorigdst "
        "198.18.0.1 -j RETURN",
        "-A PROMSHIELD-TEST -p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport 9090 --ctorigdst 198.18.0.1 -j DROP",
        "-A PROMSHIELD-TEST -s 198.18.5.0/24 -p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport 9093 --ctorigdst "
        "198.18.0.1 -j RETURN",
        "-A PROMSHIELD-TEST -p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport 9093 --ctorigdst 198.18.0.1 -j DROP",
    ]


def test_routing_around_the_published_ports_is_dropped() -> None:
    plan = FirewallPlan(
        "C", "198.18.0.1", (9090,), ("198.18.5.0/24",), protected_subnets=("172.30.20.0/24", "fd00:1::/64")
    )
    assert (
        rule_lines(plan)[-1]
        == "-A C ! -s 172.30.20.0/24 -d 172.30.20.0/24 -m conntrack --ctstate NEW -m conntrack ! --ctstate DNAT -j DROP"
    )
    assert "fd00:1::/64" not in "\n".join(rule_lines(plan))


def test_the_host_guard_chain_fits_iptables_names() -> None:
    plan = FirewallPlan(chain_name("a-very-long-stack-name-for-a-team"), "198.18.0.1", (9090,), ())
    assert len(plan.input_chain) <= 28 and plan.input_chain.endswith("-IN") and plan.input_chain != plan.chain


def test_public_bind_matches_the_port_on_any_address() -> None:
    plan = FirewallPlan("C", "0.0.0.0", (9090,), ("10.0.0.0/24",))
    assert "--ctorigdst " not in "\n".join(rule_lines(plan))


@pytest.fixture
def namespace() -> Iterator[str]:
    name = f"ps-fwtest-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "delete", name], check=False)


def in_ns(namespace: str, script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", namespace, "sh", "-c", script], capture_output=True, text=True, timeout=30, check=False
    )


def filter_table(namespace: str) -> str:
    return in_ns(namespace, "iptables -S").stdout


def test_apply_is_idempotent_and_remove_restores_the_table(namespace: str) -> None:
    in_ns(
        namespace, "iptables -N DOCKER-USER && iptables -A DOCKER-USER -j RETURN && iptables -A FORWARD -j DOCKER-USER"
    )
    before = filter_table(namespace)
    for _ in range(2):
        result = in_ns(namespace, render_apply_script(APPLIED))
        assert result.returncode == 0, result.stderr
    table = filter_table(namespace)
    assert table.count("-A DOCKER-USER -j PROMSHIELD-TEST") == 1  # the jump is added once
    assert table.count("--ctorigdstport 9090") == 2  # rules replaced, not appended
    assert (
        table.count(
            "-A PROMSHIELD-TEST ! -s 198.18.20.0/24 -d 198.18.20.0/24 -m conntrack --ctstate NEW -m conntrack ! "
            "--ctstate DNAT -j DROP"
        )
        == 1
    )
    assert table.index("-A DOCKER-USER -j PROMSHIELD-TEST") < table.index("-A DOCKER-USER -j RETURN")
    # The host guard: jumped first from INPUT, once; new connections from the stack's subnets dropped.
    assert table.count("-A INPUT -j PROMSHIELD-TEST-IN") == 1
    assert "-A PROMSHIELD-TEST-IN -s 198.18.20.0/24 -m conntrack --ctstate NEW -j DROP" in table
    assert in_ns(namespace, render_remove_script(APPLIED)).returncode == 0
    assert filter_table(namespace) == before
    assert in_ns(namespace, render_remove_script(APPLIED)).returncode == 0  # removing twice is fine


def test_apply_creates_docker_user_when_docker_has_not_yet(namespace: str) -> None:
    result = in_ns(namespace, render_apply_script(APPLIED))
    assert result.returncode == 0, result.stderr
    assert "-A DOCKER-USER -j PROMSHIELD-TEST" in filter_table(namespace)


LIMITED = FirewallPlan(
    "PROMSHIELD-TEST",
    "198.18.0.1",
    (9090, 9093),
    ("198.18.5.0/24",),
    protected_subnets=("198.18.20.0/24",),
    connections_per_source=64,
)


def test_connections_per_source_are_bounded_before_the_allow_rules() -> None:
    """Slowloris: NGINX counts a connection only once its headers are read, so the bound on one
    source's connections is the firewall's, checked before a trusted source is let through."""
    lines = rule_lines(LIMITED)
    for port in (9090, 9093):
        match = f"-p tcp -m conntrack --ctdir ORIGINAL --ctorigdstport {port} --ctorigdst 198.18.0.1"
        limit = (
            f"-A PROMSHIELD-TEST {match} -m conntrack --ctstate NEW -m connlimit --connlimit-above 64 "
            "--connlimit-mask 32 --connlimit-saddr -j REJECT --reject-with tcp-reset"
        )
        assert lines.index(limit) < lines.index(f"-A PROMSHIELD-TEST -s 198.18.5.0/24 {match} -j RETURN")
    assert "connlimit" not in "\n".join(rule_lines(APPLIED))  # 0: no bound (the plan's default)


def test_the_connection_limit_applies_with_iptables(namespace: str) -> None:
    result = in_ns(namespace, render_apply_script(LIMITED))
    assert result.returncode == 0, result.stderr
    table = filter_table(namespace)
    assert (
        table.count("--connlimit-above 64 --connlimit-mask 32 --connlimit-saddr -j REJECT --reject-with tcp-reset") == 2
    )
    assert in_ns(namespace, render_apply_script(LIMITED)).returncode == 0
    assert filter_table(namespace) == table  # idempotent with the limit too


CLUSTERED = FirewallPlan(
    "PROMSHIELD-TEST",
    "198.18.0.1",
    (9090, 9093),
    ("198.18.0.0/24",),
    protected_subnets=("198.18.20.0/24",),
    connections_per_source=64,
    peer_ports=(9094, 9095),
    peers=("198.18.0.2", "198.18.0.3"),
)


def test_a_hosts_peer_ports_admit_only_the_other_hosts_with_iptables(namespace: str) -> None:
    """Multi-host: gossip and peer alerts from the other hosts only, although the trusted CIDR holds them
    and everyone else on the LAN; each bounded like the user ports."""
    result = in_ns(namespace, render_apply_script(CLUSTERED))
    assert result.returncode == 0, result.stderr
    table = filter_table(namespace)
    for port in (9094, 9095):
        match = f"-p tcp -m conntrack --ctorigdst 198.18.0.1 --ctorigdstport {port} --ctdir ORIGINAL"  # as -S shows it
        allowed = [line for line in table.splitlines() if match in line and line.endswith("-j RETURN")]
        assert sorted(line.split()[3] for line in allowed) == ["198.18.0.2/32", "198.18.0.3/32"]
        assert f"-A PROMSHIELD-TEST {match} -j DROP" in table
        assert f"-A PROMSHIELD-TEST {match} -m conntrack --ctstate NEW -m connlimit --connlimit-above 64" in table
    assert "-s 198.18.0.0/24 -p tcp -m conntrack --ctorigdst 198.18.0.1 --ctorigdstport 9094" not in table
    assert in_ns(namespace, render_apply_script(CLUSTERED)).returncode == 0
    assert filter_table(namespace) == table  # idempotent
    assert "9094" not in "\n".join(rule_lines(APPLIED))  # a one-host plan has no peer ports
