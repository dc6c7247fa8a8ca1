"""The egress network's firewall rules (pure): exactly the granted flows, nothing else new."""

from __future__ import annotations

import pytest

from components.firewall.render import EgressGrant, egress_rule_lines

CHAIN = "PROMSHIELD-PROD"
EGRESS = "172.30.30.0/24"


def test_each_grant_is_one_flow_then_everything_else_new_is_dropped() -> None:
    grants = [
        EgressGrant("172.30.30.10", "198.18.0.20", 9400, "instance-manager im-1"),
        EgressGrant("172.30.30.10", "198.18.0.0/28", 9400, "trade-engine te-1"),
        EgressGrant("172.30.30.11", "198.18.0.30", 443, "receiver pager"),
    ]
    assert egress_rule_lines(CHAIN, EGRESS, grants) == [
        f"-A {CHAIN} -s 172.30.30.10/32 -d 198.18.0.20/32 -p tcp --dport 9400 -m conntrack --ctstate NEW "
        '-m comment --comment "instance-manager im-1" -j RETURN',
        f"-A {CHAIN} -s 172.30.30.10/32 -d 198.18.0.0/28 -p tcp --dport 9400 -m conntrack --ctstate NEW "
        '-m comment --comment "trade-engine te-1" -j RETURN',
        f"-A {CHAIN} -s 172.30.30.11/32 -d 198.18.0.30/32 -p tcp --dport 443 -m conntrack --ctstate NEW "
        '-m comment --comment "receiver pager" -j RETURN',
        f"-A {CHAIN} -s {EGRESS} ! -d {EGRESS} -m conntrack --ctstate NEW -j DROP",
    ]


def test_no_grant_means_no_way_out() -> None:
    assert egress_rule_lines(CHAIN, EGRESS, []) == [
        f"-A {CHAIN} -s {EGRESS} ! -d {EGRESS} -m conntrack --ctstate NEW -j DROP"
    ]


@pytest.mark.parametrize(
    "grant",
    [
        EgressGrant("172.30.30.10", "im-1.internal", 9400),  # a name: iptables would resolve it once, silently
        EgressGrant("172.30.20.10", "198.18.0.20", 9400),  # source off the egress network
        EgressGrant("172.30.30.10", "198.18.0.20", 0),
        EgressGrant("172.30.30.10", "2001:db8::1", 9400),
    ],
)
def test_names_foreign_sources_and_bad_ports_are_refused(grant: EgressGrant) -> None:
    with pytest.raises(ValueError):
        egress_rule_lines(CHAIN, EGRESS, [grant])
