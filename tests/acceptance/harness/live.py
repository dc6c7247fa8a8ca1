"""The stack the program registers, deployed on a real Docker Engine that runs in a namespace of ours.

```
  <prefix>-trusted 198.19.0.10 ─┐
  <prefix>-untrusted 198.19.0.20 ┼─ <prefix>-lan (switch sw0) ── eth0 198.19.0.1 <prefix>-host
  (more LAN clients ...)        ─┘                                 │ dockerd (engine.py): its own
                                                                    │ bridges, DNAT, DOCKER-USER,
                                                                    │ embedded DNS, restart policies
                                 the program's networks and containers, as deploy.py creates them
```

Nothing here emulates Docker: the LAN and its clients are plain network namespaces; everything
from the Docker host inwards is the engine's own work. Tests reach a container's network
namespace through `/proc/<pid>/ns/net` of its main process and run commands inside it with
`docker exec`, as an operator would.

This is the test harness. It is not a replacement for `pulumi up`: it gives each input the
meaning the pulumi-docker provider gives it (deploy.py), from what the program registers under
Pulumi mocks.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import ipaddress
import os
import re
import signal
import socket
import subprocess  # nosec B404 - the harness drives system tools on purpose
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from . import netns as nx
from .paths import LOCK_DIR, RUN_ROOT
from .teardown import SignalTeardown

LAN_SUBNET = "198.19.0.0/24"
HOST_ADDRESS = "198.19.0.1"
HOST_INTERFACE = "eth0"
RESOLV_CONF = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"  # LAN clients resolve nothing


class HarnessError(RuntimeError):
    pass


class HarnessBusy(HarnessError):
    """Another live process owns this prefix's namespaces."""


@dataclass(frozen=True)
class Fixture:
    """A test's own container on one of the stack's networks (a webhook receiver, a fake target).

    It runs the stand-in Python image as an unprivileged user with the given host files bound in.
    """

    name: str
    network: str
    aliases: tuple[str, ...]
    command: Sequence[str]
    image: str
    binds: Mapping[str, str] = field(default_factory=dict)  # host path -> container path (read-only)
    writable_binds: Mapping[str, str] = field(default_factory=dict)  # host path -> container path
    user: str = "65534:65534"


@dataclass(frozen=True)
class NetworkView:
    name: str
    internal: bool
    subnet: str


@dataclass(frozen=True)
class Member:
    """A container on the stack's networks, as the engine reports it."""

    name: str
    addresses: Mapping[str, str]  # network name -> IPv4 address
    aliases: Mapping[str, tuple[str, ...]]


class Client:
    """A network namespace tests act from: a LAN client, the Docker host, a container."""

    def __init__(self, netns: Callable[[], str], address: str | None) -> None:
        self._netns = netns
        self.address = address

    @property
    def netns(self) -> str:
        return self._netns()

    def run(
        self, argv: Sequence[str], *, timeout: float = 30, input: str | None = None, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """`argv` from the host's filesystem, inside this namespace's network."""
        return nx.run(nx.exec_argv(self.netns, argv), check=check, timeout=timeout, input=input)

    def curl(self, *args: str, timeout: float = 10) -> subprocess.CompletedProcess[str]:
        return self.run(["curl", "-sS", "--max-time", str(timeout), *args], timeout=timeout + 5)

    def connect(self, host: str, port: int, timeout: float = 5.0) -> socket.socket:
        """A connected TCP socket from this namespace (OSError when refused/unreachable/timeout)."""
        return nx.connect(self.netns, host, port, timeout)

    def can_connect(self, host: str, port: int, timeout: float = 1.5) -> bool:
        try:
            self.connect(host, port, timeout).close()
            return True
        except OSError:
            return False


class _PrefixLock:
    def __init__(self, prefix: str) -> None:
        self.path = LOCK_DIR / f"promshield-live-{prefix}.lock"
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        LOCK_DIR.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "w")  # noqa: SIM115 - held for the topology's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise HarnessBusy(f"another run holds {self.path}; stop it (or wait) first") from None
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def _sanitize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", name)


