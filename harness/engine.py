"""A private Docker Engine (Docker 29, built from Go source by toolchain/docker/build.sh) inside one of
the harness's network namespaces.

```
with Engine(prefix="pd", netns="pd-host") as engine:
    client = engine.client()        # docker SDK, unix:///run/promshield-pd/docker.sock
    engine.docker_cli("ps", "-a")   # the docker CLI against it, for humans and tests
```

- dockerd is entered into the (already existing) namespace with `nsenter --net` only, never
  `ip netns exec` (that remounts /sys and dockerd dies: "Devices cgroup isn't mounted"); its
  iptables chains (DOCKER, DOCKER-USER, isolation) therefore live in that namespace alone.
- Addresses stay inside 198.18.0.0/15: the default bridge is 198.18.250.1/24, user networks come
  from 198.18.128.0/17 in /24s.
- Containers go to their own cgroup parent (`/promshield-<prefix>`): a crashed run's leftovers
  are found (and killed) there, never mixed with another dockerd's `/docker`.
- `stop()` removes every container, network and volume, keeps the images (the stand-in cache
  in the data root), stops dockerd and unmounts what it left under its roots. It runs on
  context exit, atexit and SIGTERM/SIGINT/SIGHUP; a dockerd left by a SIGKILLed run (its
  pidfile) is stopped by the next `start()`.

Standalone: `python -m harness.engine up` (namespace + engine + stand-in images,
until Ctrl-C) and `... down`.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess  # nosec B404 - the harness drives dockerd and the docker CLI on purpose
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from . import netns as nx
from .paths import LOCK_DIR, REPO_ROOT
from .teardown import SignalTeardown

DEFAULT_ROOT = REPO_ROOT / "build" / "acceptance" / "engine"
ENGINE_BIN = REPO_ROOT / ".docker-bin"  # toolchain/docker/build.sh links it
BRIDGE_IP = "198.18.250.1/24"
ADDRESS_POOL = "base=198.18.128.0/17,size=24"
PREDEFINED_NETWORKS = frozenset({"bridge", "host", "none"})
CGROUP_ROOT = Path("/sys/fs/cgroup")
# What dockerd logs when the overlay2 graph driver cannot work on the data root's filesystem.
_OVERLAY_FAILURE = re.compile(
    r"graphdriver|driver not supported|overlay2?\b.*(not supported|failed|invalid argument)", re.IGNORECASE
)


class EngineError(RuntimeError):
    """dockerd could not be started or stopped (the message quotes its log)."""


class EngineBusy(EngineError):
    """Another live process owns this prefix's engine."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _pids() -> Iterator[int]:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def _kill_and_wait(pids: list[int], sig: int, timeout: float) -> list[int]:
    """Send `sig` to each pid, wait up to `timeout`; returns those still alive."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in alive if _pid_alive(pid) and not _is_zombie(pid)]
    return alive


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def _unescape_mount(path: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal (`\\040`)."""
    return path.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def engine_binary(name: str) -> Path:
    """`dockerd` or `docker-proxy` as toolchain/docker/build.sh builds them (Docker 29, from Go source;
    `make deps` runs it): Debian's dockerd 20.10 cannot take the program's owned uploads."""
    path = ENGINE_BIN / name
    if not path.is_file():
        raise EngineError(f"{path} is missing: run `make deps` (or bash toolchain/docker/build.sh) to build Docker 29")
    return path


