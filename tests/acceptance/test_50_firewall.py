"""Firewall: the rules the program registers (the `command:local:Command` it would run on the
Docker host, applied verbatim in the harness's Docker host namespace) let the trusted CIDRs
reach the published ports and nobody else.

Why not the seed's `iptables -A INPUT ... --dport 9090 -j DROP`: Docker publishes a port with a
DNAT rule in the nat table's PREROUTING chain, so a packet for host:9090 is rewritten to the
proxy container's address *before* the routing decision and then FORWARDed to the bridge. It
never traverses INPUT, so rules there are never consulted (their counters stay at zero) and
every client gets through. Docker leaves the DOCKER-USER chain (jumped first from FORWARD) to
the administrator; our chain hangs from it and matches the original destination with
conntrack (--ctorigdst / --ctorigdstport), which survives the DNAT.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from components.firewall.render import seed_input_rules
from harness.stack import HOST_ADDRESS, PORTS, TRUSTED, TRUSTED2, UNTRUSTED, AcceptanceStack, iptables_counters

pytestmark = pytest.mark.acceptance

CHAIN = "PROMSHIELD-ACCEPTANCE"


def reaches(stack: AcceptanceStack, client: str, port: int) -> int | None:
    """The HTTP status a client gets on a published port (TLS, no credentials), None if it
    cannot connect at all."""
    if not stack.topo.client(client).can_connect(HOST_ADDRESS, port, timeout=1.0):
        return None
    service = next(name for name, published in PORTS.items() if published == port)
    return stack.request("GET", service, "/-/ready", client=client).status


@pytest.fixture
def restore_firewall(stack: AcceptanceStack) -> Iterator[None]:
    """Whatever a test does to the host's rules, the program's firewall is back afterwards."""
    yield
    stack.topo.apply_host_script(stack.firewall_script("create"))
    for port in PORTS.values():
        assert reaches(stack, "untrusted", port) is None


@pytest.mark.parametrize("port", list(PORTS.values()))
def test_untrusted_client_cannot_connect(stack: AcceptanceStack, port: int) -> None:
    assert reaches(stack, "untrusted", port) is None


@pytest.mark.parametrize("client", ["trusted", "trusted2"])
@pytest.mark.parametrize("port", list(PORTS.values()))
def test_trusted_clients_can_connect(stack: AcceptanceStack, client: str, port: int) -> None:
    assert reaches(stack, client, port) == 401


def test_host_rules_are_exactly_the_programs(stack: AcceptanceStack) -> None:
    create = stack.firewall_command("create")
    assert create.startswith("sh -c "), "firewallSudo: false in the acceptance stack"
    recorded_rules = [line for line in stack.firewall_script("create").splitlines() if line.startswith(f"-A {CHAIN} ")]
    saved = stack.topo.iptables_save()
    live_rules = [line for line in saved.splitlines() if line.startswith(f"-A {CHAIN} ")]

    # iptables-save prints rules normalised (e.g. "-s 198.19.0.10/32" stays, match order may
    # differ); compare the meaning: source, port, destination, verdict.
    def meaning(rule: str) -> tuple[str | None, str | None, str, str]:
        source = re.search(r"-s (\S+)", rule)
        port = re.search(r"--ctorigdstport (\d+)", rule)
        destination = re.search(r"(?:--ctorigdst|-d) (\S+?)(?:/32)?(?:\s|$)", rule)
        verdict = rule.rsplit("-j ", 1)[1].strip()
        assert destination, rule
        return (source.group(1) if source else None, port.group(1) if port else None, destination.group(1), verdict)

    assert [meaning(r) for r in live_rules] == [meaning(r) for r in recorded_rules]
    assert {meaning(r)[0] for r in live_rules if meaning(r)[1]} == {f"{TRUSTED}/32", f"{TRUSTED2}/32", None}
    # the stack's own subnets: only DNATed (published) connections may enter
    guarded = [r for r in live_rules if meaning(r)[1] is None]
    assert len(guarded) == 2 and all("! --ctstate DNAT" in r and r.endswith("-j DROP") for r in guarded), guarded
    docker_user = [line for line in saved.splitlines() if line.startswith("-A DOCKER-USER ")]
    assert docker_user[0] == f"-A DOCKER-USER -j {CHAIN}", docker_user


def test_applying_twice_changes_nothing(stack: AcceptanceStack) -> None:
    before = stack.topo.iptables_save()
    stack.topo.apply_host_script(stack.firewall_script("create"))
    after = stack.topo.iptables_save()

    def rules(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith("-A ")]

    assert rules(after) == rules(before)
    assert rules(after).count(f"-A DOCKER-USER -j {CHAIN}") == 1


def test_untrusted_packets_are_dropped_in_forward_not_input(stack: AcceptanceStack) -> None:
    """The DROP that stops the untrusted client is ours, in FORWARD (DOCKER-USER)."""
    drops_before = sum(packets for packets, rule in iptables_counters(stack, CHAIN) if rule.startswith("DROP"))
    assert reaches(stack, "untrusted", PORTS["prometheus"]) is None
    drops_after = sum(packets for packets, rule in iptables_counters(stack, CHAIN) if rule.startswith("DROP"))
    assert drops_after > drops_before


def test_seed_input_rules_let_the_untrusted_client_through(stack: AcceptanceStack, restore_firewall: None) -> None:
    """Replace our rules with the seed's INPUT-chain rules: the untrusted client gets in."""
    stack.topo.apply_host_script(stack.firewall_script("delete"))
    assert CHAIN not in stack.topo.iptables_save(), "the program's delete command removes its chain and jump"
    seed = seed_input_rules([f"{TRUSTED}/32", f"{TRUSTED2}/32"], list(PORTS.values()))
    stack.topo.apply_host_script(
        "iptables-restore -w --noflush <<'RULES'\n*filter\n" + "\n".join(seed) + "\nCOMMIT\nRULES\n"
    )
    try:
        for port in PORTS.values():
            assert reaches(stack, "untrusted", port) == 401, "the seed's rules do not stop anyone"
            assert reaches(stack, "trusted", port) == 401
        drops = [packets for packets, rule in iptables_counters(stack, "INPUT") if rule.startswith("DROP")]
        assert drops == [0] * len(PORTS), f"INPUT never saw the published ports' packets: {drops}"
        assert all(packets == 0 for packets, _ in iptables_counters(stack, "INPUT"))
    finally:
        removal = "".join(f"iptables -w -D {line[len('-A ') :]}\n" for line in seed)
        stack.topo.apply_host_script(removal)


