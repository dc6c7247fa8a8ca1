"""Small, explicit wrappers around `ip`, `iptables` and setns(2).

Every helper runs one bounded command and raises `CommandError` (with the command's output)
when it fails, unless told otherwise.
"""

from __future__ import annotations

import ctypes
import os
import shlex
import socket
import subprocess  # nosec B404 - the harness drives system tools on purpose
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

NETNS_DIR = Path("/run/netns")
ETC_NETNS_DIR = Path("/etc/netns")  # `ip netns exec` binds /etc/netns/<ns>/* over /etc/*
_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


class CommandError(RuntimeError):
    def __init__(self, argv: Sequence[str], result: subprocess.CompletedProcess[str]) -> None:
        self.argv = list(argv)
        self.result = result
        super().__init__(
            f"command failed ({result.returncode}): {shlex.join(argv)}\n"
            f"stdout: {result.stdout.strip()}\nstderr: {result.stderr.strip()}"
        )


def run(
    argv: Sequence[str],
    *,
    check: bool = True,
    timeout: float = 30,
    input: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # nosec B603 - argv lists, no shell
        list(argv), capture_output=True, text=True, timeout=timeout, input=input, env=env, check=False
    )
    if check and result.returncode != 0:
        raise CommandError(argv, result)
    return result


def ip(*args: str, ns: str | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    prefix = ["ip", "-n", ns] if ns else ["ip"]
    return run([*prefix, *args], check=check)


def iptables(*args: str, ns: str, table: str = "filter") -> None:
    run(["ip", "netns", "exec", ns, "iptables", "-w", "5", "-t", table, *args])


def sysctl(ns: str, key: str, value: str) -> None:
    run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", f"{key}={value}"])


def exec_argv(ns: str, argv: Sequence[str]) -> list[str]:
    """argv that runs `argv` in namespace `ns` (with its /etc/netns/<ns> hosts/resolv.conf).

    `ns` may also be a path such as `/proc/<pid>/ns/net` (a container's namespace, entered
    with nsenter, which keeps the host's /sys and mounts as they are)."""
    if ns.startswith("/"):
        return ["nsenter", f"--net={ns}", "--", *argv]
    return ["ip", "netns", "exec", ns, *argv]


# --- namespaces -----------------------------------------------------------------------------
def netns_list() -> list[str]:
    result = run(["ip", "netns", "list"], check=False)
    return [line.split()[0] for line in result.stdout.splitlines() if line.strip()]


def netns_add(name: str) -> None:
    run(["ip", "netns", "add", name])
    ip("link", "set", "lo", "up", ns=name)


def netns_pids(name: str) -> list[int]:
    result = run(["ip", "netns", "pids", name], check=False)
    return [int(pid) for pid in result.stdout.split() if pid.isdigit()]


def netns_delete(name: str) -> None:
    run(["ip", "netns", "delete", name], check=False)
    etc = ETC_NETNS_DIR / name
    if etc.is_dir():
        for child in etc.iterdir():
            child.unlink()
        etc.rmdir()


def write_netns_etc(name: str, filename: str, text: str) -> None:
    """A file `ip netns exec <name>` shows at /etc/<filename> (written in place: same inode)."""
    directory = ETC_NETNS_DIR / name
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / filename, "w") as handle:
        handle.write(text)


def add_veth(ns_a: str, if_a: str, ns_b: str, if_b: str) -> None:
    """A veth pair created directly inside the two namespaces (nothing in the root namespace)."""
    ip("link", "add", if_a, "type", "veth", "peer", "name", if_b, "netns", ns_b, ns=ns_a)


# --- doing things inside a namespace from this process ---------------------------------------
def in_netns(ns: str, fn: Callable[[], T]) -> T:
    """Call `fn` in a helper thread that has joined network namespace `ns`.

    Sockets created by `fn` stay in `ns` after the thread ends, so a test can talk to the
    stack from any namespace without a subprocess (plain sockets, `ssl`, `http.client`).
    """
    outcome: dict[str, object] = {}

    def runner() -> None:
        fd = os.open(ns if ns.startswith("/") else NETNS_DIR / ns, os.O_RDONLY)
        try:
            if _libc.setns(fd, _CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"setns({ns}): {os.strerror(err)}")
            outcome["value"] = fn()
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc
        finally:
            os.close(fd)

    thread = threading.Thread(target=runner, name=f"netns-{ns}", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def connect(ns: str, host: str, port: int, timeout: float = 5.0) -> socket.socket:
    """A TCP connection from namespace `ns` (raises OSError: refused, unreachable, timeout)."""
    return in_netns(ns, lambda: socket.create_connection((host, port), timeout=timeout))


# --- sockets of a process ---------------------------------------------------------------------
def listening_ports(pid: int) -> set[int]:
    """TCP ports in LISTEN state in the network namespace of `pid` (IPv4 and IPv6)."""
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "0A":
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
