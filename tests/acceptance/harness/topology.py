"""A Docker host, its networks, its containers and a LAN of clients, out of network namespaces.

```
  <prefix>-trusted 198.19.0.10 ─┐
  <prefix>-untrusted 198.19.0.20 ┼─ <prefix>-lan (switch sw0) ── eth0 198.19.0.1 <prefix>-host
  (more LAN clients ...)        ─┘                                  │ iptables as Docker sets it up:
                                                                     │ DOCKER, DOCKER-USER (empty),
          br-<network>  198.18.<n>.1/24  (one bridge per Docker net) │ isolation, DNAT of published ports
             ├─ eth0 of <prefix>-c-<container>  198.18.<n>.2, .3, ...
             └─ eth0 of <prefix>-x-<extra>      (a plain namespace, e.g. a webhook receiver)
```
Docker subnets (172.x) are never used: network number n (1-based, in the order given) gets
198.18.n.0/24; `subnet_map` / `map_address` / `translate` convert. An `internal` network has
no default route and Docker's isolation rules; names and aliases resolve through a hosts file
per member listing the members of the networks it shares (not the others').
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess  # nosec B404
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

from . import netns as nx
from .paths import LOCK_DIR, RUN_ROOT
from .sandbox import RESOLV_CONF, Sandbox
from .spec import ContainerSpec, NetworkSpec, from_recorded


class HarnessError(RuntimeError):
    pass


class HarnessBusy(HarnessError):
    """Another live process owns this prefix's namespaces."""


@dataclass(frozen=True)
class AddressPlan:
    lan_subnet: str = "198.19.0.0/24"
    host_address: str = "198.19.0.1"
    clients: Mapping[str, str] = field(default_factory=lambda: {"trusted": "198.19.0.10", "untrusted": "198.19.0.20"})
    network_pool: str = "198.18.0.0/16"

    def network_subnet(self, index: int) -> ipaddress.IPv4Network:
        """Docker network number `index` (0-based) -> 198.18.<index+1>.0/24."""
        pool = ipaddress.IPv4Network(self.network_pool)
        return list(pool.subnets(new_prefix=24))[index + 1]


DEFAULT_PLAN = AddressPlan()
HOST_ADDRESS = DEFAULT_PLAN.host_address  # what a test sets as the stack's bind address
HOST_INTERFACE = "eth0"  # the host namespace's LAN interface


@dataclass(frozen=True)
class ExtraNamespace:
    """A plain namespace on a Docker network (e.g. a test's webhook receiver)."""

    name: str
    network: str
    aliases: tuple[str, ...] = ()


@dataclass
class _Member:
    name: str
    netns: str
    addresses: dict[str, str]  # network -> address
    aliases: dict[str, tuple[str, ...]]  # network -> aliases
    is_container: bool


class Client:
    """A namespace tests act from: a LAN client, an extra namespace, the host."""

    def __init__(self, topology: Topology, netns: str, address: str | None) -> None:
        self.topology = topology
        self.netns = netns
        self.address = address

    def run(self, argv: Sequence[str], *, timeout: float = 30, input: str | None = None, check: bool = False) -> subprocess.CompletedProcess[str]:
        return self.topology.exec_in(self.netns, argv, timeout=timeout, input=input, check=check)

    def curl(self, *args: str, timeout: float = 10) -> subprocess.CompletedProcess[str]:
        """`curl -sS --max-time <timeout> <args>` from this namespace."""
        return self.run(["curl", "-sS", "--max-time", str(timeout), *args], timeout=timeout + 5)

    def connect(self, host: str, port: int, timeout: float = 5.0) -> socket.socket:
        """A connected TCP socket from this namespace (OSError when refused/unreachable/timeout)."""
        return nx.connect(self.netns, host, port, timeout)

    def can_connect(self, host: str, port: int, timeout: float = 1.5) -> bool:
        try:
            nx.connect(self.netns, host, port, timeout).close()
            return True
        except OSError:
            return False

    def spawn(self, argv: Sequence[str], name: str) -> subprocess.Popen[bytes]:
        return self.topology.spawn(self.netns, argv, name)