def test_untrusted_client_cannot_reach_the_proxy_by_its_container_address(stack: AcceptanceStack) -> None:
    """Going around the published port: a LAN host that routes the edge network's subnet via
    the Docker host (the harness's LAN clients do: default route via the host) connects to the
    proxy container's own address and port. Docker's own rules accept that (DOCKER chain:
    `-d <proxy> -o <bridge> --dport 8443 -j ACCEPT`; Docker < 28 has no raw-table guard), and
    the firewall only matches the *published* destination (--ctorigdst <bind>:9090), so the
    untrusted client reaches the proxy anyway. The DOCKER-USER rules should also drop new
    connections from outside to the stack's networks that did not come through the DNAT."""
    proxy = stack.container("proxy")
    edge = next(n.name for n in stack.topo.networks if not n.internal)
    address = stack.topo.address_of(proxy, edge)
    reached = {}
    for internal_port in (8443, 8444):
        if stack.topo.client("untrusted").can_connect(address, internal_port, timeout=1.0):
            with stack.tls_connect("untrusted", internal_port, host=address) as sock:
                sock.sendall(f"GET /-/ready HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n".encode())
                reached[f"{address}:{internal_port}"] = sock.recv(200).split(b"\r\n", 1)[0].decode()
    assert reached == {}, f"the untrusted client ({UNTRUSTED}) talked to the proxy directly: {reached}"