class Engine:
    """A dockerd of our own in network namespace `netns`; start with `with Engine(...)`."""

    def __init__(
        self,
        prefix: str = "pd",
        netns: str | None = None,
        root: Path | None = None,
        *,
        storage_driver: str = "overlay2",
        start_timeout: float = 30.0,
    ) -> None:
        self.prefix = prefix
        self.netns = netns or f"{prefix}-host"
        # One data root per prefix: two engines must never share one (the suite's is `engine`).
        default_root = DEFAULT_ROOT if prefix == "pd" else DEFAULT_ROOT.with_name(f"engine-{prefix}")
        self.root = Path(root) if root is not None else default_root
        self.data_root = self.root / "data"
        self.log_path = self.root / "dockerd.log"
        # Unix socket paths are limited to 108 bytes (containerd's sockets live under the exec
        # root): keep both short and out of the repository.
        self.run_dir = Path(f"/run/promshield-{prefix}")
        self.exec_root = self.run_dir / "exec"
        self.socket_path = self.run_dir / "docker.sock"
        self.pidfile = self.run_dir / "dockerd.pid"
        self.cgroup_parent = f"/promshield-{prefix}"
        self.storage_driver = storage_driver
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._lock_path = LOCK_DIR / f"promshield-engine-{prefix}.lock"
        self._lock: IO[str] | None = None
        self._signals = SignalTeardown(self.stop)
        self._started = False

    # --- addresses ---------------------------------------------------------------------------
    @property
    def host(self) -> str:
        """`DOCKER_HOST` of this engine, e.g. `unix:///run/promshield-pd/docker.sock`."""
        return f"unix://{self.socket_path}"

    def client(self, timeout: int = 300) -> Any:
        """A docker SDK client for this engine (`docker.DockerClient`)."""
        import docker

        return docker.DockerClient(base_url=self.host, timeout=timeout)

    def docker_cli(self, *args: str, check: bool = False, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """`docker -H <this engine> <args>` (own config dir: ~/.docker is never read or written)."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
            "DOCKER_CONFIG": str(self.root / "cli"),
            "HOME": os.environ.get("HOME", "/root"),
        }
        argv = ["docker", "-H", self.host, *args]
        result = subprocess.run(  # nosec B603
            argv, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
        if check and result.returncode != 0:
            raise nx.CommandError(argv, result)
        return result

    # --- lifecycle -----------------------------------------------------------------------------
    def __enter__(self) -> Engine:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> Engine:
        """Start dockerd (stopping a stale one of this prefix first); returns when it answers."""
        if self._started:
            return self
        if not (nx.NETNS_DIR / self.netns).exists():
            raise EngineError(f"network namespace {self.netns} does not exist (create it first)")
        self._acquire_lock()
        self._started = True
        atexit.register(self.stop)
        self._signals.install()
        try:
            self._stop_stale()
            self.root.mkdir(parents=True, exist_ok=True)
            self.run_dir.mkdir(parents=True, exist_ok=True)
            started = time.monotonic()
            try:
                self._launch(self.storage_driver)
            except EngineError as exc:
                if self.storage_driver != "overlay2" or not _OVERLAY_FAILURE.search(str(exc)):
                    raise
                print(f"[engine] overlay2 does not work here; falling back to vfs (slow, big): {exc}", file=sys.stderr)
                self._stop_stale()
                self._launch("vfs")
            elapsed = time.monotonic() - started
            print(f"[engine] dockerd up in {self.netns} in {elapsed:.1f}s: DOCKER_HOST={self.host}", file=sys.stderr)
        except BaseException:
            self.stop()
            raise
        return self

    def _launch(self, storage_driver: str) -> None:
        config = self.root / "daemon.json"
        # Never the host's /etc/docker/daemon.json. Debian's runc 1.1 knows no time namespace, which
        # Docker 29 asks for by default ("namespace {"time" ""} does not exist"): its documented opt-out.
        config.write_text('{"features": {"time-namespaces": false}}\n')
        dockerd = engine_binary("dockerd")
        argv = [
            "nsenter",
            f"--net={nx.NETNS_DIR / self.netns}",
            "--",
            str(dockerd),
            f"--config-file={config}",
            f"--data-root={self.data_root}",
            f"--exec-root={self.exec_root}",
            f"--host={self.host}",
            f"--pidfile={self.pidfile}",
            f"--storage-driver={storage_driver}",
            f"--bip={BRIDGE_IP}",
            f"--default-address-pool={ADDRESS_POOL}",
            "--iptables=true",
            "--log-level=warn",
            f"--cgroup-parent={self.cgroup_parent}",
            f"--userland-proxy-path={engine_binary('docker-proxy')}",
        ]
        if not Path("/run/systemd/system").is_dir():
            argv.append("--exec-opt=native.cgroupdriver=cgroupfs")
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root"}
        with open(self.log_path, "ab") as log:
            log.write(f"\n==== {time.strftime('%Y-%m-%dT%H:%M:%S')} {' '.join(argv)}\n".encode())
            log.flush()
            since = log.tell()
            # Own session: a Ctrl-C to the test's process group must not reach dockerd before
            # stop() has removed the containers.
            self.process = subprocess.Popen(  # nosec B603
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, start_new_session=True
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EngineError(
                    f"dockerd exited ({self.process.returncode}) during start; "
                    f"log {self.log_path}:\n{self._log_tail(since)}"
                )
            if self._ping():
                return
            time.sleep(0.2)
        raise EngineError(
            f"dockerd did not answer /_ping within {self.start_timeout:.0f}s; "
            f"log {self.log_path}:\n{self._log_tail(since)}"
        )

    def _ping(self) -> bool:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(2)
                sock.connect(str(self.socket_path))
                sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
                reply = sock.recv(4096)
        except OSError:
            return False
        return reply.startswith(b"HTTP/1.") and b" 200 " in reply.split(b"\r\n", 1)[0] + b" "

    def _log_tail(self, since: int = 0, lines: int = 25) -> str:
        """The last `lines` lines the log got after byte offset `since` (this attempt's)."""
        try:
            with open(self.log_path, "rb") as handle:
                handle.seek(since)
                text = handle.read().decode(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Remove containers, networks and volumes (images stay), stop dockerd, unmount leftovers."""
        if not self._started:
            return
        self._started = False
        errors: list[str] = []
        if self.process is not None and self.process.poll() is None and self._ping():
            try:
                self._remove_resources()
            except Exception as exc:  # keep tearing down
                errors.append(f"removing containers/networks/volumes: {exc}")
        if self.process is not None:
            pid = self.process.pid
            if _kill_and_wait([pid], signal.SIGTERM, 30):
                errors.append("dockerd ignored SIGTERM for 30s: SIGKILL")
                _kill_and_wait([pid], signal.SIGKILL, 5)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
            self.process = None
        try:
            self._sweep()
        except Exception as exc:
            errors.append(f"sweep: {exc}")
        self._signals.restore()
        atexit.unregister(self.stop)
        self._release_lock()
        if errors:
            print(f"[engine] stop: {'; '.join(errors)}", file=sys.stderr)

    def _remove_resources(self) -> None:
        client = self.client(timeout=60)
        try:
            for container in client.containers.list(all=True):
                container.remove(force=True, v=True)
            for network in client.networks.list():
                if network.name not in PREDEFINED_NETWORKS:
                    network.remove()
            for volume in client.volumes.list():
                volume.remove(force=True)
        finally:
            client.close()

    # --- crash leftovers ----------------------------------------------------------------------
    def sweep_stale(self) -> None:
        """What a SIGKILLed run of this prefix left (its dockerd, containers, mounts), without
        starting an engine: for a host the next run may not start again. Raises EngineBusy while a
        live process owns the prefix."""
        self._acquire_lock()
        try:
            self._stop_stale()
        finally:
            self._release_lock()

    def _stop_stale(self) -> None:
        """Stop what a SIGKILLed run of this prefix left: dockerd (pidfile), its containerd and
        shims, its containers (cgroup parent), docker-proxy in the namespace; unmount; tidy."""
        stale: list[int] = []
        with contextlib.suppress(OSError, ValueError):
            pid = int(self.pidfile.read_text().strip())
            if _pid_alive(pid) and any("dockerd" in arg for arg in _cmdline(pid)[:3]):
                stale.append(pid)
        if stale:
            print(f"[engine] stopping stale dockerd {stale[0]} of prefix {self.prefix}", file=sys.stderr)
            if _kill_and_wait(stale, signal.SIGTERM, 20):
                _kill_and_wait(stale, signal.SIGKILL, 5)
        self._sweep()

    def _sweep(self) -> None:
        """Kill processes left behind by this engine and unmount what it mounted; idempotent."""
        marker = str(self.exec_root)
        ours = [pid for pid in _pids() if pid != os.getpid() and any(marker in arg for arg in _cmdline(pid))]
        ours += self._docker_proxies()
        if ours and _kill_and_wait(ours, signal.SIGTERM, 5):
            _kill_and_wait(ours, signal.SIGKILL, 5)
        self._kill_cgroup()
        if not self._unmount_leftovers():
            # Runtime state only (containerd's task state, netns files, sockets), like /run after a
            # reboot: a dead shim's task left in it makes the next containerd hang at start.
            shutil.rmtree(self.exec_root, ignore_errors=True)
        for path in (self.socket_path, self.pidfile):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _docker_proxies(self) -> list[int]:
        """docker-proxy processes in our namespace (they outlive a SIGKILLed dockerd)."""
        try:
            target = os.stat(nx.NETNS_DIR / self.netns).st_ino
        except OSError:
            return []
        found = []
        for pid in _pids():
            argv = _cmdline(pid)
            if argv and argv[0].endswith("docker-proxy"):
                with contextlib.suppress(OSError):
                    if os.stat(f"/proc/{pid}/ns/net").st_ino == target:
                        found.append(pid)
        return found

    def _cgroup_dirs(self) -> list[Path]:
        dirs: list[Path] = []
        relative = self.cgroup_parent.lstrip("/")
        candidates = (
            [CGROUP_ROOT / relative]
            if (CGROUP_ROOT / "cgroup.controllers").exists()
            else [controller / relative for controller in CGROUP_ROOT.iterdir() if controller.is_dir()]
        )
        for top in candidates:
            if top.is_dir():
                dirs += sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True)
                dirs.append(top)
        return dirs

    def _kill_cgroup(self) -> None:
        """SIGKILL every process still in our cgroup parent, then remove the empty cgroups."""
        dirs = self._cgroup_dirs()
        pids: set[int] = set()
        for directory in dirs:
            with contextlib.suppress(OSError):
                pids.update(int(line) for line in (directory / "cgroup.procs").read_text().split())
        if pids:
            print(f"[engine] killing {len(pids)} leftover process(es) in {self.cgroup_parent}", file=sys.stderr)
            _kill_and_wait(sorted(pids), signal.SIGKILL, 5)
        for directory in dirs:
            with contextlib.suppress(OSError):
                directory.rmdir()

    def _unmount_leftovers(self) -> list[str]:
        """Unmount everything under our roots (deepest first); returns what is still mounted."""
        roots = [str(self.exec_root), str(self.data_root), str(self.run_dir)]
        points: list[str] = []
        for _attempt in range(4):
            points = []
            with open("/proc/self/mountinfo") as handle:
                for line in handle:
                    point = _unescape_mount(line.split()[4])
                    if any(point == root or point.startswith(root + "/") for root in roots):
                        points.append(point)
            if not points or _attempt == 3:
                break
            for point in sorted(set(points), key=lambda p: p.count("/"), reverse=True):
                if nx.run(["umount", point], check=False).returncode != 0:
                    nx.run(["umount", "-l", point], check=False)
        return points

    # --- the prefix's lock and signals (as topology.py does) ----------------------------------
    def _acquire_lock(self) -> None:
        LOCK_DIR.mkdir(parents=True, exist_ok=True)
        handle = open(self._lock_path, "a+")  # noqa: SIM115 - held open: the lock lives as long as the engine
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise EngineBusy(f"another live process holds {self._lock_path} (engine {self.prefix})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock = handle

    def _release_lock(self) -> None:
        if self._lock is not None:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def lock_holder(self) -> int | None:
        """The pid written by the process holding this prefix's lock (None if free)."""
        try:
            with open(self._lock_path) as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    text = handle.read().strip()
                    return int(text) if text.isdigit() else -1
                fcntl.flock(handle, fcntl.LOCK_UN)
        except FileNotFoundError:
            pass
        return None


# --- standalone use -----------------------------------------------------------------------------
def _created_marker(engine: Engine) -> Path:
    return engine.root / "created-netns"


def _up(prefix: str) -> int:
    from components.core import catalog
    from components.duckdb.render import image_tag

    from . import standins

    engine = Engine(prefix=prefix)
    if not (nx.NETNS_DIR / engine.netns).exists():
        nx.netns_add(engine.netns)
        engine.root.mkdir(parents=True, exist_ok=True)
        _created_marker(engine).write_text(json.dumps({"netns": engine.netns}) + "\n")
    started = time.monotonic()
    try:
        with engine:
            ids = standins.ensure_images(engine.client(), [*catalog.DEFAULT_IMAGES.values(), image_tag()])
            for reference, image_id in ids.items():
                print(f"{reference}\t{image_id}")
            print(f"[engine] ready in {time.monotonic() - started:.1f}s; Ctrl-C (or `down`) stops", file=sys.stderr)
            print(f"DOCKER_HOST={engine.host}", flush=True)
            while True:
                signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        _delete_created_netns(engine)
    return 0


def _delete_created_netns(engine: Engine) -> None:
    marker = _created_marker(engine)
    if marker.exists():
        nx.netns_delete(json.loads(marker.read_text())["netns"])
        marker.unlink()


def _down(prefix: str) -> int:
    engine = Engine(prefix=prefix)
    holder = engine.lock_holder()
    if holder is not None and holder > 0:
        print(f"[engine] asking pid {holder} (engine {prefix}) to stop", file=sys.stderr)
        with contextlib.suppress(ProcessLookupError):
            os.kill(holder, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while engine.lock_holder() is not None and time.monotonic() < deadline:
            time.sleep(0.2)
    engine.sweep_stale()
    _delete_created_netns(engine)
    print(f"[engine] {prefix} down", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    summary = (__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m harness.engine", description=summary)
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--prefix", default="pd")
    args = parser.parse_args(argv)
    return _up(args.prefix) if args.action == "up" else _down(args.prefix)


if __name__ == "__main__":
    sys.exit(main())