class LiveStack:
    """LAN namespaces, a dockerd in the Docker host namespace, and what the program registered.

    `resources` are the program's recorded resources (`testing.mock_stack.Registered`), deployed by
    `deploy.deploy` in registration order. `host_script` runs in the Docker host namespace once
    the engine has made its chains and before any container exists (the firewall's create
    command). `host_paths` maps a recorded host path (bind mount) to a real directory.
    """

    def __init__(
        self,
        resources: Sequence[Any],
        *,
        prefix: str = "pd",
        clients: Mapping[str, str] | None = None,
        host_paths: Mapping[str, str] | None = None,
        fixtures: Sequence[Fixture] = (),
        host_script: str | None = None,
    ) -> None:
        self.resources = list(resources)
        self.prefix = prefix
        self.host_ns = f"{prefix}-host"
        self.lan_ns = f"{prefix}-lan"
        self.host_address = HOST_ADDRESS
        self.client_addresses = dict(clients or {"trusted": "198.19.0.10", "untrusted": "198.19.0.20"})
        self.host_paths = dict(host_paths or {})
        self.fixtures = list(fixtures)
        self.host_script = host_script
        self.run_dir = RUN_ROOT / prefix
        self.engine: Any = None
        self.deployment: Any = None
        self.timings: dict[str, float] = {}
        self._lock = _PrefixLock(prefix)
        self._namespaces: list[str] = []
        self._closed = True
        self._signals = SignalTeardown(self.close)
        self._script_count = 0

    # --- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> LiveStack:
        return self.up()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def up(self) -> LiveStack:
        from . import deploy, engine, standins

        self._lock.acquire()
        self._closed = False
        atexit.register(self.close)
        self._signals.install()
        try:
            self._remove_namespaces(stale=True)
            (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
            (self.run_dir / "files").mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            self._build_lan()
            self.engine = engine.Engine(prefix=self.prefix, netns=self.host_ns)
            self.engine.start()
            self.timings["engine"] = time.monotonic() - started
            client = self.engine.client()
            references = sorted(
                {str(r.inputs["name"]) for r in self.resources if r.type == deploy.REMOTE_IMAGE}
                | {fixture.image for fixture in self.fixtures}
            )
            mark = time.monotonic()
            standins.ensure_images(client, references)
            self.timings["images"] = time.monotonic() - mark
            if self.host_script is not None:
                self.apply_host_script(self.host_script)
            mark = time.monotonic()
            self.deployment = deploy.deploy(
                client,
                self.resources,
                host_paths=self.host_paths,
                build_image=lambda inputs: standins.build_duckdb_exporter(client),
            )
            self._start_fixtures()
            self.timings["deploy"] = time.monotonic() - mark
            print(f"[live] {self.prefix} up in {time.monotonic() - started:.1f}s {self.timings}", file=sys.stderr)
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Save every container's log, stop the engine (it removes what it made), delete the
        namespaces. Idempotent, never raises."""
        if self._closed:
            return
        self._closed = True
        errors: list[str] = []
        if self.engine is not None:
            with contextlib.suppress(Exception):
                self.save_logs()
            try:
                self.engine.stop()
            except Exception as exc:  # keep tearing down
                errors.append(f"engine: {exc}")
        try:
            self._remove_namespaces(stale=False)
        except Exception as exc:
            errors.append(f"namespaces: {exc}")
        self._signals.restore()
        atexit.unregister(self.close)
        self._lock.release()
        if errors:
            print("[live] teardown problems: " + "; ".join(errors), file=sys.stderr)

    def cleanup_stale(self) -> None:
        """Remove what a SIGKILLed run with this prefix left: its dockerd (and what that engine
        made) and its namespaces. Refuses (HarnessBusy) while a live run holds the prefix."""
        self._lock.acquire()
        try:
            self._remove_namespaces(stale=True)
        finally:
            self._lock.release()

    def _remove_namespaces(self, *, stale: bool) -> None:
        names = [ns for ns in nx.netns_list() if ns.startswith(f"{self.prefix}-")] if stale else self._namespaces
        if stale and f"{self.prefix}-host" in names:
            from . import engine

            engine.Engine(prefix=self.prefix, netns=self.host_ns).stop()  # a SIGKILLed run's dockerd
        for ns in reversed(names):
            for pid in nx.netns_pids(ns):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            nx.netns_delete(ns)
        self._namespaces = [] if not stale else self._namespaces

    def _add_ns(self, name: str) -> None:
        nx.netns_add(name)
        self._namespaces.append(name)

    def _build_lan(self) -> None:
        prefixlen = ipaddress.IPv4Network(LAN_SUBNET).prefixlen
        self._add_ns(self.host_ns)
        self._add_ns(self.lan_ns)
        nx.sysctl(self.host_ns, "net.ipv4.ip_forward", "1")
        nx.ip("link", "add", "sw0", "type", "bridge", ns=self.lan_ns)
        nx.ip("link", "set", "sw0", "up", ns=self.lan_ns)
        nx.add_veth(self.host_ns, HOST_INTERFACE, self.lan_ns, "p0")
        nx.ip("addr", "add", f"{self.host_address}/{prefixlen}", "dev", HOST_INTERFACE, ns=self.host_ns)
        nx.ip("link", "set", HOST_INTERFACE, "up", ns=self.host_ns)
        nx.ip("link", "set", "p0", "master", "sw0", "up", ns=self.lan_ns)
        for index, (client, address) in enumerate(self.client_addresses.items(), start=1):
            ns = f"{self.prefix}-{client}"
            self._add_ns(ns)
            nx.add_veth(ns, "eth0", self.lan_ns, f"p{index}")
            nx.ip("link", "set", f"p{index}", "master", "sw0", "up", ns=self.lan_ns)
            nx.ip("addr", "add", f"{address}/{prefixlen}", "dev", "eth0", ns=ns)
            nx.ip("link", "set", "eth0", "up", ns=ns)
            # Worst case for the stack: a LAN client routes everything through the Docker host.
            nx.ip("route", "add", "default", "via", self.host_address, ns=ns)
            nx.write_netns_etc(ns, "hosts", f"127.0.0.1\tlocalhost\n{self.host_address}\tdocker-host\n")
            nx.write_netns_etc(ns, "resolv.conf", RESOLV_CONF)

    def _start_fixtures(self) -> None:
        import docker.types

        client = self.engine.client()
        for fixture in self.fixtures:
            volumes = {host: {"bind": path, "mode": "ro"} for host, path in fixture.binds.items()}
            volumes.update({host: {"bind": path, "mode": "rw"} for host, path in fixture.writable_binds.items()})
            container = client.containers.create(
                fixture.image,
                command=list(fixture.command),
                entrypoint=[],
                name=f"{self.prefix}-fixture-{fixture.name}",
                user=fixture.user,
                read_only=True,
                cap_drop=["ALL"],
                security_opt=["no-new-privileges:true"],
                volumes=volumes,
                labels={"io.promshield.fixture": fixture.name},
                network=fixture.network,
                networking_config={fixture.network: docker.types.EndpointConfig("1.41", aliases=list(fixture.aliases))},
            )
            container.start()

    def apply(self, resources: Sequence[Any]) -> Any:
        """A second `pulumi up`: `deploy.update` from the current resources to `resources`, commands
        run verbatim by `sh -c` in the Docker host namespace with `DOCKER_HOST` set to this engine
        (the program's `environment` names the deploying machine's engine). Returns `deploy.Applied`;
        a failed command raises `deploy.CommandFailedError`, and the state keeps what Pulumi keeps."""
        from . import deploy

        def run_command(script: str, environment: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
            env = {**os.environ, **environment, "DOCKER_HOST": self.engine.host}
            return nx.run(nx.exec_argv(self.host_ns, ["/bin/sh", "-c", script]), check=False, timeout=300, env=env)

        try:
            applied = deploy.update(
                self.deployment, self.resources, resources, run_command=run_command, host_paths=self.host_paths
            )
        except deploy.CommandFailedError as error:
            self.resources = list(error.applied.state)
            raise
        self.resources = list(applied.state)
        return applied

    # --- where things are -------------------------------------------------------------------
    def container_name(self, name: str) -> str:
        """A fixture's Docker name from its short name; any other name as it is."""
        if any(f.name == name for f in self.fixtures):
            return f"{self.prefix}-fixture-{name}"
        return name

    def inspect(self, name: str) -> dict[str, Any]:
        container = self.engine.client().containers.get(self.container_name(name))
        attrs: dict[str, Any] = container.attrs
        return attrs

    def main_pid(self, name: str) -> int:
        """The container's main process as the host sees it (0 when it is not running)."""
        return int(self.inspect(name)["State"]["Pid"])

    def is_running(self, name: str) -> bool:
        return bool(self.inspect(name)["State"]["Running"])

    def health(self, name: str) -> str | None:
        state = self.inspect(name)["State"]
        return state["Health"]["Status"] if state.get("Health") else None

    @property
    def networks(self) -> list[NetworkView]:
        client = self.engine.client()
        views = []
        for resource in self.resources:
            if resource.type == "docker:index/network:Network":
                attrs = client.networks.get(resource.inputs["name"]).attrs
                views.append(NetworkView(attrs["Name"], bool(attrs["Internal"]), attrs["IPAM"]["Config"][0]["Subnet"]))
        return views

    @property
    def members(self) -> dict[str, Member]:
        """Every running container on the stack's networks, fixtures included."""
        stack_networks = {n.name for n in self.networks}
        members = {}
        for container in self.engine.client().containers.list():
            attached = container.attrs["NetworkSettings"]["Networks"]
            addresses = {net: info["IPAddress"] for net, info in attached.items() if net in stack_networks}
            if not addresses:
                continue
            aliases = {net: tuple(info.get("Aliases") or ()) for net, info in attached.items() if net in stack_networks}
            members[container.name] = Member(container.name, addresses, aliases)
        return members

    def address_of(self, name: str, network: str | None = None) -> str:
        member = self.members.get(self.container_name(name))
        if member is None:
            raise HarnessError(f"no running container {name!r} on the stack's networks")
        if network is not None:
            return member.addresses[network]
        return next(iter(member.addresses.values()))

    def netns_of(self, name: str) -> str:
        """A netns name or path from: 'host', 'lan', a LAN client, a (running) container."""
        if name == "host":
            return self.host_ns
        if name == "lan":
            return self.lan_ns
        if name in self.client_addresses:
            return f"{self.prefix}-{name}"
        pid = self.main_pid(name)
        if pid <= 0:
            raise HarnessError(f"container {name} is not running: it has no network namespace")
        return f"/proc/{pid}/ns/net"

    def client(self, name: str = "trusted") -> Client:
        if name == "host":
            return Client(lambda: self.host_ns, self.host_address)
        if name in self.client_addresses:
            return Client(lambda: f"{self.prefix}-{name}", self.client_addresses[name])
        return Client(lambda: self.netns_of(name), None)

    def exec_in(
        self, name: str, argv: Sequence[str], *, timeout: float = 30, input: str | None = None, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """`argv` from the host's filesystem in a namespace's network (a container's too)."""
        return nx.run(nx.exec_argv(self.netns_of(name), argv), check=check, timeout=timeout, input=input)

    def docker(self, *args: str, timeout: float = 60, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """The docker CLI against this engine."""
        return nx.run(["docker", "-H", self.engine.host, *args], check=False, timeout=timeout, input=input)

    def container_exec(
        self,
        name: str,
        argv: Sequence[str],
        *,
        user: str | None = None,
        timeout: float = 30,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`docker exec` inside the container, as its own user unless `user` is given."""
        options = ["-i"] if input is not None else []
        if user is not None:
            options += ["-u", user]
        return self.docker("exec", *options, self.container_name(name), *argv, timeout=timeout, input=input)

    def apply_host_script(self, text: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        """A shell script (e.g. the firewall component's rules) in the Docker host namespace."""
        self._script_count += 1
        path = self.run_dir / f"host-script-{self._script_count}.sh"
        path.write_text(text)
        shell = "bash" if text.startswith("#!") and "bash" in text.splitlines()[0] else "sh"
        return nx.run(nx.exec_argv(self.host_ns, [shell, "-e", str(path)]), check=check, timeout=60)

    def iptables_save(self) -> str:
        return nx.run(nx.exec_argv(self.host_ns, ["iptables-save"]), check=True).stdout

    def write_file(self, name: str, content: str, mode: int = 0o600) -> Path:
        """A file for the tests' own use (a CA bundle, a client key...) under the run dir."""
        path = self.run_dir / "files" / _sanitize(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=mode)
        path.chmod(mode)
        path.write_text(content)
        return path

    def volume_dir(self, volume: str) -> Path:
        """Where the engine keeps a named volume's data on this machine."""
        return Path(self.engine.client().volumes.get(volume).attrs["Mountpoint"])

    def host_path_of(self, name: str, path: str) -> Path:
        """The host file behind `path` inside a container (through its volume or bind mount)."""
        mounts = sorted(self.inspect(name)["Mounts"], key=lambda m: len(m["Destination"]), reverse=True)
        for mount in mounts:
            destination = mount["Destination"].rstrip("/")
            if path == destination or path.startswith(destination + "/"):
                return Path(mount["Source"]) / path[len(destination) :].lstrip("/")
        raise HarnessError(f"{path} is in no volume or bind mount of {name}")

    def log_text(self, name: str) -> str:
        container = self.engine.client().containers.get(self.container_name(name))
        return str(container.logs(stdout=True, stderr=True).decode(errors="replace"))

    def save_logs(self) -> None:
        for container in self.engine.client().containers.list(all=True):
            text = container.logs(stdout=True, stderr=True).decode(errors="replace")
            (self.run_dir / "logs" / f"{_sanitize(container.name)}.log").write_text(text)

    # --- acting on containers ---------------------------------------------------------------
    def start(self, name: str) -> None:
        self.engine.client().containers.get(self.container_name(name)).start()

    def stop(self, name: str, timeout: int = 10) -> None:
        self.engine.client().containers.get(self.container_name(name)).stop(timeout=timeout)

    def kill(self, name: str) -> None:
        """`docker kill`: an operator's stop (the restart policy leaves it stopped)."""
        self.engine.client().containers.get(self.container_name(name)).kill()

    def kill_main_process(self, name: str) -> int:
        """SIGKILL the container's main process from the host, as a crash would: the engine's
        restart policy decides what happens next. Returns the killed pid."""
        pid = self.main_pid(name)
        if pid <= 0:
            raise HarnessError(f"{name} is not running")
        os.kill(pid, signal.SIGKILL)
        return pid

    def disconnect(self, name: str, network: str) -> dict[str, Any]:
        """Take a container off a network; returns what `reconnect` needs to put it back."""
        settings = dict(self.inspect(name)["NetworkSettings"]["Networks"][network])
        self.engine.client().networks.get(network).disconnect(self.container_name(name), force=True)
        return settings

    def reconnect(self, name: str, network: str, settings: Mapping[str, Any]) -> None:
        ipam = settings.get("IPAMConfig") or {}
        aliases = [a for a in settings.get("Aliases") or [] if not re.fullmatch(r"[0-9a-f]{12}", a)]
        self.engine.client().networks.get(network).connect(
            self.container_name(name), ipv4_address=ipam.get("IPv4Address") or None, aliases=aliases or None
        )
