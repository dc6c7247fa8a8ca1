"""The egress network's firewall rules (pure): exactly the granted flows, nothing else new."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import Any

import pytest

from components.core import catalog
from components.firewall.component import firewall_plan
from components.firewall.egress import egress_plan
from components.firewall.render import EgressGrant, egress_rule_lines, input_rule_lines, rule_lines
from components.stack.settings import Settings, load_settings
from testing.stack_config import load_scenario

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
        EgressGrant("172.30.30.10", "198.18.0.20", 9400, protocol="icmp"),
    ],
)
def test_names_foreign_sources_and_bad_ports_are_refused(grant: EgressGrant) -> None:
    with pytest.raises(ValueError):
        egress_rule_lines(CHAIN, EGRESS, [grant])


# --- the grants the settings give, and where they land ------------------------------------------


def settings_of(config: dict[str, Any]) -> Settings:
    raw = {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}
    return load_settings(raw.get, "prod", raw.keys())


def test_prod_grants_each_service_exactly_its_own_destinations() -> None:
    """The shipped prod stack: every IM/TE target, Redis instance and receiver outside the host is
    one grant from its service's fixed egress address on its own port; DNS to the host's resolver."""
    plan = egress_plan(settings_of(load_scenario("prod").config))
    prometheus, alertmanager, exporter = "172.30.30.10", "172.30.30.11", "172.30.30.12"
    dns = [
        (source, "10.0.0.2/32", 53, protocol)
        for source in (prometheus, alertmanager, exporter)
        for protocol in ("udp", "tcp")
    ]
    assert sorted((g.source, g.destination, g.port, g.protocol) for g in plan.grants) == sorted(
        [
            (prometheus, "10.0.1.21/32", 9400, "tcp"),
            (prometheus, "10.0.1.31/32", 9400, "tcp"),
            (alertmanager, "192.0.2.0/27", 443, "tcp"),
            (alertmanager, "192.0.2.32/27", 443, "tcp"),
            (alertmanager, "10.0.0.25/32", 587, "tcp"),
            (alertmanager, "10.0.0.30/32", 443, "tcp"),
            *[(exporter, f"10.0.2.{n}/32", 6379, "tcp") for n in (11, 12, 13, 14)],
            *dns,
        ]
    )
    assert plan.needed and plan.subnet == "172.30.30.0/24"


def test_an_ip_address_stands_for_itself_and_a_name_is_a_backend_container() -> None:
    settings = settings_of(
        {
            "instanceManagerTargets": [{"address": "198.19.0.30:9400"}, {"address": "fake-im:9400"}],
            "tradeEngineTargets": [{"address": "te-1.lan:9401", "egressCidrs": ["198.19.0.30"]}],
            "remoteWrite": {"enabled": True, "url": "https://198.19.0.40/api/v1/write", "username": "p"},
            "remoteWritePassword": "remote-write-password",
        }
    )
    plan = egress_plan(settings)
    assert [(g.destination, g.port, g.why) for g in plan.grants] == [
        ("198.19.0.30/32", 9400, "instance-manager 198.19.0.30:9400"),
        ("198.19.0.30/32", 9401, "trade-engine te-1.lan:9401"),
        ("198.19.0.40/32", 443, "remote write"),
    ]
    assert plan.address_of(catalog.PROMETHEUS) == "172.30.30.10"
    assert plan.address_of(catalog.ALERTMANAGER) is None  # alertmanagerEgress is off
    assert plan.address_of(catalog.REDIS_EXPORTER) is None


def test_without_destinations_outside_there_is_no_egress_network_and_no_rule() -> None:
    settings = settings_of({"demo": True, "instanceManagerTargets": [{"address": "fake-im:9400"}]})
    plan = egress_plan(settings)
    assert not plan.needed
    firewall = firewall_plan(settings, plan)
    assert firewall.egress_subnet == "" and "172.30.30.0/24" not in firewall.protected_subnets
    assert not any("172.30.30." in line for line in rule_lines(firewall) + input_rule_lines(firewall))


def test_the_firewall_puts_the_grants_first_and_guards_the_egress_subnet() -> None:
    """With a public bind the published-port rules match any destination on their port: a grant to
    a target on port 9090 must be decided before them. The host guard covers the egress subnet."""
    settings = settings_of(
        {
            "bindAddress": "0.0.0.0",
            "allowPublicBind": True,
            "instanceManagerTargets": [{"address": "198.19.0.30:9090"}],
        }
    )
    firewall = firewall_plan(settings)
    lines = rule_lines(firewall)
    assert lines[:2] == [
        "-A PROMSHIELD-PROD -s 172.30.30.10/32 -d 198.19.0.30/32 -p tcp --dport 9090 -m conntrack --ctstate NEW "
        '-m comment --comment "instance-manager 198.19.0.30:9090" -j RETURN',
        "-A PROMSHIELD-PROD -s 172.30.30.0/24 ! -d 172.30.30.0/24 -m conntrack --ctstate NEW -j DROP",
    ]
    assert "-A PROMSHIELD-PROD-IN -s 172.30.30.0/24 -m conntrack --ctstate NEW -j DROP" in input_rule_lines(firewall)
    assert (
        "-A PROMSHIELD-PROD ! -s 172.30.30.0/24 -d 172.30.30.0/24 -m conntrack --ctstate NEW -m conntrack ! "
        "--ctstate DNAT -j DROP"
    ) in lines


def test_dns_grants_are_udp_and_tcp_to_the_resolvers_only_for_services_that_leave() -> None:
    settings = settings_of(
        {"instanceManagerTargets": [{"address": "198.19.0.30:9400"}], "egressDnsServers": ["198.19.0.2"]}
    )
    lines = egress_rule_lines("C", "172.30.30.0/24", egress_plan(settings).grants)
    assert [line for line in lines if "--dport 53" in line] == [
        f"-A C -s 172.30.30.10/32 -d 198.19.0.2/32 -p {protocol} --dport 53 -m conntrack --ctstate NEW -m comment "
        '--comment "dns" -j RETURN'
        for protocol in ("udp", "tcp")
    ]


def test_the_egress_rules_load_into_iptables() -> None:
    """iptables-restore --test accepts the prod stack's whole rule set (comments, udp grants)."""
    if os.geteuid() != 0 or shutil.which("iptables-restore") is None:
        pytest.fail("needs root and iptables-restore (make deps installs it)")
    firewall = firewall_plan(settings_of(load_scenario("prod").config))
    rules = "\n".join(
        [
            "*filter",
            f":{firewall.chain} - [0:0]",
            f":{firewall.input_chain} - [0:0]",
            *rule_lines(firewall),
            *input_rule_lines(firewall),
            "COMMIT",
            "",
        ]
    )
    result = subprocess.run(
        ["unshare", "--net", "iptables-restore", "--test"], input=rules, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