def _sanitize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", name)


def cleanup_stale(prefix: str = "ps") -> list[str]:
    """Remove what a crashed run with this prefix left: processes in its namespaces, the
    namespaces (with their links and bridges), /etc/netns entries, root-namespace links.

    Refuses (HarnessBusy) while a live process holds the prefix's lock.
    """
    with _PrefixLock(prefix):
        return _cleanup(prefix)


def _cleanup(prefix: str) -> list[str]:
    removed: list[str] = []
    stem = f"{prefix}-"
    for name in nx.netns_list():
        if not name.startswith(stem):
            continue
        for pid in nx.netns_pids(name):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        nx.netns_delete(name)
        removed.append(f"netns {name}")
    if nx.ETC_NETNS_DIR.is_dir():
        for entry in nx.ETC_NETNS_DIR.iterdir():
            if entry.name.startswith(stem):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(f"etc {entry}")
    links = nx.run(["ip", "-o", "link", "show"], check=False).stdout
    for line in links.splitlines():
        parts = line.split(":", 2)
        if len(parts) > 1:
            link = parts[1].strip().split("@", 1)[0]
            if link.startswith(stem):
                nx.ip("link", "delete", link, check=False)
                removed.append(f"link {link}")
    return removed


class _PrefixLock:
    def __init__(self, prefix: str) -> None:
        self.path = LOCK_DIR / f"promshield-harness-{prefix}.lock"
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        LOCK_DIR.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "w")  # noqa: SIM115 - held open: the lock lives as long as the run
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise HarnessBusy(f"another live harness run holds {self.path}") from None
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None

    def __enter__(self) -> _PrefixLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class Topology:
    """Build with `with Topology(networks, containers) as topo:` (or `.up()` / `.close()`)."""

    def __init__(
        self,
        networks: Sequence[NetworkSpec],
        containers: Sequence[ContainerSpec],
        *,
        prefix: str = "ps",
        plan: AddressPlan = DEFAULT_PLAN,
        extras: Sequence[ExtraNamespace] = (),
        host_paths: Mapping[str, str] | None = None,
        ready_ports: Mapping[str, int | None] | None = None,
        ready_timeout: float = 30.0,
        lan_hosts: Mapping[str, str] | None = None,
        run_dir: Path | None = None,
        start: bool = True,
    ) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9]{0,5}", prefix):
            raise HarnessError(f"prefix {prefix!r}: 1-6 lowercase letters/digits")
        self.prefix = prefix
        self.plan = plan
        self.networks = list(networks)
        self.containers = list(containers)
        self.extras = list(extras)
        self.host_paths = dict(host_paths or {})
        self.ready_ports = dict(ready_ports or {})
        self.ready_timeout = ready_timeout
        self.lan_hosts = dict(lan_hosts or {})
        self.run_dir = run_dir or RUN_ROOT / prefix
        self.start_containers = start

        self.host_ns = f"{prefix}-host"
        self.lan_ns = f"{prefix}-lan"
        self.host_address = plan.host_address
        self.host_interface = HOST_INTERFACE
        self.client_addresses = dict(plan.clients)

        self._check_names()
        self.subnets: dict[str, ipaddress.IPv4Network] = {network.name: plan.network_subnet(index) for index, network in enumerate(self.networks)}
        self.subnet_map: dict[str, str] = {network.subnet: str(self.subnets[network.name]) for network in self.networks if network.subnet}
        self.bridges: dict[str, str] = self._bridge_names()
        self.members: dict[str, _Member] = {}
        self._assign_addresses()

        self.sandboxes: dict[str, Sandbox] = {}
        self._namespaces: list[str] = []
        self._spawned: list[subprocess.Popen[bytes]] = []
        self._lock = _PrefixLock(prefix)
        self._closed = True
        self._previous_handlers: dict[int, Any] = {}
        self._host_script_count = 0

    @classmethod
    def from_recorded(cls, resources: Iterable[Any], **kwargs: Any) -> Topology:
        """The stack the Pulumi program registered under mocks (see spec.from_recorded)."""
        networks, containers = from_recorded(resources)
        return cls(networks, containers, **kwargs)

    # --- plan ----------------------------------------------------------------------------
    def _check_names(self) -> None:
        names = [network.name for network in self.networks]
        if len(set(names)) != len(names):
            raise HarnessError(f"duplicate network names: {names}")
        members = [c.name for c in self.containers] + [e.name for e in self.extras]
        if len(set(members)) != len(members):
            raise HarnessError(f"duplicate container/extra names: {members}")
        known = set(names)
        for container in self.containers:
            for attachment in container.networks:
                if attachment.network_name not in known:
                    raise HarnessError(f"{container.name}: unknown network {attachment.network_name!r}")
        for extra in self.extras:
            if extra.network not in known:
                raise HarnessError(f"extra namespace {extra.name}: unknown network {extra.network!r}")
        if len(self.networks) > 200:
            raise HarnessError("too many networks")

    def _bridge_names(self) -> dict[str, str]:
        bridges: dict[str, str] = {}
        for index, network in enumerate(self.networks):
            base = "br-" + _sanitize(network.name)[:12]
            bridges[network.name] = base if base not in bridges.values() else f"br-n{index + 1}"
        return bridges

    def _assign_addresses(self) -> None:
        """Static addresses (Docker `ipv4_address`) keep their host number in the mapped subnet;
        the others get the next free one from .2 on, in the order given, as Docker does."""
        static: dict[tuple[str, str], str] = {}
        used: dict[str, set[str]] = {network.name: set() for network in self.networks}
        for container in self.containers:
            for attachment in container.networks:
                if attachment.ipv4_address:
                    address = self._map_static(container.name, attachment.network_name, attachment.ipv4_address)
                    if address in used[attachment.network_name]:
                        raise HarnessError(f"static address {attachment.ipv4_address} used twice on {attachment.network_name}")
                    used[attachment.network_name].add(address)
                    static[(container.name, attachment.network_name)] = address
        entries: list[tuple[str, str, bool, list[tuple[str, tuple[str, ...]]]]] = [
            (c.name, f"{self.prefix}-c-{c.name}", True, [(a.network_name, a.aliases) for a in c.networks]) for c in self.containers
        ] + [(e.name, f"{self.prefix}-x-{e.name}", False, [(e.network, e.aliases)]) for e in self.extras]
        for name, ns, is_container, attachments in entries:
            member = _Member(name, ns, {}, {}, is_container)
            for network, aliases in attachments:
                address = static.get((name, network)) or self._next_free(network, used[network])
                used[network].add(address)
                member.addresses[network] = address
                member.aliases[network] = tuple(aliases)
            self.members[name] = member

    def _map_static(self, container: str, network: str, docker_address: str) -> str:
        spec = next(n for n in self.networks if n.name == network)
        if not spec.subnet or ipaddress.IPv4Address(docker_address) not in ipaddress.IPv4Network(spec.subnet):
            raise HarnessError(f"{container}: static address {docker_address} is not in {network}'s subnet {spec.subnet}")
        address = self.map_address(docker_address)
        if address == self.gateway(network):
            raise HarnessError(f"{container}: static address {docker_address} is the gateway")
        return address

    def _next_free(self, network: str, used: set[str]) -> str:
        subnet = self.subnets[network]
        for number in range(2, subnet.num_addresses - 1):
            candidate = str(subnet.network_address + number)
            if candidate not in used:
                return candidate
        raise HarnessError(f"network {network} is full")

    def gateway(self, network: str) -> str:
        return str(self.subnets[network].network_address + 1)

    def address_of(self, name: str, network: str | None = None) -> str:
        """A container's (or extra namespace's) address, on `network` or its first one."""
        member = self.members[name]
        if network is None:
            return next(iter(member.addresses.values()))
        return member.addresses[network]

    def map_address(self, docker_address: str) -> str:
        """172.30.10.7 (inside a recorded Docker subnet) -> the same host number in 198.18.n.0/24."""
        address = ipaddress.IPv4Address(docker_address)
        for docker_subnet, mapped in self.subnet_map.items():
            subnet = ipaddress.IPv4Network(docker_subnet)
            if address in subnet:
                offset = int(address) - int(subnet.network_address)
                target = ipaddress.IPv4Network(mapped)
                if offset >= target.num_addresses:
                    raise HarnessError(f"{docker_address}: host number {offset} does not fit {mapped}")
                return str(target.network_address + offset)
        raise HarnessError(f"{docker_address} is in no recorded Docker subnet")

    def translate(self, text: str) -> str:
        """Rewrite Docker subnets and addresses in them (e.g. in a firewall script) to ours."""
        for docker_subnet, mapped in self.subnet_map.items():
            text = text.replace(docker_subnet, mapped)

        def replace(match: re.Match[str]) -> str:
            try:
                return self.map_address(match.group(0))
            except (HarnessError, ValueError):
                return match.group(0)

        return re.sub(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])", replace, text)

    def hosts_text(self, name: str) -> str:
        """/etc/hosts of a member: itself, and every member of each network it is on."""
        me = self.members[name]
        lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
        for network, address in me.addresses.items():
            lines.append("\t".join([address, me.name, *me.aliases[network]]))
        for other in self.members.values():
            if other.name == name:
                continue
            for network in me.addresses:
                if network in other.addresses:
                    lines.append("\t".join([other.addresses[network], other.name, *other.aliases[network]]))
        return "\n".join(lines) + "\n"

    # --- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> Topology:
        self.up()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def up(self) -> Topology:
        self._lock.acquire()
        self._closed = False
        atexit.register(self.close)
        self._install_signal_handlers()
        try:
            _cleanup(self.prefix)
            if self.run_dir.exists():
                shutil.rmtree(self.run_dir)
            (self.run_dir / "logs").mkdir(parents=True)
            started = time.monotonic()
            self._build_lan()
            self._build_networks()
            self._build_members()
            self._docker_firewall()
            self._create_sandboxes()
            self._print_plan()
            if self.start_containers:
                self.start_all()
            print(f"[harness] topology {self.prefix} up in {time.monotonic() - started:.1f}s", file=sys.stderr)
        except BaseException:
            self.close()
            raise
        return self

    def _add_ns(self, name: str) -> None:
        nx.netns_add(name)
        self._namespaces.append(name)

    def _build_lan(self) -> None:
        lan_prefix = ipaddress.IPv4Network(self.plan.lan_subnet).prefixlen
        self._add_ns(self.host_ns)
        self._add_ns(self.lan_ns)
        nx.sysctl(self.host_ns, "net.ipv4.ip_forward", "1")
        try:
            nx.sysctl(self.host_ns, "net.bridge.bridge-nf-call-iptables", "1")
        except nx.CommandError:
            print("[harness] warning: br_netfilter unavailable in the host namespace", file=sys.stderr)
        nx.ip("link", "add", "sw0", "type", "bridge", ns=self.lan_ns)
        nx.ip("link", "set", "sw0", "up", ns=self.lan_ns)
        nx.add_veth(self.host_ns, HOST_INTERFACE, self.lan_ns, "p0")
        nx.ip("addr", "add", f"{self.host_address}/{lan_prefix}", "dev", HOST_INTERFACE, ns=self.host_ns)
        nx.ip("link", "set", HOST_INTERFACE, "up", ns=self.host_ns)
        nx.ip("link", "set", "p0", "master", "sw0", "up", ns=self.lan_ns)
        for index, (client, address) in enumerate(self.client_addresses.items(), start=1):
            self._add_lan_client(client, address, index)

    def _add_lan_client(self, client: str, address: str, index: int) -> None:
        lan_prefix = ipaddress.IPv4Network(self.plan.lan_subnet).prefixlen
        ns = f"{self.prefix}-{client}"
        self._add_ns(ns)
        nx.add_veth(ns, "eth0", self.lan_ns, f"p{index}")
        nx.ip("link", "set", f"p{index}", "master", "sw0", "up", ns=self.lan_ns)
        nx.ip("addr", "add", f"{address}/{lan_prefix}", "dev", "eth0", ns=ns)
        nx.ip("link", "set", "eth0", "up", ns=ns)
        # Worst case for the stack: a LAN client routes everything through the Docker host.
        nx.ip("route", "add", "default", "via", self.host_address, ns=ns)
        hosts = [f"127.0.0.1\tlocalhost\n{self.host_address}\tdocker-host\n"]
        hosts += [f"{ip}\t{name}\n" for name, ip in self.lan_hosts.items()]
        nx.write_netns_etc(ns, "hosts", "".join(hosts))
        nx.write_netns_etc(ns, "resolv.conf", RESOLV_CONF)

    def add_lan_client(self, client: str, address: str) -> Client:
        """Another LAN host (e.g. a second trusted address) after the topology is up."""
        if client in self.client_addresses:
            raise HarnessError(f"LAN client {client} exists")
        self.client_addresses[client] = address
        self._add_lan_client(client, address, len(self.client_addresses))
        return self.client(client)

    def _build_networks(self) -> None:
        for network in self.networks:
            bridge = self.bridges[network.name]
            prefixlen = self.subnets[network.name].prefixlen
            nx.ip("link", "add", bridge, "type", "bridge", ns=self.host_ns)
            nx.ip("addr", "add", f"{self.gateway(network.name)}/{prefixlen}", "dev", bridge, ns=self.host_ns)
            nx.ip("link", "set", bridge, "up", ns=self.host_ns)

    def _build_members(self) -> None:
        internal = {network.name for network in self.networks if network.internal}
        for index, member in enumerate(self.members.values(), start=1):
            self._add_ns(member.netns)
            default_via = None
            for slot, (network, address) in enumerate(member.addresses.items()):
                net_index = list(self.subnets).index(network) + 1
                host_if = f"v{index}n{net_index}"
                nx.add_veth(self.host_ns, host_if, member.netns, f"eth{slot}")
                nx.ip("link", "set", host_if, "master", self.bridges[network], "up", ns=self.host_ns)
                prefixlen = self.subnets[network].prefixlen
                nx.ip("addr", "add", f"{address}/{prefixlen}", "dev", f"eth{slot}", ns=member.netns)
                nx.ip("link", "set", f"eth{slot}", "up", ns=member.netns)
                if default_via is None and network not in internal:
                    default_via = self.gateway(network)
            if default_via is not None:
                nx.ip("route", "add", "default", "via", default_via, ns=member.netns)
            # For `exec_in(member, ...)` (host tools in the member's network): same names.
            nx.write_netns_etc(member.netns, "hosts", self.hosts_text(member.name))
            nx.write_netns_etc(member.netns, "resolv.conf", RESOLV_CONF)

    def _docker_firewall(self) -> None:
        """The rules dockerd installs (iptables backend), in the host namespace."""
        ns = self.host_ns

        def filt(*args: str) -> None:
            nx.iptables(*args, ns=ns)

        def nat(*args: str) -> None:
            nx.iptables(*args, ns=ns, table="nat")

        filt("-P", "FORWARD", "DROP")
        for chain in ("DOCKER", "DOCKER-USER", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2"):
            filt("-N", chain)
        filt("-A", "FORWARD", "-j", "DOCKER-USER")
        filt("-A", "FORWARD", "-j", "DOCKER-ISOLATION-STAGE-1")
        nat("-N", "DOCKER")
        nat("-A", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER")
        nat("-A", "OUTPUT", "!", "-d", "127.0.0.0/8", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "DOCKER")
        for network in self.networks:
            bridge = self.bridges[network.name]
            subnet = str(self.subnets[network.name])
            if network.internal:
                filt("-A", "DOCKER-ISOLATION-STAGE-1", "!", "-s", subnet, "-o", bridge, "-j", "DROP")
                filt("-A", "DOCKER-ISOLATION-STAGE-1", "!", "-d", subnet, "-i", bridge, "-j", "DROP")
            else:
                filt("-A", "DOCKER-ISOLATION-STAGE-1", "-i", bridge, "!", "-o", bridge, "-j", "DOCKER-ISOLATION-STAGE-2")
                filt("-A", "DOCKER-ISOLATION-STAGE-2", "-o", bridge, "-j", "DROP")
                nat("-A", "POSTROUTING", "-s", subnet, "!", "-o", bridge, "-j", "MASQUERADE")
                nat("-A", "DOCKER", "-i", bridge, "-j", "RETURN")
            filt("-A", "FORWARD", "-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
            filt("-A", "FORWARD", "-o", bridge, "-j", "DOCKER")
            if not network.internal:
                filt("-A", "FORWARD", "-i", bridge, "!", "-o", bridge, "-j", "ACCEPT")
            filt("-A", "FORWARD", "-i", bridge, "-o", bridge, "-j", "ACCEPT")
        filt("-A", "DOCKER-ISOLATION-STAGE-1", "-j", "RETURN")
        filt("-A", "DOCKER-ISOLATION-STAGE-2", "-j", "RETURN")
        for container in self.containers:
            self._publish(container)

    def _publish(self, container: ContainerSpec) -> None:
        if not container.ports:
            return
        internal = {network.name for network in self.networks if network.internal}
        network = next((a.network_name for a in container.networks if a.network_name not in internal), None)
        if network is None:
            raise HarnessError(f"{container.name} publishes ports but is on no non-internal network")
        bridge = self.bridges[network]
        address = self.address_of(container.name, network)
        for port in container.ports:
            proto = port.protocol
            destination = [] if port.ip in ("", "0.0.0.0") else ["-d", f"{port.ip}/32"]  # nosec B104
            if destination and port.ip != self.host_address:
                print(
                    f"[harness] warning: {container.name} publishes on {port.ip}, not the host address {self.host_address}: nothing on the LAN reaches it",
                    file=sys.stderr,
                )
            nx.iptables(
                "-A", "DOCKER", *destination, "!", "-i", bridge, "-p", proto, "-m", proto,
                "--dport", str(port.external), "-j", "DNAT", "--to-destination", f"{address}:{port.internal}",
                ns=self.host_ns, table="nat",
            )  # fmt: skip
            nx.iptables(
                "-A", "DOCKER", "-d", f"{address}/32", "!", "-i", bridge, "-o", bridge, "-p", proto,
                "-m", proto, "--dport", str(port.internal), "-j", "ACCEPT",
                ns=self.host_ns,
            )  # fmt: skip

    def _create_sandboxes(self) -> None:
        for container in self.containers:
            ready_port = self.ready_ports.get(container.name, -1)
            sandbox = Sandbox(
                container,
                netns=self.members[container.name].netns,
                run_dir=self.run_dir / "containers" / container.name,
                volumes_dir=self.run_dir / "volumes",
                host_paths=self.host_paths,
                hosts_text=self.hosts_text(container.name),
                ready_port=None,
                ready_timeout=self.ready_timeout,
            )
            if ready_port == -1:
                ready_port = sandbox.profile.ready_port
                if ready_port is None and container.ports:
                    ready_port = container.ports[0].internal
            sandbox.ready_port = ready_port
            self.sandboxes[container.name] = sandbox

    def _print_plan(self) -> None:
        out = [f"[harness] run dir {self.run_dir}; host {self.host_ns} at {self.host_address} ({HOST_INTERFACE})"]
        for client, address in self.client_addresses.items():
            out.append(f"[harness]   client {self.prefix}-{client}: {address}")
        for network in self.networks:
            kind = "internal" if network.internal else "bridge"
            out.append(f"[harness]   network {network.name} ({kind}) {network.subnet} -> {self.subnets[network.name]} on {self.bridges[network.name]}")
        for member in self.members.values():
            where = ", ".join(f"{net}={addr}" for net, addr in member.addresses.items())
            log = f" log {self.sandboxes[member.name].log_path}" if member.name in self.sandboxes else ""
            out.append(f"[harness]   {member.netns}: {where}{log}")
        print("\n".join(out), file=sys.stderr)

    def start_all(self) -> None:
        """Start every container, then wait until each listens (they start in parallel)."""
        for sandbox in self.sandboxes.values():
            if not sandbox.running:
                sandbox.start(wait=False)
        for sandbox in self.sandboxes.values():
            sandbox.wait_ready()

    def close(self) -> None:
        """Kill everything, delete every namespace we made. Idempotent, never raises."""
        if self._closed:
            return
        self._closed = True
        errors: list[str] = []
        for sandbox in self.sandboxes.values():
            try:
                sandbox.kill()
            except Exception as exc:  # keep tearing down
                errors.append(f"{sandbox.spec.name}: {exc}")
        for process in self._spawned:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                errors.append(f"spawned pid {process.pid} did not exit")
        try:
            _cleanup(self.prefix)
        except Exception as exc:
            errors.append(f"cleanup: {exc}")
        self._restore_signal_handlers()
        atexit.unregister(self.close)
        self._lock.release()
        if errors:
            print("[harness] teardown problems: " + "; ".join(errors), file=sys.stderr)

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            self._previous_handlers[signum] = signal.getsignal(signum)
            signal.signal(signum, self._on_signal)

    def _restore_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        self._previous_handlers.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        previous = self._previous_handlers.get(signum)
        self.close()
        if signum == signal.SIGINT:
            if callable(previous):
                previous(signum, frame)
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    # --- using it ------------------------------------------------------------------------
    def netns_of(self, name: str) -> str:
        """A netns name from: 'host', 'lan', a LAN client, a container, an extra, or a netns."""
        if name == "host":
            return self.host_ns
        if name == "lan":
            return self.lan_ns
        if name in self.client_addresses:
            return f"{self.prefix}-{name}"
        if name in self.members:
            return self.members[name].netns
        if name in self._namespaces:
            return name
        raise HarnessError(f"no namespace {name!r}")

    def exec_in(
        self,
        ns: str,
        argv: Sequence[str],
        *,
        timeout: float = 30,
        input: str | None = None,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """Run argv (on the host's filesystem) in a namespace's network. For a command inside a
        container's own view and user, use `container_exec`."""
        return nx.run(nx.exec_argv(self.netns_of(ns), argv), check=check, timeout=timeout, input=input)

    def client(self, name: str = "trusted") -> Client:
        if name == "host":
            return Client(self, self.host_ns, self.host_address)
        if name in self.client_addresses:
            return Client(self, self.netns_of(name), self.client_addresses[name])
        if name in self.members:
            return Client(self, self.members[name].netns, self.address_of(name))
        raise HarnessError(f"no client {name!r} (known: {', '.join(self.client_addresses)})")

    def spawn(self, ns: str, argv: Sequence[str], name: str) -> subprocess.Popen[bytes]:
        """A background process in a namespace (e.g. a webhook receiver); killed at teardown."""
        log = open(self.run_dir / "logs" / f"{_sanitize(name)}.log", "ab")  # noqa: SIM115 - closed right after Popen
        process = subprocess.Popen(  # nosec B603
            nx.exec_argv(self.netns_of(ns), argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._spawned.append(process)
        print(f"[harness] spawned {name} in {self.netns_of(ns)}: log {log.name}", file=sys.stderr)
        return process

    def apply_host_script(self, text: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a shell script (e.g. the firewall component's iptables rules) in the host ns."""
        self._host_script_count += 1
        path = self.run_dir / f"host-script-{self._host_script_count}.sh"
        path.write_text(text)
        shell = "bash" if text.startswith("#!") and "bash" in text.splitlines()[0] else "sh"
        return self.exec_in("host", [shell, "-e", str(path)], check=check)

    def write_file(self, name: str, content: str, mode: int = 0o600) -> Path:
        """A file for the tests' own use (a CA bundle, a client key...) under the run dir."""
        path = self.run_dir / "files" / _sanitize(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=mode)
        path.chmod(mode)
        path.write_text(content)
        return path

    def iptables_save(self) -> str:
        return self.exec_in("host", ["iptables-save"], check=True).stdout

    # --- containers ----------------------------------------------------------------------
    def sandbox(self, name: str) -> Sandbox:
        try:
            return self.sandboxes[name]
        except KeyError:
            raise HarnessError(f"no container {name!r} (known: {', '.join(self.sandboxes)})") from None

    def start(self, name: str, wait: bool = True) -> None:
        self.sandbox(name).start(wait=wait)

    def stop(self, name: str, timeout: float = 10.0) -> int | None:
        return self.sandbox(name).stop(timeout=timeout)

    def kill(self, name: str) -> int | None:
        return self.sandbox(name).kill()

    def restart(self, name: str, wait: bool = True) -> None:
        self.sandbox(name).restart(wait=wait)

    def container_exec(self, name: str, argv: Sequence[str], *, as_root: bool = False, timeout: float = 30, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.sandbox(name).exec(argv, as_root=as_root, timeout=timeout, input=input)

    def log_path(self, name: str) -> Path:
        return self.sandbox(name).log_path

    def log_text(self, name: str) -> str:
        return self.sandbox(name).log_text()

    def volume_dir(self, volume: str) -> Path:
        return self.run_dir / "volumes" / volume

    def add_extra(self, extra: ExtraNamespace) -> Client:
        """An extra namespace after the topology is up; peers' hosts files are updated in place
        (a service that resolved names at startup will not see it: prefer `extras=` up front)."""
        if extra.name in self.members:
            raise HarnessError(f"{extra.name} exists")
        if extra.network not in self.subnets:
            raise HarnessError(f"unknown network {extra.network!r}")
        self.extras.append(extra)
        subnet = self.subnets[extra.network]
        address = self._next_free(extra.network, {m.addresses[extra.network] for m in self.members.values() if extra.network in m.addresses})
        member = _Member(extra.name, f"{self.prefix}-x-{extra.name}", {extra.network: address}, {extra.network: extra.aliases}, False)
        self.members[extra.name] = member
        self._add_ns(member.netns)
        host_if = f"v{len(self.members)}n{list(self.subnets).index(extra.network) + 1}"
        nx.add_veth(self.host_ns, host_if, member.netns, "eth0")
        nx.ip("link", "set", host_if, "master", self.bridges[extra.network], "up", ns=self.host_ns)
        nx.ip("addr", "add", f"{address}/{subnet.prefixlen}", "dev", "eth0", ns=member.netns)
        nx.ip("link", "set", "eth0", "up", ns=member.netns)
        if not any(n.internal for n in self.networks if n.name == extra.network):
            nx.ip("route", "add", "default", "via", self.gateway(extra.network), ns=member.netns)
        nx.write_netns_etc(member.netns, "hosts", self.hosts_text(extra.name))
        nx.write_netns_etc(member.netns, "resolv.conf", RESOLV_CONF)
        for other in self.members.values():
            if other.name != extra.name and extra.network in other.addresses:
                nx.write_netns_etc(other.netns, "hosts", self.hosts_text(other.name))
                if other.is_container:
                    self.sandboxes[other.name].update_hosts(self.hosts_text(other.name))
        return self.client(extra.name)
