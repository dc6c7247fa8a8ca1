"""Reader of where the stack runs: one Docker host (`dockerHost`, `bindAddress`) or several (`hosts`)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from components.core import catalog
from components.core.settings.reader import Reader
from components.core.settings.types import HostSettings

DOCKER_HOST = re.compile(r"^(unix:///\S+|ssh://[^@\s]+@[^\s/]+|tcp://\S+)$")
DOCKER_HOST_EXPECTED = "expected unix:///var/run/docker.sock, ssh://user@host or tcp://host:2376"
# A host name becomes part of Pulumi resource names, the `replica` label and a DNS SAN.
HOST_NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$")
HOST_FIELDS = ("name", "dockerHost", "bindAddress")
OPTIONAL_HOST_FIELDS = ("sshHostKey",)  # required for an ssh:// host
# An SSH host key as authorized_keys/known_hosts write it, without a comment: what both the SSH
# client of the firewall and reload commands (pulumi-command's `hostKey`) and the system `ssh` the
# docker provider runs (a known_hosts line) accept.
SSH_HOST_KEY = re.compile(r"^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521)|ssh-rsa) AAAA[A-Za-z0-9+/]+={0,3}$")
SSH_HOST_KEY_EXPECTED = (
    "expected the host's public SSH host key, '<type> <base64>' (e.g. the line of "
    "`ssh-keyscan -t ed25519 <address>` without the address, checked against `ssh-keygen -lf "
    "/etc/ssh/ssh_host_ed25519_key.pub` on the host itself): an SSH host's key is pinned, never trusted on first use"
)
# What a multi-host stack publishes besides the proxy's two user ports.
CLUSTER_PORTS = (catalog.ALERTMANAGER_CLUSTER_PORT, catalog.PEER_ALERTS_PUBLISHED_PORT)


def is_remote(docker_host: str) -> bool:
    return docker_host.startswith("ssh://")


def check_docker_host(r: Reader, key: str, value: object) -> bool:
    if not isinstance(value, str) or not DOCKER_HOST.match(value):
        r.problem(key, value, DOCKER_HOST_EXPECTED)
        return False
    return True


def check_ssh_host_key(r: Reader, key: str, docker_host: str, value: object) -> str:
    """The pinned host key of an ssh:// Docker host ("" for another engine, which has none)."""
    if not is_remote(docker_host):
        if value is not None:
            r.problem(key, value, "is only for an ssh:// dockerHost (the engine is not reached over SSH); remove it")
        return ""
    text = value.strip() if isinstance(value, str) else ""
    if not SSH_HOST_KEY.match(text):
        r.problem(key, value, SSH_HOST_KEY_EXPECTED)
        return ""
    return text


def firewall_sudo(explicit: bool | None, docker_host: str) -> bool:
    """The stack's `firewallSudo`, else sudo for a local engine and none over SSH."""
    return (not is_remote(docker_host)) if explicit is None else explicit


def read_hosts(r: Reader, sudo: bool | None) -> tuple[HostSettings, ...]:
    """The entries of `hosts` (empty when unset: the stack runs on the one `dockerHost`)."""
    if r.raw("hosts") is None:
        return ()
    raw: list[Any] = r.structured("hosts", [], list)
    if not raw:
        r.problem("hosts", raw, "expected at least one host; unset it to deploy to promshield:dockerHost alone")
        return ()
    for key in ("dockerHost", "bindAddress"):
        value = r.raw(key)
        if value is not None:
            r.problem(
                key,
                value,
                "is set together with promshield:hosts, where each host names its own; unset it "
                f"(pulumi config rm {key}) and give the host in promshield:hosts",
            )
    hosts: list[HostSettings] = []
    first: dict[tuple[str, str], int] = {}  # (field, value) -> index of the first host with it

    def unique(index: int, field: str, value: str, what: str) -> bool:
        seen = first.setdefault((field, value), index)
        if seen != index:
            r.problem(f"hosts[{index}].{field}", value, f"is also hosts[{seen}]'s {field}; expected {what}")
            return False
        return True

    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            r.problem(
                f"hosts[{index}]", entry, 'expected {"name": "mon-a", "dockerHost": "ssh://...", "bindAddress": "..."}'
            )
            continue
        r.unknown_keys(f"hosts[{index}]", entry, HOST_FIELDS + OPTIONAL_HOST_FIELDS, "sshPrivateKey < key")
        name, docker_host, address = (entry.get(field) for field in HOST_FIELDS)
        ok = True
        host_key = ""
        if not isinstance(name, str) or not HOST_NAME.match(name):
            r.problem(
                f"hosts[{index}].name",
                name,
                "expected a host name of lower-case letters, digits and '-' (at most 32, starting with a letter), "
                "e.g. mon-a",
            )
            ok = False
        else:
            ok = unique(index, "name", name, "a unique name per host") and ok
        if not check_docker_host(r, f"hosts[{index}].dockerHost", docker_host):
            ok = False
        elif len(raw) > 1 and str(docker_host).startswith("tcp://"):
            # The firewall (iptables) must run on the host itself: over SSH, or here for an engine of this
            # machine (unix://). A tcp:// engine's commands would run on this machine, the wrong one.
            r.problem(
                f"hosts[{index}].dockerHost",
                docker_host,
                "a host of several gets its firewall rules over SSH (ssh://user@host), or on this machine for "
                "a local engine (unix://); with tcp:// they would be applied here, not on that host",
            )
            ok = False
        else:
            engine = "one engine per host (container names would clash)"
            ok = unique(index, "dockerHost", str(docker_host), engine) and ok
            host_key = check_ssh_host_key(r, f"hosts[{index}].sshHostKey", str(docker_host), entry.get("sshHostKey"))
            ok = ok and (bool(host_key) or not is_remote(str(docker_host)))
        if _check_address(r, index, address, several=len(raw) > 1):
            ok = unique(index, "bindAddress", str(address), "at most one host per address") and ok
        else:
            ok = False
        if ok:
            hosts.append(
                HostSettings(
                    str(name), str(docker_host), str(address), firewall_sudo(sudo, str(docker_host)), index, host_key
                )
            )
    return tuple(hosts)


def _check_address(r: Reader, index: int, address: object, *, several: bool) -> bool:
    key = f"hosts[{index}].bindAddress"
    try:
        parsed = ipaddress.ip_address(str(address)) if isinstance(address, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        r.problem(key, address, "expected one IP address of the host (its LAN address), e.g. 10.30.0.11")
        return False
    if parsed.is_unspecified:
        r.problem(
            key,
            address,
            "binds every interface; a host of several advertises this address to its peers: set its LAN address",
        )
        return False
    if several and parsed.is_loopback:
        r.problem(key, address, "is a loopback address the other hosts cannot reach; set the host's LAN address")
        return False
    return True


def check_cluster_ports(r: Reader, ports: dict[str, int]) -> None:
    """A multi-host stack publishes the gossip and peer-alert ports too: the user ports must differ."""
    for key, port in ports.items():
        if port in CLUSTER_PORTS:
            r.problem(
                key,
                port,
                f"clashes with the ports a multi-host stack publishes ({', '.join(map(str, CLUSTER_PORTS))}: "
                "Alertmanager gossip and peer alerts); expected another port",
            )


def host_addresses(bind_address: str, hosts: tuple[HostSettings, ...]) -> dict[str, str]:
    """Config key -> host address, for the checks every host address must pass (subnets)."""
    if not hosts:
        return {"bindAddress": bind_address}
    return {f"hosts[{host.index}].bindAddress": host.bind_address for host in hosts}
