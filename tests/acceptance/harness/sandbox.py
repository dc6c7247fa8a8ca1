"""One container = one process tree in a bwrap filesystem view inside its own netns.

The view is built from scratch on an empty root: the host's /usr (read-only) with the
merged-/usr symlinks, a small allow-list of /etc entries, generated passwd/group/hosts/
resolv.conf, the image's own few files, then the container's volumes, tmpfs mounts and
uploads at their container paths. With `read_only` the root is remounted read-only.

Privileges are dropped the way runc does it: bwrap runs as root (no user namespace, so
file ownership is real), and `setpriv` switches to the spec's uid:gid, clears the
supplementary groups, the inheritable, ambient and bounding capability sets (cap_drop ALL)
and sets no_new_privs (security_opt no-new-privileges), then execs the stand-in binary.

tmpfs mounts are real tmpfs with Docker's options (size, uid, gid, mode, noexec...): they are
mounted by a tiny `sh` in a private mount namespace (`unshare --mount`) right before bwrap
starts, so they vanish with the container and a restart gets empty ones, as with Docker.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess  # nosec B404
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .images import ImageProfile, profile_for
from .netns import NETNS_DIR, listening_ports
from .spec import ContainerSpec

# Host /etc entries a container sees (read-only); everything else in /etc is the image's or ours.
ETC_ALLOWLIST = (
    "alternatives",
    "ca-certificates",
    "ca-certificates.conf",
    "debian_version",
    "gai.conf",
    "host.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "mime.types",
    "nsswitch.conf",
    "os-release",
    "protocols",
    "services",
    "ssl",
    "timezone",
)
ROOT_LINKS = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
DEFAULT_TMPFS_OPTS = "rw,noexec,nosuid,nodev"
PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Docker's embedded DNS address: nothing answers there, so unknown names fail fast and no
# lookup ever leaves the namespace.
RESOLV_CONF = "nameserver 127.0.0.11\noptions ndots:0 timeout:1 attempts:1\n"


class SandboxError(RuntimeError):
    pass


@dataclass(frozen=True)
class _Mount:
    """One bwrap operation on a container path; sorted parents-first before use."""

    path: str
    args: tuple[str, ...]

    @property
    def depth(self) -> int:
        return len([part for part in self.path.split("/") if part])


def _log_tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


class Sandbox:
    """A container's process: start, stop, kill, restart, exec, readiness, logs."""

    def __init__(
        self,
        spec: ContainerSpec,
        *,
        netns: str,
        run_dir: Path,
        volumes_dir: Path,
        host_paths: Mapping[str, str],
        hosts_text: str,
        ready_port: int | None,
        ready_timeout: float = 30.0,
    ) -> None:
        self.spec = spec
        self.netns = netns
        self.run_dir = run_dir
        self.volumes_dir = volumes_dir
        self.host_paths = dict(host_paths)
        self.ready_port = ready_port
        self.ready_timeout = ready_timeout
        self.profile: ImageProfile = profile_for(spec.image)
        self.argv: list[str] = self.profile.entrypoint(spec.command)
        self.log_path = run_dir / "container.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._pump: threading.Thread | None = None
        self._prepare(hosts_text)

    # --- the filesystem view -------------------------------------------------------------
    def _prepare(self, hosts_text: str) -> None:
        spec = self.spec
        for sub in ("files", "etc", "tmpfs"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        for upload in spec.uploads:
            staged = self._staged(upload.path)
            staged.parent.mkdir(parents=True, exist_ok=True)
            staged.write_text(upload.content)
            os.chown(staged, upload.uid, upload.gid)
            os.chmod(staged, upload.mode)
        for volume in spec.volumes:
            if volume.name is not None:
                directory = self.volumes_dir / volume.name
                if not directory.exists():
                    directory.mkdir(parents=True)
                    os.chown(directory, spec.uid, spec.gid)
            else:
                assert volume.host_path is not None  # nosec B101 - Volume guarantees it
                real = self.host_paths.get(volume.host_path, volume.host_path)
                if not Path(real).exists():
                    raise SandboxError(f"{spec.name}: host path {volume.host_path} (-> {real}) does not exist; map it with Topology(host_paths={{recorded: real}})")
        etc = self.run_dir / "etc"
        users = {0: ("root", 0), 65534: ("nobody", 65534)}
        users.setdefault(spec.uid, (f"u{spec.uid}", spec.gid))
        groups = {0: "root", 65534: "nogroup"}
        groups.setdefault(spec.gid, f"g{spec.gid}")
        (etc / "passwd").write_text("".join(f"{name}:x:{uid}:{gid}:{name}:/nonexistent:/usr/sbin/nologin\n" for uid, (name, gid) in sorted(users.items())))
        (etc / "group").write_text("".join(f"{name}:x:{gid}:\n" for gid, name in sorted(groups.items())))
        (etc / "hostname").write_text(f"{spec.name}\n")
        (etc / "resolv.conf").write_text(RESOLV_CONF)
        self.update_hosts(hosts_text)

    def _staged(self, container_path: str) -> Path:
        return self.run_dir / "files" / container_path.lstrip("/")

    def update_hosts(self, text: str) -> None:
        """Rewrite /etc/hosts in place (same inode: a running container sees the change)."""
        with open(self.run_dir / "etc" / "hosts", "w") as handle:
            handle.write(text)

    def _user_paths(self) -> list[str]:
        spec = self.spec
        return [upload.path for upload in spec.uploads] + [volume.container_path for volume in spec.volumes] + list(spec.tmpfs)

    def _tmpfs_mountpoints(self) -> list[tuple[str, Path, str]]:
        return [(path, self.run_dir / "tmpfs" / str(index), opts or DEFAULT_TMPFS_OPTS) for index, (path, opts) in enumerate(sorted(self.spec.tmpfs.items()))]

    def _mounts(self) -> list[_Mount]:
        spec = self.spec
        user_paths = self._user_paths()
        mounts: list[_Mount] = []

        def shadowed(container_path: str) -> bool:
            """A host entry that would hide (or be written through by) a container path."""
            prefix = container_path.rstrip("/") + "/"
            return any(p == container_path or p.startswith(prefix) for p in user_paths)

        for name in ROOT_LINKS:
            host = Path("/") / name
            if host.is_symlink():
                mounts.append(_Mount(f"/{name}", ("--symlink", os.readlink(host), f"/{name}")))
            elif host.is_dir():
                mounts.append(_Mount(f"/{name}", ("--ro-bind", str(host), f"/{name}")))
        mounts.append(_Mount("/etc", ("--dir", "/etc")))
        for name in ETC_ALLOWLIST:
            host = Path("/etc") / name
            target = f"/etc/{name}"
            if shadowed(target) or not (host.exists() or host.is_symlink()):
                continue
            if host.is_symlink():
                mounts.append(_Mount(target, ("--symlink", os.readlink(host), target)))
            else:
                mounts.append(_Mount(target, ("--ro-bind", str(host), target)))
        etc = self.run_dir / "etc"
        for name in ("passwd", "group", "hosts", "hostname", "resolv.conf"):
            mounts.append(_Mount(f"/etc/{name}", ("--ro-bind", str(etc / name), f"/etc/{name}")))
        for directory in ("/var", "/run", "/home"):
            mounts.append(_Mount(directory, ("--dir", directory)))
        if "/tmp" not in spec.tmpfs and not any(v.container_path == "/tmp" for v in spec.volumes):
            mounts.append(_Mount("/tmp", ("--perms", "1777", "--dir", "/tmp")))

        # What the image itself ships.
        for target, host_file in self.profile.image_files.items():
            if Path(host_file).exists() and not shadowed(target):
                mounts.append(_Mount(target, ("--ro-bind", host_file, target)))
        for target, link in self.profile.image_symlinks.items():
            if not shadowed(target):
                mounts.append(_Mount(target, ("--symlink", link, target)))
        for directory in self.profile.host_dirs:
            if Path(directory).exists():
                mounts.append(_Mount(directory, ("--ro-bind", directory, directory)))

        # The container's own volumes, tmpfs and uploads.
        for volume in spec.volumes:
            flag = "--ro-bind" if volume.read_only else "--bind"
            if volume.name is not None:
                source = str(self.volumes_dir / volume.name)
            else:
                assert volume.host_path is not None  # nosec B101
                source = self.host_paths.get(volume.host_path, volume.host_path)
            mounts.append(_Mount(volume.container_path, (flag, source, volume.container_path)))
        for path, mountpoint, _opts in self._tmpfs_mountpoints():
            mounts.append(_Mount(path, ("--bind", str(mountpoint), path)))
        for upload in spec.uploads:
            mounts.append(_Mount(upload.path, ("--ro-bind", str(self._staged(upload.path)), upload.path)))
        # bwrap would create missing parents 0700 (not traversable by the service): create
        # them 0755 first, as Docker does for the parents of uploads.
        targets = {mount.path for mount in mounts}
        parents: list[_Mount] = []
        for mount in mounts:
            for ancestor in map(str, list(Path(mount.path).parents)[:-1]):
                if ancestor not in targets and not self._under_host_bind(ancestor):
                    targets.add(ancestor)
                    parents.append(_Mount(ancestor, ("--dir", ancestor)))
        # Stable sort: parents first, same-depth entries keep their (meaningful) order.
        return sorted(parents + mounts, key=lambda mount: mount.depth)

    def bwrap_argv(self) -> list[str]:
        spec = self.spec
        argv = [
            "bwrap",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
            "--die-with-parent",
            "--new-session",
            "--hostname",
            spec.name,
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "--ro-bind",
            "/usr",
            "/usr",
        ]
        for mount in self._mounts():
            argv += mount.args
        workdir = self.profile.workdir
        argv += ["--dir", workdir] if not self._covers(workdir) else []
        argv += ["--chdir", workdir]
        if spec.read_only:
            argv += ["--remount-ro", "/"]
        argv += ["--clearenv"]
        for key, value in self._env().items():
            argv += ["--setenv", key, value]
        if spec.uid == 0:
            if spec.cap_drop_all:
                argv += ["--cap-drop", "ALL"]
            return [*argv, "--", *self.argv]
        return [*argv, "--", *self._setpriv(), *self.argv]

    def _under_host_bind(self, path: str) -> bool:
        """Inside a read-only host directory (/usr, an allow-listed /etc entry, a host dir)."""
        binds = ["/usr", *(f"/etc/{name}" for name in ETC_ALLOWLIST), *self.profile.host_dirs]
        return any(path == bind or path.startswith(bind + "/") for bind in binds)

    def _covers(self, path: str) -> bool:
        return path == "/" or any(path == mounted or path.startswith(mounted.rstrip("/") + "/") for mounted in [v.container_path for v in self.spec.volumes] + list(self.spec.tmpfs))

    def _env(self) -> dict[str, str]:
        env = {"PATH": PATH_ENV, "HOME": "/nonexistent" if self.spec.uid else "/root", "HOSTNAME": self.spec.name}
        env.update(self.profile.env)
        env.update(self.spec.env)
        return env

    def _setpriv(self) -> list[str]:
        spec = self.spec
        argv = ["setpriv", f"--reuid={spec.uid}", f"--regid={spec.gid}", "--clear-groups"]
        if spec.cap_drop_all:
            argv += ["--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all"]
        if spec.no_new_privileges:
            argv.append("--no-new-privs")
        return [*argv, "--"]

    def launch_argv(self) -> list[str]:
        """nsenter(net) -> unshare(mount) -> sh(mount the tmpfs) -> exec bwrap. All exec, no fork."""
        lines = ["set -e"]
        for _path, mountpoint, opts in self._tmpfs_mountpoints():
            mountpoint.mkdir(parents=True, exist_ok=True)
            lines.append(f"mount -t tmpfs -o {shlex.quote(opts)} tmpfs {shlex.quote(str(mountpoint))}")
        lines.append("exec " + shlex.join(self.bwrap_argv()))
        return [
            "nsenter",
            f"--net={NETNS_DIR / self.netns}",
            "--",
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--",
            "/bin/sh",
            "-c",
            "\n".join(lines),
        ]

    # --- lifecycle -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The outer bwrap process (our child)."""
        return self._process.pid if self._process is not None else None

    def main_pid(self) -> int | None:
        """The service's own process (host pid): the child of bwrap's init in the sandbox."""
        if not self.running or self._process is None:
            return None
        tree = _children()
        for init in tree.get(self._process.pid, []):
            for child in tree.get(init, []):
                return child
        return None

    def start(self, wait: bool = True) -> None:
        if self.running:
            raise SandboxError(f"{self.spec.name} is already running")
        argv = self.launch_argv()
        read_fd, write_fd = os.pipe()
        # runc hands the container's stdio to its user: /dev/stdout must be re-openable by it.
        os.fchown(write_fd, self.spec.uid, self.spec.gid)
        log: IO[bytes] = open(self.log_path, "ab")  # noqa: SIM115 - closed by the log thread
        log.write(f"=== {time.strftime('%H:%M:%S')} start: {shlex.join(self.argv)}\n".encode())
        log.flush()
        try:
            self._process = subprocess.Popen(  # nosec B603
                argv, stdin=subprocess.DEVNULL, stdout=write_fd, stderr=write_fd, close_fds=True
            )
        finally:
            os.close(write_fd)
        self._pump = threading.Thread(target=self._copy_log, args=(read_fd, log), daemon=True)
        self._pump.start()
        print(f"[harness] {self.spec.name}: started pid {self._process.pid}, log {self.log_path}", file=sys.stderr)
        if wait:
            self.wait_ready()

    @staticmethod
    def _copy_log(read_fd: int, log: IO[bytes]) -> None:
        with os.fdopen(read_fd, "rb", buffering=0) as pipe, log:
            while chunk := pipe.read(65536):
                log.write(chunk)
                log.flush()

    def wait_ready(self, timeout: float | None = None) -> None:
        """Until the service listens on its port (bounded); raises with the log tail."""
        deadline = time.monotonic() + (timeout or self.ready_timeout)
        settle_until = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            if not self.running:
                self._join_pump()
                raise SandboxError(f"{self.spec.name} exited ({self._process.returncode if self._process else '?'}) while starting; log {self.log_path}:\n{_log_tail(self.log_path)}")
            main = self.main_pid()
            if main is not None:
                if self.ready_port is None:
                    if time.monotonic() >= settle_until:
                        return
                elif self.ready_port in listening_ports(main):
                    return
            time.sleep(0.05)
        raise SandboxError(f"{self.spec.name} not listening on {self.ready_port} after {timeout or self.ready_timeout}s; log {self.log_path}:\n{_log_tail(self.log_path)}")

    def stop(self, timeout: float = 10.0) -> int | None:
        """`docker stop`: SIGTERM to the service, SIGKILL after `timeout`."""
        if self._process is None:
            return None
        if self.running:
            main = self.main_pid()
            if main is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(main, signal.SIGTERM)
            try:
                self._process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                return self.kill()
        self._join_pump()
        return self._process.returncode

    def kill(self) -> int | None:
        """`docker kill`: SIGKILL to the service and the sandbox around it."""
        if self._process is None:
            return None
        if self.running:
            main = self.main_pid()
            for pid in (main, self._process.pid):
                if pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=10)
        self._join_pump()
        return self._process.returncode

    def restart(self, wait: bool = True) -> None:
        self.stop()
        self.start(wait=wait)

    def _join_pump(self) -> None:
        if self._pump is not None:
            self._pump.join(timeout=5)
            self._pump = None

    # --- looking inside ------------------------------------------------------------------
    def exec(
        self,
        argv: Sequence[str],
        *,
        as_root: bool = False,
        timeout: float = 30,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """`docker exec`: run argv in the container's namespaces and view, as its user."""
        main = self.main_pid()
        if main is None:
            raise SandboxError(f"{self.spec.name} is not running")
        enter = [
            "nsenter",
            f"--target={main}",
            "--mount",
            "--uts",
            "--ipc",
            "--net",
            "--pid",
            "--root",
            "--wd",
            "--",
        ]
        env = ["env", "-i", *(f"{key}={value}" for key, value in self._env().items())]
        drop = [] if as_root else self._setpriv()
        full = [*enter, *drop, *env, *argv]
        return subprocess.run(  # nosec B603
            full, capture_output=True, text=True, timeout=timeout, input=input, check=False
        )

    def healthcheck(self, timeout: float = 30) -> subprocess.CompletedProcess[str] | None:
        """Run the spec's healthcheck inside the container; None when it has none."""
        test = self.spec.healthcheck
        if not test or test[0] == "NONE":
            return None
        if test[0] == "CMD":
            argv = test[1:]
        elif test[0] == "CMD-SHELL":
            argv = ["/bin/sh", "-c", " ".join(test[1:])]
        else:
            argv = test
        return self.exec(argv, timeout=timeout)

    def status(self) -> dict[str, str]:
        """The service process's /proc/<pid>/status as a dict (Uid, Gid, CapEff, NoNewPrivs...)."""
        main = self.main_pid()
        if main is None:
            raise SandboxError(f"{self.spec.name} is not running")
        fields: dict[str, str] = {}
        for line in Path(f"/proc/{main}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        return fields

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
