"""The stack the program registers, deployed by the real `pulumi up` on a real Docker Engine that runs in a
namespace of ours.

```
  <prefix>-trusted 198.19.0.10 ─┐
  <prefix>-untrusted 198.19.0.20 ┼─ <prefix>-lan (switch sw0) ── eth0 198.19.0.1 <prefix>-host
  (more LAN clients ...)        ─┘                                 │ dockerd (engine.py): its own
                                                                    │ bridges, DNAT, DOCKER-USER,
                                                                    │ embedded DNS, restart policies
                      the program's networks and containers, as the real `pulumi up` creates them
```

Several Docker hosts (`hosts=[Host("mon-a", "198.19.0.1", "ssh://deploy@198.19.0.1"), ...]`): one
namespace `<prefix>-<host name>` per host on the same LAN, each with its own dockerd (engine
prefix `<prefix><n>`: its own data root, socket, cgroup parent and lock) and its own firewall script;
the harness deploys nothing on them: the real `pulumi up` reaches them over SSH (multihost.py,
sshhosts.py), the test code through each engine's socket. LAN services
(`LanService`, e.g. a central remote-write receiver) are processes in namespaces of their own on
the LAN.

Nothing here emulates Docker: the LAN and its clients are plain network namespaces; everything
from the Docker host inwards is the engine's own work. Tests reach a container's network
namespace through `/proc/<pid>/ns/net` of its main process and run commands inside it with
`docker exec`, as an operator would.

This is the test harness: it deploys nothing of the program itself. The `deployer` it is given (the real
`pulumi up`, pulumi_engine.py) does, once the engine and the LAN exist.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import fcntl
import functools
import ipaddress
import json
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
# The uid the tests' own servers run as (LAN services, the multi-host fixtures), never the stack's
# 65534: the stack's containers carry an `nproc` ulimit, and RLIMIT_NPROC counts every task of a uid
# on the whole machine (no user namespaces), so our servers' threads would eat into the stack's budget.
TEST_UID = 64900
TEST_USER = f"{TEST_UID}:{TEST_UID}"


DOCKER_NETWORKS = frozenset({"bridge", "host", "none"})  # the engine's own, not a stack's


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
    host: str | None = None  # the Docker host it runs on (a `Host.name`); None: the first


@dataclass(frozen=True)
class Host:
    """A Docker host on the LAN: its namespace, its LAN address and its own dockerd.

    `docker_host` is the `host` input of the program's `docker.Provider` for it (the real `pulumi up`
    reaches it there); None with a single host, which gets every recorded Docker resource.
    `script` runs in its namespace once its engine has made its chains, before any container exists
    (the host's firewall command)."""

    name: str
    address: str
    docker_host: str | None = None
    script: str | None = None


@dataclass(frozen=True)
class LanService:
    """A process of the test's in a LAN namespace of its own (`<prefix>-<name>`, at `address`), as an
    unprivileged user (`TEST_USER`); e.g. a central remote-write receiver. Its output goes to `logs/<name>.log`."""

    name: str
    address: str
    argv: Sequence[str]
    user: str = TEST_USER
    # More processes in the same namespace (e.g. a store on loopback behind its TLS/auth proxy);
    # logs `<name>-<n>.log`. The service runs while all of them do.
    companions: Sequence[Sequence[str]] = ()


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
    """LAN namespaces, a dockerd per Docker host namespace, and what the real `pulumi up` deployed there.

    The harness deploys nothing of the program itself: `deployer` (the real `pulumi up`,
    harness/pulumi_engine.py; over SSH with several hosts, harness/multihost.py) runs once the engines
    and the LAN exist and `images` (the stand-ins under the pinned names) are loaded; without one the
    engines stay empty for the test to use. Each `Host.script` runs in that Docker host's namespace
    once its engine has made its chains and before any container exists. `fixtures` (the test's own
    containers) start after the deployer, on the networks it made. `services` are processes in LAN
    namespaces of their own, started before the engines.

    Methods that act on a container or an engine take `host=` (a `Host.name`; default: the first
    host): each host is its own engine, and the same Docker name exists on each.
    """

    def __init__(
        self,
        *,
        prefix: str = "pd",
        clients: Mapping[str, str] | None = None,
        fixtures: Sequence[Fixture] = (),
        hosts: Sequence[Host] | None = None,
        services: Sequence[LanService] = (),
        images: Sequence[str] = (),
        deployer: Callable[[LiveStack], None] | None = None,
    ) -> None:
        self.images = list(images)
        self.deployer = deployer
        self.prefix = prefix
        if hosts is None:
            hosts = [Host("host", HOST_ADDRESS)]
        self.hosts = list(hosts)
        self.multi_host = len(self.hosts) > 1
        self.lan_ns = f"{prefix}-lan"
        self.host_address = self.hosts[0].address
        self.client_addresses = dict(clients or {"trusted": "198.19.0.10", "untrusted": "198.19.0.20"})
        self.services = list(services)
        self.fixtures = list(fixtures)
        self._check_names()
        self.host_ns = self.netns_of_host(self.hosts[0].name)
        self.run_dir = RUN_ROOT / prefix
        self.engines: dict[str, Any] = {}  # host name -> engine.Engine
        self.timings: dict[str, float] = {}
        self._lock = _PrefixLock(prefix)
        self._namespaces: list[str] = []
        self._processes: list[subprocess.Popen[bytes]] = []
        self._service_processes: dict[str, list[subprocess.Popen[bytes]]] = {}
        self._closed = True
        self._signals = SignalTeardown(self.close)
        self._script_count = 0

    def _check_names(self) -> None:
        names = [h.name for h in self.hosts] + list(self.client_addresses) + [s.name for s in self.services]
        reserved = {"lan"}
        clashes = sorted({n for n in names if names.count(n) > 1} | (reserved & set(names)))
        if clashes:
            raise HarnessError(f"hosts, clients and services need distinct names (not 'lan'): {clashes}")
        addresses = [h.address for h in self.hosts] + list(self.client_addresses.values())
        addresses += [s.address for s in self.services]
        if len(set(addresses)) != len(addresses):
            raise HarnessError(f"two LAN members share an address: {addresses}")
        if self.multi_host and any(h.docker_host is None for h in self.hosts):
            raise HarnessError("with several hosts each Host needs the docker_host its provider names")
        unknown = sorted({f.host for f in self.fixtures if f.host is not None} - {h.name for h in self.hosts})
        if unknown:
            raise HarnessError(f"fixtures on unknown hosts: {unknown}")

    # --- names ------------------------------------------------------------------------------
    def netns_of_host(self, host: str) -> str:
        """`<prefix>-host` for the single host (as before several hosts existed), else `<prefix>-<name>`."""
        return f"{self.prefix}-host" if not self.multi_host else f"{self.prefix}-{host}"

    def engine_prefix(self, index: int) -> str:
        """The engine of host `index` (0-based): the stack's prefix alone for one host (its data root is
        the one single-host runs always used), `<prefix><n>` otherwise. A digit never starts or ends a
        harness prefix (2-4 letters), so these never collide with another run's."""
        return self.prefix if not self.multi_host else f"{self.prefix}{index + 1}"

    @property
    def engine(self) -> Any:
        """The first host's engine (the only one of a single-host stack)."""
        return self.engines.get(self.hosts[0].name)

    def _host(self, host: str | None) -> Host:
        if host is None:
            return self.hosts[0]
        for candidate in self.hosts:
            if candidate.name == host:
                return candidate
        raise HarnessError(f"no Docker host {host!r}; have {[h.name for h in self.hosts]}")

    def engine_of(self, host: str | None = None) -> Any:
        return self.engines[self._host(host).name]

    def _client_of(self, host: str | None) -> Any:
        return self.engine_of(host).client()

    # --- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> LiveStack:
        return self.up()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def up(self) -> LiveStack:
        from . import engine

        self._lock.acquire()
        self._closed = False
        atexit.register(self.close)
        self._signals.install()
        try:
            self._remove_namespaces(stale=True)
            (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
            (self.run_dir / "files").mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            engines = {
                h.name: engine.Engine(prefix=self.engine_prefix(i), netns=self.netns_of_host(h.name))
                for i, h in enumerate(self.hosts)
            }
            # Before anything exists: a SIGKILLed run's successor sweeps every engine this one had.
            self._engines_record().write_text(json.dumps({p.prefix: p.netns for p in engines.values()}) + "\n")
            self._build_lan()
            self._start_services()
            self._parallel({name: e.start for name, e in engines.items()}, self.engines.update, engines)
            self.engines = {name: self.engines[name] for name in engines}  # host order, not start order
            self.timings["engine"] = time.monotonic() - started
            mark = time.monotonic()
            self._ensure_images()
            self.timings["images"] = time.monotonic() - mark
            for host in self.hosts:
                if host.script is not None:
                    self.apply_host_script(host.script, host=host.name)
            mark = time.monotonic()
            self._deploy()
            self._start_fixtures()
            self.timings["deploy"] = time.monotonic() - mark
            print(f"[live] {self.prefix} up in {time.monotonic() - started:.1f}s {self.timings}", file=sys.stderr)
        except BaseException:
            self.close()
            raise
        return self

    def _parallel(
        self, calls: Mapping[str, Callable[[], Any]], done: Callable[[dict[str, Any]], None], keep: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Run `calls` at once (one per host); `done({name: keep[name]})` for each that succeeded, so
        teardown finds it; the first error is raised once all have ended."""
        results: dict[str, Any] = {}
        errors: list[BaseException] = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(calls))) as pool:
            futures = {pool.submit(call): name for name, call in calls.items()}
            for future in concurrent.futures.as_completed(futures):
                name = futures[future]
                try:
                    results[name] = future.result()
                except BaseException as error:  # every host's outcome counts: keep collecting
                    errors.append(error)
                else:
                    done({name: keep[name]})
        if errors:
            for extra in errors[1:]:
                errors[0].add_note(f"also: {type(extra).__name__}: {extra}")
            raise errors[0]
        return results

    def _references(self, host: Host) -> list[str]:
        """The images a host's engine needs: `images` (what the deployer's program names) and its fixtures'."""
        return sorted(
            {f.image for f in self.fixtures if (f.host or self.hosts[0].name) == host.name} | set(self.images)
        )

    def _ensure_images(self) -> None:
        """Stand-ins in every engine: built (or found) in the first, then copied to the others with one
        `docker save` and a `docker load` per engine, at once (content-addressed: the same image ids,
        so `ensure_images` there only checks labels). Each data root keeps them for the next run."""
        import docker.errors

        from . import standins

        first, *others = self.hosts
        wanted = {h.name: self._references(h) for h in self.hosts}
        everything = sorted({ref for refs in wanted.values() for ref in refs})
        ids = standins.ensure_images(self._client_of(first.name), everything)
        if not others or not everything:
            return
        base = standins.base_recipe().tag  # ensure_images imports it again when missing: copy it too
        source = self._client_of(first.name)
        ids[base] = str(source.images.get(base).id)
        missing: dict[str, list[str]] = {}
        for host in others:
            client = self._client_of(host.name)
            lacking = []
            for reference in [*wanted[host.name], base]:
                with contextlib.suppress(docker.errors.ImageNotFound):
                    if str(client.images.get(reference).id) == ids[reference]:
                        continue
                lacking.append(reference)
            if lacking:
                missing[host.name] = lacking
        if missing:
            mark = time.monotonic()
            archive = self.run_dir / "standins.tar"
            union = sorted({ref for refs in missing.values() for ref in refs})
            self.engine_of(first.name).docker_cli("save", "-o", str(archive), *union, check=True, timeout=600)
            load = ("load", "-q", "-i", str(archive))
            calls = {
                name: functools.partial(self.engine_of(name).docker_cli, *load, check=True, timeout=600)
                for name in missing
            }
            try:
                self._parallel(calls, lambda _: None, dict.fromkeys(missing))
            finally:
                archive.unlink(missing_ok=True)
            self.timings["images_copied"] = time.monotonic() - mark
        for host in others:
            built: list[str] = []
            standins.ensure_images(self._client_of(host.name), wanted[host.name], built=built)
            if built:
                print(f"[live] {host.name}: rebuilt after the copy: {built}", file=sys.stderr)

    def _deploy(self) -> None:
        if self.deployer is not None:
            self.deployer(self)

    def close(self) -> None:
        """Save every container's log, stop the engines (each removes what it made), stop the LAN
        services, delete the namespaces. Idempotent, never raises."""
        if self._closed:
            return
        self._closed = True
        errors: list[str] = []
        for name in list(self.engines):
            with contextlib.suppress(Exception):
                self.save_logs(host=name)
        for name, running in list(self.engines.items()):
            try:
                running.stop()
            except Exception as exc:  # keep tearing down
                errors.append(f"engine {name}: {exc}")
        self._stop_services()
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
        """Remove what a SIGKILLed run with this prefix left: its dockerds (and what those engines
        made), its LAN services and its namespaces. Refuses (HarnessBusy) while a live run holds the
        prefix."""
        self._lock.acquire()
        try:
            self._remove_namespaces(stale=True)
        finally:
            self._lock.release()

    def _engines_record(self) -> Path:
        """The engines (prefix -> netns) the last run of this prefix started: what a SIGKILLed run's
        successor must sweep, even when it runs fewer hosts. Outside the run dir's logs and files."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        return self.run_dir / "engines.json"

    def _remove_namespaces(self, *, stale: bool) -> None:
        from . import engine

        if stale:
            names = [ns for ns in nx.netns_list() if ns.startswith(f"{self.prefix}-")]
            try:
                recorded = dict(json.loads(self._engines_record().read_text()))
            except (OSError, ValueError):
                recorded = {}
            recorded.setdefault(self.prefix, f"{self.prefix}-host")  # runs from before the record existed
            for engine_prefix, netns in recorded.items():
                engine.Engine(prefix=str(engine_prefix), netns=str(netns)).sweep_stale()
        else:
            names = self._namespaces
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
        self._add_ns(self.lan_ns)
        nx.ip("link", "add", "sw0", "type", "bridge", ns=self.lan_ns)
        nx.ip("link", "set", "sw0", "up", ns=self.lan_ns)
        port = 0
        for host in self.hosts:
            ns = self.netns_of_host(host.name)
            self._add_ns(ns)
            nx.sysctl(ns, "net.ipv4.ip_forward", "1")
            nx.add_veth(ns, HOST_INTERFACE, self.lan_ns, f"p{port}")
            nx.ip("addr", "add", f"{host.address}/{prefixlen}", "dev", HOST_INTERFACE, ns=ns)
            nx.ip("link", "set", HOST_INTERFACE, "up", ns=ns)
            nx.ip("link", "set", f"p{port}", "master", "sw0", "up", ns=self.lan_ns)
            port += 1
        members = [*self.client_addresses.items(), *((s.name, s.address) for s in self.services)]
        hosts_file = "127.0.0.1\tlocalhost\n" + "".join(
            f"{h.address}\t{'docker-host' if i == 0 else h.name}\n" for i, h in enumerate(self.hosts)
        )
        for name, address in members:
            ns = f"{self.prefix}-{name}"
            self._add_ns(ns)
            nx.add_veth(ns, "eth0", self.lan_ns, f"p{port}")
            nx.ip("link", "set", f"p{port}", "master", "sw0", "up", ns=self.lan_ns)
            port += 1
            nx.ip("addr", "add", f"{address}/{prefixlen}", "dev", "eth0", ns=ns)
            nx.ip("link", "set", "eth0", "up", ns=ns)
            # Worst case for the stack: a LAN client routes everything through the (first) Docker host.
            nx.ip("route", "add", "default", "via", self.host_address, ns=ns)
            nx.write_netns_etc(ns, "hosts", hosts_file)
            nx.write_netns_etc(ns, "resolv.conf", RESOLV_CONF)

    def _start_services(self) -> None:
        for service in self.services:
            uid, _, gid = service.user.partition(":")
            for index, command in enumerate([service.argv, *service.companions]):
                argv = ["setpriv", f"--reuid={uid}", f"--regid={gid or uid}", "--clear-groups", "--", *command]
                suffix = f"-{index}" if index else ""
                with open(self.run_dir / "logs" / f"{_sanitize(service.name)}{suffix}.log", "ab") as log:
                    process = subprocess.Popen(  # nosec B603 - the test's own argv, no shell
                        nx.exec_argv(f"{self.prefix}-{service.name}", argv),
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=log,
                        start_new_session=True,
                    )
                self._processes.append(process)
                self._service_processes.setdefault(service.name, []).append(process)

    def _stop_services(self) -> None:
        for process in self._processes:
            if process.poll() is None:
                process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=5)
        self._processes.clear()
        self._service_processes.clear()

    def service_running(self, name: str) -> bool:
        """Whether the LAN service `name` is still running (every process of it)."""
        if not any(service.name == name for service in self.services):
            raise HarnessError(f"no LAN service {name!r}")
        processes = self._service_processes.get(name, [])
        return bool(processes) and all(process.poll() is None for process in processes)

    def start_fixtures(self, fixtures: Sequence[Fixture]) -> None:
        """Fixtures on networks that exist only now (made by a real `pulumi up` after `up()`)."""
        self.fixtures.extend(fixtures)
        self._check_names()
        self._start_fixtures(fixtures)

    def _start_fixtures(self, fixtures: Sequence[Fixture] | None = None) -> None:
        import docker.types

        for fixture in self.fixtures if fixtures is None else fixtures:
            client = self._client_of(fixture.host)
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

    # --- where things are -------------------------------------------------------------------
    def container_name(self, name: str, host: str | None = None) -> str:
        """A fixture's Docker name from its short name; any other name as it is."""
        if any(f.name == name and (f.host is None or host is None or f.host == host) for f in self.fixtures):
            return f"{self.prefix}-fixture-{name}"
        return name

    def inspect(self, name: str, host: str | None = None) -> dict[str, Any]:
        container = self._client_of(host).containers.get(self.container_name(name, host))
        attrs: dict[str, Any] = container.attrs
        return attrs

    def main_pid(self, name: str, host: str | None = None) -> int:
        """The container's main process as the host sees it (0 when it is not running)."""
        return int(self.inspect(name, host)["State"]["Pid"])

    def is_running(self, name: str, host: str | None = None) -> bool:
        return bool(self.inspect(name, host)["State"]["Running"])

    def health(self, name: str, host: str | None = None) -> str | None:
        state = self.inspect(name, host)["State"]
        return state["Health"]["Status"] if state.get("Health") else None

    def networks_on(self, host: str | None = None) -> list[NetworkView]:
        """Every network on a host's engine but Docker's own: the engine is the harness's, so they are the ones the
        deployer (or the test) made."""
        views = []
        for network in self._client_of(host).networks.list():
            attrs = network.attrs
            if attrs["Name"] not in DOCKER_NETWORKS:
                views.append(NetworkView(attrs["Name"], bool(attrs["Internal"]), attrs["IPAM"]["Config"][0]["Subnet"]))
        return views

    @property
    def networks(self) -> list[NetworkView]:
        """The first host's networks (the only host's)."""
        return self.networks_on()

    def members_on(self, host: str | None = None) -> dict[str, Member]:
        """Every running container on the stack's networks of one host, fixtures included."""
        stack_networks = {n.name for n in self.networks_on(host)}
        members = {}
        for container in self._client_of(host).containers.list():
            attached = container.attrs["NetworkSettings"]["Networks"]
            addresses = {net: info["IPAddress"] for net, info in attached.items() if net in stack_networks}
            if not addresses:
                continue
            aliases = {net: tuple(info.get("Aliases") or ()) for net, info in attached.items() if net in stack_networks}
            members[container.name] = Member(container.name, addresses, aliases)
        return members

    @property
    def members(self) -> dict[str, Member]:
        """Every running container on the first (only) host's stack networks, fixtures included."""
        return self.members_on()

    def address_of(self, name: str, network: str | None = None, host: str | None = None) -> str:
        member = self.members_on(host).get(self.container_name(name, host))
        if member is None:
            raise HarnessError(f"no running container {name!r} on the stack's networks")
        if network is not None:
            return member.addresses[network]
        return next(iter(member.addresses.values()))

    def netns_of(self, name: str, host: str | None = None) -> str:
        """A netns name or path from: 'host' (the first Docker host), a host's name, 'lan', a LAN
        client or service, a (running) container (on `host`)."""
        if name == "host":
            return self.host_ns
        if any(h.name == name for h in self.hosts):
            return self.netns_of_host(name)
        if name == "lan":
            return self.lan_ns
        if name in self.client_addresses or any(s.name == name for s in self.services):
            return f"{self.prefix}-{name}"
        pid = self.main_pid(name, host)
        if pid <= 0:
            raise HarnessError(f"container {name} is not running: it has no network namespace")
        return f"/proc/{pid}/ns/net"

    def client(self, name: str = "trusted", host: str | None = None) -> Client:
        if name == "host":
            return Client(lambda: self.host_ns, self.host_address)
        for candidate in self.hosts:
            if candidate.name == name:
                return Client(lambda: self.netns_of_host(name), candidate.address)
        if name in self.client_addresses:
            return Client(lambda: f"{self.prefix}-{name}", self.client_addresses[name])
        for service in self.services:
            if service.name == name:
                return Client(lambda: f"{self.prefix}-{name}", service.address)
        return Client(lambda: self.netns_of(name, host), None)

    def exec_in(
        self,
        name: str,
        argv: Sequence[str],
        *,
        timeout: float = 30,
        input: str | None = None,
        check: bool = False,
        host: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`argv` from the host's filesystem in a namespace's network (a container's too)."""
        return nx.run(nx.exec_argv(self.netns_of(name, host), argv), check=check, timeout=timeout, input=input)

    def docker(
        self, *args: str, timeout: float = 60, input: str | None = None, host: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """The docker CLI against one host's engine."""
        return nx.run(["docker", "-H", self.engine_of(host).host, *args], check=False, timeout=timeout, input=input)

    def container_exec(
        self,
        name: str,
        argv: Sequence[str],
        *,
        user: str | None = None,
        timeout: float = 30,
        input: str | None = None,
        host: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`docker exec` inside the container, as its own user unless `user` is given."""
        options = ["-i"] if input is not None else []
        if user is not None:
            options += ["-u", user]
        return self.docker(
            "exec", *options, self.container_name(name, host), *argv, timeout=timeout, input=input, host=host
        )

    def apply_host_script(
        self, text: str, *, check: bool = True, host: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """A shell script (e.g. the firewall component's rules) in a Docker host's namespace."""
        self._script_count += 1
        path = self.run_dir / f"host-script-{self._script_count}.sh"
        path.write_text(text)
        shell = "bash" if text.startswith("#!") and "bash" in text.splitlines()[0] else "sh"
        ns = self.netns_of_host(self._host(host).name)
        return nx.run(nx.exec_argv(ns, [shell, "-e", str(path)]), check=check, timeout=60)

    def iptables_save(self, host: str | None = None) -> str:
        return nx.run(nx.exec_argv(self.netns_of_host(self._host(host).name), ["iptables-save"]), check=True).stdout

    def write_file(self, name: str, content: str, mode: int = 0o600) -> Path:
        """A file for the tests' own use (a CA bundle, a client key...) under the run dir."""
        path = self.run_dir / "files" / _sanitize(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=mode)
        path.chmod(mode)
        path.write_text(content)
        return path

    def volume_dir(self, volume: str, host: str | None = None) -> Path:
        """Where an engine keeps a named volume's data on this machine."""
        return Path(self._client_of(host).volumes.get(volume).attrs["Mountpoint"])

    def host_path_of(self, name: str, path: str, host: str | None = None) -> Path:
        """The host file behind `path` inside a container (through its volume or bind mount)."""
        mounts = sorted(self.inspect(name, host)["Mounts"], key=lambda m: len(m["Destination"]), reverse=True)
        for mount in mounts:
            destination = mount["Destination"].rstrip("/")
            if path == destination or path.startswith(destination + "/"):
                return Path(mount["Source"]) / path[len(destination) :].lstrip("/")
        raise HarnessError(f"{path} is in no volume or bind mount of {name}")

    def log_text(self, name: str, host: str | None = None) -> str:
        container = self._client_of(host).containers.get(self.container_name(name, host))
        return str(container.logs(stdout=True, stderr=True).decode(errors="replace"))

    def save_logs(self, host: str | None = None) -> None:
        """`docker logs` of every container of one host to `logs/` (`<host>-<name>.log` with several)."""
        where = f"{self._host(host).name}-" if self.multi_host else ""
        for container in self._client_of(host).containers.list(all=True):
            text = container.logs(stdout=True, stderr=True).decode(errors="replace")
            (self.run_dir / "logs" / f"{where}{_sanitize(container.name)}.log").write_text(text)

    # --- acting on containers ---------------------------------------------------------------
    def start(self, name: str, host: str | None = None) -> None:
        self._client_of(host).containers.get(self.container_name(name, host)).start()

    def stop(self, name: str, timeout: int = 10, host: str | None = None) -> None:
        self._client_of(host).containers.get(self.container_name(name, host)).stop(timeout=timeout)

    def kill(self, name: str, host: str | None = None) -> None:
        """`docker kill`: an operator's stop (the restart policy leaves it stopped)."""
        self._client_of(host).containers.get(self.container_name(name, host)).kill()

    def kill_main_process(self, name: str, host: str | None = None) -> int:
        """SIGKILL the container's main process from the host, as a crash would: the engine's
        restart policy decides what happens next. Returns the killed pid."""
        pid = self.main_pid(name, host)
        if pid <= 0:
            raise HarnessError(f"{name} is not running")
        os.kill(pid, signal.SIGKILL)
        return pid

    def disconnect(self, name: str, network: str, host: str | None = None) -> dict[str, Any]:
        """Take a container off a network; returns what `reconnect` needs to put it back."""
        settings = dict(self.inspect(name, host)["NetworkSettings"]["Networks"][network])
        self._client_of(host).networks.get(network).disconnect(self.container_name(name, host), force=True)
        return settings

    def reconnect(self, name: str, network: str, settings: Mapping[str, Any], host: str | None = None) -> None:
        ipam = settings.get("IPAMConfig") or {}
        aliases = [a for a in settings.get("Aliases") or [] if not re.fullmatch(r"[0-9a-f]{12}", a)]
        self._client_of(host).networks.get(network).connect(
            self.container_name(name, host), ipv4_address=ipam.get("IPv4Address") or None, aliases=aliases or None
        )
